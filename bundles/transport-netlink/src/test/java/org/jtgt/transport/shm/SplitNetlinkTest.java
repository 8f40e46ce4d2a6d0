package org.jtgt.transport.shm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.jtgt.transport.shm.SplitPeers.HOST;
import static org.jtgt.transport.shm.SplitPeers.NEXUS;
import static org.jtgt.transport.shm.SplitPeers.delete;
import static org.jtgt.transport.shm.SplitPeers.done;
import static org.jtgt.transport.shm.SplitPeers.hello;
import static org.jtgt.transport.shm.SplitPeers.linkClosed;
import static org.jtgt.transport.shm.SplitPeers.type;
import static org.jtgt.transport.shm.SplitPeers.wrap;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.event.ItNexusReqEvent;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.TransportEndpoint;
import org.jtgt.transport.netlink.NetlinkMedium;
import org.jtgt.transport.split.SplitMedium;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * The split shape over the netlink-style medium ({@code jtgt.split.transport=netlink}): the front
 * of transport-shm with {@link NetlinkMedium}, against daemons played by the test over the real
 * link socket and a real netlink daemon end per generation (the same cases as
 * {@code SplitShapeTest} for the rings): what a daemon that dies leaves unanswered goes to the next
 * one after its nexus, with its data; a COMPARE AND WRITE it consumed is answered ABORTED COMMAND
 * 08h/00h and never repeated; requests while no daemon is attached wait and go in order; a dead
 * generation's connection is closed; a leaving daemon answers everything first; a daemon that
 * sends a malformed netlink frame loses its generation, not the front; journaling allocates
 * nothing.
 */
@Timeout(60)
class SplitNetlinkTest {
    private static final byte[] READ10 = {0x28, 0, 0, 0, 0, 8, 0, 0, 1, 0};
    private static final byte[] WRITE10 = {0x2A, 0, 0, 0, 0, 8, 0, 0, 1, 0};
    private static final byte[] COMPARE_AND_WRITE = {(byte) 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0};
    private static final long AREA = 4 << 20;

    private final SplitMedium medium = new NetlinkMedium();
    private Path dir;
    private FrontShm front;
    private final BlockingQueue<byte[]> toHost = new LinkedBlockingQueue<>();
    private final AtomicLong commandAnswers = new AtomicLong();
    private TransportEndpoint host;

    @BeforeEach
    void start(TestInfo info) throws IOException {
        dir = Paths.get("target", "snl", Integer.toHexString(info.getDisplayName().hashCode())).toAbsolutePath();
        delete(dir);
        Files.createDirectories(dir);
        front = new FrontShm();
        front.open(dir, medium, 64, 256, AREA);
        assertEquals("netlink", front.name());
        host = front.attachHost(new EventSink() {
            @Override
            public void onEvent(ByteBuffer buffer, int offset, int length, TransportEndpoint from) {
                byte[] copy = new byte[length];
                buffer.get(offset, copy);
                toHost.add(copy);
                if (EventHeader.type(buffer, offset) == EventType.UEVENT_CMD_RSP.code()) {
                    commandAnswers.incrementAndGet();
                }
            }
        });
    }

    @AfterEach
    void stop() throws IOException {
        host.close();
        front.close();
        delete(dir);
    }

    @Test
    void whatADeadDaemonDidNotAnswerGoesToTheNextOneAfterItsNexusWithItsData() throws Exception {
        Daemon first = Daemon.attach(dir, medium);
        createNexus(first);
        byte[] pattern = new byte[4096];
        Arrays.fill(pattern, (byte) 0xA5);
        long at = host.dataArea().allocate(pattern.length);
        host.dataArea().buffer().put((int) at, pattern);
        offer(command(1, WRITE10, at, DataDirection.WRITE));
        byte[] seen = first.next();
        assertEquals(EventType.KEVENT_CMD_REQ.code(), type(seen));
        assertArrayEquals(pattern, first.data(seen), "Data-Out travels inline into the daemon's mirror");
        first.die();

        Daemon second = Daemon.attach(dir, medium);
        byte[] recreate = second.next();
        assertEquals(EventType.KEVENT_IT_NEXUS_REQ.code(), type(recreate));
        assertEquals(NEXUS, ItNexusReqEvent.nexusId(wrap(recreate), 0));
        assertEquals("iqn.i\0iqn.t", second.names(recreate), "the names travel again");
        second.answerNexus(recreate);
        byte[] again = second.next();
        assertEquals(1, CmdReqEvent.cid(wrap(again), 0));
        assertArrayEquals(pattern, second.data(again), "the repeated WRITE carries the same bytes from the front");
        second.answerGood(again);

        byte[] rsp = awaitHost(EventType.UEVENT_CMD_RSP);
        assertEquals(ScsiStatus.GOOD, CmdRspEvent.status(wrap(rsp), 0));
        assertNull(toHost.poll(200, TimeUnit.MILLISECONDS), "the replayed nexus's answer stays in the front");
        offer(done(1));
        assertEquals(EventType.KEVENT_CMD_DONE.code(), type(second.next()), "the daemon that answered hears DONE");
        second.die();
    }

