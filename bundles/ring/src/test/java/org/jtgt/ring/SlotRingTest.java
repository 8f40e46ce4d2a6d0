package org.jtgt.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Single-threaded behaviour: layout written by create, round trips, back-pressure, corruption, argument checks. */
class SlotRingTest {

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    @Test
    void createWritesHeaderAndLeavesTheRestOfTheBufferAlone() {
        ByteBuffer b = Records.alignedDirect(64 + RingDescriptor.regionLength(8, 64) + 64);
        for (int i = 0; i < b.limit(); i++) {
            b.put(i, (byte) 0x5A);
        }
        SlotRing ring = SlotRing.create(b, 64, 8, 64);

        assertEquals(8, ring.slotCount());
        assertEquals(64, ring.slotSize());
        assertEquals(56, ring.maxRecordLength());
        assertEquals(0, ring.size());
        assertEquals(RingDescriptor.MAGIC, b.getInt(64 + RingDescriptor.MAGIC_OFFSET));
        assertEquals(RingDescriptor.VERSION, b.getInt(64 + RingDescriptor.VERSION_OFFSET));
        assertEquals(64, b.getInt(64 + RingDescriptor.SLOT_SIZE_OFFSET));
        assertEquals(8, b.getInt(64 + RingDescriptor.SLOT_COUNT_OFFSET));
        for (int i = 64 + RingDescriptor.SLOT_COUNT_OFFSET + 4; i < 64 + RingDescriptor.regionLength(8, 64); i++) {
            assertEquals(0, b.get(i), "byte " + i + " not zeroed");
        }
        for (int i = 0; i < 64; i++) {
            assertEquals(0x5A, b.get(i), "byte " + i + " before the region was touched");
            assertEquals(0x5A, b.get(b.limit() - 1 - i), "byte after the region was touched");
        }
    }

    @Test
    void roundTripWrapsAroundManyTimes() {
        SlotRing ring = SlotRing.create(Records.alignedDirect(RingDescriptor.regionLength(8, 64)), 0, 8, 64);
        ByteBuffer src = Records.alignedDirect(64);
        int max = ring.maxRecordLength();
        long next = 0;
        long expected = 0;
        List<Long> batch = new ArrayList<>();
        for (int round = 0; round < 20_000; round++) {
            int burst = 1 + round % 8;
            for (int i = 0; i < burst; i++) {
                int length = Records.write(src, 7, next, max);
                assertTrue(ring.offer(src, 0, length), "offer " + next);
                next++;
            }
            assertEquals(burst, ring.size());
            batch.clear();
            int drained = 0;
            while (drained < burst) {
                int n = ring.drain((buffer, offset, length) -> {
                    Records.verify(buffer, offset, length, max);
                    assertEquals(7, Records.producer(buffer, offset));
                    batch.add(Records.sequence(buffer, offset));
                }, 3);
                assertTrue(n > 0 && n <= 3, "drain returned " + n);
                drained += n;
            }
            for (long sequence : batch) {
                assertEquals(expected++, sequence);
            }
            assertEquals(0, ring.drain((buffer, offset, length) -> { }, 8));
        }
        assertEquals(next, expected);
        assertTrue(next > 8 * 10_000, "the ring wrapped around thousands of times");
    }

