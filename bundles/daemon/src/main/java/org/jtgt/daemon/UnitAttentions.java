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
 * released and before that thread answers the command that caused it ({@link KeptState}).
 */
final class UnitAttentions {
    static final int CAPACITY = 16;

    private final int capacity;
    private volatile int pending;
    /** Guarded by this. Unused slots are null; no order. */
    private Queue[] queues = new Queue[0];
    /** Told of every change, or null. */
    private volatile Keeper keeper;

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
        }
        kept();
        return r;
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
            Queue q = queue(lun, false);
            if (q == null || q.size == 0) {
                return;
            }
            pending -= q.size;
            q.head = 0;
            q.size = 0;
            Arrays.fill(q.ring, null);
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

    /** Every LUN's pending conditions, oldest first; LUNs with none left out. */
    synchronized Map<Integer, List<SenseReason>> snapshot() {
        Map<Integer, List<SenseReason>> m = new LinkedHashMap<>();
        for (Queue q : queues) {
            if (q.size > 0) {
                List<SenseReason> l = new ArrayList<>(q.size);
                for (int i = 0; i < q.size; i++) {
                    l.add(q.ring[(q.head + i) % q.ring.length]);
                }
                m.put(q.lun, l);
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