    @Test
    void dataInTravelsBackIntoTheFrontsArea() throws Exception {
        Daemon d = Daemon.attach(dir, medium);
        createNexus(d);
        long at = host.dataArea().allocate(4096);
        offer(command(5, READ10, at, DataDirection.READ));
        byte[] req = d.next();
        byte[] pattern = new byte[4096];
        Arrays.fill(pattern, (byte) 0x3C);
        d.area().put((int) CmdReqEvent.dataOffset(wrap(req), 0), pattern);
        d.answerGood(req);
        awaitHost(EventType.UEVENT_CMD_RSP);
        byte[] got = new byte[4096];
        host.dataArea().buffer().get((int) at, got);
        assertArrayEquals(pattern, got);
        d.die();
    }

    @Test
    void aCompareAndWriteTheDaemonMayHaveExecutedIsAnsweredAbortedCommandNotRepeated() throws Exception {
        Daemon first = Daemon.attach(dir, medium);
        createNexus(first);
        offer(command(2, COMPARE_AND_WRITE, 0, DataDirection.READ));
        assertEquals(0x89, first.next()[CmdReqEvent.CDB_OFFSET] & 0xFF);
        first.die();

        Daemon second = Daemon.attach(dir, medium);
        second.answerNexus(second.next());
        byte[] rsp = awaitHost(EventType.UEVENT_CMD_RSP);
        ByteBuffer r = wrap(rsp);
        assertEquals(2, CmdRspEvent.cid(r, 0));
        assertEquals(ScsiStatus.CHECK_CONDITION, CmdRspEvent.status(r, 0));
        byte[] sense = new byte[32];
        CmdRspEvent.sense(r, 0, sense);
        assertEquals(SenseKey.ABORTED_COMMAND, sense[2] & 0x0F);
        assertEquals(0x08, sense[12] & 0xFF);
        assertEquals(0x00, sense[13] & 0xFF);
        offer(done(2));
        assertNull(second.poll(300), "the new daemon never sees the COMPARE AND WRITE nor its DONE");
        second.die();
    }

    @Test
    void requestsWhileNoDaemonIsThereWaitAndGoInOrder() throws Exception {
        Daemon first = Daemon.attach(dir, medium);
        createNexus(first);
        first.die();
        awaitUnlinked();
        for (int cid = 10; cid < 14; cid++) {
            assertTrue(host.offer(wrap(command(cid, READ10, 0, DataDirection.READ)), 0, CmdReqEvent.LENGTH),
                    "journaled while no daemon is attached");
        }
        Daemon second = Daemon.attach(dir, medium);
        second.answerNexus(second.next());
        for (int cid = 10; cid < 14; cid++) {
            assertEquals(cid, CmdReqEvent.cid(wrap(second.next()), 0));
        }
        second.die();
    }

    @Test
    void aDeadDaemonsGenerationIsFenced() throws Exception {
        Daemon first = Daemon.attach(dir, medium);
        awaitLinked();
        assertTrue(first.endpoint.isOpen());
        first.link.close();    // as if it had died, but the process goes on
        awaitUnlinked();
        byte[] rsp = new byte[CmdRspEvent.LENGTH];
        CmdRspEvent.write(wrap(rsp), 0, HOST, 1, 0, 0, 0, ScsiStatus.GOOD);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (first.endpoint.offer(wrap(rsp), 0, rsp.length)) {
            assertTrue(System.nanoTime() < deadline, "the front closed the fenced generation's connection");
            Thread.sleep(5);
        }
        assertNull(toHost.poll(300, TimeUnit.MILLISECONDS), "nothing of the fenced generation reached the host side");
        first.end.close();
    }