    @Test
    void fullRingRefusesWithoutLosingOrOverwriting() {
        SlotRing ring = SlotRing.create(Records.alignedDirect(RingDescriptor.regionLength(16, 32)), 0, 16, 32);
        ByteBuffer src = Records.alignedDirect(32);
        int max = ring.maxRecordLength();
        for (int i = 0; i < 16; i++) {
            assertTrue(ring.offer(src, 0, Records.write(src, 1, i, max)));
        }
        assertEquals(16, ring.size());
        assertFalse(ring.offer(src, 0, Records.write(src, 1, 99, max)), "17th offer into 16 slots");
        assertFalse(ring.send(src, 0, Records.write(src, 1, 99, max), 2_000_000L), "send times out while full");
        assertEquals(16, ring.size());

        List<Long> seen = new ArrayList<>();
        SlotRing.RecordHandler collect = (buffer, offset, length) -> {
            Records.verify(buffer, offset, length, max);
            seen.add(Records.sequence(buffer, offset));
        };
        assertEquals(1, ring.drain(collect, 1));
        assertTrue(ring.offer(src, 0, Records.write(src, 1, 16, max)), "one slot freed");
        assertFalse(ring.offer(src, 0, Records.write(src, 1, 99, max)));
        assertEquals(16, ring.drain(collect, 100));
        assertEquals(0, ring.size());
        List<Long> expected = new ArrayList<>();
        for (long i = 0; i <= 16; i++) {
            expected.add(i);
        }
        assertEquals(expected, seen);
    }

    @Test
    void drainLimitBatches() {
        SlotRing ring = SlotRing.create(Records.alignedDirect(RingDescriptor.regionLength(32, 64)), 0, 32, 64);
        ByteBuffer src = Records.alignedDirect(64);
        for (int i = 0; i < 20; i++) {
            assertTrue(ring.offer(src, 0, Records.write(src, 0, i, ring.maxRecordLength())));
        }
        int[] calls = new int[1];
        SlotRing.RecordHandler count = (buffer, offset, length) -> calls[0]++;
        assertEquals(0, ring.drain(count, 0));
        assertEquals(8, ring.drain(count, 8));
        assertEquals(12, ring.size());
        assertEquals(12, ring.drain(count, 100));
        assertEquals(20, calls[0]);
    }

