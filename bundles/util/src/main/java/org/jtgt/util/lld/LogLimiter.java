package org.jtgt.util.lld;

import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;

/**
 * Lets through at most {@code burst} warnings of one kind per window and counts the rest, so an
 * initiator that opens connections or fails logins in a loop cannot fill the log (it once wrote
 * two million lines in 75 s). The first warning of a new window says how many were suppressed in
 * the one before. Suppressed events still go to DEBUG.
 */
public final class LogLimiter {
    private final String what;
    private final int burst;
    private final long windowNanos;
    private long windowStart;
    private int inWindow;
    private long suppressed;

    /**
     * @param what what is counted, for the summary line ("refused connections")
     * @param burst warnings let through per window
     */
    public LogLimiter(String what, int burst, long window, TimeUnit unit) {
        this.what = what;
        this.burst = burst;
        this.windowNanos = unit.toNanos(window);
        this.windowStart = System.nanoTime() - windowNanos;
    }

    /** Logs {@code format} with {@code args} at WARN if this window has room, else at DEBUG. */
    public void warn(Logger log, String format, Object... args) {
        long dropped = -1;
        synchronized (this) {
            long now = System.nanoTime();
            if (now - windowStart >= windowNanos) {
                windowStart = now;
                inWindow = 0;
                if (suppressed > 0) {
                    dropped = suppressed;
                    suppressed = 0;
                }
            }
            if (inWindow >= burst) {
                suppressed++;
                log.debug(format, args);
                return;
            }
            inWindow++;
        }
        if (dropped > 0) {
            log.warn("{} more {} were not logged in the last {} s", dropped, what,
                    TimeUnit.NANOSECONDS.toSeconds(windowNanos));
        }
        log.warn(format, args);
    }

    /** Warnings suppressed in the current window so far. */
    public synchronized long suppressed() {
        return suppressed;
    }
}
