package org.jtgt.transport.shm;

import static org.jtgt.transport.shm.SplitPeers.HOST;
import static org.jtgt.transport.shm.SplitPeers.NEXUS;
import static org.jtgt.transport.shm.SplitPeers.delete;
import static org.jtgt.transport.shm.SplitPeers.done;
import static org.jtgt.transport.shm.SplitPeers.hello;
import static org.jtgt.transport.shm.SplitPeers.type;
import static org.jtgt.transport.shm.SplitPeers.wrap;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.event.ItNexusReqEvent;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * The front of the split shape against daemons played by the test over the real link socket and
 * region: what a daemon that dies leaves unanswered goes to the next one (nexuses first, then the
 * requests in the order the host sent them), what may not be repeated is answered ABORTED COMMAND
 * 08h/00h instead, a dead daemon's generation is fenced, a leaving daemon answers everything
 * first, and a peer that breaks the link protocol costs its link, not the front.
 */
@Timeout(60)
class SplitShapeTest {
    private static final byte[] READ10 = {0x28, 0, 0, 0, 0, 8, 0, 0, 1, 0};
    private static final byte[] COMPARE_AND_WRITE = {(byte) 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0};

    private Path dir;
    private FrontShm front;
    private final BlockingQueue<byte[]> toHost = new LinkedBlockingQueue<>();
    /** Answers to commands the host side received, counted without a lock (the allocation test waits on it). */
    private final java.util.concurrent.atomic.AtomicLong commandAnswers = new java.util.concurrent.atomic.AtomicLong();
    private TransportEndpoint host;

