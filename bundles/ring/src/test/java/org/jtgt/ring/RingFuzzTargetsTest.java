package org.jtgt.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzz target (Jazzer) for a ring whose region a hostile peer wrote: attaching
 * either yields a ring that fits its buffer or throws {@link RingFormatException}; draining hands
 * the handler only records that lie inside a slot of the region with a length in
 * {@code 1..maxRecordLength()}, or throws {@link RingFormatException} and keeps throwing; a
 * producer's offer returns true or false and writes nowhere outside the ring. Under
 * {@code mvn verify} it runs over the inputs in {@code RingFuzzTargetsTestInputs/hostileRegion/};
 * see {@code scripts/fuzz-long.sh} for fuzzing.
 */
class RingFuzzTargetsTest {
    private static final int OFFSET = 64;
    private static final int SLOTS = 8;
    private static final int SLOT_SIZE = 32;
    private static final int GUARD = 64;

    /**
     * Input byte 0 chooses the drain limit and whether the input is the whole region (odd) or
     * overwrites a well-formed ring (even): bytes 1..16 the claim and head counters, the rest the
     * slots.
     */
    @FuzzTest(maxDuration = "")
    void hostileRegion(byte[] input) {
        if (input.length < 1) {
            return;
        }
        int mode = input[0] & 0xFF;
        int ringLength = RingDescriptor.regionLength(SLOTS, SLOT_SIZE);
        ByteBuffer region;
        if ((mode & 1) != 0) {
            int n = Math.min(input.length - 1, 4096);
            region = Records.alignedDirect(OFFSET + n + GUARD);
            region.put(OFFSET, input, 1, n);
            region.limit(OFFSET + n);
        } else {
            region = Records.alignedDirect(OFFSET + ringLength + GUARD);
            SlotRing.create(region, OFFSET, SLOTS, SLOT_SIZE);
            region.limit(OFFSET + ringLength);
            int n = Math.min(input.length - 1, 16);
            for (int i = 0; i < n; i++) {
                int at = i < 8 ? RingDescriptor.PRODUCER_CLAIM_OFFSET + i : RingDescriptor.CONSUMER_HEAD_OFFSET + i - 8;
                region.put(OFFSET + at, input[1 + i]);
            }
            int slots = Math.min(input.length - 17, SLOTS * SLOT_SIZE);
            if (slots > 0) {
                region.put(OFFSET + RingDescriptor.HEADER_LENGTH, input, 17, slots);
            }
        }
        int limit = region.limit();
        SlotRing ring;
        try {
            ring = SlotRing.attach(region, OFFSET);
        } catch (RingFormatException e) {
            return;
        }
        long length = RingDescriptor.HEADER_LENGTH + (long) ring.slotCount() * ring.slotSize();
        assertTrue(OFFSET + length <= limit, "ring of " + length + " bytes in a region of " + limit);
        int max = ring.maxRecordLength();
        assertEquals(ring.slotSize() - RingDescriptor.SLOT_HEADER_LENGTH, max);

        int batch = 1 + (mode >>> 1 & 15);
        SlotRing.RecordHandler handler = (b, offset, len) -> {
            assertSame(region, b);
            assertTrue(len >= 1 && len <= max, "record length " + len);
            assertTrue(offset >= OFFSET + RingDescriptor.HEADER_LENGTH && offset + len <= limit,
                    "record at " + offset + "+" + len + " outside the slots");
            assertEquals(RingDescriptor.SLOT_HEADER_LENGTH, (offset - OFFSET - RingDescriptor.HEADER_LENGTH) % ring.slotSize(),
                    "record not at the start of a slot's payload");
            for (int i = 0; i < len; i++) {
                b.get(offset + i);
            }
        };
        for (int round = 0; round < 4; round++) {
            try {
                int n = ring.drain(handler, batch);
                assertTrue(n >= 0 && n <= batch, n + " records for a limit of " + batch);
            } catch (RingFormatException e) {
                assertThrows(RingFormatException.class, () -> ring.drain(handler, 1), "a broken ring stays broken");
                break;
            }
        }
        ring.size();

        // A producer facing the same counters: true or false, and nothing written past the ring.
        ByteBuffer src = Records.alignedDirect(max);
        for (int i = 0; i < 3; i++) {
            ring.offer(src, 0, 1 + (i * 7) % max);
        }
        region.limit(region.capacity());
        for (int i = limit; i < region.capacity(); i++) {
            assertEquals(0, region.get(i), "byte " + i + " beyond the ring was written");
        }
    }
}
