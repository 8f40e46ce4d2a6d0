package org.jtgt.host;

import java.util.concurrent.TimeUnit;

/** Pause times of transport swaps: the last, the worst, and how many. */
public final class SwapStatistics {
    private long count;
    private long lastNanos;
    private long worstNanos;

    synchronized void record(long pauseNanos) {
        count++;
        lastNanos = pauseNanos;
        worstNanos = Math.max(worstNanos, pauseNanos);
    }

    public synchronized long count() {
        return count;
    }

    public synchronized long lastMicros() {
        return TimeUnit.NANOSECONDS.toMicros(lastNanos);
    }

    public synchronized long worstMicros() {
        return TimeUnit.NANOSECONDS.toMicros(worstNanos);
    }

    @Override
    public synchronized String toString() {
        return count + " swaps, last " + lastMicros() + " us, worst " + worstMicros() + " us";
    }
}