    @Test
    void aLeavingDaemonAnswersWhatItHasAndNewRequestsWaitForTheNext() throws Exception {
        Daemon first = Daemon.attach(dir, medium);
        createNexus(first);
        offer(command(20, READ10, 0, DataDirection.READ));
        byte[] pending = first.next();
        first.link.write(PeerLink.LEAVING, out -> { });
        Thread.sleep(100);
        offer(command(21, READ10, 0, DataDirection.READ));
        assertNull(first.poll(200), "nothing new for a leaving daemon");
        first.answerGood(pending);
        PeerLink.Frame left = first.awaitFrame(PeerLink.LEFT);
        assertEquals(0, left.payload().readInt(), "every request it had is answered");
        awaitHost(EventType.UEVENT_CMD_RSP);
        first.die();

        Daemon second = Daemon.attach(dir, medium);
        second.answerNexus(second.next());
        assertEquals(21, CmdReqEvent.cid(wrap(second.next()), 0), "only the new request goes to the next daemon");
        assertNull(second.poll(200));
        second.die();
    }

    @Test
    void aDaemonThatSendsAMalformedFrameLosesItsGenerationNotTheFront() throws Exception {
        Daemon first = Daemon.attach(dir, medium);
        createNexus(first);
        offer(command(30, READ10, 0, DataDirection.READ));
        first.next();
        first.die();
        awaitUnlinked();

        // A daemon whose netlink end is the test's raw socket: a REGISTER, then a frame whose
        // length is shorter than its header.
        Path raw = dir.resolve("jtgt-netlink-raw.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(raw));
            PeerLink link = hello(dir, "netlink");
            PeerLink.Frame attach = link.read();
            long generation = attach.payload().readLong();
            link.write(PeerLink.READY, out -> {
                out.writeLong(generation);
                out.writeUTF(raw.toString());
            });
            try (SocketChannel c = server.accept()) {
                ByteBuffer register = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
                org.jtgt.transport.netlink.NetlinkFrame.writeRegister(register, 0, 4242, AREA);
                c.write(register);
                ByteBuffer ack = ByteBuffer.allocate(24);
                while (ack.hasRemaining() && c.read(ack) >= 0) {
                    // the front's ACK of the registration
                }
                ByteBuffer bad = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
                org.jtgt.transport.netlink.NetlinkFrame.writeHeader(bad, 0, 3, 0x11, 1, 1, 4242);
                c.write(bad);
                assertTrue(linkClosed(link), "the front fenced the generation whose connection broke");
            }
        }
        Daemon good = Daemon.attach(dir, medium);
        good.answerNexus(good.next());
        assertEquals(30, CmdReqEvent.cid(wrap(good.next()), 0), "the request goes to the next daemon");
        good.die();
    }

    @Test
    void aDaemonThatNamesASocketOutsideTheDirectoryIsFenced() throws Exception {
        // Something listens there: only the check of the address keeps the front from connecting.
        Path elsewhere = Files.createDirectories(dir.resolve("sub")).resolve("jtgt-netlink-1-g1.sock");
        try (ServerSocketChannel listening = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listening.bind(UnixDomainSocketAddress.of(elsewhere));
            for (String address : new String[] {elsewhere.toString(), dir.resolve("sub/../jtgt-netlink-1-g1.sock")
                .toString(), dir.resolve("control.sock").toString(), "jtgt-netlink-1-g1.sock", ""}) {
                PeerLink link = hello(dir, "netlink");
                long generation = link.read().payload().readLong();
                link.write(PeerLink.READY, out -> {
                    out.writeLong(generation);
                    out.writeUTF(address);
                });
                assertTrue(linkClosed(link), address);
            }
        }
        Daemon good = Daemon.attach(dir, medium);
        createNexus(good);
        good.die();
    }

    @Test
    void aDaemonOverShmIsRefusedByANetlinkFront() throws Exception {
        try (PeerLink link = hello(dir, "shm")) {
            PeerLink.Frame f = link.read();
            assertEquals(PeerLink.REFUSED, f.type());
            String reason = f.payload().readUTF();
            assertTrue(reason.contains("over netlink") && reason.contains("over shm"), reason);
        }
    }

