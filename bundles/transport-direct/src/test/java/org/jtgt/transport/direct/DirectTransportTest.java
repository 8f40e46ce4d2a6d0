package org.jtgt.transport.direct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TskMgmtReqEvent;
import org.jtgt.api.transport.DeferredDelivery;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.HandOff;
import org.jtgt.api.transport.TransportEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The delivery rules of the direct transport with recording sinks: inline on the sending thread,
 * one event at a time per direction, in order, never re-entering the daemon beneath itself, and
 * the courier for what no sending thread may deliver.
 */
class DirectTransportTest {
    private DirectTransport transport;

    @BeforeEach
    void open() {
        transport = new DirectTransport();
        transport.open(16, 32L << 20);
    }

    @AfterEach
    void close() {
        transport.deactivate();
    }

    /** Records each event: type, cid, the thread, and how deep the sink was entered. */
    static class Recorder implements EventSink {
        final ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Thread> threads = new ConcurrentLinkedQueue<>();
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger worstInside = new AtomicInteger();
        final AtomicReference<String> failure = new AtomicReference<>();
        volatile Handler handler = (b, o, from) -> { };

        interface Handler {
            void on(ByteBuffer b, int o, TransportEndpoint from);
        }

        @Override
        public void onEvent(ByteBuffer b, int o, int length, TransportEndpoint from) {
            int depth = inside.incrementAndGet();
            worstInside.accumulateAndGet(depth, Math::max);
            try {
                EventType type = EventType.fromCode(EventHeader.type(b, o));
                events.add(type + " " + cid(type, b, o));
                threads.add(Thread.currentThread());
                handler.on(b, o, from);
            } finally {
                inside.decrementAndGet();
            }
        }

        @Override
        public void onTransportFailure(TransportEndpoint endpoint, String reason) {
            failure.set(reason);
        }

        private static long cid(EventType type, ByteBuffer b, int o) {
            switch (type) {
                case KEVENT_CMD_REQ: return CmdReqEvent.cid(b, o);
                case UEVENT_CMD_RSP: return CmdRspEvent.cid(b, o);
                case KEVENT_CMD_DONE: return CmdDoneEvent.cid(b, o);
                default: return -1;
            }
        }
    }

