package org.jtgt.daemon;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pending unit attention conditions of one I_T nexus, one bounded FIFO per logical unit
 * (SAM-5 5.14: a unit attention condition exists per I_T_L nexus).
 *
 * <p>Each queue holds at most {@link #CAPACITY} conditions. A condition already pending is not
 * queued twice (the application client learns nothing new from a duplicate); when a queue is
 * full, the oldest condition is dropped to make room. SAM-5 5.14 leaves the number of conditions
 * a logical unit keeps per I_T nexus to the implementation; the newest ones are the most useful.
 *
 * <p>The command path asks {@link #pending()} first, a volatile read: only when some condition
 * is pending does it lock and look for the LUN, so an idle nexus costs nothing per command.
 *
 * <p>In the split shape's daemon a {@link Keeper} hears of every change (a condition
 * established, reported or cleared) on the thread that made it, after this object's lock is
 * released and before that thread answers the command that caused it ({@link KeptState}). A
 * condition a command reports ({@link #report}) stays in what the keeper writes until that
 * command's {@code KEVENT_CMD_DONE} ({@link #answered}): a daemon process killed before the front
 * had the answer leaves it for the next one, which reports it again when the front gives it the
 * command again. So a daemon restart may report a condition twice, but never loses one.
 */
final class UnitAttentions {
    static final int CAPACITY = 16;

    private final int capacity;
    private volatile int pending;
    /** Guarded by this. Unused slots are null; no order. */
    private Queue[] queues = new Queue[0];
    /** Told of every change, or null. */
    private volatile Keeper keeper;
    /**
     * Conditions reported by commands whose {@code KEVENT_CMD_DONE} has not come (only while a
     * keeper is set), oldest first: the command's cid, LUN and condition. Guarded by this; at most
     * {@link #capacity}, the oldest let go beyond that.
     */
    private final long[] reportedCids;
    private final int[] reportedLuns;
    private final SenseReason[] reportedReasons;
    private int reported;
    /** {@link #reported}, readable without the lock: the CMD_DONE path looks at it first. */
    private volatile int awaitingDone;

    /** Writes the conditions down for the next daemon process ({@link KeptState}). */
    interface Keeper {
        /** {@code ua} changed; called without its lock held. */
        void changed(UnitAttentions ua);
    }

    UnitAttentions() {
        this(CAPACITY);
    }

    /** For tests: a smaller bound. */
    UnitAttentions(int capacity) {
        this.capacity = capacity;
        this.reportedCids = new long[capacity];
        this.reportedLuns = new int[capacity];
        this.reportedReasons = new SenseReason[capacity];
    }

    private static final class Queue {
        final int lun;
        final SenseReason[] ring;
        int head;
        int size;

        Queue(int lun, int capacity) {
            this.lun = lun;
            this.ring = new SenseReason[capacity];
        }

        boolean contains(SenseReason r) {
            for (int i = 0; i < size; i++) {
                if (ring[(head + i) % ring.length] == r) {
                    return true;
                }
            }
            return false;
        }

        SenseReason poll() {
            SenseReason r = ring[head];
            ring[head] = null;
            head = (head + 1) % ring.length;
            size--;
            return r;
        }

        boolean remove(SenseReason r) {
            boolean found = false;
            int n = size;
            int kept = 0;
            for (int i = 0; i < n; i++) {
                SenseReason x = ring[(head + i) % ring.length];
                if (x == r) {
                    found = true;
                } else {
                    ring[(head + kept++) % ring.length] = x;
                }
            }
            for (int i = kept; i < n; i++) {
                ring[(head + i) % ring.length] = null;
            }
            size = kept;
            return found;
        }
    }

    /** True if any condition is pending for any LUN. */
    boolean pending() {
        return pending > 0;
    }

    /** Establishes a unit attention condition for {@code lun}. */
    void establish(int lun, SenseReason reason) {
        synchronized (this) {
            Queue q = queue(lun, true);
            if (q.contains(reason)) {
                return;
            }
            if (q.size == capacity) {
                q.poll();
                pending--;
            }
            q.ring[(q.head + q.size) % capacity] = reason;
            q.size++;
            pending++;
        }
        kept();
    }

    /** Removes and returns the oldest condition for {@code lun}, or {@code null}. */
    SenseReason next(int lun) {
        return take(lun, 0, false);
    }

    /**
     * Like {@link #next}, for the command {@code cid} that reports the condition: while a keeper
     * is set the condition stays in what it writes until {@link #answered answered(cid)}.
     */
    SenseReason report(int lun, long cid) {
        return take(lun, cid, true);
    }

    private SenseReason take(int lun, long cid, boolean reported) {
        if (pending == 0) {
            return null;
        }
        SenseReason r;
        synchronized (this) {
            Queue q = queue(lun, false);
            if (q == null || q.size == 0) {
                return null;
            }
            pending--;
            r = q.poll();
            if (reported && keeper != null && !track(cid, lun, r)) {
                return r;   // what the keeper wrote still holds: the condition is written down either way
            }
        }
        kept();
        return r;
    }

    /** Records a reported condition; false unless the oldest record had to go for it. */
    private boolean track(long cid, int lun, SenseReason r) {
        boolean full = reported == reportedCids.length;
        if (full) {
            removeReported(0);
        }
        reportedCids[reported] = cid;
        reportedLuns[reported] = lun;
        reportedReasons[reported] = r;
        awaitingDone = ++reported;
        return full;
    }

    private void removeReported(int i) {
        int after = reported - i - 1;
        System.arraycopy(reportedCids, i + 1, reportedCids, i, after);
        System.arraycopy(reportedLuns, i + 1, reportedLuns, i, after);
        System.arraycopy(reportedReasons, i + 1, reportedReasons, i, after);
        reportedReasons[--reported] = null;
        awaitingDone = reported;
    }

    private int indexOfReported(long cid) {
        for (int i = 0; i < reported; i++) {
            if (reportedCids[i] == cid) {
                return i;
            }
        }
        return -1;
    }

    /**
     * {@code KEVENT_CMD_DONE} for {@code cid}: the front has the answer, so a condition the command
     * reported is no longer written down. One volatile read when none waits.
     */
    void answered(long cid) {
        settle(cid, true);
    }

    /**
     * The answer to {@code cid} did not go out (the endpoint is gone): a condition it reported is
     * pending again, the oldest of its LUN.
     */
    void notAnswered(long cid) {
        settle(cid, false);
    }

    private void settle(long cid, boolean sent) {
        if (awaitingDone == 0) {
            return;
        }
        synchronized (this) {
            int i = indexOfReported(cid);
            if (i < 0) {
                return;
            }
            int lun = reportedLuns[i];
            SenseReason r = reportedReasons[i];
            removeReported(i);
            if (!sent) {
                pendingAgain(lun, r);
            }
        }
        kept();
    }

    /** Lock held: {@code r} is the oldest condition of {@code lun} again, unless it is pending already. */
    private void pendingAgain(int lun, SenseReason r) {
        Queue q = queue(lun, true);
        if (q.contains(r)) {
            return;
        }
        if (q.size == capacity) {
            q.ring[(q.head + q.size - 1) % capacity] = null;   // the newest makes room
            q.size--;
            pending--;
        }
        q.head = (q.head + capacity - 1) % capacity;
        q.ring[q.head] = r;
        q.size++;
        pending++;
    }

    /** The oldest condition for {@code lun} without removing it, or {@code null}. */
    SenseReason peek(int lun) {
        if (pending == 0) {
            return null;
        }
        synchronized (this) {
            Queue q = queue(lun, false);
            return q == null || q.size == 0 ? null : q.ring[q.head];
        }
    }

    /** Clears {@code reason} wherever it is pending, on every LUN. */
    void clearEverywhere(SenseReason reason) {
        if (pending == 0) {
            return;
        }
        boolean removed = false;
        synchronized (this) {
            for (Queue q : queues) {
                int before = q.size;
                if (q.remove(reason)) {
                    pending -= before - q.size;
                    removed = true;
                }
            }
        }
        if (removed) {
            kept();
        }
    }

    /** Forgets every condition of a LUN that no longer exists. */
    void forget(int lun) {
        synchronized (this) {
            boolean changed = false;
            for (int i = reported - 1; i >= 0; i--) {
                if (reportedLuns[i] == lun) {
                    removeReported(i);
                    changed = true;
                }
            }
            Queue q = queue(lun, false);
            if (q != null && q.size > 0) {
                pending -= q.size;
                q.head = 0;
                q.size = 0;
                Arrays.fill(q.ring, null);
                changed = true;
            }
            if (!changed) {
                return;
            }
        }
        kept();
    }

    void keeper(Keeper k) {
        keeper = k;
    }

    Keeper keeper() {
        return keeper;
    }

    private void kept() {
        Keeper k = keeper;
        if (k != null) {
            k.changed(this);
        }
    }

    /**
     * Every LUN's pending conditions, oldest first, after those its commands reported and whose
     * answers the front may not have yet ({@link #report}); LUNs with none left out.
     */
    synchronized Map<Integer, List<SenseReason>> snapshot() {
        Map<Integer, List<SenseReason>> m = new LinkedHashMap<>();
        for (int i = 0; i < reported; i++) {
            List<SenseReason> l = m.computeIfAbsent(reportedLuns[i], k -> new ArrayList<>());
            if (!l.contains(reportedReasons[i])) {
                l.add(reportedReasons[i]);
            }
        }
        for (Queue q : queues) {
            List<SenseReason> l = m.get(q.lun);
            for (int i = 0; i < q.size; i++) {
                SenseReason r = q.ring[(q.head + i) % q.ring.length];
                if (l == null) {
                    l = new ArrayList<>(q.size);
                    m.put(q.lun, l);
                }
                if (!l.contains(r)) {
                    l.add(r);
                }
            }
        }
        return m;
    }

    /** Number of conditions pending for {@code lun} (tests and diagnostics). */
    synchronized int count(int lun) {
        Queue q = queue(lun, false);
        return q == null ? 0 : q.size;
    }

    private Queue queue(int lun, boolean create) {
        for (Queue q : queues) {
            if (q.lun == lun) {
                return q;
            }
        }
        if (!create) {
            return null;
        }
        Queue q = new Queue(lun, capacity);
        Queue[] next = Arrays.copyOf(queues, queues.length + 1);
        next[queues.length] = q;
        queues = next;
        return q;
    }
}
