package org.jtgt.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ProducerMode#SINGLE}: the mode is recorded in the header and honoured by attachers, and
 * the ordered-store claim keeps every guarantee of the CAS claim for one producer.
 */
class SlotRingSingleProducerTest {

    @Test
    void createRecordsTheModeAndTheFourArgumentCreateIsMulti() {
        ByteBuffer b = Records.alignedDirect(RingDescriptor.regionLength(8, 64));
        SlotRing single = SlotRing.create(b, 0, 8, 64, ProducerMode.SINGLE);
        assertEquals(ProducerMode.SINGLE, single.producerMode());
        assertEquals(RingDescriptor.PRODUCER_MODE_SINGLE, b.getInt(RingDescriptor.PRODUCER_MODE_OFFSET));

        SlotRing multi = SlotRing.create(b, 0, 8, 64);
        assertEquals(ProducerMode.MULTI, multi.producerMode());
        assertEquals(RingDescriptor.PRODUCER_MODE_MULTI, b.getInt(RingDescriptor.PRODUCER_MODE_OFFSET));
        assertEquals(0, RingDescriptor.PRODUCER_MODE_MULTI, "rings from before modes read as MULTI");
        assertThrows(NullPointerException.class, () -> SlotRing.create(b, 0, 8, 64, null));
    }

