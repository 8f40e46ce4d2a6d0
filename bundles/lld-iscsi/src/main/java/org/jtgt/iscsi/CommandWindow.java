package org.jtgt.iscsi;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A session's command window and command order (RFC 7143 4.2.2.1).
 *
 * <p>Non-immediate commands are accepted when ExpCmdSN &lt;= CmdSN &lt;= MaxCmdSN and silently
 * dropped otherwise. One that arrives ahead of ExpCmdSN is held until the gap is filled. Commands
 * enter the host queue in CmdSN order, each once all its data is in ({@link #nextReady}).
 * MaxCmdSN starts at ExpCmdSN + window - 1 and grows by one each time a command is finished (its
 * response is written or it is aborted: {@link #release}), so a session never has more than
 * {@code window} commands outstanding, and MaxCmdSN never decreases. Immediate commands are
 * outside the window; at most {@code immediateLimit} are outstanding.
 *
 * <p>Threads: the reader owns everything but the two numbers the sender reads as it writes each
 * PDU, ExpCmdSN (volatile, written by the reader) and MaxCmdSN (advanced by both). The sender
 * reads ExpCmdSN before MaxCmdSN, so it never sends a MaxCmdSN below ExpCmdSN - 1.
 */
final class CommandWindow {
    private final int window;
    private final int immediateLimit;
    private volatile int expCmdSn;
    private final AtomicInteger maxCmdSn = new AtomicInteger();
    /**
     * CmdSNs received ahead of ExpCmdSN, by CmdSN modulo the length: whether it arrived, and the
     * task it carried (null for a PDU dealt with outside the task path, or a task since ended).
     */
    private final boolean[] arrived;
    private final ScsiTask[] waiting;
    /** Tasks in CmdSN order that wait for their data, or for an earlier task's. */
    private final ArrayDeque<ScsiTask> ordered = new ArrayDeque<>();
    private final AtomicInteger immediateOutstanding = new AtomicInteger();

    CommandWindow(int window, int immediateLimit) {
        this.window = window;
        this.immediateLimit = immediateLimit;
        this.arrived = new boolean[2 * window];
        this.waiting = new ScsiTask[2 * window];
    }

    /** The window opens at the first login request's CmdSN. */
    void start(int cmdSn) {
        expCmdSn = cmdSn;
        maxCmdSn.set(cmdSn + window - 1);
    }

    int expCmdSn() {
        return expCmdSn;
    }

    int maxCmdSn() {
        return maxCmdSn.get();
    }

    boolean inWindow(int cmdSn) {
        int exp = expCmdSn;
        int max = maxCmdSn.get();
        if (SerialNumber.lt(cmdSn, exp) || SerialNumber.gt(cmdSn, max)) {
            return false;
        }
        int distance = cmdSn - exp;
        return distance < arrived.length && (distance == 0 || !arrived[index(cmdSn)]);
    }

    private int index(int cmdSn) {
        return Integer.remainderUnsigned(cmdSn, arrived.length);
    }

    /** The window as {@code [ExpCmdSN, MaxCmdSN]}, for log messages. */
    String describe() {
        return "[" + Integer.toUnsignedString(expCmdSn) + ", " + Integer.toUnsignedString(maxCmdSn.get()) + "]";
    }

    /**
     * A non-immediate CmdSN arrived (in the window), carrying {@code task} or (null) a PDU dealt
     * with at once: advance ExpCmdSN over everything now contiguous.
     */
    void received(int cmdSn, ScsiTask task) {
        int exp = expCmdSn;
        if (cmdSn != exp) {
            int i = index(cmdSn);
            arrived[i] = true;
            waiting[i] = task;
            return;
        }
        enterOrder(task);
        exp++;
        while (true) {
            int i = index(exp);
            if (!arrived[i]) {
                break;
            }
            ScsiTask next = waiting[i];
            arrived[i] = false;
            waiting[i] = null;
            enterOrder(next);
            exp++;
        }
        expCmdSn = exp;
    }

    private void enterOrder(ScsiTask t) {
        if (t != null && t.state == ScsiTask.State.RECEIVING) {
            t.ordered = true;
            ordered.add(t);
        }
    }

    /**
     * A non-immediate PDU that is no SCSI task (NOP-Out, Text, TMF, Logout), dealt with at once:
     * its CmdSN is received and its slot comes back. False if it is outside the window (dropped).
     */
    boolean consume(int cmdSn) {
        if (!inWindow(cmdSn)) {
            return false;
        }
        received(cmdSn, null);
        maxCmdSn.incrementAndGet();
        return true;
    }

    /**
     * Whether {@code refCmdSn}, named by a TMF with {@code tmfCmdSn}, is before the TMF, in the
     * window and not yet received (RFC 7143 11.5.1 case b).
     */
    boolean notYetReceived(int refCmdSn, int tmfCmdSn) {
        if (!SerialNumber.lt(refCmdSn, tmfCmdSn)) {
            return false;
        }
        int exp = expCmdSn;
        if (SerialNumber.lt(refCmdSn, exp) || SerialNumber.gt(refCmdSn, maxCmdSn.get())) {
            return false;
        }
        return refCmdSn - exp < arrived.length && !arrived[index(refCmdSn)];
    }

    /** The first task in CmdSN order if its data is complete, taken out of the order; else null. */
    ScsiTask nextReady() {
        ScsiTask t = ordered.peek();
        if (t == null || !t.dataComplete()) {
            return null;
        }
        ordered.poll();
        return t;
    }

    /** A task that ends before it reached the host: it no longer waits for its turn. */
    void forget(ScsiTask t) {
        ordered.remove(t);
        for (int i = 0; i < waiting.length; i++) {
            if (waiting[i] == t) {
                waiting[i] = null;
            }
        }
    }

    /** Whether another immediate command would be one too many. */
    boolean immediateFull() {
        return immediateOutstanding.get() >= immediateLimit;
    }

    void immediateAdmitted() {
        immediateOutstanding.incrementAndGet();
    }

    /** A task is finished (answered, or aborted without an answer): its slot comes back. */
    void release(ScsiTask t) {
        if (t.immediate) {
            immediateOutstanding.decrementAndGet();
        } else {
            maxCmdSn.incrementAndGet();
        }
    }

    /** The connection is closing: no task waits any more. */
    void clear() {
        ordered.clear();
    }
}
