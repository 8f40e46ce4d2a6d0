package org.jtgt.transport.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.TransportEndpoint;
import org.jtgt.ring.ProducerMode;
import org.junit.jupiter.api.Test;

/**
 * Which ring mode the transport may use is decided by who produces into each ring. Both rings
 * have more than one producing thread at a time, so both are {@link ProducerMode#MULTI}:
 * <ul>
 * <li>host → daemon: every host queue's dispatcher (one per host at a time, but several hosts
 *     share the one host endpoint) and each host's {@code KEVENT_CMD_DONE} flush, which runs on
 *     the thread that completes the command, not on a dispatcher;
 * <li>daemon → host: the daemon's delivering thread (the ring pump) answers most commands, and
 *     a command answered later (SANITIZE without IMMED, stores that complete on their own
 *     threads) is answered from another thread while the pump goes on answering.
 * </ul>
 * This test makes both sides produce from several threads at once, as they do, and checks that
 * every record arrives once and intact. On a SINGLE ring the same load loses or mixes records
 * (checked by creating the rings SINGLE: records go missing).
 */
class RingProducersTest {
    private static final int THREADS = 3;
    private static final int PER_THREAD = 20_000;

    /** Collects the cids of one record type; anything else fails the test. */
    private static final class Collector implements EventSink {
        final Set<Long> cids = ConcurrentHashMap.newKeySet();
        final AtomicReference<String> problem = new AtomicReference<>();
        final boolean daemon;

        Collector(boolean daemon) {
            this.daemon = daemon;
        }

        @Override
        public void onEvent(ByteBuffer buffer, int offset, int length, TransportEndpoint from) {
            long cid = daemon ? CmdDoneEvent.cid(buffer, offset) : CmdRspEvent.cid(buffer, offset);
            int expectedLength = daemon ? CmdDoneEvent.LENGTH : CmdRspEvent.LENGTH;
            if (length != expectedLength || !cids.add(cid)) {
                problem.compareAndSet(null, "record " + cid + " of " + length + " bytes duplicated or mixed");
            }
            if (!daemon && CmdRspEvent.residual(buffer, offset) != (int) cid) {
                problem.compareAndSet(null, "record " + cid + " carries another record's residual");
            }
        }

        @Override
        public void onTransportFailure(TransportEndpoint endpoint, String reason) {
            problem.compareAndSet(null, "transport failed: " + reason);
        }
    }

    @Test
    void bothRingsAreMultiProducerAndCarryConcurrentProducers() throws Exception {
        Path dir = Path.of("target", "shm-producers").toAbsolutePath();
        Files.createDirectories(dir);
        ShmTransport t = new ShmTransport();
        t.open(dir.resolve("producers.region"), 64, 256, 1 << 20);
        try {
            ShmRegion region = t.region();
            assertEquals(ProducerMode.MULTI, region.toDaemon.producerMode(), "host -> daemon ring");
            assertEquals(ProducerMode.MULTI, region.toHost.producerMode(), "daemon -> host ring");
            ShmRegion attached = ShmRegion.attach(t.file());
            assertEquals(ProducerMode.MULTI, attached.toDaemon.producerMode(), "as a peer attaching reads it");
            assertEquals(ProducerMode.MULTI, attached.toHost.producerMode());

            Collector atDaemon = new Collector(true);
            Collector atHost = new Collector(false);
            TransportEndpoint daemon = t.attachDaemon(atDaemon);
            TransportEndpoint host = t.attachHost(atHost);
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                CountDownLatch start = new CountDownLatch(1);
                List<Thread> producers = new ArrayList<>();
                for (int p = 0; p < THREADS; p++) {
                    int producer = p;
                    // Host side: CMD_DONE records from several threads, as several hosts send.
                    producers.add(new Thread(() -> produce(start, host, producer, true)));
                    // Daemon side: answers from several threads, as late answers are sent.
                    producers.add(new Thread(() -> produce(start, daemon, producer, false)));
                }
                producers.forEach(Thread::start);
                start.countDown();
                for (Thread p : producers) {
                    p.join();
                }
            });
            // Every record was accepted; give the pumps a bounded time to deliver them all.
            long total = (long) THREADS * PER_THREAD;
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while ((atDaemon.cids.size() < total || atHost.cids.size() < total) && System.nanoTime() < deadline
                    && atDaemon.problem.get() == null && atHost.problem.get() == null) {
                Thread.sleep(1);
            }
            assertEquals(null, atDaemon.problem.get());
            assertEquals(null, atHost.problem.get());
            assertEquals(THREADS * PER_THREAD, atDaemon.cids.size(), "every CMD_DONE arrived once");
            assertEquals(THREADS * PER_THREAD, atHost.cids.size(), "every answer arrived once");
            assertTrue(daemon.isOpen() && host.isOpen());
            host.close();
            daemon.close();
        } finally {
            t.deactivate();
        }
    }

    private static void produce(CountDownLatch start, TransportEndpoint endpoint, int producer, boolean done) {
        ByteBuffer rec = ByteBuffer.allocate(CmdRspEvent.LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        try {
            start.await();
        } catch (InterruptedException e) {
            return;
        }
        for (int i = 0; i < PER_THREAD; i++) {
            long cid = (long) producer * PER_THREAD + i;
            int length;
            if (done) {
                CmdDoneEvent.write(rec, 0, producer, cid, 0);
                length = CmdDoneEvent.LENGTH;
            } else {
                CmdRspEvent.write(rec, 0, producer, cid, 0, 0, (int) cid, 0);
                length = CmdRspEvent.LENGTH;
            }
            if (!endpoint.send(rec, 0, length)) {
                throw new IllegalStateException("endpoint closed under producer " + producer);
            }
        }
    }
}
