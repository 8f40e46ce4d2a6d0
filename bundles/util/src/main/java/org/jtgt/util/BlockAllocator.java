package org.jtgt.util;

/**
 * Hands out contiguous runs of fixed-size blocks of a data area, as TCMU does for its data area:
 * a bitmap, first fit from a rotating hint, no allocation after construction. Thread-safe (one
 * monitor; allocations are per command, so contention is per command, not per byte).
 */
public final class BlockAllocator {
    private final long areaSize;
    private final int blockShift;
    private final int blockCount;
    private final long[] used;
    private int hint;
    private int freeBlocks;

    /**
     * @param areaSize bytes to manage; the tail that does not fill a whole block is not used
     * @param blockSize a power of two
     */
    public BlockAllocator(long areaSize, int blockSize) {
        if (blockSize <= 0 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("block size " + blockSize + " is not a power of two");
        }
        long blocks = areaSize / blockSize;
        if (blocks < 1 || blocks > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("area of " + areaSize + " bytes gives " + blocks + " blocks of " + blockSize);
        }
        this.areaSize = areaSize;
        this.blockShift = Integer.numberOfTrailingZeros(blockSize);
        this.blockCount = (int) blocks;
        this.used = new long[(blockCount + 63) >>> 6];
        this.freeBlocks = blockCount;
        // Mark the bits past the last block as used so scans never hand them out.
        for (int b = blockCount; b < used.length << 6; b++) {
            used[b >>> 6] |= 1L << b;
        }
    }

    public long areaSize() {
        return areaSize;
    }

    public int blockSize() {
        return 1 << blockShift;
    }

    /** Blocks a reservation of {@code length} bytes occupies. */
    public int blocksFor(int length) {
        return (int) (((long) length + (1 << blockShift) - 1) >>> blockShift);
    }

    /**
     * Reserves {@code length} bytes (rounded up to whole blocks; a zero length takes one block so
     * that every reservation has a distinct offset).
     *
     * @return the byte offset, or -1 if no run of that many free blocks exists now
     */
    public synchronized long allocate(int length) {
        int n = Math.max(1, blocksFor(length));
        if (length < 0 || n > freeBlocks) {
            return -1;
        }
        int start = find(hint, blockCount, n);
        if (start < 0) {
            start = find(0, Math.min(blockCount, hint + n), n);
        }
        if (start < 0) {
            return -1;
        }
        for (int b = start; b < start + n; b++) {
            used[b >>> 6] |= 1L << b;
        }
        freeBlocks -= n;
        hint = start + n == blockCount ? 0 : start + n;
        return (long) start << blockShift;
    }

    /** Returns a reservation made by {@link #allocate} with the same length. */
    public synchronized void free(long offset, int length) {
        int n = Math.max(1, blocksFor(length));
        long first = offset >>> blockShift;
        if (offset < 0 || (first << blockShift) != offset || first + n > blockCount) {
            throw new IllegalArgumentException("free of " + offset + "+" + length + " is not a reservation of this area");
        }
        int start = (int) first;
        for (int b = start; b < start + n; b++) {
            long bit = 1L << b;
            if ((used[b >>> 6] & bit) == 0) {
                throw new IllegalStateException("double free of block " + b + " (offset " + offset + ")");
            }
            used[b >>> 6] &= ~bit;
        }
        freeBlocks += n;
    }

    /** Bytes not reserved. */
    public synchronized long freeBytes() {
        return (long) freeBlocks << blockShift;
    }

    /** First index in [from, to) that starts n free blocks within blockCount, or -1. */
    private int find(int from, int to, int n) {
        int b = from;
        while (b < to && b + n <= blockCount) {
            long word = used[b >>> 6];
            if (word == -1L && (b & 63) == 0) {
                b += 64;
                continue;
            }
            if ((word & (1L << b)) != 0) {
                b++;
                continue;
            }
            int run = 1;
            while (run < n && (used[(b + run) >>> 6] & (1L << (b + run))) == 0) {
                run++;
            }
            if (run == n) {
                return b;
            }
            b += run + 1;
        }
        return -1;
    }
}
