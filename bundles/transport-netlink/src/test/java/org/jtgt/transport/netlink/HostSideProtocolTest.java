package org.jtgt.transport.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.EventType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The host side against a daemon side written by hand: the happy conversation, then every way
 * such a peer can break it. Each break is reported once through the host side's sink (so the
 * host side would swap transports) and closes the endpoint.
 */
class HostSideProtocolTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int PORT = 4242;
    private static final int AREA = 1 << 20;
    private static final int EVENT = NetlinkFrame.TYPE_EVENT;
    private static final int REQ = NetlinkFrame.F_REQUEST;

    interface Script {
        void run(RawPeer daemon, HostConnection host) throws Exception;
    }

    /** A raw daemon side listening next to the transport's own socket; the host connects to it. */
    private static final class RawDaemon implements AutoCloseable {
        final Pair pair;
        final Path socket;
        final ServerSocketChannel server;
        final HostConnection host;
        final RawPeer peer;

        RawDaemon() throws Exception {
            pair = new Pair(AREA, 64, 64);
            socket = pair.socket.resolveSibling(pair.socket.getFileName() + ".raw");
            Files.deleteIfExists(socket);
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            host = pair.transport.attachHost(pair.hostSink, socket);
            peer = new RawPeer(server.accept());
        }

        /** REGISTER, and the host side's ACK for it. */
        void register() throws Exception {
            peer.write(Events.register(PORT, AREA));
            ByteBuffer ack = peer.readFrame(WAIT);
            assertNotNull(ack);
            assertEquals(NetlinkFrame.TYPE_ACK, NetlinkFrame.type(ack, 0));
            assertEquals(0, NetlinkFrame.ackSequence(ack, 0));
            assertEquals(0, NetlinkFrame.ackError(ack, 0));
            assertEquals(NetlinkFrame.HOST_PORT_ID, NetlinkFrame.portId(ack, 0));
            Recorder.await(host::registered, WAIT, () -> "registered");
        }

        @Override
        public void close() throws Exception {
            peer.close();
            server.close();
            pair.close();
            Files.deleteIfExists(socket);
        }
    }

    @Test
    void theConversationAsTheOldInterfaceHadIt() throws Exception {
        try (RawDaemon d = new RawDaemon()) {
            ByteBuffer early = Events.cmdDone(0, 1);
            assertTrue(d.host.offer(early, 0, early.capacity()), "queued before the registration");
            d.register();
            ByteBuffer frame = d.peer.readFrame(WAIT);
            assertEquals(EVENT, NetlinkFrame.type(frame, 0));
            assertEquals(NetlinkFrame.F_REQUEST | NetlinkFrame.F_ACK, NetlinkFrame.flags(frame, 0));
            assertEquals(1, NetlinkFrame.sequence(frame, 0));
            assertEquals(NetlinkFrame.HEADER_LENGTH + EventType.KEVENT_CMD_DONE.recordLength(), NetlinkFrame.length(frame, 0));
            assertEquals(1, d.host.unacknowledged());
            d.peer.write(Events.ack(1, 0, PORT));
            Recorder.await(() -> d.host.unacknowledged() == 0, WAIT, () -> "acknowledged");

            // Data-In arrives inline and lands at its offset in the host side's area.
            byte[] in = Events.pattern(9, 5000);
            long at = d.host.dataArea().allocate(in.length);
            d.peer.write(Events.frame(EVENT, REQ, 1, PORT, Events.bytes(Events.cmdRsp(0, 7, at, in.length)), in));
            d.pair.hostSink.awaitDeliveries(1, WAIT);
            Recorder.Delivery got = d.pair.hostSink.deliveries.get(0);
            assertEquals(7, CmdRspEvent.cid(got.buffer(), 0));
            assertEquals(1, got.data().size());
            org.junit.jupiter.api.Assertions.assertArrayEquals(in, got.data().get(0));
            assertTrue(d.pair.hostSink.failures.isEmpty());
        }
    }

    static Stream<Arguments> breaks() {
        byte[] rsp = Events.bytes(Events.cmdRsp(0, 1, 0, 0));
        byte[] rspWithData = Events.bytes(Events.cmdRsp(0, 1, 4096, 100));
        byte[] req = Events.bytes(Events.testUnitReady(0, 1));
        ByteBuffer done = Events.cmdDone(0, 1);
        return Stream.of(
                br("an event before the REGISTER", false, "before the daemon side registered",
                        (p, h) -> p.write(Events.frame(EVENT, REQ, 1, PORT, rsp))),
                br("a REGISTER with another area size", false, "mirrors a data area of 2097152 bytes",
                        (p, h) -> p.write(Events.register(PORT, 2 * AREA))),
                br("a REGISTER of another protocol version", false, "protocol version 2", (p, h) -> {
                    ByteBuffer r = Events.register(PORT, AREA);
                    org.jtgt.api.event.LittleEndian.putI32(r, NetlinkFrame.REGISTER_VERSION_OFFSET, 2);
                    p.write(r);
                }),
                br("a second REGISTER", true, "a second REGISTER", (p, h) -> p.write(Events.register(PORT, AREA))),
                br("an unknown frame type", true, "unknown frame type 0x40",
                        (p, h) -> p.write(Events.frame(0x40, REQ, 1, PORT, rsp))),
                br("a refusal of a message", true, "refused message 1 with error 74", (p, h) -> {
                    assertTrue(h.offer(done, 0, done.capacity()));
                    assertNotNull(p.readFrame(WAIT));
                    p.write(Events.ack(1, NetlinkFrame.EBADMSG, PORT));
                }),
                br("ACKs out of order", true, "out of order; expected 1", (p, h) -> {
                    assertTrue(h.offer(done, 0, done.capacity()));
                    assertTrue(h.offer(done, 0, done.capacity()));
                    assertNotNull(p.readFrame(WAIT));
                    assertNotNull(p.readFrame(WAIT));
                    p.write(Events.ack(2, 0, PORT));
                }),
                br("an ACK for a message never sent", true, "never sent", (p, h) -> p.write(Events.ack(5, 0, PORT))),
                br("a frame from another port", true, "from port 999",
                        (p, h) -> p.write(Events.frame(EVENT, REQ, 1, 999, rsp))),
                br("a host-to-daemon event sent to the host", true, "KEVENT_CMD_REQ does not travel to the host side",
                        (p, h) -> p.write(Events.frame(EVENT, REQ, 1, PORT, req))),
                br("Data-In missing", true, "references 100 bytes",
                        (p, h) -> p.write(Events.frame(EVENT, REQ, 1, PORT, rspWithData))),
                br("closed in the middle of Data-In", true, "mid-frame", (p, h) -> {
                    p.write(Events.frameWithLength(NetlinkFrame.HEADER_LENGTH + rspWithData.length + 100, EVENT, REQ, 1,
                            PORT, rspWithData, new byte[40]));
                    p.close();
                }),
                br("the daemon side going away", true, "the daemon side closed the connection", (p, h) -> p.close()));
    }

    private static Arguments br(String name, boolean register, String expected, Script s) {
        return Arguments.of(name, register, expected, s);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("breaks")
    void aBrokenDaemonSideFailsTheHostSide(String name, boolean register, String expected, Script script)
            throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (RawDaemon d = new RawDaemon()) {
                if (register) {
                    d.register();
                }
                script.run(d.peer, d.host);
                String reason = d.pair.hostSink.awaitFailure(WAIT);
                assertTrue(reason.contains(expected), "reported: " + reason);
                assertSame(d.host, d.pair.hostSink.failedEndpoints.peek());
                assertFalse(d.host.isOpen());
                assertEquals(reason, d.host.failure());
                Thread.sleep(20);
                assertEquals(1, d.pair.hostSink.failures.size(), "reported once");
                assertTrue(waitDead(d.host.reader), "reader stopped");
                assertTrue(waitDead(d.host.writer), "writer stopped");
            }
        });
    }

    private static boolean waitDead(Thread t) throws InterruptedException {
        t.join(WAIT.toMillis());
        return !t.isAlive();
    }
}
