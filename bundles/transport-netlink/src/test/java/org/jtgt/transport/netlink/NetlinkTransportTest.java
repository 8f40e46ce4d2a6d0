package org.jtgt.transport.netlink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.event.ItNexusReqEvent;
import org.jtgt.api.event.TskMgmtReqEvent;
import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.TransportEndpoint;
import org.junit.jupiter.api.Test;

/** Both ends of the netlink transport in one JVM, talking through its socket. */
class NetlinkTransportTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    /**
     * Every event type crosses, and the bytes each one references travel with it and land at the
     * same offsets in the receiving side's area: Data-Out (small, and larger than the receive
     * buffer), long CDBs, nexus names one way, Data-In (READ and BIDIRECTIONAL) the other.
     */
    @Test
    void everyEventTypeCrossesWithItsDataBothWays() throws Exception {
        try (Pair p = Pair.attached()) {
            List<byte[]> answers = new ArrayList<>();
            p.daemonSink.responder = (b, o, l, from) -> {
                ByteBuffer answer = null;
                int hostNo = EventHeader.hostNo(b, o);
                switch (EventType.fromCode(EventHeader.type(b, o))) {
                    case KEVENT_CMD_REQ: {
                        int direction = CmdReqEvent.direction(b, o);
                        long cid = CmdReqEvent.cid(b, o);
                        if (direction == DataDirection.READ.code() || direction == DataDirection.BIDIRECTIONAL.code()) {
                            long at = CmdReqEvent.dataOffset(b, o);
                            int n = CmdReqEvent.dataLength(b, o) - 100; // a short read: only n bytes of Data-In
                            from.dataArea().buffer().put((int) at, Events.pattern((int) cid + 1000, n));
                            answer = Events.cmdRsp(hostNo, cid, at, n);
                        } else {
                            answer = Events.cmdRsp(hostNo, cid, 0, 0);
                        }
                        break;
                    }
                    case KEVENT_TSK_MGMT_REQ:
                        answer = Events.tmfRsp(hostNo, TskMgmtReqEvent.mid(b, o));
                        break;
                    case KEVENT_IT_NEXUS_REQ:
                        answer = Events.nexusRsp(hostNo, ItNexusReqEvent.nexusId(b, o), ItNexusReqEvent.op(b, o));
                        break;
                    default:
                        break;
                }
                if (answer != null) {
                    synchronized (answers) {
                        answers.add(Events.bytes(answer));
                    }
                    assertTrue(from.send(answer, 0, answer.capacity()));
                }
            };
            HostConnection host = p.host;
            DataArea area = host.dataArea();
            List<ByteBuffer> sent = new ArrayList<>();
            List<List<byte[]>> sentData = new ArrayList<>();

            byte[] names = "iqn.2026-11.org.jtgt:initiator\0iqn.2026-11.org.jtgt:target".getBytes(StandardCharsets.UTF_8);
            long namesAt = area.allocate(names.length);
            area.buffer().put((int) namesAt, names);
            sent.add(Events.nexusReq(3, 11, ItNexusReqEvent.OP_CREATE, namesAt, names.length));
            sentData.add(List.of(names));

            byte[] small = Events.pattern(1, 4096);
            long smallAt = area.allocate(small.length);
            area.buffer().put((int) smallAt, small);
            sent.add(Events.cmdReq(3, 1, DataDirection.WRITE, smallAt, small.length, Events.TEST_UNIT_READY, 0));
            sentData.add(List.of(small));

            byte[] large = Events.pattern(2, 300 * 1024); // beyond the 64 KiB receive buffer
            long largeAt = area.allocate(large.length);
            area.buffer().put((int) largeAt, large);
            byte[] cdb32 = Events.pattern(3, 32);
            cdb32[0] = 0x7F;
            long cdbAt = area.allocate(cdb32.length);
            area.buffer().put((int) cdbAt, cdb32);
            sent.add(Events.cmdReq(3, 2, DataDirection.WRITE, largeAt, large.length, cdb32, cdbAt));
            sentData.add(List.of(large, cdb32));

            sent.add(Events.cmdReq(3, 3, DataDirection.NONE, 0, 0, cdb32, cdbAt));
            sentData.add(List.of(cdb32));

            long readAt = area.allocate(8192);
            area.buffer().put((int) readAt, new byte[8192]);
            sent.add(Events.cmdReq(3, 4, DataDirection.READ, readAt, 8192, Events.TEST_UNIT_READY, 0));
            sentData.add(List.of());

            byte[] bidiOut = Events.pattern(5, 2048);
            long bidiAt = area.allocate(bidiOut.length);
            area.buffer().put((int) bidiAt, bidiOut);
            sent.add(Events.cmdReq(3, 5, DataDirection.BIDIRECTIONAL, bidiAt, bidiOut.length, Events.TEST_UNIT_READY, 0));
            sentData.add(List.of(bidiOut));

            sent.add(Events.cmdDone(3, 1));
            sentData.add(List.of());
            sent.add(Events.tmfReq(3, 99));
            sentData.add(List.of());
            sent.add(Events.nexusReq(3, 11, ItNexusReqEvent.OP_DESTROY, 0, 0));
            sentData.add(List.of());

            for (ByteBuffer e : sent) {
                assertTrue(host.send(e, 0, e.capacity()));
            }
            p.daemonSink.awaitDeliveries(sent.size(), WAIT);
            p.hostSink.awaitDeliveries(8, WAIT); // 5 CMD_RSP, TMF, 2 nexus

            for (int i = 0; i < sent.size(); i++) {
                Recorder.Delivery d = p.daemonSink.deliveries.get(i);
                assertArrayEquals(Events.bytes(sent.get(i)), d.record(), "record " + i + " as sent");
                assertEquals(sentData.get(i).size(), d.data().size(), "data ranges of record " + i);
                for (int r = 0; r < d.data().size(); r++) {
                    assertArrayEquals(sentData.get(i).get(r), d.data().get(r), "range " + r + " of record " + i);
                }
                assertInstanceOf(DaemonConnection.class, d.from());
                assertNotSame(area.buffer(), d.from().dataArea().buffer(), "the daemon side has an area of its own");
            }
            for (int i = 0; i < answers.size(); i++) {
                Recorder.Delivery d = p.hostSink.deliveries.get(i);
                assertArrayEquals(answers.get(i), d.record(), "answer " + i + " as sent");
                assertSame(host, d.from());
            }
            // Data-In of the READ and the BIDIRECTIONAL command landed at their offsets on the host side.
            byte[] readIn = new byte[8092];
            area.buffer().get((int) readAt, readIn);
            assertArrayEquals(Events.pattern(1004, 8092), readIn);
            byte[] bidiIn = new byte[bidiOut.length - 100];
            area.buffer().get((int) bidiAt, bidiIn);
            assertArrayEquals(Events.pattern(1005, bidiIn.length), bidiIn);
            assertEquals(0, p.daemonSink.failures.size() + p.hostSink.failures.size());
        }
    }

    /** Four threads, four host numbers: each host's events arrive in the order it sent them. */
    @Test
    void eachHostsOrderIsKeptAcrossThreadsAndEveryMessageIsAcknowledged() throws Exception {
        try (Pair p = Pair.attached()) {
            int perHost = 5_000;
            p.daemonSink.captureData = false;
            List<Thread> threads = new ArrayList<>();
            ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
            for (int h = 0; h < 4; h++) {
                int hostNo = h;
                Thread t = new Thread(() -> {
                    ByteBuffer e = ByteBuffer.allocateDirect(CmdDoneEvent.LENGTH);
                    for (int i = 0; i < perHost; i++) {
                        CmdDoneEvent.write(e, 0, hostNo, i, 0);
                        if (!p.host.send(e, 0, CmdDoneEvent.LENGTH)) {
                            errors.add("host " + hostNo + ": send failed at " + i);
                            return;
                        }
                    }
                });
                t.start();
                threads.add(t);
            }
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
            assertTrue(errors.isEmpty(), errors.toString());
            p.daemonSink.awaitDeliveries(4 * perHost, WAIT);
            long[] next = new long[4];
            for (Recorder.Delivery d : p.daemonSink.deliveries) {
                int hostNo = EventHeader.hostNo(d.buffer(), 0);
                assertEquals(next[hostNo]++, CmdDoneEvent.cid(d.buffer(), 0), "order of host " + hostNo);
            }
            Recorder.await(() -> p.host.unacknowledged() == 0, WAIT, () -> p.host.unacknowledged() + " unacknowledged");
            assertEquals(4L * perHost, p.host.acknowledged());
            assertEquals(4L * perHost + 1, p.host.framesSent(), "events plus the registration's ACK");
            DaemonConnection d = p.transport.daemonConnections().get(0);
            assertEquals(4L * perHost + 1, d.framesSent(), "one ACK per event plus the REGISTER");
        }
    }

    /**
     * With the daemon's sink stuck in its first event, nothing more is read, so nothing more is
     * acknowledged: offer refuses once the window is full, and accepts again once the sink moves.
     */
    @Test
    void offerRefusesWhenTheAckWindowIsFullAndRecovers() throws Exception {
        int window = 8;
        try (Pair p = new Pair(1 << 20, 64, window)) {
            p.attachDaemon();
            p.attachHost();
            CountDownLatch release = new CountDownLatch(1);
            p.daemonSink.responder = (b, o, l, from) -> release.await(30, TimeUnit.SECONDS);
            ByteBuffer e = Events.cmdDone(0, 0);
            assertTrue(p.host.offer(e, 0, e.capacity()));
            p.daemonSink.awaitDeliveries(1, WAIT); // acknowledged before delivery: the window has room again
            Recorder.await(() -> p.host.unacknowledged() == 0, WAIT, () -> "first ACK");
            int accepted = 0;
            while (p.host.offer(e, 0, e.capacity())) {
                accepted++;
                assertTrue(accepted <= window, "offer accepted more than the window");
            }
            assertEquals(window, accepted);
            assertTrue(p.host.refusedByWindow() > 0);
            Thread.sleep(50);
            assertFalse(p.host.offer(e, 0, e.capacity()), "still full while the sink is stuck");
            release.countDown();
            p.daemonSink.awaitDeliveries(1 + window, WAIT);
            Recorder.await(() -> p.host.offer(e, 0, e.capacity()), WAIT, () -> "offer accepted again");
            p.daemonSink.awaitDeliveries(2 + window, WAIT);
            assertTrue(p.host.isOpen());
        }
    }

    /**
     * With a daemon attached, attaching a host side returns once the daemon's side of the
     * connection has registered (its 64 MiB mirror allocated), so nothing offered afterwards
     * waits for that; the first event is delivered at once.
     */
    @Test
    void aHostSideAttachedBesideADaemonIsRegisteredWhenTheAttachReturns() throws Exception {
        try (Pair p = new Pair(64 << 20, 64, 64)) {
            p.attachDaemon();
            p.attachHost();
            assertTrue(p.host.registered(), "registered when attachHost returned");
            ByteBuffer e = Events.cmdDone(0, 1);
            assertTrue(p.host.offer(e, 0, e.capacity()));
            p.daemonSink.awaitDeliveries(1, WAIT);
        }
    }

    /** A host side attached before the daemon queues until the queue is full, then delivers it all. */
    @Test
    void offerRefusesWhenTheOutboundQueueIsFullAndRecovers() throws Exception {
        try (Pair p = new Pair(1 << 20, 8, 1024)) {
            p.attachHost();
            int accepted = 0;
            ByteBuffer e = ByteBuffer.allocateDirect(CmdDoneEvent.LENGTH);
            for (int i = 0; i < 100; i++) {
                CmdDoneEvent.write(e, 0, 1, i, 0);
                if (!p.host.offer(e, 0, CmdDoneEvent.LENGTH)) {
                    break;
                }
                accepted++;
            }
            assertEquals(8, accepted, "the queue holds 8 while no daemon has registered");
            assertFalse(p.host.registered());
            p.attachDaemon();
            p.daemonSink.awaitDeliveries(8, WAIT);
            for (int i = 0; i < 8; i++) {
                assertEquals(i, CmdDoneEvent.cid(p.daemonSink.deliveries.get(i).buffer(), 0));
            }
            CmdDoneEvent.write(e, 0, 1, 8, 0);
            Recorder.await(() -> p.host.offer(e, 0, CmdDoneEvent.LENGTH), WAIT, () -> "offer accepted again");
            p.daemonSink.awaitDeliveries(9, WAIT);
        }
    }

    /**
     * The host side's sink is stuck, so its reader stops reading: the socket fills, the daemon
     * side's writer blocks, its queue fills and its offer refuses, until the sink moves on.
     */
    @Test
    void daemonOfferRefusesWhileTheHostSideDoesNotReadAndRecovers() throws Exception {
        try (Pair p = new Pair(1 << 20, 8, 64)) {
            p.attachDaemon();
            p.attachHost();
            CountDownLatch release = new CountDownLatch(1);
            p.hostSink.captureData = false;
            p.hostSink.responder = (b, o, l, from) -> release.await(30, TimeUnit.SECONDS);
            ByteBuffer nudge = Events.cmdDone(0, 0);
            assertTrue(p.host.send(nudge, 0, nudge.capacity()));
            p.daemonSink.awaitDeliveries(1, WAIT);
            TransportEndpoint daemonSide = p.daemonSink.deliveries.get(0).from();
            ByteBuffer rsp = Events.cmdRsp(0, 1, 0, 0);
            int accepted = 0;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) {
                if (daemonSide.offer(rsp, 0, rsp.capacity())) {
                    accepted++;
                } else {
                    Thread.sleep(20); // let the writer fill the socket; refused twice in a row: full
                    if (!daemonSide.offer(rsp, 0, rsp.capacity())) {
                        break;
                    }
                    accepted++;
                }
                assertTrue(System.nanoTime() < deadline, "the daemon side's offer never refused");
            }
            assertTrue(accepted > 8, "the socket buffer took some first: " + accepted);
            release.countDown();
            p.hostSink.awaitDeliveries(accepted, WAIT);
            Recorder.await(() -> daemonSide.offer(rsp, 0, rsp.capacity()), WAIT, () -> "offer accepted again");
            p.hostSink.awaitDeliveries(accepted + 1, WAIT);
        }
    }

    /** send waits while the window is full and returns true once there is room; false once closed. */
    @Test
    void sendWaitsForRoomAndFailsOnlyWhenClosed() throws Exception {
        try (Pair p = new Pair(1 << 20, 64, 2)) {
            p.attachDaemon();
            p.attachHost();
            CountDownLatch release = new CountDownLatch(1);
            AtomicBoolean block = new AtomicBoolean(true);
            p.daemonSink.responder = (b, o, l, from) -> {
                if (block.get()) {
                    release.await(30, TimeUnit.SECONDS);
                }
            };
            ByteBuffer e = Events.cmdDone(0, 0);
            assertTrue(p.host.send(e, 0, e.capacity()));
            p.daemonSink.awaitDeliveries(1, WAIT);
            Recorder.await(() -> p.host.unacknowledged() == 0, WAIT, () -> "first ACK");
            while (p.host.offer(e, 0, e.capacity())) {
                Thread.onSpinWait();
            }
            AtomicReference<Boolean> result = new AtomicReference<>();
            Thread sender = new Thread(() -> result.set(p.host.send(Events.cmdDone(0, 1), 0, CmdDoneEvent.LENGTH)));
            sender.start();
            sender.join(100);
            assertTrue(sender.isAlive(), "send waits while the window is full");
            block.set(false);
            release.countDown();
            sender.join(WAIT.toMillis());
            assertEquals(Boolean.TRUE, result.get());

            // Full again, with the sink stuck: a waiting send returns false when the endpoint closes.
            p.daemonSink.awaitDeliveries(4, WAIT);
            CountDownLatch stuck = new CountDownLatch(1);
            p.daemonSink.responder = (b, o, l, from) -> stuck.await(30, TimeUnit.SECONDS);
            assertTrue(p.host.send(e, 0, e.capacity()));
            p.daemonSink.awaitDeliveries(5, WAIT);
            Recorder.await(() -> p.host.unacknowledged() == 0, WAIT, () -> "fifth ACK");
            while (p.host.offer(e, 0, e.capacity())) {
                Thread.onSpinWait();
            }
            result.set(null);
            Thread waiting = new Thread(() -> result.set(p.host.send(Events.cmdDone(0, 2), 0, CmdDoneEvent.LENGTH)));
            waiting.start();
            waiting.join(100);
            assertTrue(waiting.isAlive());
            Thread closer = new Thread(p.host::close);
            closer.start();
            waiting.join(WAIT.toMillis());
            assertEquals(Boolean.FALSE, result.get());
            stuck.countDown();
            closer.join(WAIT.toMillis());
            assertFalse(closer.isAlive());
        }
    }

    /** A host side that closes sends what it queued first: no KEVENT_CMD_DONE is lost. */
    @Test
    void hostCloseFlushesWhatItQueued() throws Exception {
        try (Pair p = Pair.attached()) {
            ByteBuffer e = ByteBuffer.allocateDirect(CmdDoneEvent.LENGTH);
            for (int i = 0; i < 50; i++) {
                CmdDoneEvent.write(e, 0, 2, i, 0);
                assertTrue(p.host.send(e, 0, CmdDoneEvent.LENGTH));
            }
            p.host.close();
            assertFalse(p.host.isOpen());
            p.daemonSink.awaitDeliveries(50, WAIT);
            assertTrue(p.hostSink.failures.isEmpty(), "a close is not a failure: " + p.hostSink.failures);
            assertTrue(p.daemonSink.failures.isEmpty(), "a host that leaves is not a failure: " + p.daemonSink.failures);
            Recorder.await(() -> p.transport.daemonConnections().isEmpty(), WAIT, () -> "daemon side closed its end");
        }
    }

    /** Detaching the daemon fails its host sides (so they swap); a new daemon and host work again. */
    @Test
    void daemonDetachFailsTheHostSideAndTheTransportStaysUsable() throws Exception {
        try (Pair p = Pair.attached()) {
            p.daemonSink.responder = Recorder.answerCommands();
            roundTrip(p.host, p.hostSink, 1);
            p.daemon.close();
            p.daemon.close();
            assertFalse(p.daemon.isOpen());
            assertTrue(p.hostSink.awaitFailure(WAIT).contains("closed the connection"), p.hostSink.failures.toString());
            assertFalse(p.host.isOpen());
            assertSame(p.host, p.hostSink.failedEndpoints.peek());
            ByteBuffer e = Events.cmdDone(0, 0);
            assertFalse(p.host.offer(e, 0, e.capacity()));
            assertFalse(p.host.send(e, 0, e.capacity()));

            Recorder daemon2 = new Recorder();
            daemon2.responder = Recorder.answerCommands();
            p.transport.attachDaemon(daemon2);
            Recorder host2Sink = new Recorder();
            HostConnection host2 = (HostConnection) p.transport.attachHost(host2Sink);
            roundTrip(host2, host2Sink, 1);
        }
    }

    /** Two host sides at once: each has its own connection and areas, answers go to the right one. */
    @Test
    void twoHostSidesAtOnceGetTheirOwnAnswers() throws Exception {
        try (Pair p = Pair.attached()) {
            p.daemonSink.responder = Recorder.answerCommands();
            Recorder otherSink = new Recorder();
            HostConnection other = (HostConnection) p.transport.attachHost(otherSink);
            roundTrip(p.host, p.hostSink, 10);
            roundTrip(other, otherSink, 10);
            assertEquals(10, p.hostSink.deliveries.size());
            assertEquals(10, otherSink.deliveries.size());
            assertNotSame(p.host.dataArea(), other.dataArea());
            assertEquals(2, p.transport.daemonConnections().size());
            assertSame(p.transport.daemonConnections().get(1).dataArea(), p.daemon.dataArea(),
                    "the daemon endpoint's own area is the newest connection's");
        }
    }

    /**
     * A reference outside the area carries no bytes and the record crosses bare, for the sink to
     * reject as it would on the ring; the connection stays up.
     */
    @Test
    void aReferenceOutsideTheAreaCrossesBareForTheSinkToJudge() throws Exception {
        try (Pair p = Pair.attached()) {
            ByteBuffer e = Events.cmdReq(0, 1, DataDirection.WRITE, (1 << 20) - 100, 4096, Events.TEST_UNIT_READY, 0);
            assertTrue(p.host.send(e, 0, e.capacity()));
            p.daemonSink.awaitDeliveries(1, WAIT);
            assertEquals(0, p.daemonSink.deliveries.get(0).data().size());
            assertTrue(p.host.isOpen());
            assertTrue(p.daemonSink.failures.isEmpty());
        }
    }

    /** Records that cannot be events, or travel the other way, never reach the wire. */
    @Test
    void offerRejectsRecordsThatAreNotEventsFromThatSide() throws Exception {
        try (Pair p = Pair.attached()) {
            ByteBuffer rsp = Events.cmdRsp(0, 1, 0, 0);
            assertThrows(IllegalArgumentException.class, () -> p.host.offer(rsp, 0, rsp.capacity()));
            ByteBuffer garbage = ByteBuffer.allocateDirect(64);
            assertThrows(IllegalArgumentException.class, () -> p.host.offer(garbage, 0, 64));
            ByteBuffer done = Events.cmdDone(0, 1);
            assertThrows(IllegalArgumentException.class, () -> p.host.offer(done, 0, 40));
            p.daemonSink.responder = (b, o, l, from) ->
                    assertThrows(IllegalArgumentException.class, () -> from.offer(done, 0, done.capacity()));
            assertTrue(p.host.send(done, 0, done.capacity()));
            p.daemonSink.awaitDeliveries(1, WAIT);
            assertTrue(p.daemonSink.failures.isEmpty() && p.hostSink.failures.isEmpty());
        }
    }

    @Test
    void socketFileIsOwnerOnlyUnderTargetAndRemovedOnDeactivate() throws Exception {
        Pair p = Pair.attached();
        Path file = p.transport.socketFile();
        assertTrue(file.startsWith(Path.of("target").toAbsolutePath()), file.toString());
        assertTrue(Files.exists(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        p.daemonSink.responder = Recorder.answerCommands();
        roundTrip(p.host, p.hostSink, 3);
        DaemonConnection d = p.transport.daemonConnections().get(0);
        List<Thread> threads = List.of(p.host.reader, p.host.writer, d.reader, d.writer);

        p.transport.deactivate();
        p.transport.deactivate();
        p.host.close();
        p.daemon.close();
        assertFalse(Files.exists(file), "socket file removed");
        for (Thread t : threads) {
            // A thread that shut its own connection down (end of stream) is not joined by close();
            // it is on its way out.
            t.join(5_000);
            assertFalse(t.isAlive(), t.getName() + " stopped");
        }
        assertFalse(p.host.isOpen());
        assertFalse(p.daemon.isOpen());
        assertTrue(p.hostSink.failures.isEmpty(), "deactivation is not a failure of the host side: "
                + p.hostSink.failures);
        ByteBuffer e = Events.cmdDone(0, 0);
        assertFalse(p.host.offer(e, 0, e.capacity()));
        assertFalse(p.host.send(e, 0, e.capacity()));
        assertThrows(IOException.class, () -> p.transport.attachHost(new Recorder()));
        assertThrows(IllegalStateException.class, () -> p.transport.attachDaemon(new Recorder()));
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            assertFalse(t.getName().equals("jtgt-netlink-accept-" + file.getFileName()), "acceptor stopped");
        }
    }

    @Test
    void aSecondDaemonIsRefusedAndAStaleSocketFileIsReplaced() throws Exception {
        try (Pair p = Pair.attached()) {
            assertThrows(IllegalStateException.class, () -> p.transport.attachDaemon(new Recorder()));
            NetlinkTransport other = new NetlinkTransport();
            IOException e = assertThrows(IOException.class, () -> other.open(p.socket, 1 << 20, 8, 8));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
        }
        Path stale = Pair.DIR.resolve("stale-" + ProcessHandle.current().pid() + ".sock");
        Files.createDirectories(Pair.DIR);
        Files.deleteIfExists(stale);
        Files.createFile(stale);
        NetlinkTransport t = new NetlinkTransport();
        t.open(stale, 1 << 20, 8, 8);
        t.deactivate();
        assertFalse(Files.exists(stale));
    }

    /** Sends {@code n} TEST UNIT READY commands one at a time and waits for each answer. */
    static void roundTrip(HostConnection host, Recorder sink, int n) {
        for (int i = 0; i < n; i++) {
            int before = sink.deliveries.size();
            ByteBuffer cmd = Events.testUnitReady(0, 100 + i);
            assertTrue(host.send(cmd, 0, cmd.capacity()));
            sink.awaitDeliveries(before + 1, WAIT);
            Recorder.Delivery d = sink.deliveries.get(before);
            assertEquals(EventType.UEVENT_CMD_RSP, d.type());
            assertEquals(100 + i, CmdRspEvent.cid(d.buffer(), 0));
        }
    }
}
