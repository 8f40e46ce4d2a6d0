package org.jtgt.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What every ring benchmark shares, so the three implementations are compared like for like:
 * 64-byte events, 512 KiB of ring (4096 slots of 128 bytes for the slot ring; the same bytes for
 * Agrona, whose 72-byte records fit 7281 events; 4096 entries for the queue), and consumers that
 * take up to {@link #BATCH} events per call.
 */
final class BenchShape {
    static final int EVENT_LENGTH = 64;
    static final int SLOTS = 4096;
    static final int SLOT_SIZE = 128;
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
