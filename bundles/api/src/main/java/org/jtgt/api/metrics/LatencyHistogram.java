package org.jtgt.api.metrics;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A latency histogram in nanoseconds with fixed log-linear buckets, recorded on the command
 * path without allocating or locking.
 *
 * <h2>Buckets</h2>
 * Values 0 to 31 ns have a bucket each; above, every power of two {@code [2^e, 2^(e+1))} is split
 * into {@value #SUB_BUCKETS} equal buckets, so a bucket is at most 1/16 (6.25 %) of its values
 * wide, up to {@code 2^37} ns (137 s); larger values share the last bucket. {@value #BUCKETS}
 * buckets in all. Bucket {@code i} holds {@code [lowerBound(i), lowerBound(i + 1))}; every power
 * of two is a bucket boundary, so cumulative counts at powers of two are exact.
 *
 * <pre>
 *  index   0 ..  31          32 .. 47          48 .. 63         ...   528 .. 543
 *  values  0 ..  31 ns  |  32 .. 63 (2 ns)  | 64 .. 127 (4 ns) | ... | 2^36 .. 2^37 (2^32 ns each)
 * </pre>
 *
 * <h2>Recording</h2>
 * {@link #record} adds one to a bucket and the value to a sum with two atomic adds
 * ({@link VarHandle#getAndAdd}) in one of {@value #STRIPES} stripes chosen by the recording
 * thread, each on cache lines of its own, so threads on different cores rarely write the same
 * line. A {@link #snapshot} sums the stripes; it is not atomic across buckets (a command recorded
 * meanwhile may be in the sum but not yet in its bucket), which a monitoring reader tolerates.
 */
public final class LatencyHistogram {
    /** Buckets per power of two: 2^{@value #SUB_BITS}. */
    public static final int SUB_BITS = 4;
    public static final int SUB_BUCKETS = 1 << SUB_BITS;
    /** The highest power of two with buckets of its own: 2^37 ns and more share the last bucket. */
    public static final int MAX_EXPONENT = 36;
    public static final int BUCKETS = SUB_BUCKETS + (MAX_EXPONENT - SUB_BITS + 1) * SUB_BUCKETS;
    /** Length of a {@link #snapshot}: the buckets, then the sum of the values in nanoseconds. */
    public static final int SNAPSHOT_LENGTH = BUCKETS + 1;
    /** Index of the sum in a {@link #snapshot}. */
    public static final int SUM = BUCKETS;

    static final int STRIPES = 4;
    /** 16 longs (128 bytes: two cache lines, against adjacent-line prefetch) between stripes. */
    private static final int PAD = 16;
    private static final int STRIDE = SNAPSHOT_LENGTH + PAD;
    private static final VarHandle CELL = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] cells = new long[PAD + STRIPES * STRIDE];

    /** Records one value (negative values count as 0). */
    public void record(long nanos) {
        int base = PAD + ((int) Thread.currentThread().getId() & (STRIPES - 1)) * STRIDE;
        CELL.getAndAdd(cells, base + bucketOf(nanos), 1L);
        CELL.getAndAdd(cells, base + SUM, Math.max(0L, nanos));
    }

    /**
     * Writes the counts of every bucket and, at {@link #SUM}, the sum of the values into
     * {@code into} (at least {@link #SNAPSHOT_LENGTH} long).
     */
    public void snapshot(long[] into) {
        java.util.Arrays.fill(into, 0, SNAPSHOT_LENGTH, 0L);
        for (int s = 0; s < STRIPES; s++) {
            int base = PAD + s * STRIDE;
            for (int i = 0; i < SNAPSHOT_LENGTH; i++) {
                into[i] += (long) CELL.getOpaque(cells, base + i);
            }
        }
    }

    /** A new snapshot array. */
    public long[] snapshot() {
        long[] s = new long[SNAPSHOT_LENGTH];
        snapshot(s);
        return s;
    }

    /** The bucket {@code nanos} falls into. */
    public static int bucketOf(long nanos) {
        if (nanos < SUB_BUCKETS) {
            return nanos < 0 ? 0 : (int) nanos;
        }
        int e = 63 - Long.numberOfLeadingZeros(nanos);
        if (e > MAX_EXPONENT) {
            return BUCKETS - 1;
        }
        int sub = (int) (nanos >>> (e - SUB_BITS)) & (SUB_BUCKETS - 1);
        return SUB_BUCKETS + (e - SUB_BITS) * SUB_BUCKETS + sub;
    }

    /** The smallest value of bucket {@code i}; {@code lowerBound(BUCKETS)} is 2^37. */
    public static long lowerBound(int i) {
        if (i < SUB_BUCKETS) {
            return i;
        }
        int e = SUB_BITS + (i - SUB_BUCKETS) / SUB_BUCKETS;
        long sub = (i - SUB_BUCKETS) % SUB_BUCKETS;
        return (SUB_BUCKETS + sub) << (e - SUB_BITS);
    }

    /** The number of values in a snapshot. */
    public static long count(long[] snapshot) {
        long n = 0;
        for (int i = 0; i < BUCKETS; i++) {
            n += snapshot[i];
        }
        return n;
    }

    /** The count of values below {@code bound} nanoseconds, which must be a bucket boundary (a power of two is). */
    public static long countBelow(long[] snapshot, long bound) {
        int end = bound >= lowerBound(BUCKETS) ? BUCKETS : bucketOf(bound);
        long n = 0;
        for (int i = 0; i < end; i++) {
            n += snapshot[i];
        }
        return n;
    }

    /**
     * The value at quantile {@code q} (0 to 1) of a snapshot, as the highest value of the bucket
     * holding it (so at most 6.25 % above the true value); 0 for an empty snapshot.
     */
    public static long quantile(long[] snapshot, double q) {
        long n = count(snapshot);
        if (n == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(q * n));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += snapshot[i];
            if (seen >= rank) {
                return i == BUCKETS - 1 ? lowerBound(i) : lowerBound(i + 1) - 1;
            }
        }
        return lowerBound(BUCKETS - 1);
    }

    /** {@code into = later - earlier}, bucket by bucket and the sum: what was recorded between two snapshots. */
    public static void difference(long[] later, long[] earlier, long[] into) {
        for (int i = 0; i < SNAPSHOT_LENGTH; i++) {
            into[i] = later[i] - earlier[i];
        }
    }
}