    static ByteBuffer record() {
        return ByteBuffer.allocate(EventHeader.MAX_RECORD_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    }

    static ByteBuffer cmdReq(long cid) {
        ByteBuffer b = record();
        CmdReqEvent.write(b, 0, 0, cid, 1, 0, new byte[] {0x00, 0, 0, 0, 0, 0}, 6, (int) cid, 0, 0, 0, 0, 0, 0);
        return b;
    }

    static ByteBuffer cmdRsp(long cid) {
        ByteBuffer b = record();
        CmdRspEvent.write(b, 0, 0, cid, 0, 0, 0, 0);
        return b;
    }

    static ByteBuffer cmdDone(long cid) {
        ByteBuffer b = record();
        CmdDoneEvent.write(b, 0, 0, cid, 0);
        return b;
    }

    /**
     * A QD1 command: the daemon answers inside the host's offer, the host takes the answer and
     * sends KEVENT_CMD_DONE inside that — all on the offering thread before offer returns, and
     * the daemon is never entered beneath itself: the CMD_DONE comes after the CMD_REQ's call.
     */
    @Test
    void aCommandIsAnsweredAndDoneOnTheOfferingThreadWithoutReenteringTheDaemon() {
        Recorder daemon = new Recorder();
        Recorder host = new Recorder();
        TransportEndpoint d = transport.attachDaemon(daemon);
        TransportEndpoint h = transport.attachHost(host);
        daemon.handler = (b, o, from) -> {
            if (EventHeader.type(b, o) == EventType.KEVENT_CMD_REQ.code()) {
                assertSame(d, from);
                assertTrue(from.send(cmdRsp(CmdReqEvent.cid(b, o)), 0, CmdRspEvent.LENGTH));
                // The host has taken the answer (inside this send) but its CMD_DONE waits.
                assertEquals(1, daemon.events.size(), daemon.events.toString());
            }
        };
        host.handler = (b, o, from) -> {
            assertSame(h, from);
            assertTrue(from.offer(cmdDone(CmdRspEvent.cid(b, o)), 0, CmdDoneEvent.LENGTH));
        };
        assertTrue(h.offer(cmdReq(7), 0, CmdReqEvent.LENGTH));
        assertEquals(List.of("KEVENT_CMD_REQ 7", "KEVENT_CMD_DONE 7"), new ArrayList<>(daemon.events));
        assertEquals(List.of("UEVENT_CMD_RSP 7"), new ArrayList<>(host.events));
        for (Thread t : daemon.threads) {
            assertSame(Thread.currentThread(), t);
        }
        assertSame(Thread.currentThread(), host.threads.peek());
        assertEquals(1, daemon.worstInside.get(), "the daemon was entered beneath itself");
    }

    /** The role of a thread that can be replaced, as a connection's reader offers it. */
    static final class Replaceable implements HandOff.Role {
        @Override public boolean mayRelease() { return true; }
        @Override public boolean release() { return true; }
    }

    private static Thread offerFrom(TransportEndpoint h, long cid) throws InterruptedException {
        Thread t = new Thread(() -> assertTrue(h.offer(cmdReq(cid), 0, CmdReqEvent.LENGTH)), "sender-" + cid);
        t.start();
        t.join(10_000);
        return t;
    }

    /**
     * The delivering thread hands its role off inside the daemon (the daemon is about to block on
     * it): the record it delivers counts as delivered, and the next sender delivers its own
     * record at once, on its own thread, while the first call is still running.
     */
    @Test
    void aDelivererThatHandsOffLeavesTheNextRecordToItsSender() throws Exception {
        Recorder daemon = new Recorder();
        transport.attachDaemon(daemon);
        TransportEndpoint h = transport.attachHost(new Recorder());
        AtomicReference<Boolean> handedOff = new AtomicReference<>();
        AtomicReference<Thread> second = new AtomicReference<>();
        daemon.handler = (b, o, from) -> {
            if (CmdReqEvent.cid(b, o) == 1) {
                handedOff.set(HandOff.handOff());
                try {
                    second.set(offerFrom(h, 2));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                assertEquals(List.of("KEVENT_CMD_REQ 1", "KEVENT_CMD_REQ 2"), new ArrayList<>(daemon.events),
                        "the second record was delivered while the first call still ran");
            }
        };
        Replaceable reader = new Replaceable();
        HandOff.offer(reader);
        try {
            assertTrue(h.offer(cmdReq(1), 0, CmdReqEvent.LENGTH));
        } finally {
            HandOff.drop(reader);
        }
        assertTrue(handedOff.get());
        assertEquals(List.of(Thread.currentThread(), second.get()), new ArrayList<>(daemon.threads));
        assertEquals(0, transport.toDaemon().queued());
        assertEquals(2, transport.toDaemon().delivered());
        assertEquals(2, daemon.worstInside.get(), "two threads in the daemon at once");
    }

    /** With another record queued behind the one being delivered the deliverer keeps its role (and delivers it). */
    @Test
    void aDelivererWithRecordsQueuedBehindKeepsItsRole() throws Exception {
        Recorder daemon = new Recorder();
        transport.attachDaemon(daemon);
        TransportEndpoint h = transport.attachHost(new Recorder());
        AtomicReference<Boolean> handedOff = new AtomicReference<>();
        daemon.handler = (b, o, from) -> {
            if (CmdReqEvent.cid(b, o) == 1) {
                try {
                    offerFrom(h, 3);   // queued: this thread delivers on the direction
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                handedOff.set(HandOff.handOff());
            }
        };
        Replaceable reader = new Replaceable();
        HandOff.offer(reader);
        try {
            assertTrue(h.offer(cmdReq(1), 0, CmdReqEvent.LENGTH));
            assertEquals(1, HandOff.depth(), "the offered role is still held");
        } finally {
            HandOff.drop(reader);
        }
        assertFalse(handedOff.get());
        assertEquals(List.of("KEVENT_CMD_REQ 1", "KEVENT_CMD_REQ 3"), new ArrayList<>(daemon.events));
        assertEquals(List.of(Thread.currentThread(), Thread.currentThread()), new ArrayList<>(daemon.threads));
    }

    /**
     * The daemon answers from a thread of its own (a store's completion): the host takes the
     * answer on that thread, but the KEVENT_CMD_DONE it sends back is not delivered into the
     * daemon beneath the daemon's own send; the courier delivers it.
     */
    @Test
    void anAnswerFromAThreadOfTheDaemonsHasItsCmdDoneDeliveredByTheCourier() throws Exception {
        Recorder daemon = new Recorder();
        Recorder host = new Recorder();
        TransportEndpoint d = transport.attachDaemon(daemon);
        TransportEndpoint h = transport.attachHost(host);
        CountDownLatch done = new CountDownLatch(1);
        host.handler = (b, o, from) -> from.offer(cmdDone(CmdRspEvent.cid(b, o)), 0, CmdDoneEvent.LENGTH);
        daemon.handler = (b, o, from) -> {
            if (EventHeader.type(b, o) == EventType.KEVENT_CMD_DONE.code()) {
                done.countDown();
            }
        };
        AtomicReference<Thread> completer = new AtomicReference<>();
        Thread pool = new Thread(() -> {
            completer.set(Thread.currentThread());
            d.send(cmdRsp(9), 0, CmdRspEvent.LENGTH);
        }, "store-pool");
        pool.start();
        pool.join();
        assertTrue(done.await(5, TimeUnit.SECONDS), "CMD_DONE delivered");
        assertSame(completer.get(), host.threads.peek(), "the answer is taken on the completing thread");
        assertNotEquals(completer.get(), daemon.threads.peek(), "CMD_DONE not delivered beneath the daemon's send");
        assertEquals("jtgt-direct-courier", daemon.threads.peek().getName());
    }

    /**
     * The same answer from a thread that promised to deliver what it owes between its tasks (a
     * store worker, {@link DeferredDelivery}): its CMD_DONE waits for that thread, not for the
     * courier, and is delivered on it once it is out of the daemon's send.
     */
    @Test
    void anAnswerFromAThreadThatOwesDeliveriesHasItsCmdDoneDeliveredByThatThreadLater() throws Exception {
        Recorder daemon = new Recorder();
        Recorder host = new Recorder();
        TransportEndpoint d = transport.attachDaemon(daemon);
        transport.attachHost(host);
        host.handler = (b, o, from) -> from.offer(cmdDone(CmdRspEvent.cid(b, o)), 0, CmdDoneEvent.LENGTH);
        AtomicReference<String> seenBeforeOwed = new AtomicReference<>();
        AtomicReference<Boolean> owedAfterSend = new AtomicReference<>();
        AtomicReference<Thread> worker = new AtomicReference<>();
        Thread t = new Thread(() -> {
            worker.set(Thread.currentThread());
            DeferredDelivery.owedHere(true);
            try {
                d.send(cmdRsp(11), 0, CmdRspEvent.LENGTH);
                owedAfterSend.set(DeferredDelivery.owesAny());
                try {
                    Thread.sleep(300); // the courier, had it been called, would have delivered by now
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                seenBeforeOwed.set(daemon.events.toString());
                DeferredDelivery.deliverOwed();
            } finally {
                DeferredDelivery.owedHere(false);
            }
        }, "store-worker");
        t.start();
        t.join();
        assertEquals(Boolean.TRUE, owedAfterSend.get(), "the CMD_DONE is owed by the answering thread");
        assertEquals("[]", seenBeforeOwed.get(), "nothing delivered before the thread delivered what it owed");
        assertEquals(List.of("KEVENT_CMD_DONE 11"), new ArrayList<>(daemon.events));
        assertSame(worker.get(), daemon.threads.peek(), "delivered on the thread that owed it");
        assertEquals(1, daemon.worstInside.get(), "the daemon was entered beneath itself");
    }

    /**
     * Several threads send on each side at once: each sink is called by one thread at a time,
     * every event arrives exactly once, and each sender's events arrive in its order.
     */
    @Test
    void concurrentSendersAreDeliveredOneAtATimeInEachSendersOrder() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Recorder daemon = new Recorder();
            Recorder host = new Recorder();
            TransportEndpoint d = transport.attachDaemon(daemon);
            TransportEndpoint h = transport.attachHost(host);
            // The host answers every response with a CMD_DONE, as the host side does.
            host.handler = (b, o, from) -> {
                while (!from.offer(cmdDone(CmdRspEvent.cid(b, o)), 0, CmdDoneEvent.LENGTH)) {
                    Thread.onSpinWait();
                }
            };
            int threads = 4;
            int each = 5_000;
            List<Thread> senders = new ArrayList<>();
            for (int s = 0; s < threads; s++) {
                long base = (long) s << 32;
                senders.add(new Thread(() -> {
                    for (int i = 0; i < each; i++) {
                        assertTrue(d.send(cmdRsp(base | i), 0, CmdRspEvent.LENGTH));
                    }
                }));
                senders.add(new Thread(() -> {
                    for (int i = 0; i < each; i++) {
                        while (!h.offer(cmdReq(base | i), 0, CmdReqEvent.LENGTH)) {
                            Thread.onSpinWait();   // back-pressure: 16 queued
                        }
                    }
                }));
            }
            senders.forEach(Thread::start);
            for (Thread t : senders) {
                t.join();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (daemon.events.size() < 2 * threads * each && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(1, daemon.worstInside.get(), "daemon sink called concurrently or nested");
            assertEquals(1, host.worstInside.get(), "host sink called concurrently or nested");
            assertEquals(threads * each, host.events.size());
            assertEquals(2 * threads * each, daemon.events.size());
            assertInOrder(host.events, "UEVENT_CMD_RSP", threads, each);
            assertInOrder(daemon.events, "KEVENT_CMD_REQ", threads, each);
            assertInOrder(daemon.events, "KEVENT_CMD_DONE", threads, each);
        });
    }

    private static void assertInOrder(Iterable<String> events, String type, int threads, int each) {
        long[] next = new long[threads];
        for (String e : events) {
            if (e.startsWith(type + " ")) {
                long cid = Long.parseLong(e.substring(type.length() + 1));
                int s = (int) (cid >>> 32);
                assertEquals(next[s], cid & 0xFFFF_FFFFL, type + " of sender " + s + " out of order");
                next[s]++;
            }
        }
        for (int s = 0; s < threads; s++) {
            assertEquals(each, next[s], type + " of sender " + s);
        }
    }

    /**
     * A task-management request offered after commands on one thread reaches the daemon after
     * them, even while another thread is delivering (it takes the queued events along in order).
     */
    @Test
    void aTmfNeverOvertakesTheCommandsAheadOfIt() throws Exception {
        Recorder daemon = new Recorder();
        TransportEndpoint h = transport.attachHost(new Recorder());
        transport.attachDaemon(daemon);
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        daemon.handler = (b, o, from) -> {
            if (CmdReqEvent.cid(b, o) == 1 && EventHeader.type(b, o) == EventType.KEVENT_CMD_REQ.code()) {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        Thread first = new Thread(() -> h.offer(cmdReq(1), 0, CmdReqEvent.LENGTH));
        first.start();
        assertTrue(inside.await(5, TimeUnit.SECONDS));
        // Another thread delivers; these only queue and return at once.
        assertTrue(h.offer(cmdReq(2), 0, CmdReqEvent.LENGTH));
        ByteBuffer tmf = record();
        TskMgmtReqEvent.write(tmf, 0, 0, 3, 1, 0, 2, TaskManagementFunction.ABORT_TASK);
        assertTrue(h.offer(tmf, 0, TskMgmtReqEvent.LENGTH));
        assertEquals(1, daemon.events.size());
        release.countDown();
        first.join();
        assertEquals(List.of("KEVENT_CMD_REQ 1", "KEVENT_CMD_REQ 2", "KEVENT_TSK_MGMT_REQ -1"),
                new ArrayList<>(daemon.events));
        assertSame(first, new ArrayList<>(daemon.threads).get(2), "the delivering thread took them along");
    }

    /** An offer is refused (back-pressure) while the queue is full; sends grow it instead. */
    @Test
    void offersAreRefusedWhenTheQueueIsFullAndDeliveredInOrderOnceTheDaemonAttaches() throws Exception {
        Recorder daemon = new Recorder();
        TransportEndpoint h = transport.attachHost(new Recorder());
        for (int i = 0; i < 16; i++) {
            assertTrue(h.offer(cmdReq(i), 0, CmdReqEvent.LENGTH));
        }
        assertFalse(h.offer(cmdReq(16), 0, CmdReqEvent.LENGTH), "17th offer with no daemon to take them");
        assertTrue(h.send(cmdReq(16), 0, CmdReqEvent.LENGTH), "a send grows the queue");
        transport.attachDaemon(daemon);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (daemon.events.size() < 17 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i <= 16; i++) {
            expected.add("KEVENT_CMD_REQ " + i);
        }
        assertEquals(expected, new ArrayList<>(daemon.events));
    }

    /**
     * Records are validated as a ring's consumer validates them: a malformed one or one for the
     * wrong direction fails the receiving endpoint and is reported to its sink, and is not delivered.
     */
    @Test
    void anInvalidRecordFailsTheReceivingEndpoint() {
        Recorder daemon = new Recorder();
        TransportEndpoint d = transport.attachDaemon(daemon);
        TransportEndpoint h = transport.attachHost(new Recorder());
        // A daemon → host record sent by the host.
        assertTrue(h.offer(cmdRsp(1), 0, CmdRspEvent.LENGTH));
        assertTrue(daemon.events.isEmpty());
        assertTrue(daemon.failure.get().contains("UEVENT_CMD_RSP"), daemon.failure.get());
        assertFalse(d.isOpen());
        assertFalse(h.offer(cmdReq(2), 0, CmdReqEvent.LENGTH), "nothing more reaches a failed daemon endpoint");

        DirectTransport other = new DirectTransport();
        other.open(16, 32L << 20);
        try {
            Recorder d2 = new Recorder();
            TransportEndpoint e2 = other.attachDaemon(d2);
            TransportEndpoint h2 = other.attachHost(new Recorder());
            ByteBuffer bad = cmdReq(3);
            bad.putShort(EventHeader.VERSION_OFFSET, (short) 99);
            assertTrue(h2.offer(bad, 0, CmdReqEvent.LENGTH));
            assertTrue(d2.events.isEmpty());
            assertFalse(e2.isOpen());
            assertThrows(IllegalArgumentException.class, () -> h2.offer(ByteBuffer.allocate(512), 0, 300));
        } finally {
            other.deactivate();
        }
    }

    /** Both sides see one data area: the host's reservations are the daemon's ranges. */
    @Test
    void bothSidesShareOneDataArea() {
        TransportEndpoint d = transport.attachDaemon(new Recorder());
        TransportEndpoint h = transport.attachHost(new Recorder());
        assertSame(h.dataArea(), d.dataArea());
        assertTrue(h.dataArea().buffer().isDirect());
        long a = h.dataArea().allocate(5000);
        long b = h.dataArea().allocate(4096);
        assertEquals(0, a);
        assertEquals(8192, b, "4 KiB blocks, as the shared-memory area");
        h.dataArea().buffer().putLong((int) b, 0x1234);
        assertEquals(0x1234, d.dataArea().buffer().getLong((int) b));
        h.dataArea().free(a, 5000);
        assertEquals(h.dataArea().size() - 4096, ((DirectDataArea) h.dataArea()).freeBytes());
        assertThrows(IllegalStateException.class, () -> transport.attachDaemon(new Recorder()));
        h.close();
        assertFalse(h.isOpen());
        assertFalse(h.offer(cmdReq(1), 0, CmdReqEvent.LENGTH));
        transport.attachHost(new Recorder()).close();   // a host may attach again after closing
    }
}
