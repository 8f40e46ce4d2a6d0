package org.jtgt.host;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.host.TransportControl.SwapSummary;

/**
 * Pause times of transport swaps: the last, the worst, how many, and the most recent
 * {@value #RECENT} for percentiles.
 */
public final class SwapStatistics {
    static final int RECENT = 1024;

    private long count;
    private long lastNanos;
    private long worstNanos;
    private final long[] recent = new long[RECENT];

    synchronized void record(long pauseNanos) {
        recent[(int) (count % RECENT)] = pauseNanos;
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

    /** Count, last and worst since the start; p50 and p99 (nearest rank) over the recent swaps. */
    public synchronized SwapSummary summary() {
        int n = (int) Math.min(count, RECENT);
        long[] sorted = Arrays.copyOf(recent, n);
        Arrays.sort(sorted);
        return new SwapSummary(count, lastMicros(), worstMicros(), micros(percentile(sorted, 50)),
                micros(percentile(sorted, 99)));
    }

    /** Nearest-rank percentile of sorted values; 0 if there are none. */
    static long percentile(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(rank, 1) - 1];
    }

    private static long micros(long nanos) {
        return TimeUnit.NANOSECONDS.toMicros(nanos);
    }

    @Override
    public synchronized String toString() {
        return summary().toString();
    }
}
