package org.jtgt.api.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
    @Test
    void bucketsAreContiguousAndEachHoldsItsBounds() {
        assertEquals(544, LatencyHistogram.BUCKETS);
        assertEquals(0, LatencyHistogram.lowerBound(0));
        for (int i = 0; i < LatencyHistogram.BUCKETS; i++) {
            long lo = LatencyHistogram.lowerBound(i);
            long hi = LatencyHistogram.lowerBound(i + 1);
            assertTrue(hi > lo, "bucket " + i);
            assertEquals(i, LatencyHistogram.bucketOf(lo), "lower bound of " + i);
            assertEquals(i, LatencyHistogram.bucketOf(hi - 1), "upper end of " + i);
            if (lo >= 32) {
                assertTrue((hi - lo) * 16 <= lo, "bucket " + i + " wider than 1/16 of its values");
            }
        }
        assertEquals(1L << 37, LatencyHistogram.lowerBound(LatencyHistogram.BUCKETS));
        assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.bucketOf(Long.MAX_VALUE));
        assertEquals(0, LatencyHistogram.bucketOf(-5));
        for (int e = 0; e <= LatencyHistogram.MAX_EXPONENT; e++) {
            long p = 1L << e;
            assertEquals(p, LatencyHistogram.lowerBound(LatencyHistogram.bucketOf(p)), "2^" + e + " is a boundary");
        }
    }

    @Test
    void quantilesAreWithinABucketOfTheTruth() {
        LatencyHistogram h = new LatencyHistogram();
        long[] values = new long[100_000];
        Random random = new Random(17);
        for (int i = 0; i < values.length; i++) {
            values[i] = 1_000 + (long) (Math.exp(random.nextDouble() * 10) * 1_000);   // 2 us .. 22 ms
            h.record(values[i]);
        }
        java.util.Arrays.sort(values);
        long[] s = h.snapshot();
        assertEquals(values.length, LatencyHistogram.count(s));
        long sum = 0;
        for (long v : values) {
            sum += v;
        }
        assertEquals(sum, s[LatencyHistogram.SUM]);
        for (double q : new double[] {0.5, 0.99, 0.999}) {
            long truth = values[(int) Math.ceil(q * values.length) - 1];
            long got = LatencyHistogram.quantile(s, q);
            assertTrue(got >= truth && got <= truth + truth / 16, "q" + q + ": " + got + " vs " + truth);
        }
        assertEquals(0, LatencyHistogram.quantile(new long[LatencyHistogram.SNAPSHOT_LENGTH], 0.5));
        long below = 0;
        for (long v : values) {
            below += v < (1L << 20) ? 1 : 0;
        }
        assertEquals(below, LatencyHistogram.countBelow(s, 1L << 20));
    }

    @Test
    void concurrentRecordsAreAllCounted() throws InterruptedException {
        LatencyHistogram h = new LatencyHistogram();
        Thread[] threads = new Thread[6];
        for (int t = 0; t < threads.length; t++) {
            long value = 1_000L * (t + 1);
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 50_000; i++) {
                    h.record(value);
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        long[] s = h.snapshot();
        assertEquals(300_000, LatencyHistogram.count(s));
        assertEquals(50_000L * 1_000 * (1 + 2 + 3 + 4 + 5 + 6), s[LatencyHistogram.SUM]);
        long[] d = new long[LatencyHistogram.SNAPSHOT_LENGTH];
        h.record(5_000_000);
        LatencyHistogram.difference(h.snapshot(), s, d);
        assertEquals(1, LatencyHistogram.count(d));
        assertEquals(5_000_000, d[LatencyHistogram.SUM]);
    }
}
