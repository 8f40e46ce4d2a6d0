package org.jtgt.transport.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.stream.Stream;

import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.EventHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A raw client on the transport's socket breaks the protocol in every way we can think of. Each
 * time the daemon side logs it, reports its connection failed (once), closes it, and everything
 * else goes on: the daemon endpoint stays open and a real host side attached all along still gets
 * its commands answered. Nothing hangs.
 */
class MalformedFrameTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int EVENT = NetlinkFrame.TYPE_EVENT;
    private static final int REQ_ACK = NetlinkFrame.F_REQUEST | NetlinkFrame.F_ACK;
    private static final int HOST = NetlinkFrame.HOST_PORT_ID;

    /** What the raw client sends after (or instead of) the handshake, and what the report says. */
    interface Attack {
        void send(RawPeer peer) throws Exception;
    }

    static Stream<Arguments> attacks() {
        byte[] done = Events.bytes(Events.cmdDone(0, 1));
        byte[] write = Events.bytes(Events.cmdReq(0, 1, DataDirection.WRITE, 4096, 512, Events.TEST_UNIT_READY, 0));
        byte[] rsp = Events.bytes(Events.cmdRsp(0, 1, 0, 0));
        byte[] badVersion = done.clone();
        badVersion[EventHeader.VERSION_OFFSET] = 9;
        byte[] unknownEvent = done.clone();
        unknownEvent[EventHeader.TYPE_OFFSET] = 9;
        byte[] truncatedReq = new byte[40];
        System.arraycopy(write, 0, truncatedReq, 0, 40);
        return Stream.of(
                attack("short header, then the end of the stream", true, "mid-frame", p -> {
                    p.write(ByteBuffer.wrap(new byte[10]));
                    p.shutdownOutput();
                }),
                attack("length below the header", true, "shorter than its 16-byte header",
                        p -> p.write(Events.frameWithLength(8, EVENT, REQ_ACK, 1, HOST))),
                attack("huge length", true, "exceeds the largest frame",
                        p -> p.write(Events.frameWithLength(0x7FFF_FFF0L, EVENT, REQ_ACK, 1, HOST, done))),
                attack("length 0xFFFFFFFF", true, "exceeds the largest frame",
                        p -> p.write(Events.frameWithLength(0xFFFF_FFFFL, EVENT, REQ_ACK, 1, HOST, done))),
                attack("unknown frame type", true, "unknown frame type 0x33",
                        p -> p.write(Events.frame(0x33, REQ_ACK, 1, HOST, done))),
                attack("unknown flag", true, "unknown flags 0x100",
                        p -> p.write(Events.frame(EVENT, REQ_ACK | 0x100, 1, HOST, done))),
                attack("truncated payload, then the end of the stream", true, "mid-frame", p -> {
                    ByteBuffer f = Events.frameWithLength(NetlinkFrame.HEADER_LENGTH + CmdReqEvent.LENGTH, EVENT, REQ_ACK,
                            1, HOST, truncatedReq);
                    p.write(f);
                    p.shutdownOutput();
                }),
                attack("frame shorter than its record", true, "truncated, 40 of 96 bytes",
                        p -> p.write(Events.frame(EVENT, REQ_ACK, 1, HOST, truncatedReq))),
                attack("unknown event type", true, "unknown event type 0x9",
                        p -> p.write(Events.frame(EVENT, REQ_ACK, 1, HOST, unknownEvent))),
                attack("unknown event layout version", true, "unsupported layout version 9",
                        p -> p.write(Events.frame(EVENT, REQ_ACK, 1, HOST, badVersion))),
                attack("daemon-to-host event sent to the daemon", true, "UEVENT_CMD_RSP does not travel to the daemon side",
                        p -> p.write(Events.frame(EVENT, REQ_ACK, 1, HOST, rsp))),
                attack("write without its Data-Out", true, "references 512 bytes",
                        p -> p.write(Events.frame(EVENT, REQ_ACK, 1, HOST, write))),
                attack("bytes after a record that references none", true, "carries 8 bytes after its record",
                        p -> p.write(Events.frame(EVENT, REQ_ACK, 1, HOST, done, new byte[8]))),
                attack("wrong port id", true, "from port 77",
                        p -> p.write(Events.frame(EVENT, REQ_ACK, 1, 77, done))),
                attack("event without NLM_F_REQUEST", true, "without NLM_F_REQUEST",
                        p -> p.write(Events.frame(EVENT, NetlinkFrame.F_ACK, 1, HOST, done))),
                attack("a REGISTER from the host side", true, "REGISTER from the host side",
                        p -> p.write(Events.register(HOST, 1 << 20))),
                attack("an ACK from the host side after the registration", true, "only acknowledges the registration",
                        p -> p.write(Events.ack(1, 0, HOST))),
                attack("an event before acknowledging the registration", false, "before the host side acknowledged",
                        p -> p.write(Events.frame(EVENT, REQ_ACK, 1, HOST, done))),
                attack("the registration refused", false, "refused the registration with error 71",
                        p -> p.write(Events.ack(0, NetlinkFrame.EPROTO, HOST))),
                attack("an ACK for another message than the registration", false, "not the registration's 0",
                        p -> p.write(Events.ack(5, 0, HOST))));
    }

    private static Arguments attack(String name, boolean handshake, String expected, Attack a) {
        return Arguments.of(name, handshake, expected, a);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attacks")
    void aBrokenClientFailsOnlyItsOwnConnection(String name, boolean handshake, String expected, Attack attack)
            throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Pair p = Pair.attached()) {
                p.daemonSink.responder = Recorder.answerCommands();
                NetlinkTransportTest.roundTrip(p.host, p.hostSink, 1);
                try (RawPeer raw = RawPeer.connect(p.socket)) {
                    if (handshake) {
                        raw.handshake();
                    } else {
                        ByteBuffer register = raw.readFrame(WAIT);
                        assertNotNull(register);
                        assertEquals(NetlinkFrame.TYPE_REGISTER, NetlinkFrame.type(register, 0));
                    }
                    attack.send(raw);
                    String reason = p.daemonSink.awaitFailure(WAIT);
                    assertTrue(reason.contains(expected), "reported: " + reason);
                    assertTrue(raw.awaitClosed(WAIT), "the daemon side closed the broken connection");
                }
                Thread.sleep(20);
                assertEquals(1, p.daemonSink.failures.size(), "reported once: " + p.daemonSink.failures);
                assertInstanceOf(DaemonConnection.class, p.daemonSink.failedEndpoints.peek());
                assertNotSame(p.daemonSink.deliveries.get(0).from(), p.daemonSink.failedEndpoints.peek(),
                        "not the real host side's connection");
                // Everything else is as it was.
                assertTrue(p.daemon.isOpen());
                assertTrue(p.host.isOpen());
                NetlinkTransportTest.roundTrip(p.host, p.hostSink, 3);
                assertTrue(p.hostSink.failures.isEmpty());
                Recorder.await(() -> p.transport.daemonConnections().size() == 1, WAIT,
                        () -> p.transport.daemonConnections().size() + " daemon-side connections");
            }
        });
    }

    /** A malformed event is refused with an ACK carrying EBADMSG for its sequence before the close. */
    @Test
    void aMalformedEventIsRefusedWithEbadmsgBeforeTheClose() throws Exception {
        try (Pair p = Pair.attached(); RawPeer raw = RawPeer.connect(p.socket)) {
            raw.handshake();
            raw.write(Events.frame(EVENT, REQ_ACK, 1, HOST, Events.bytes(Events.cmdDone(0, 1))));
            ByteBuffer ack = raw.readFrame(WAIT);
            assertEquals(NetlinkFrame.TYPE_ACK, NetlinkFrame.type(ack, 0));
            assertEquals(0, NetlinkFrame.ackError(ack, 0));
            assertEquals(1, NetlinkFrame.ackSequence(ack, 0));
            byte[] unknown = Events.bytes(Events.cmdDone(0, 2));
            unknown[EventHeader.TYPE_OFFSET] = 9;
            raw.write(Events.frame(EVENT, REQ_ACK, 2, HOST, unknown));
            ByteBuffer nack = raw.readFrame(WAIT);
            assertNotNull(nack, "a refusal before the close");
            assertEquals(NetlinkFrame.TYPE_ACK, NetlinkFrame.type(nack, 0));
            assertEquals(NetlinkFrame.EBADMSG, NetlinkFrame.ackError(nack, 0));
            assertEquals(2, NetlinkFrame.ackSequence(nack, 0));
            assertTrue(raw.awaitClosed(WAIT));
            assertEquals(1, p.daemonSink.deliveries.size(), "the good event was delivered, the bad one not");
        }
    }

    /** A client that connects and says nothing costs nothing and hangs nothing. */
    @Test
    void aSilentClientDoesNotDisturbAndIsClosedOnDeactivate() throws Exception {
        Pair p = Pair.attached();
        p.daemonSink.responder = Recorder.answerCommands();
        try (RawPeer raw = RawPeer.connect(p.socket)) {
            assertNotNull(raw.readFrame(WAIT)); // the REGISTER, never acknowledged
            NetlinkTransportTest.roundTrip(p.host, p.hostSink, 2);
            long start = System.nanoTime();
            p.close();
            assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 5_000, "deactivate is bounded");
            assertTrue(raw.awaitClosed(WAIT));
        }
    }
}