    @BeforeEach
    void start(TestInfo info) throws IOException {
        dir = Paths.get("target", "sp", Integer.toHexString(info.getDisplayName().hashCode())).toAbsolutePath();
        delete(dir);
        Files.createDirectories(dir);
        front = new FrontShm();
        front.open(dir, 64, 256, 4 << 20);
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
    void whatADeadDaemonDidNotAnswerGoesToTheNextOneAfterItsNexus() throws Exception {
        Daemon first = Daemon.attach(dir);
        createNexus(first);
        offer(command(1, READ10));
        byte[] seen = first.next();
        assertEquals(EventType.KEVENT_CMD_REQ.code(), type(seen));
        first.die();

        Daemon second = Daemon.attach(dir);
        byte[] recreate = second.next();
        assertEquals(EventType.KEVENT_IT_NEXUS_REQ.code(), type(recreate));
        assertEquals(NEXUS, ItNexusReqEvent.nexusId(wrap(recreate), 0));
        assertEquals("iqn.i\0iqn.t", names(second, recreate), "the names travel again through the data area");
        second.answerNexus(recreate);
        byte[] again = second.next();
        assertEquals(1, CmdReqEvent.cid(wrap(again), 0));
        second.answerGood(again);

        byte[] rsp = awaitHost(EventType.UEVENT_CMD_RSP);
        assertEquals(ScsiStatus.GOOD, CmdRspEvent.status(wrap(rsp), 0));
        assertNull(toHost.poll(200, TimeUnit.MILLISECONDS), "the replayed nexus's answer stays in the front");
        offer(done(1));
        assertEquals(EventType.KEVENT_CMD_DONE.code(), type(second.next()), "the daemon that answered hears DONE");
        second.die();
    }

    @Test
    void aCompareAndWriteTheDaemonMayHaveExecutedIsAnsweredAbortedCommandNotRepeated() throws Exception {
        Daemon first = Daemon.attach(dir);
        createNexus(first);
        offer(command(2, COMPARE_AND_WRITE));
        assertEquals(0x89, first.next()[CmdReqEvent.CDB_OFFSET] & 0xFF);
        first.die();   // between execution and answer, as far as anyone can tell

        Daemon second = Daemon.attach(dir);
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
        Daemon first = Daemon.attach(dir);
        createNexus(first);
        first.die();
        awaitUnlinked();
        for (int cid = 10; cid < 14; cid++) {
            assertTrue(host.offer(ByteBuffer.wrap(command(cid, READ10)).order(ByteOrder.LITTLE_ENDIAN), 0,
                    CmdReqEvent.LENGTH), "journaled while no daemon is attached");
        }
        Daemon second = Daemon.attach(dir);
        second.answerNexus(second.next());
        for (int cid = 10; cid < 14; cid++) {
            assertEquals(cid, CmdReqEvent.cid(wrap(second.next()), 0));
        }
        second.die();
    }

    @Test
    void aDeadDaemonsGenerationIsFenced() throws Exception {
        Daemon first = Daemon.attach(dir);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (front.linkedGeneration() <= 0) {
            assertTrue(System.nanoTime() < deadline, "the front took the daemon's READY");
            Thread.sleep(5);
        }
        assertTrue(first.endpoint.isOpen());
        first.link.close();    // as if it had died, but the process goes on
        awaitUnlinked();
        assertFalse(first.endpoint.isOpen(), "a newer generation is published");
        byte[] rsp = new byte[CmdRspEvent.LENGTH];
        ByteBuffer b = wrap(rsp);
        CmdRspEvent.write(b, 0, HOST, 1, 0, 0, 0, ScsiStatus.GOOD);
        assertFalse(first.endpoint.offer(b, 0, rsp.length), "a fenced daemon produces nothing");
        first.endpoint.close();
    }

    @Test
    void aLeavingDaemonAnswersWhatItHasAndNewRequestsWaitForTheNext() throws Exception {
        Daemon first = Daemon.attach(dir);
        createNexus(first);
        offer(command(20, READ10));
        byte[] pending = first.next();
        first.link.write(PeerLink.LEAVING, out -> { });
        Thread.sleep(100);
        offer(command(21, READ10));
        assertNull(first.poll(200), "nothing new for a leaving daemon");
        first.answerGood(pending);
        PeerLink.Frame left = first.awaitFrame(PeerLink.LEFT);
        assertEquals(0, left.payload().readInt(), "every request it had is answered");
        awaitHost(EventType.UEVENT_CMD_RSP);
        first.die();

        Daemon second = Daemon.attach(dir);
        second.answerNexus(second.next());
        assertEquals(21, CmdReqEvent.cid(wrap(second.next()), 0), "only the new request goes to the next daemon");
        assertNull(second.poll(200));
        second.die();
    }

    @Test
    void aPeerThatBreaksTheLinkProtocolLosesItsLinkNotTheFront() throws Exception {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(dir.resolve(ShmDirectories.FRONT_SOCKET)));
            c.write(ByteBuffer.wrap(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 1}));
            ByteBuffer b = ByteBuffer.allocate(16);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int n = 0;
            try {
                while (n >= 0 && System.nanoTime() < deadline) {
                    n = c.read(b);
                }
            } catch (IOException reset) {
                n = -1; // closed with our bytes unread: a reset, which is a close too
            }
            assertEquals(-1, n, "the front closed the link");
        }
        Daemon good = Daemon.attach(dir);
        createNexus(good);
        good.die();
    }

    @Test
    void aDaemonOverAnotherMediumIsRefusedWithTheReason() throws Exception {
        try (PeerLink link = hello(dir, "netlink")) {
            PeerLink.Frame f = link.read();
            assertEquals(PeerLink.REFUSED, f.type());
            String reason = f.payload().readUTF();
            assertTrue(reason.contains("over shm") && reason.contains("over netlink")
                    && reason.contains("jtgt.split.transport"), reason);
        }
        Daemon good = Daemon.attach(dir);
        createNexus(good);
        good.die();
    }

    @Test
    void journalingACommandAllocatesNothingOnTheHostsThread() throws Exception {
        Daemon d = Daemon.attach(dir);
        createNexus(d);
        // The front's doorbell acceptor takes the connection on a thread of its own: wait for it.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!front.hasDoorbell() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(front.hasDoorbell(), "the daemon's doorbell is connected for its generation");
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
        ByteBuffer cmd = wrap(command(0, READ10));
        ByteBuffer done = wrap(done(0));
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = 0;
        int warm = 30_000;    // the JIT's escape analysis must have seen the path
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
            // Not the queue: a contended lock there allocates a waiter node on this thread.
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

    @Test
    void theFrontOffersCHAPAccountsOnlyWhileTheDaemonHasItsSource() throws Exception {
        BlockingQueue<Boolean> offers = new LinkedBlockingQueue<>();
        front.accountSource = offers::add;
        Daemon d = Daemon.attach(dir);
        java.util.List<org.jtgt.api.target.TargetInfo> targets = java.util.List.of(new org.jtgt.api.target.TargetInfo(
                "iqn.t", java.util.List.of(), java.util.List.of(), 0));
        java.util.Map<String, org.jtgt.api.target.ChapAccounts.TargetChap> chap = java.util.Map.of("iqn.t",
                new org.jtgt.api.target.ChapAccounts.TargetChap(java.util.Map.of("user", "secret-of-12"), null, null));
        d.link.write(PeerLink.CATALOG, out -> CatalogCodec.write(out,
                new CatalogCodec.Catalog(targets, true, chap, java.util.List.of())));
        assertEquals(Boolean.TRUE, offers.poll(10, TimeUnit.SECONDS), "offered with the daemon's source");
        assertEquals("secret-of-12", front.catalog().forTarget("iqn.t").incoming().get("user"));
        // The daemon's account source went away: "no accounts" must not reach the driver as such.
        d.link.write(PeerLink.CATALOG, out -> CatalogCodec.write(out,
                new CatalogCodec.Catalog(targets, false, java.util.Map.of(), java.util.List.of())));
        assertEquals(Boolean.FALSE, offers.poll(10, TimeUnit.SECONDS), "withdrawn: logins fail closed");
        d.die();
        assertNull(offers.poll(300, TimeUnit.MILLISECONDS), "a dead daemon changes nothing about accounts");
    }

    // ---- helpers ----

    @Test
    void aFrontStoppingWithNoDaemonAnswersWhatItJournaledInsteadOfLettingTheHostWait() throws Exception {
        Daemon first = Daemon.attach(dir);
        createNexus(first);
        first.die();
        awaitUnlinked();
        offer(command(20, READ10));
        byte[] destroy = new byte[ItNexusReqEvent.LENGTH];
        ItNexusReqEvent.write(wrap(destroy), 0, HOST, NEXUS, ItNexusReqEvent.OP_DESTROY, 1, 0, 0);
        offer(destroy);
        assertNull(toHost.poll(200, TimeUnit.MILLISECONDS), "journaled for the next daemon while the front runs");

        ((FrontEndpoint) host).frontStopping();
        assertAbortedCommand(awaitHost(EventType.UEVENT_CMD_RSP), 20);
        byte[] gone = awaitHost(EventType.UEVENT_IT_NEXUS_RSP);
        assertEquals(ItNexusReqEvent.OP_DESTROY, ItNexusRspEvent.op(wrap(gone), 0));
        assertEquals(ItNexusRspEvent.RESULT_OK, ItNexusRspEvent.result(wrap(gone), 0));
        assertEquals(1, ((FrontEndpoint) host).journaled(), "only the answered command stays, until its DONE");
        offer(done(20));
        assertEquals(0, ((FrontEndpoint) host).journaled());
        assertFalse(host.offer(wrap(command(21, READ10)), 0, CmdReqEvent.LENGTH),
                "a stopping front with no daemon takes no new request (the host keeps it and fails it)");
    }

    @Test
    void aDaemonThatDiesWhileTheFrontStopsLeavesWhatItHadToTheFrontToAnswer() throws Exception {
        Daemon first = Daemon.attach(dir);
        createNexus(first);
        offer(command(30, READ10));
        assertEquals(30, CmdReqEvent.cid(wrap(first.next()), 0));
        ((FrontEndpoint) host).frontStopping();
        assertNull(toHost.poll(200, TimeUnit.MILLISECONDS), "an attached daemon answers as usual");
        first.die();
        assertAbortedCommand(awaitHost(EventType.UEVENT_CMD_RSP), 30);
    }

    private static void assertAbortedCommand(byte[] rsp, long cid) {
        ByteBuffer r = wrap(rsp);
        assertEquals(cid, CmdRspEvent.cid(r, 0));
        assertEquals(ScsiStatus.CHECK_CONDITION, CmdRspEvent.status(r, 0));
        byte[] sense = new byte[32];
        CmdRspEvent.sense(r, 0, sense);
        assertEquals(SenseKey.ABORTED_COMMAND, sense[2] & 0x0F);
        assertEquals(0x08, sense[12] & 0xFF);
        assertEquals(0x00, sense[13] & 0xFF);
    }

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

    private static byte[] command(long cid, byte[] cdb) {
        byte[] r = new byte[CmdReqEvent.LENGTH];
        CmdReqEvent.write(wrap(r), 0, HOST, cid, NEXUS, 0, cdb, cdb.length, (int) cid, 4096, 0, 4096,
                DataDirection.READ.code(), 0, 0);
        return r;
    }

    private byte[] awaitHost(EventType type) throws InterruptedException {
        return SplitPeers.awaitHost(toHost, type);
    }

    private void awaitUnlinked() throws InterruptedException {
        SplitPeers.awaitUnlinked(front);
    }

    private static String names(Daemon d, byte[] req) {
        ByteBuffer r = wrap(req);
        byte[] n = new byte[ItNexusReqEvent.namesLength(r, 0)];
        d.region.data.get((int) ItNexusReqEvent.namesOffset(r, 0), n);
        return new String(n, StandardCharsets.UTF_8);
    }

    /** A daemon as the front sees one: the link protocol, the region's rings, answers by hand. */
    static final class Daemon extends HandPlayedDaemon implements ShmEndpoint.Owner {
        final ShmRegion region;
        final ShmEndpoint endpoint;
        Doorbell bell;

        private Daemon(PeerLink link, ShmRegion region, long generation) {
            super(link);
            this.region = region;
            this.endpoint = new ShmEndpoint(this, () -> region.generation() == generation, "test-daemon",
                    region.toHost, region.toDaemon, new ShmDataArea(region.data), this, true);
            endpoint.pump.start();
        }

        static Daemon attach(Path dir) throws Exception {
            PeerLink link = hello(dir, "shm");
            PeerLink.Frame attach = link.read();
            assertEquals(PeerLink.ATTACH, attach.type());
            long generation = attach.payload().readLong();
            assertEquals("shm", attach.payload().readUTF());
            ShmRegion region = ShmRegion.attach(Paths.get(attach.payload().readUTF()));
            Daemon d = new Daemon(link, region, generation);
            SocketChannel bell = SocketChannel.open(StandardProtocolFamily.UNIX);
            bell.connect(UnixDomainSocketAddress.of(dir.resolve(ShmDirectories.FRONT_BELL)));
            bell.write(ByteBuffer.allocate(Long.BYTES).putLong(0, generation));
            d.bell = new Doorbell(bell, region.toDaemon, "test-daemon-bell");
            region.toHost.setDoorbell(d.bell::ring);
            link.write(PeerLink.READY, out -> {
                out.writeLong(generation);
                out.writeUTF("");
            });
            d.readLink();
            return d;
        }

        @Override
        TransportEndpoint endpoint() {
            return endpoint;
        }

        /** The link closes as a killed process's does; the rings stay as they are. */
        @Override
        void die() {
            endpoint.pump.stop();
            link.close();
            bell.close();
        }

        @Override
        public Transport transport() {
            return null;
        }

        @Override
        public void detached(ShmEndpoint e) {
        }
    }
}
