package org.jtgt.transport.shm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.jtgt.ring.RingDescriptor;

/**
 * Layout of the shared-memory transport's mapped file: a header page, the host → daemon ring,
 * the daemon → host ring and the data area, each starting on a page boundary. Little-endian.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                     magic "JTSM" (u32)                        |  0
 * +---------------------------------------------------------------+
 * |            version (u32, written last by the creator)         |  4
 * +---------------------------------------------------------------+
 * |                 host → daemon ring offset (u64)               |  8
 * +---------------------------------------------------------------+
 * |                 daemon → host ring offset (u64)               | 16
 * +---------------------------------------------------------------+
 * |                     data area offset (u64)                    | 24
 * +---------------------------------------------------------------+
 * |                     data area length (u64)                    | 32
 * +---------------------------------------------------------------+
 * |                      region length (u64)                      | 40
 * +---------------------------------------------------------------+
 * |      generation (u64; 0 in one process, else the front's)     | 48
 * +---------------------------------------------------------------+
 * |                  (rest of the 4096-byte page)                 | 56
 * +---------------------------------------------------------------+
 * |           host → daemon ring (RingDescriptor layout)          | 4096
 * |           daemon → host ring, page aligned                    |
 * |           data area, page aligned                             |
 * +---------------------------------------------------------------+
 * </pre>
 */
final class ShmRegionDescriptor {
    static final int MAGIC = 0x4D53544A; // "JTSM" little-endian
    /** Version 2 added the generation word (issue of the split shape: a daemon in another process). */
    static final int VERSION = 2;
    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = 4;
    static final int H2D_RING_OFFSET_OFFSET = 8;
    static final int D2H_RING_OFFSET_OFFSET = 16;
    static final int DATA_OFFSET_OFFSET = 24;
    static final int DATA_LENGTH_OFFSET = 32;
    static final int REGION_LENGTH_OFFSET = 40;
    /**
     * Which daemon the rings belong to. The front process owns the region; each daemon that
     * attaches gets fresh rings under a new generation, and a daemon whose generation is no longer
     * the region's stops producing (it has been fenced).
     */
    static final int GENERATION_OFFSET = 48;
    static final int HEADER_FIELDS_LENGTH = 56;
    static final int PAGE = 4096;
    /** A single mapping is limited to 2 GiB by ByteBuffer's int indexes. */
    static final long MAX_REGION_LENGTH = Integer.MAX_VALUE;

    static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private ShmRegionDescriptor() {
    }

    static long pageAlign(long n) {
        return (n + PAGE - 1) & ~(long) (PAGE - 1);
    }

    /** Offsets {h2d ring, d2h ring, data area, region length} for the given sizes. */
    static long[] layout(int slotCount, int slotSize, long dataLength) {
        long ring = RingDescriptor.regionLength(slotCount, slotSize);
        long h2d = PAGE;
        long d2h = pageAlign(h2d + ring);
        long data = pageAlign(d2h + ring);
        long total = data + pageAlign(dataLength);
        if (total > MAX_REGION_LENGTH) {
            throw new IllegalArgumentException("shared-memory region of " + total + " bytes exceeds "
                    + MAX_REGION_LENGTH + "; lower the data area size or the ring sizes");
        }
        return new long[] {h2d, d2h, data, total};
    }

    static long get(ByteBuffer b, int offset) {
        return (long) LONG.get(b, offset);
    }
}