    @Test
    void handlerExceptionConsumesTheRecordAndPropagates() {
        SlotRing ring = SlotRing.create(Records.alignedDirect(RingDescriptor.regionLength(4, 64)), 0, 4, 64);
        ByteBuffer src = Records.alignedDirect(64);
        for (int i = 0; i < 3; i++) {
            assertTrue(ring.offer(src, 0, Records.write(src, 0, i, ring.maxRecordLength())));
        }
        IllegalStateException boom = new IllegalStateException("boom");
        List<Long> seen = new ArrayList<>();
        IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> ring.drain((buffer, offset, length) -> {
                    long sequence = Records.sequence(buffer, offset);
                    seen.add(sequence);
                    if (sequence == 1) {
                        throw boom;
                    }
                }, 10));
        assertSame(boom, thrown);
        assertEquals(1, ring.size(), "records 0 and 1 consumed");
        assertEquals(1, ring.drain((buffer, offset, length) -> seen.add(Records.sequence(buffer, offset)), 10));
        assertEquals(List.of(0L, 1L, 2L), seen);
    }

    @Test
    void corruptedLengthStopsDrainAndLeavesTheRing() {
        for (int bad : new int[] {0, -1, 57, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
            ByteBuffer b = Records.alignedDirect(RingDescriptor.regionLength(8, 64));
            SlotRing ring = SlotRing.create(b, 0, 8, 64);
            ByteBuffer src = Records.alignedDirect(64);
            for (int i = 0; i < 4; i++) {
                assertTrue(ring.offer(src, 0, Records.write(src, 0, i, ring.maxRecordLength())));
            }
            int slot2 = RingDescriptor.slotOffset(2, 8, 64);
            b.putInt(slot2 + RingDescriptor.SLOT_LENGTH_OFFSET, bad);
            ByteBuffer before = snapshot(b);

            List<Long> seen = new ArrayList<>();
            SlotRing.RecordHandler collect = (buffer, offset, length) -> seen.add(Records.sequence(buffer, offset));
            RingFormatException e = assertThrows(RingFormatException.class, () -> ring.drain(collect, 10));
            assertTrue(e.getMessage().contains("length " + bad), e.getMessage());
            assertEquals(List.of(0L, 1L), seen, "records before the bad slot are consumed");
            assertEquals(2, ring.size());
            ByteBuffer after = snapshot(b);
            assertEquals(before.getInt(slot2), after.getInt(slot2), "bad slot's status untouched");
            assertEquals(bad, after.getInt(slot2 + RingDescriptor.SLOT_LENGTH_OFFSET));

            assertThrows(RingFormatException.class, () -> ring.drain(collect, 10), "throws again");
            assertEquals(List.of(0L, 1L), seen);
            assertEquals(2, ring.size());
        }
    }

    @Test
    void corruptedStatusStopsDrain() {
        ByteBuffer b = Records.alignedDirect(RingDescriptor.regionLength(8, 64));
        SlotRing ring = SlotRing.create(b, 0, 8, 64);
        b.putInt(RingDescriptor.slotOffset(0, 8, 64) + RingDescriptor.SLOT_STATUS_OFFSET, 7);
        assertTrue(ring.await(0), "await reports the slot so that drain can reject it");
        RingFormatException e = assertThrows(RingFormatException.class,
                () -> ring.drain((buffer, offset, length) -> { }, 10));
        assertTrue(e.getMessage().contains("status 7"), e.getMessage());
        assertEquals(7, b.getInt(RingDescriptor.slotOffset(0, 8, 64)));
    }

    @Test
    void drainWritesNothingButTheHead() {
        // The consumer gives slots back by moving its head only: no slot line is written back
        // (the seed stored status 0 into each), so a slot's line only travels producer -> consumer.
        for (ProducerMode mode : ProducerMode.values()) {
            ByteBuffer b = Records.alignedDirect(RingDescriptor.regionLength(8, 64));
            SlotRing ring = SlotRing.create(b, 0, 8, 64, mode);
            ByteBuffer src = Records.alignedDirect(64);
            for (long lap = 0; lap < 3; lap++) {
                for (int i = 0; i < 8; i++) {
                    assertTrue(ring.offer(src, 0, Records.write(src, 1, lap * 8 + i, ring.maxRecordLength())));
                }
                ByteBuffer before = snapshot(b);
                assertEquals(8, ring.drain((buffer, offset, length) -> { }, 8));
                ByteBuffer after = snapshot(b);
                assertEquals(lap * 8 + 8, after.getLong(RingDescriptor.CONSUMER_HEAD_OFFSET));
                after.putLong(RingDescriptor.CONSUMER_HEAD_OFFSET, before.getLong(RingDescriptor.CONSUMER_HEAD_OFFSET));
                assertEquals(before, after, mode + ", lap " + lap + ": drain wrote more than the head");
            }
        }
    }

    @Test
    void slotStatusIsTheLapStamp() {
        ByteBuffer b = Records.alignedDirect(RingDescriptor.regionLength(8, 64));
        SlotRing ring = SlotRing.create(b, 0, 8, 64);
        ByteBuffer src = Records.alignedDirect(64);
        for (long sequence = 0; sequence < 8 * 5 + 3; sequence++) {
            assertTrue(ring.offer(src, 0, Records.write(src, 1, sequence, ring.maxRecordLength())));
            int status = b.getInt(RingDescriptor.slotOffset(sequence, 8, 64));
            assertEquals(RingDescriptor.publishedStamp(sequence, 8), status, "record " + sequence);
            assertEquals(sequence / 8 + 1, status);
            assertEquals(1, ring.drain((buffer, offset, length) -> { }, 8));
        }
        // Head 43 (lap 5, slot 3): the slot holds lap 4's stamp 5, which reads as free.
        assertEquals(5, b.getInt(RingDescriptor.slotOffset(43, 8, 64)));
        assertFalse(ring.await(0));
        assertEquals(0, ring.drain((buffer, offset, length) -> { }, 8));
    }

    @Test
    void staleOrFutureStampIsCorruption() {
        // A peer that writes a stamp of any lap but the head's or the one before is broken:
        // drain refuses, rather than deliver an old record again or one from the future.
        for (int bad : new int[] {0, 1, 2, 5, -1, Integer.MIN_VALUE}) {
            ByteBuffer b = Records.alignedDirect(RingDescriptor.regionLength(8, 64));
            SlotRing ring = SlotRing.create(b, 0, 8, 64);
            ByteBuffer src = Records.alignedDirect(64);
            for (long sequence = 0; sequence < 8 * 2 + 2; sequence++) {
                assertTrue(ring.offer(src, 0, Records.write(src, 1, sequence, ring.maxRecordLength())));
                assertEquals(1, ring.drain((buffer, offset, length) -> { }, 8));
            }
            // Head 18 (lap 2, slot 2): free is 2, published is 3; everything else is bad.
            int slot = RingDescriptor.slotOffset(18, 8, 64);
            if (bad == 2) {
                assertEquals(2, b.getInt(slot));
                assertEquals(0, ring.drain((buffer, offset, length) -> { }, 8), "lap 1's stamp means free");
                continue;
            }
            b.putInt(slot + RingDescriptor.SLOT_LENGTH_OFFSET, 8);
            b.putInt(slot, bad);
            assertTrue(ring.await(0), "await reports the slot so that drain can reject it");
            RingFormatException e = assertThrows(RingFormatException.class,
                    () -> ring.drain((buffer, offset, length) -> { }, 8));
            assertTrue(e.getMessage().contains("status " + bad), e.getMessage());
            assertEquals(18, b.getLong(RingDescriptor.CONSUMER_HEAD_OFFSET), "head left where it was");
        }
    }

    @Test
    void headBeyondClaimCounterMakesOffersRefuse() {
        ByteBuffer b = Records.alignedDirect(RingDescriptor.regionLength(8, 64));
        SlotRing ring = SlotRing.create(b, 0, 8, 64);
        ByteBuffer src = Records.alignedDirect(64);
        for (int i = 0; i < 8; i++) {
            assertTrue(ring.offer(src, 0, 16));
        }
        assertEquals(1, ring.drain((buffer, offset, length) -> { }, 1));
        b.putLong(RingDescriptor.CONSUMER_HEAD_OFFSET, 1000); // a peer scribbled on the head
        ByteBuffer before = snapshot(b);

        // Believing the head, the next claims would reuse slots 0, 1, ... of which 1..7 are unread.
        assertFalse(ring.offer(src, 0, 16), "refuses rather than overwrite unread records");
        assertFalse(ring.offer(src, 0, 16));
        assertFalse(ring.send(src, 0, 16, 1_000_000L));
        assertEquals(before, snapshot(b), "nothing written");
        assertEquals(0, ring.size());
    }

    @Test
    void createOverAnOldRingStartsEmpty() {
        ByteBuffer b = Records.alignedDirect(RingDescriptor.regionLength(4, 32));
        SlotRing old = SlotRing.create(b, 0, 4, 32);
        ByteBuffer src = Records.alignedDirect(32);
        for (int i = 0; i < 3; i++) {
            assertTrue(old.offer(src, 0, Records.write(src, 0, i, old.maxRecordLength())));
        }
        assertEquals(1, old.drain((buffer, offset, length) -> { }, 1));
        SlotRing ring = SlotRing.create(b, 0, 4, 32);
        assertEquals(0, ring.size());
        assertEquals(0, ring.drain((buffer, offset, length) -> { }, 10));
        for (int i = 0; i < 4; i++) {
            assertTrue(ring.offer(src, 0, 8));
        }
        assertFalse(ring.offer(src, 0, 8));
    }

    @Test
    void recordLengthMustFitASlot() {
        SlotRing ring = SlotRing.create(Records.alignedDirect(RingDescriptor.regionLength(4, 64)), 0, 4, 64);
        ByteBuffer src = ByteBuffer.allocate(128); // a heap source is fine: it is only copied from
        assertThrows(IllegalArgumentException.class, () -> ring.offer(src, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> ring.offer(src, 0, -5));
        assertThrows(IllegalArgumentException.class, () -> ring.offer(src, 0, 57));
        assertThrows(IllegalArgumentException.class, () -> ring.send(src, 0, 57, 1000));
        assertThrows(IndexOutOfBoundsException.class, () -> ring.offer(src, 100, 56));
        assertEquals(0, ring.size(), "nothing claimed by a rejected offer");
        assertTrue(ring.offer(src, 0, 56));
        assertEquals(1, ring.drain((buffer, offset, length) -> assertEquals(56, length), 1));
    }

    @Test
    void createRejectsBadArguments() {
        ByteBuffer direct = Records.alignedDirect(RingDescriptor.regionLength(8, 64) + 64);
        IllegalArgumentException heap = assertThrows(IllegalArgumentException.class,
                () -> SlotRing.create(ByteBuffer.allocate(4096), 0, 8, 64));
        assertTrue(heap.getMessage().contains("direct"), heap.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SlotRing.create(direct.asReadOnlyBuffer(), 0, 8, 64));
        assertThrows(IllegalArgumentException.class, () -> SlotRing.create(direct, 32, 8, 64), "offset not 64-aligned");
        assertThrows(IllegalArgumentException.class, () -> SlotRing.create(direct, -64, 8, 64));
        assertThrows(IllegalArgumentException.class, () -> SlotRing.create(direct, 0, 6, 64), "count not power of 2");
        assertThrows(IllegalArgumentException.class, () -> SlotRing.create(direct, 0, 1, 64), "count < 2");
        assertThrows(IllegalArgumentException.class, () -> SlotRing.create(direct, 0, 0, 64));
        assertThrows(IllegalArgumentException.class, () -> SlotRing.create(direct, 0, 8, 48), "size not power of 2");
        assertThrows(IllegalArgumentException.class, () -> SlotRing.create(direct, 0, 8, 8), "size < 16");
        assertThrows(IllegalArgumentException.class, () -> SlotRing.create(direct, 128, 8, 64), "does not fit");
        ByteBuffer odd = ByteBuffer.allocateDirect(8192).alignedSlice(64).position(3).slice();
        assertThrows(IllegalArgumentException.class, () -> SlotRing.create(odd, 64, 8, 64), "address misaligned");
        assertEquals(8, SlotRing.create(direct, 64, 8, 64).slotCount());
    }

    @Test
    void awaitReturnsAtOnceWhenReadyAndFalseOnTimeoutInterruptOrWake() {
        SlotRing ring = SlotRing.create(Records.alignedDirect(RingDescriptor.regionLength(4, 64)), 0, 4, 64);
        ring.setConsumerThread(Thread.currentThread());
        assertFalse(ring.await(0));
        assertFalse(ring.await(20_000_000L), "nothing published: times out");

        ring.wakeConsumer();
        assertFalse(ring.await(60_000_000_000L), "a wake-up ends the wait");

        Thread.currentThread().interrupt();
        assertFalse(ring.await(60_000_000_000L), "interrupted");
        assertTrue(Thread.interrupted(), "interrupt status kept");

        ByteBuffer src = Records.alignedDirect(64);
        assertTrue(ring.offer(src, 0, 16));
        assertTrue(ring.await(0));
        assertTrue(ring.await(60_000_000_000L));
        assertEquals(1, ring.drain((buffer, offset, length) -> { }, 10));
    }

    @Test
    void sendGivesUpWhenInterrupted() {
        SlotRing ring = SlotRing.create(Records.alignedDirect(RingDescriptor.regionLength(2, 16)), 0, 2, 16);
        ByteBuffer src = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
        assertTrue(ring.send(src, 0, 8, 0));
        assertTrue(ring.send(src, 0, 8, 1_000_000L));
        Thread.currentThread().interrupt();
        assertFalse(ring.send(src, 0, 8, 60_000_000_000L));
        assertTrue(Thread.interrupted(), "interrupt status kept");
        assertEquals(2, ring.size());
    }

    private static ByteBuffer snapshot(ByteBuffer b) {
        ByteBuffer copy = ByteBuffer.allocate(b.limit()).order(b.order());
        copy.put(0, b, 0, b.limit());
        return copy;
    }
}
