package org.jtgt.daemon;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Admits at most {@code burst} warnings per window, so a misbehaving peer cannot flood the log
 * with one line per command. Lock-free and allocation-free on the suppressing path.
 */
final class WarningThrottle {
    private final int burst;
    private final long windowNanos;
    private final AtomicLong windowStart = new AtomicLong(System.nanoTime());
    private final AtomicLong inWindow = new AtomicLong();
    private final AtomicLong suppressed = new AtomicLong();

    WarningThrottle(int burst, long windowNanos) {
        this.burst = burst;
        this.windowNanos = windowNanos;
    }

    /** True if the caller may log now. */
    boolean admit() {
        long now = System.nanoTime();
        long start = windowStart.get();
        if (now - start > windowNanos && windowStart.compareAndSet(start, now)) {
            inWindow.set(0);
        }
        if (inWindow.incrementAndGet() <= burst) {
            return true;
        }
        suppressed.incrementAndGet();
        return false;
    }

    /** Warnings suppressed since the last call; resets the count. */
    long takeSuppressed() {
        return suppressed.getAndSet(0);
    }
}
