package org.jtgt.backing.memory;

import java.util.concurrent.atomic.AtomicLong;

import org.jtgt.util.ByteSize;

/**
 * The bytes of heap that memory stores may use together: the chunks of thin stores as they are
 * written, the whole capacity of fully provisioned ones, and every store's directory. A store
 * takes before it allocates and gives back what it frees or closes, so the sum in use never
 * passes the limit and a store that cannot get more refuses the write instead of running the
 * JVM out of heap. Lock-free; the limit may change at any time (a lower limit refuses new
 * takes until enough is given back, and takes nothing away).
 */
final class MemoryBudget {
    /** For stores made without a provider (tests, tools): no limit. */
    static final MemoryBudget UNLIMITED = new MemoryBudget(Long.MAX_VALUE);

    private volatile long limit;
    private final AtomicLong used = new AtomicLong();

    MemoryBudget(long limit) {
        limit(limit);
    }

    void limit(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("memory budget " + bytes + " is negative");
        }
        limit = bytes;
    }

    long limit() {
        return limit;
    }

    long used() {
        return used.get();
    }

    /** Takes {@code bytes} if they fit under the limit; false (and nothing taken) otherwise. */
    boolean tryTake(long bytes) {
        while (true) {
            long u = used.get();
            if (bytes > limit - u) {
                return false;
            }
            if (used.compareAndSet(u, u + bytes)) {
                return true;
            }
        }
    }

    void give(long bytes) {
        used.addAndGet(-bytes);
    }

    /** "96 MiB of the 128 MiB memory budget are in use", for refusals. */
    String state() {
        long l = limit;
        return ByteSize.format(used.get()) + " of the " + (l == Long.MAX_VALUE ? "unlimited" : ByteSize.format(l))
                + " memory budget in use";
    }

    /**
     * The budget when none is configured: the maximum heap less a quarter of it, and less at
     * least {@value #MIN_HEADROOM} bytes, for everything else on the heap (the framework,
     * connections, command contexts) and the collector's working room. Transport data areas
     * are direct buffers or mapped files, not heap. An unbounded heap gives an unlimited budget.
     */
    static long defaultLimit(long maxHeap) {
        if (maxHeap == Long.MAX_VALUE) {
            return Long.MAX_VALUE;
        }
        return Math.max(0, maxHeap - Math.max(maxHeap / 4, MIN_HEADROOM));
    }

    static final long MIN_HEADROOM = 128L << 20;
}
