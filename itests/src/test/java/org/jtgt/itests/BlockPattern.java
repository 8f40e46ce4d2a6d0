package org.jtgt.itests;

import java.nio.ByteBuffer;

/**
 * Block contents that say where they belong: each block starts with a header naming its writer,
 * LBA and generation, and the rest is a pseudo-random stream seeded by the same three values. A
 * block read back from the wrong LBA, from an older generation, from another writer, or torn,
 * does not verify, and {@link #describe} says what it holds instead.
 *
 * <pre>
 *  0               8              12              16                         block size
 *  +---------------+---------------+---------------+--------------------------+
 *  | LBA (8)       | generation (4)| writer (4)    | xorshift64(LBA, gen, wr) |
 *  +---------------+---------------+---------------+--------------------------+
 * </pre>
 */
final class BlockPattern {
    static final int HEADER = 16;

    private BlockPattern() {
    }

    /** Fills {@code blocks} blocks starting at {@code lba} into {@code dst} from its position. */
    static void fill(ByteBuffer dst, int blockSize, long lba, int blocks, int generation, int writer) {
        for (int i = 0; i < blocks; i++) {
            dst.putLong(lba + i).putInt(generation).putInt(writer);
            long x = seed(lba + i, generation, writer);
            for (int off = HEADER; off < blockSize; off += 8) {
                x = next(x);
                dst.putLong(x);
            }
        }
    }

    /**
     * Checks one block at {@code src}'s position (not moved) against the expected identity.
     *
     * @return {@code null} if it matches, else a description of the first difference
     */
    static String verify(ByteBuffer src, int blockSize, long lba, int generation, int writer) {
        int base = src.position();
        if (src.getLong(base) != lba || src.getInt(base + 8) != generation || src.getInt(base + 12) != writer) {
            return "LBA " + lba + ": expected " + identity(lba, generation, writer) + ", found " + describe(src, blockSize);
        }
        long x = seed(lba, generation, writer);
        for (int off = HEADER; off < blockSize; off += 8) {
            x = next(x);
            if (src.getLong(base + off) != x) {
                return "LBA " + lba + " (" + identity(lba, generation, writer) + "): payload differs at byte " + off;
            }
        }
        return null;
    }

    /** What a block's header claims, for failure messages. */
    static String describe(ByteBuffer src, int blockSize) {
        int base = src.position();
        boolean zero = true;
        for (int off = 0; off < blockSize && zero; off++) {
            zero = src.get(base + off) == 0;
        }
        return zero ? "zeros" : identity(src.getLong(base), src.getInt(base + 8), src.getInt(base + 12));
    }

    private static String identity(long lba, int generation, int writer) {
        return "[lba " + lba + ", generation " + generation + ", writer " + writer + "]";
    }

    private static long seed(long lba, int generation, int writer) {
        long s = lba * 0x9E3779B97F4A7C15L ^ ((long) generation << 32 | (writer & 0xFFFFFFFFL));
        return s == 0 ? 0x2545F4914F6CDD1DL : s;
    }

    private static long next(long x) {
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        return x;
    }
}