    @ParameterizedTest
    @EnumSource(ProducerMode.class)
    void attachSeesTheCreatorsMode(ProducerMode mode) {
        ByteBuffer b = Records.alignedDirect(64 + RingDescriptor.regionLength(16, 64));
        SlotRing created = SlotRing.create(b, 64, 16, 64, mode);
        SlotRing attached = SlotRing.attach(b, 64);
        assertEquals(mode, attached.producerMode());
        assertEquals(mode, ProducerMode.ofCode(mode.code()));

        // The attached instance produces in that mode, the creator consumes.
        ByteBuffer src = Records.alignedDirect(64);
        int max = attached.maxRecordLength();
        for (int i = 0; i < 40; i++) {
            assertTrue(attached.offer(src, 0, Records.write(src, 5, i, max)));
            long[] seen = {-1};
            assertEquals(1, created.drain((buffer, offset, length) -> {
                Records.verify(buffer, offset, length, max);
                seen[0] = Records.sequence(buffer, offset);
            }, 4));
            assertEquals(i, seen[0]);
        }
        assertTrue(attached.toString().contains(mode.name()), attached.toString());
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, -1, 0x100, Integer.MAX_VALUE, Integer.MIN_VALUE})
    void attachRejectsAnUnknownMode(int code) {
        ByteBuffer b = Records.alignedDirect(RingDescriptor.regionLength(16, 64));
        SlotRing.create(b, 0, 16, 64, ProducerMode.SINGLE);
        b.putInt(RingDescriptor.PRODUCER_MODE_OFFSET, code);
        RingFormatException e = assertThrows(RingFormatException.class, () -> SlotRing.attach(b, 0));
        assertTrue(e.getMessage().contains("unknown producer mode " + code), e.getMessage());
        assertThrows(RingFormatException.class, () -> ProducerMode.ofCode(code));
    }

    @Test
    void roundTripWrapsAroundManyTimes() {
        SlotRing ring = single(8, 64);
        ByteBuffer src = Records.alignedDirect(64);
        int max = ring.maxRecordLength();
        long next = 0;
        long expected = 0;
        List<Long> batch = new ArrayList<>();
        for (int round = 0; round < 20_000; round++) {
            int burst = 1 + round % 8;
            for (int i = 0; i < burst; i++) {
                assertTrue(ring.offer(src, 0, Records.write(src, 7, next, max)), "offer " + next);
                next++;
            }
            assertEquals(burst, ring.size());
            batch.clear();
            int drained = 0;
            while (drained < burst) {
                int n = ring.drain((buffer, offset, length) -> {
                    Records.verify(buffer, offset, length, max);
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
        SlotRing ring = single(16, 32);
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
        assertTrue(ring.offer(src, 0, Records.write(src, 1, 16, max)), "one slot freed: the cached head is refreshed");
        assertFalse(ring.offer(src, 0, Records.write(src, 1, 99, max)));
        assertEquals(16, ring.drain(collect, 100));
        assertEquals(0, ring.size());
        for (int i = 17; i < 17 + 16; i++) {
            assertTrue(ring.offer(src, 0, Records.write(src, 1, i, max)), "the whole ring is free again");
        }
        assertEquals(16, ring.drain(collect, 100));
        List<Long> expected = new ArrayList<>();
        for (long i = 0; i < 17 + 16; i++) {
            expected.add(i);
        }
        assertEquals(expected, seen);
    }

    @Test
    void headBeyondClaimCounterMakesOffersRefuse() {
        ByteBuffer b = Records.alignedDirect(RingDescriptor.regionLength(8, 64));
        SlotRing ring = SlotRing.create(b, 0, 8, 64, ProducerMode.SINGLE);
        ByteBuffer src = Records.alignedDirect(64);
        for (int i = 0; i < 8; i++) {
            assertTrue(ring.offer(src, 0, 16));
        }
        assertEquals(1, ring.drain((buffer, offset, length) -> { }, 1));
        b.putLong(RingDescriptor.CONSUMER_HEAD_OFFSET, 1000); // a peer scribbled on the head
        ByteBuffer before = snapshot(b);

        assertFalse(ring.offer(src, 0, 16), "refuses rather than overwrite unread records");
        assertFalse(ring.send(src, 0, 16, 1_000_000L));
        assertEquals(before, snapshot(b), "nothing written");
    }

    @Test
    void recordLengthMustFitASlot() {
        SlotRing ring = single(4, 64);
        ByteBuffer src = ByteBuffer.allocate(128);
        assertThrows(IllegalArgumentException.class, () -> ring.offer(src, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> ring.offer(src, 0, 57));
        assertThrows(IndexOutOfBoundsException.class, () -> ring.offer(src, 100, 56));
        assertEquals(0, ring.size(), "nothing claimed by a rejected offer");
        assertTrue(ring.offer(src, 0, 56));
        assertEquals(1, ring.size());
    }

    @Test
    void theProducerRoleMayMoveToAnotherThread() throws Exception {
        SlotRing ring = single(8, 64);
        int max = ring.maxRecordLength();
        ByteBuffer src = Records.alignedDirect(64);
        for (int i = 0; i < 6; i++) {
            assertTrue(ring.offer(src, 0, Records.write(src, 0, i, max)));
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread next = new Thread(() -> { // Thread.start and join are the happens-before edges
            try {
                ByteBuffer own = Records.alignedDirect(64);
                assertTrue(ring.offer(own, 0, Records.write(own, 0, 6, max)));
                assertTrue(ring.offer(own, 0, Records.write(own, 0, 7, max)));
                assertFalse(ring.offer(own, 0, Records.write(own, 0, 8, max)), "full");
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        next.start();
        next.join();
        assertEquals(null, failure.get());
        List<Long> seen = new ArrayList<>();
        assertEquals(8, ring.drain((buffer, offset, length) -> {
            Records.verify(buffer, offset, length, max);
            seen.add(Records.sequence(buffer, offset));
        }, 100));
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L), seen);
    }

    @Test
    void awaitWakesWhenTheProducerPublishesAfterTheConsumerParked() throws Exception {
        ByteBuffer region = Records.alignedDirect(RingDescriptor.regionLength(8, 64));
        SlotRing ring = SlotRing.create(region, 0, 8, 64, ProducerMode.SINGLE);
        AtomicReference<Boolean> result = new AtomicReference<>();
        Thread consumer = new Thread(() -> result.set(ring.await(TimeUnit.SECONDS.toNanos(30))), "consumer");
        consumer.setDaemon(true);
        ring.setConsumerThread(consumer);
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            consumer.start();
            while (region.getInt(RingDescriptor.CONSUMER_WAITING_OFFSET) == 0
                    || consumer.getState() != Thread.State.TIMED_WAITING) {
                Thread.sleep(1);
            }
            assertTrue(ring.offer(Records.alignedDirect(64), 0, 16));
            consumer.join();
        });
        assertEquals(Boolean.TRUE, result.get());
        assertEquals(1, ring.drain((buffer, offset, length) -> assertEquals(16, length), 10));
    }

    /**
     * Ping-pong over two SINGLE rings: each side waits for every record on its own, so records
     * are published again and again while the other side is about to park, the window in which
     * a fence-free producer can miss the flag. Every record must arrive, in order. No assertion
     * on speed: a missed doorbell costs latency, bounded by the 1 ms park.
     */
    @Test
    void everyRecordOfAPingPongArrives() {
        int records = 20_000;
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            SlotRing ring = single(4, 64);
            SlotRing back = single(4, 64);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread echo = new Thread(() -> {
                ByteBuffer src = Records.alignedDirect(64);
                long[] got = {0};
                try {
                    while (got[0] < records) {
                        if (ring.await(TimeUnit.SECONDS.toNanos(10))) {
                            ring.drain((buffer, offset, length) -> {
                                assertEquals(got[0]++, Records.sequence(buffer, offset));
                            }, 4);
                            assertTrue(back.send(src, 0, 16, TimeUnit.SECONDS.toNanos(10)));
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "echo");
            echo.setDaemon(true);
            ring.setConsumerThread(echo);
            back.setConsumerThread(Thread.currentThread());
            echo.start();
            ByteBuffer src = Records.alignedDirect(64);
            for (long i = 0; i < records; i++) {
                assertTrue(ring.send(src, 0, Records.write(src, 0, i, ring.maxRecordLength()),
                        TimeUnit.SECONDS.toNanos(10)));
                while (back.drain((buffer, offset, length) -> { }, 1) == 0) {
                    assertTrue(back.await(TimeUnit.SECONDS.toNanos(10)), "echo " + i + " did not come back");
                    assertEquals(null, failure.get());
                }
            }
            echo.join(10_000);
            assertEquals(null, failure.get());
            assertEquals(0, ring.size());
            assertEquals(0, back.size());
        });
    }

    private static SlotRing single(int slotCount, int slotSize) {
        return SlotRing.create(Records.alignedDirect(RingDescriptor.regionLength(slotCount, slotSize)), 0, slotCount,
                slotSize, ProducerMode.SINGLE);
    }

    private static ByteBuffer snapshot(ByteBuffer b) {
        ByteBuffer copy = ByteBuffer.allocate(b.limit()).order(b.order());
        copy.put(0, b, 0, b.limit());
        return copy;
    }
}
