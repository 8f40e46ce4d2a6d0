package org.jtgt.ring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;

/** Many producers, one consumer, real threads. Bounded in time; no assertion on speed. */
class SlotRingConcurrencyTest {
    private static final int RECORDS = 2_000_000;

    @Test
    void twoProducersOneConsumer() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> stress(ProducerMode.MULTI, 2, RECORDS));
    }

    @Test
    void fourProducersOneConsumer() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> stress(ProducerMode.MULTI, 4, RECORDS));
    }

    @Test
    void singleProducerOneConsumer() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> stress(ProducerMode.SINGLE, 1, RECORDS));
    }

    /**
     * Each producer sends sequence numbers 0, 1, 2, ... with lengths and contents derived from
     * them; the consumer checks that every producer's records arrive complete, exactly once and
     * in order (the ring consumes in claim order, and one producer claims in program order). The
     * consumer waits with {@code await}, so the doorbell path and its races run too.
     */
    static void stress(ProducerMode mode, int producers, int total) throws Exception {
        SlotRing ring = SlotRing.create(Records.alignedDirect(RingDescriptor.regionLength(1024, 64)), 0, 1024, 64,
                mode);
        int max = ring.maxRecordLength();
        int perProducer = total / producers;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int id = p;
            Thread t = new Thread(() -> {
                ByteBuffer src = Records.alignedDirect(64);
                try {
                    for (long seq = 0; seq < perProducer; seq++) {
                        int length = Records.write(src, id, seq, max);
                        if (!ring.send(src, 0, length, TimeUnit.SECONDS.toNanos(30))) {
                            throw new AssertionError("producer " + id + " could not send record " + seq);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "producer-" + p);
            t.setDaemon(true);
            threads.add(t);
        }

        long[] next = new long[producers];
        ring.setConsumerThread(Thread.currentThread());
        threads.forEach(Thread::start);
        try {
            long received = 0;
            SlotRing.RecordHandler check = (buffer, offset, length) -> {
                Records.verify(buffer, offset, length, max);
                int producer = Records.producer(buffer, offset);
                long sequence = Records.sequence(buffer, offset);
                if (producer < 0 || producer >= producers || sequence != next[producer]) {
                    throw new AssertionError("producer " + producer + ": got record " + sequence + ", expected "
                            + (producer >= 0 && producer < producers ? next[producer] : "none"));
                }
                next[producer]++;
            };
            while (received < (long) perProducer * producers) {
                if (failure.get() != null) {
                    throw new AssertionError("producer failed", failure.get());
                }
                if (ring.await(TimeUnit.MILLISECONDS.toNanos(100))) {
                    received += ring.drain(check, 256);
                }
            }
            for (Thread t : threads) {
                t.join(10_000);
            }
            if (failure.get() != null) {
                throw new AssertionError("producer failed", failure.get());
            }
            long[] expected = new long[producers];
            Arrays.fill(expected, perProducer);
            assertArrayEquals(expected, next, "every record exactly once");
            assertEquals(0, ring.size());
            assertEquals(0, ring.drain(check, 256), "nothing extra");
        } finally {
            threads.forEach(Thread::interrupt);
        }
    }

    @Test
    void awaitWakesWhenAProducerPublishesAfterTheConsumerParked() throws Exception {
        ByteBuffer region = Records.alignedDirect(RingDescriptor.regionLength(8, 64));
        SlotRing ring = SlotRing.create(region, 0, 8, 64);
        AtomicReference<Boolean> result = new AtomicReference<>();
        AtomicBoolean drained = new AtomicBoolean();
        Thread consumer = new Thread(() -> {
            boolean ready = ring.await(TimeUnit.SECONDS.toNanos(30));
            result.set(ready);
            drained.set(ready && ring.drain((buffer, offset, length) -> { }, 10) == 1);
        }, "consumer");
        consumer.setDaemon(true);
        ring.setConsumerThread(consumer);

        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            consumer.start();
            // Parked with the waiting flag set: the state in which only a doorbell or the park
            // bound can wake it.
            while (region.getInt(RingDescriptor.CONSUMER_WAITING_OFFSET) == 0
                    || consumer.getState() != Thread.State.TIMED_WAITING) {
                Thread.sleep(1);
            }
            ByteBuffer src = Records.alignedDirect(64);
            assertTrue(ring.offer(src, 0, 16));
            consumer.join(); // well before the consumer's own 30 s timeout, or the preemptive bound fails
        });
        assertEquals(Boolean.TRUE, result.get());
        assertTrue(drained.get(), "the consumer drained the record it was woken for");
        assertEquals(0, region.getInt(RingDescriptor.CONSUMER_WAITING_OFFSET), "flag cleared on wake");
    }

    @Test
    void aWakeUpAskedForBeforeTheWaitEndsItWithoutYielding() {
        SlotRing ring = SlotRing.create(Records.alignedDirect(RingDescriptor.regionLength(8, 64)), 0, 8, 64);
        ring.wakeConsumer();
        assertFalse(ring.await(TimeUnit.SECONDS.toNanos(30)), "woken, no record");
        assertEquals(0, ring.yields(), "a pending wake-up skips the yield phase");
        // the wake-up was used up: the next wait yields before it parks, and times out
        assertFalse(ring.await(TimeUnit.MILLISECONDS.toNanos(20)));
        assertTrue(ring.yields() > 0, "an ordinary wait yields first");
    }

    @Test
    void wakeConsumerEndsAWait() throws Exception {
        SlotRing ring = SlotRing.create(Records.alignedDirect(RingDescriptor.regionLength(8, 64)), 0, 8, 64);
        AtomicReference<Boolean> result = new AtomicReference<>();
        Thread consumer = new Thread(() -> result.set(ring.await(TimeUnit.SECONDS.toNanos(30))), "consumer");
        consumer.setDaemon(true);
        ring.setConsumerThread(consumer);
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            consumer.start();
            while (consumer.getState() != Thread.State.TIMED_WAITING) {
                Thread.sleep(1);
            }
            ring.wakeConsumer();
            consumer.join();
        });
        assertEquals(Boolean.FALSE, result.get(), "woken for shutdown, no record");
    }

    @Test
    void anIdleConsumerWhoseProducersWakeItParksOnceAWait() {
        SlotRing woken = SlotRing.create(Records.alignedDirect(RingDescriptor.regionLength(8, 64)), 0, 8, 64);
        woken.setConsumerThread(Thread.currentThread());
        woken.setProducersWakeConsumer(true);
        woken.longParkAfter(TimeUnit.MILLISECONDS.toNanos(50)); // a second by default
        // empty for 50 ms first: until then it parks at most 1 ms at a time, as without the setting
        assertFalse(woken.await(TimeUnit.MILLISECONDS.toNanos(60)));
        long before = woken.idleParks();
        assertFalse(woken.await(TimeUnit.MILLISECONDS.toNanos(200)));
        // then one park for the wait (one more if this thread still held a permit from an earlier unpark)
        assertTrue(woken.idleParks() - before <= 3, (woken.idleParks() - before) + " parks");

        SlotRing polled = SlotRing.create(Records.alignedDirect(RingDescriptor.regionLength(8, 64)), 0, 8, 64);
        polled.setConsumerThread(Thread.currentThread());
        assertFalse(polled.await(TimeUnit.MILLISECONDS.toNanos(200)));
        assertTrue(polled.idleParks() >= 10, "without it the consumer parks at most 1 ms at a time: "
                + polled.idleParks() + " parks");
    }

    @Test
    void aSingleProducerRingKeepsItsBoundedParks() {
        // Its producer publishes without a fence and may miss the waiting flag: the bound stays.
        SlotRing ring = SlotRing.create(Records.alignedDirect(RingDescriptor.regionLength(8, 64)), 0, 8, 64,
                ProducerMode.SINGLE);
        ring.setConsumerThread(Thread.currentThread());
        ring.setProducersWakeConsumer(true);
        assertFalse(ring.await(TimeUnit.MILLISECONDS.toNanos(200)));
        assertTrue(ring.idleParks() >= 10, ring.idleParks() + " parks");
    }

    /**
     * With producers that wake it, a waiting consumer has no park bound to fall back on: a lost
     * wake-up leaves it asleep for its whole 10 s wait while a record is ready. The producer sends
     * one record at a time and waits until it was consumed, then pauses for nothing, a few spins,
     * 50 µs or 1 ms, so the consumer is caught in every phase of its wait, parking included, each
     * time with only this one record to wake it.
     */
    @Test
    void noWakeUpIsLostWhenTheConsumerSleepsUntilWoken() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            SlotRing ring = SlotRing.create(Records.alignedDirect(RingDescriptor.regionLength(64, 64)), 0, 64, 64);
            ring.setProducersWakeConsumer(true);
            ring.longParkAfter(0); // every idle park unbounded, not only after a second without a record
            int rounds = 2_000;
            AtomicLong consumed = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread producer = new Thread(() -> {
                ByteBuffer src = Records.alignedDirect(64);
                try {
                    for (int i = 0; i < rounds; i++) {
                        assertTrue(ring.offer(src, 0, 16));
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                        while (consumed.get() <= i) {
                            if (System.nanoTime() > deadline) {
                                throw new AssertionError("record " + i + " not consumed");
                            }
                            Thread.onSpinWait();
                        }
                        switch (i % 4) {
                            case 1 -> {
                                for (int spin = 0; spin < 50; spin++) {
                                    Thread.onSpinWait();
                                }
                            }
                            case 2 -> LockSupport.parkNanos(50_000);
                            case 3 -> Thread.sleep(1);
                            default -> { }
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "producer");
            producer.setDaemon(true);
            ring.setConsumerThread(Thread.currentThread());
            producer.start();
            while (consumed.get() < rounds) {
                if (failure.get() != null) {
                    throw new AssertionError("producer failed", failure.get());
                }
                int n = ring.drain((buffer, offset, length) -> { }, 256);
                consumed.addAndGet(n);
                if (n == 0) {
                    // a record comes within a few milliseconds; a wait of seconds slept through its wake-up
                    long start = System.nanoTime();
                    boolean ready = ring.await(TimeUnit.SECONDS.toNanos(10));
                    if (!ready || System.nanoTime() - start > TimeUnit.SECONDS.toNanos(5)) {
                        throw new AssertionError("the consumer slept through a wake-up after " + consumed.get() + " records");
                    }
                }
            }
            assertTrue(ring.idleParks() >= rounds / 4, "the consumer slept before most paused rounds: "
                    + ring.idleParks() + " parks");
            producer.join(10_000);
        });
    }
}
