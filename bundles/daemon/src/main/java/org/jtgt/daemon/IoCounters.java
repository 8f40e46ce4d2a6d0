package org.jtgt.daemon;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import org.jtgt.api.target.IoStatistics;

/**
 * The command counters of one I_T nexus or one logical unit, counted on the command path.
 *
 * <h2>Why plain fields</h2>
 * The daemon executes commands inline on the thread that delivers them: one thread per bound
 * transport, and the host side binds one transport at a time (a swap drains the old transport
 * before the new one delivers). So at any moment one thread counts for a nexus, and for a unit:
 * each counter has a single writer. A single writer needs neither a CAS nor a lock nor a
 * {@link java.util.concurrent.atomic.LongAdder}'s cells (which allocate under contention): it
 * reads its own last value and stores the sum. The stores are opaque ({@link VarHandle#setOpaque}),
 * so a reader on another thread (management) sees every 64-bit value whole and eventually the
 * latest, and the command path pays no fence. Were two transports ever to deliver commands for
 * the same unit at the same moment, an increment could be lost: these are statistics, never used
 * for a decision, and with the host side's swap protocol that happens only after a drain timed
 * out while commands still ran on the old transport's thread.
 *
 * <p>The four fields sit together on the unit's or nexus's own object; nothing else is written
 * on that line by another thread on the command path.
 */
final class IoCounters {
    private static final VarHandle COMMANDS;
    private static final VarHandle READ;
    private static final VarHandle WRITTEN;
    private static final VarHandle ERRORS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            COMMANDS = l.findVarHandle(IoCounters.class, "commands", long.class);
            READ = l.findVarHandle(IoCounters.class, "bytesRead", long.class);
            WRITTEN = l.findVarHandle(IoCounters.class, "bytesWritten", long.class);
            ERRORS = l.findVarHandle(IoCounters.class, "errors", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused")   // through the VarHandles
    private long commands;
    @SuppressWarnings("unused")
    private long bytesRead;
    @SuppressWarnings("unused")
    private long bytesWritten;
    @SuppressWarnings("unused")
    private long errors;

    /** One answered command: Data-In and Data-Out bytes moved, and whether it was CHECK CONDITION. */
    void count(long read, long written, boolean checkCondition) {
        COMMANDS.setOpaque(this, (long) COMMANDS.getOpaque(this) + 1);
        if (read != 0) {
            READ.setOpaque(this, (long) READ.getOpaque(this) + read);
        }
        if (written != 0) {
            WRITTEN.setOpaque(this, (long) WRITTEN.getOpaque(this) + written);
        }
        if (checkCondition) {
            ERRORS.setOpaque(this, (long) ERRORS.getOpaque(this) + 1);
        }
    }

    IoStatistics snapshot() {
        return new IoStatistics((long) COMMANDS.getOpaque(this), (long) READ.getOpaque(this),
                (long) WRITTEN.getOpaque(this), (long) ERRORS.getOpaque(this));
    }
}
