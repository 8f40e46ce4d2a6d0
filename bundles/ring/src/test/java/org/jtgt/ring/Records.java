package org.jtgt.ring;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Test records: {@code {i32 producer, i64 sequence, pattern bytes...}} with a length derived from the sequence. */
final class Records {
    static final int HEADER = 12;

    private Records() {
    }

    /** A 64-byte-aligned direct buffer of {@code length} bytes. */
    static ByteBuffer alignedDirect(int length) {
        ByteBuffer raw = ByteBuffer.allocateDirect(length + 64);
        int misalignment = raw.alignmentOffset(0, 64);
        return raw.slice(misalignment == 0 ? 0 : 64 - misalignment, length).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Length of record {@code sequence} of a producer, between {@code HEADER} and {@code max}. */
    static int lengthOf(long sequence, int max) {
        return HEADER + (int) (sequence % (max - HEADER + 1));
    }

    static byte patternByte(int producer, long sequence, int i) {
        return (byte) (producer * 31 + sequence * 7 + i);
    }

    /** Writes record ({@code producer}, {@code sequence}) at {@code src[0..)} and returns its length. */
    static int write(ByteBuffer src, int producer, long sequence, int max) {
        int length = lengthOf(sequence, max);
        src.putInt(0, producer);
        src.putLong(4, sequence);
        for (int i = HEADER; i < length; i++) {
            src.put(i, patternByte(producer, sequence, i));
        }
        return length;
    }

    static int producer(ByteBuffer b, int offset) {
        return b.getInt(offset);
    }

    static long sequence(ByteBuffer b, int offset) {
        return b.getLong(offset + 4);
    }

    /** Throws if the record at {@code b[offset..offset+length)} is not exactly what {@link #write} wrote. */
    static void verify(ByteBuffer b, int offset, int length, int max) {
        int producer = producer(b, offset);
        long sequence = sequence(b, offset);
        if (length != lengthOf(sequence, max)) {
            throw new AssertionError("producer " + producer + " record " + sequence + ": length " + length
                    + ", expected " + lengthOf(sequence, max));
        }
        for (int i = HEADER; i < length; i++) {
            if (b.get(offset + i) != patternByte(producer, sequence, i)) {
                throw new AssertionError("producer " + producer + " record " + sequence + ": byte " + i + " differs");
            }
        }
    }
}
