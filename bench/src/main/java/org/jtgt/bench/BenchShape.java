package org.jtgt.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What every ring benchmark shares, so the three implementations are compared like for like:
 * 64-byte events, 512 KiB of ring (4096 slots of 128 bytes for the slot ring; the same bytes for
 * Agrona, whose 72-byte records fit 7281 events; 4096 entries for the queue), and consumers that
 * take up to {@link #BATCH} events per call.
 *
 * <p>{@code -Djtgt.bench.eventLength=N} (passed to JMH's forks with {@code -jvmArgsAppend})
 * changes the event length; the slot is then the smallest power of two that holds the event and
 * its 8-byte header, and the ring keeps 4096 slots (Agrona the same bytes). With 56-byte events
 * both rings move one 64-byte line per event; with 64-byte events the slot ring moves two
 * (a 128-byte slot) and Agrona 1.125 (72-byte records back to back).
 */
final class BenchShape {
    static final int EVENT_LENGTH = Integer.getInteger("jtgt.bench.eventLength", 64);
    static final int SLOTS = 4096;
    static final int SLOT_SIZE = Math.max(64, Integer.highestOneBit(EVENT_LENGTH + 8 - 1) << 1);
    static final int CAPACITY_BYTES = SLOTS * SLOT_SIZE;
    static final int BATCH = 256;

    private BenchShape() {
    }

    /** A direct buffer whose first byte is 64-byte aligned in memory. */
    static ByteBuffer alignedDirect(int length) {
        ByteBuffer raw = ByteBuffer.allocateDirect(length + 64);
        int misalignment = raw.alignmentOffset(0, 64);
        return raw.slice(misalignment == 0 ? 0 : 64 - misalignment, length).order(ByteOrder.LITTLE_ENDIAN);
    }
}
