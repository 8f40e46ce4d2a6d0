package org.jtgt.daemon;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.target.IoStatistics;

/**
 * The command counters of one I_T nexus or one logical unit, counted on the command path.
 *
 * <p>Commands end on several threads at once (the transports' delivering threads, the logical
 * units' store workers, a store's own completion threads), so each counter is added to
 * atomically ({@link VarHandle#getAndAdd}: one locked add, no allocation, unlike a
 * {@link java.util.concurrent.atomic.LongAdder}, whose cells allocate under contention). A
 * reader on another thread (management) sees every 64-bit value whole.
 */
final class IoCounters {
    private static final VarHandle COMMANDS;
    private static final VarHandle READ;
    private static final VarHandle WRITTEN;
    private static final VarHandle ERRORS;
    private static final VarHandle CELL = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int FUNCTIONS = TaskManagementFunction.values().length;

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
    /** CHECK CONDITIONs by sense key (0h to Fh). */
    private final long[] senseKeys = new long[16];
    /** Task management functions received, by {@link TaskManagementFunction#ordinal()}. */
    private final long[] functions = new long[FUNCTIONS];

    /** One answered command: Data-In and Data-Out bytes moved, and whether it was CHECK CONDITION. */
    /** What a command that ended without CHECK CONDITION passes as its sense key to {@link #count}. */
    static final int NO_CHECK_CONDITION = -1;

    /**
     * One command: {@code read} and {@code written} bytes, and the sense key of its CHECK
     * CONDITION, or {@link #NO_CHECK_CONDITION}.
     */
    void count(long read, long written, int senseKey) {
        COMMANDS.getAndAdd(this, 1L);
        if (read != 0) {
            READ.getAndAdd(this, read);
        }
        if (written != 0) {
            WRITTEN.getAndAdd(this, written);
        }
        if (senseKey != NO_CHECK_CONDITION) {
            ERRORS.getAndAdd(this, 1L);
            CELL.getAndAdd(senseKeys, senseKey & 0xF, 1L);
        }
    }

    void countTaskManagement(TaskManagementFunction function) {
        CELL.getAndAdd(functions, function.ordinal(), 1L);
    }

    long[] senseKeys() {
        return copy(senseKeys);
    }

    long[] taskManagement() {
        return copy(functions);
    }

    private static long[] copy(long[] cells) {
        long[] out = new long[cells.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (long) CELL.getOpaque(cells, i);
        }
        return out;
    }

    IoStatistics snapshot() {
        return new IoStatistics((long) COMMANDS.getOpaque(this), (long) READ.getOpaque(this),
                (long) WRITTEN.getOpaque(this), (long) ERRORS.getOpaque(this));
    }
}