    @Test
    void journalingACommandAllocatesNothingOnTheHostsThread() throws Exception {
        Daemon d = Daemon.attach(dir, medium);
        createNexus(d);
        Thread answerer = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    byte[] r = d.received.poll(100, TimeUnit.MILLISECONDS);
                    if (r != null && type(r) == EventType.KEVENT_CMD_REQ.code()) {
                        d.answerGood(r);
                    }
                }
            } catch (InterruptedException e) {
                // done
            }
        }, "test-answerer");
        answerer.start();
        ByteBuffer cmd = wrap(command(0, READ10, 0, DataDirection.READ));
        ByteBuffer done = wrap(done(0));
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = 0;
        int warm = 20_000;
        int rounds = 5_000;
        for (int i = 0; i < warm + rounds; i++) {
            if (i == warm) {
                before = threads.getCurrentThreadAllocatedBytes();
            }
            CmdReqEvent.write(cmd, 0, HOST, 100 + i, NEXUS, 0, READ10, READ10.length, i, 4096, 0, 4096,
                    DataDirection.READ.code(), 0, 0);
            while (!host.offer(cmd, 0, CmdReqEvent.LENGTH)) {
                Thread.onSpinWait();
            }
            while (commandAnswers.get() <= i) {
                Thread.onSpinWait();
            }
            CmdDoneEvent.write(done, 0, HOST, 100 + i, CmdDoneEvent.DELIVERED);
            while (!host.offer(done, 0, CmdDoneEvent.LENGTH)) {
                Thread.onSpinWait();
            }
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        answerer.interrupt();
        answerer.join();
        assertTrue(allocated < 8 * 1024, allocated + " bytes for " + rounds + " commands journaled and done");
        assertEquals(0, ((FrontEndpoint) host).journaled(), "every command left the journal at its DONE");
        d.die();
    }

    // ---- helpers ----

    private void createNexus(Daemon d) throws Exception {
        byte[] names = "iqn.i\0iqn.t".getBytes(StandardCharsets.UTF_8);
        long at = host.dataArea().allocate(names.length);
        host.dataArea().buffer().put((int) at, names);
        byte[] req = new byte[ItNexusReqEvent.LENGTH];
        ItNexusReqEvent.write(wrap(req), 0, HOST, NEXUS, ItNexusReqEvent.OP_CREATE, 1, at, names.length);
        offer(req);
        d.answerNexus(d.next());
        awaitHost(EventType.UEVENT_IT_NEXUS_RSP);
    }

    private void offer(byte[] record) {
        assertTrue(host.offer(wrap(record), 0, record.length));
    }

    private static byte[] command(long cid, byte[] cdb, long dataOffset, DataDirection direction) {
        byte[] r = new byte[CmdReqEvent.LENGTH];
        CmdReqEvent.write(wrap(r), 0, HOST, cid, NEXUS, 0, cdb, cdb.length, (int) cid, 4096, dataOffset, 4096,
                direction.code(), 0, 0);
        return r;
    }

    private byte[] awaitHost(EventType type) throws InterruptedException {
        return SplitPeers.awaitHost(toHost, type);
    }

    private void awaitLinked() throws InterruptedException {
        SplitPeers.awaitLinked(front);
    }

    private void awaitUnlinked() throws InterruptedException {
        SplitPeers.awaitUnlinked(front);
    }

    /** A daemon as the front sees one: the link protocol, a netlink daemon end, answers by hand. */
    static final class Daemon extends HandPlayedDaemon {
        final SplitMedium.DaemonEnd end;
        TransportEndpoint endpoint;

        private Daemon(PeerLink link, SplitMedium.DaemonEnd end) {
            super(link);
            this.end = end;
        }

        static Daemon attach(Path dir, SplitMedium medium) throws Exception {
            PeerLink link = hello(dir, "netlink");
            PeerLink.Frame attach = link.read();
            assertEquals(PeerLink.ATTACH, attach.type());
            long generation = attach.payload().readLong();
            assertEquals("netlink", attach.payload().readUTF());
            assertEquals("", attach.payload().readUTF(), "no region over netlink");
            long areaSize = attach.payload().readLong();
            SplitMedium.DaemonEnd end = medium.open(dir, generation, areaSize);
            Daemon d = new Daemon(link, end);
            d.endpoint = end.attach(d);
            link.write(PeerLink.READY, out -> {
                out.writeLong(generation);
                out.writeUTF(end.address());
            });
            d.readLink();
            return d;
        }

        @Override
        TransportEndpoint endpoint() {
            return endpoint;
        }

        ByteBuffer area() {
            return endpoint.dataArea().buffer();
        }

        byte[] data(byte[] req) {
            ByteBuffer q = wrap(req);
            byte[] d = new byte[CmdReqEvent.dataLength(q, 0)];
            area().get((int) CmdReqEvent.dataOffset(q, 0), d);
            return d;
        }

        String names(byte[] req) {
            ByteBuffer r = wrap(req);
            byte[] n = new byte[ItNexusReqEvent.namesLength(r, 0)];
            area().get((int) ItNexusReqEvent.namesOffset(r, 0), n);
            return new String(n, StandardCharsets.UTF_8);
        }

        /** The link and the netlink end close as a killed process's do. */
        @Override
        void die() {
            link.close();
            end.close();
        }
    }
}
