package org.jtgt.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** attach() treats the region as hostile input: anything but a well-formed ring is refused. */
class SlotRingAttachTest {
    private static final int OFFSET = 128;

    private final ByteBuffer region = Records.alignedDirect(OFFSET + RingDescriptor.regionLength(16, 64));

    @Test
    void attachesToAWellFormedRing() {
        SlotRing created = SlotRing.create(region, OFFSET, 16, 64);
        ByteBuffer src = Records.alignedDirect(64);
        assertTrue(created.offer(src, 0, Records.write(src, 3, 42, created.maxRecordLength())));

        SlotRing attached = SlotRing.attach(region, OFFSET);
        assertEquals(16, attached.slotCount());
        assertEquals(64, attached.slotSize());
        assertEquals(56, attached.maxRecordLength());
        assertEquals(1, attached.size());
        long[] seen = new long[1];
        assertEquals(1, attached.drain((buffer, offset, length) -> seen[0] = Records.sequence(buffer, offset), 10));
        assertEquals(42, seen[0]);
        assertEquals(0, created.size(), "both views share the counters");
    }

    @Test
    void rejectsGarbage() {
        Random random = new Random(1234);
        for (int i = 0; i < region.limit(); i++) {
            region.put(i, (byte) random.nextInt());
        }
        assertRejected("magic");
    }

    @Test
    void rejectsWrongMagic() {
        SlotRing.create(region, OFFSET, 16, 64);
        region.putInt(OFFSET + RingDescriptor.MAGIC_OFFSET, 0x4A545247);
        assertRejected("magic");
    }

    @Test
    void rejectsVersionZero() {
        SlotRing.create(region, OFFSET, 16, 64);
        region.putInt(OFFSET + RingDescriptor.VERSION_OFFSET, 0);
        assertRejected("version is 0");
    }

    @Test
    void rejectsAllZeroRegion() {
        assertRejected("version is 0");
    }

    @Test
    void rejectsUnknownVersion() {
        SlotRing.create(region, OFFSET, 16, 64);
        region.putInt(OFFSET + RingDescriptor.VERSION_OFFSET, RingDescriptor.VERSION + 1);
        assertRejected("version 2");
    }

    @Test
    void rejectsSlotSizeNotAPowerOfTwo() {
        for (int size : new int[] {48, 100, 0, -64, 8, Integer.MIN_VALUE}) {
            SlotRing.create(region, OFFSET, 16, 64);
            region.putInt(OFFSET + RingDescriptor.SLOT_SIZE_OFFSET, size);
            assertRejected("slot size " + size);
        }
    }

    @Test
    void rejectsSlotCountNotAPowerOfTwo() {
        for (int count : new int[] {12, 1, 0, -16, Integer.MIN_VALUE}) {
            SlotRing.create(region, OFFSET, 16, 64);
            region.putInt(OFFSET + RingDescriptor.SLOT_COUNT_OFFSET, count);
            assertRejected("slot count " + count);
        }
    }

    @Test
    void rejectsRingLargerThanTheBuffer() {
        SlotRing.create(region, OFFSET, 16, 64);
        region.putInt(OFFSET + RingDescriptor.SLOT_COUNT_OFFSET, 32);
        assertRejected("needs");
        region.putInt(OFFSET + RingDescriptor.SLOT_COUNT_OFFSET, 1 << 30);
        region.putInt(OFFSET + RingDescriptor.SLOT_SIZE_OFFSET, 1 << 30);
        assertRejected("needs");

        SlotRing.create(region, OFFSET, 16, 64);
        ByteBuffer truncated = region.duplicate().limit(region.limit() - 64).slice();
        RingFormatException e = assertThrows(RingFormatException.class, () -> SlotRing.attach(truncated, OFFSET));
        assertTrue(e.getMessage().contains("needs"), e.getMessage());
    }

    @Test
    void rejectsBufferTooSmallForTheHeader() {
        ByteBuffer tiny = Records.alignedDirect(RingDescriptor.HEADER_LENGTH - 8);
        RingFormatException e = assertThrows(RingFormatException.class, () -> SlotRing.attach(tiny, 0));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
        assertThrows(RingFormatException.class, () -> SlotRing.attach(region, region.limit() - 64));
    }

    @Test
    void heapBufferIsAnArgumentError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SlotRing.attach(ByteBuffer.allocate(4096), 0));
        assertTrue(e.getMessage().contains("direct"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SlotRing.attach(region, 32));
    }

    private void assertRejected(String messagePart) {
        RingFormatException e = assertThrows(RingFormatException.class, () -> SlotRing.attach(region, OFFSET));
        assertTrue(e.getMessage().contains(messagePart), "message '" + e.getMessage() + "' lacks '" + messagePart + "'");
    }
}
