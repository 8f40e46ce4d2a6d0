package org.jtgt.transport.netlink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

import org.jtgt.api.event.LittleEndian;
import org.jtgt.api.transport.EventSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon side's end of one accepted connection (tgtd's end in tgt). It registers first:
 * its writer's first frame is a REGISTER carrying its port id and the data area size, and the
 * host side's first frame must be the ACK for it. From then on it receives the host side's
 * events into its own mirror of the host's data area and acknowledges each one that asks for it.
 *
 * <p>The ACK is queued when the event has been received whole, before the event is delivered:
 * so it is always ahead of any answer the event causes, and the host side, which retries a
 * refused offer only when an answer arrives, finds its window already open then. A malformed
 * message is refused with an ACK carrying {@code EBADMSG}, flushed within a bound, and the
 * connection is closed.
 *
 * <p>Events reach the daemon's sink with this connection as {@code from}; answers sent through
 * it carry their Data-In from this connection's area.
 */
final class DaemonConnection extends NetlinkConnection {
    private static final Logger LOG = LoggerFactory.getLogger(DaemonConnection.class);

    private final int portId;
    private final DaemonEndpoint endpoint;
    /** Reader only. */
    private boolean registered;
    private final ByteBuffer ackEntry = ByteBuffer.allocateDirect(ACK_ENTRY_LENGTH);

    DaemonConnection(NetlinkTransport transport, String name, SocketChannel channel, DaemonEndpoint endpoint,
                     EventSink sink, NetlinkDataArea mirror, int queueSlots, int portId) {
        super(transport, name, channel, sink, mirror, queueSlots, true);
        this.endpoint = endpoint;
        this.portId = portId;
    }

    @Override
    String side() {
        return "daemon";
    }

    DaemonEndpoint endpoint() {
        return endpoint;
    }

    @Override
    public boolean offer(ByteBuffer src, int offset, int length) {
        if (!isOpen()) {
            return false;
        }
        checkRecord(src, offset, length);
        return outbound.offer(src, offset, length);
    }

    /** Closes without flushing: events still queued for the host side are dropped. */
    @Override
    public void close() {
        shutdown(false);
    }

    // ---- writer ----

    @Override
    boolean writerStart() throws IOException {
        NetlinkFrame.writeRegister(txHeader(), 0, portId, area.size());
        writeFrame(NetlinkFrame.REGISTER_LENGTH);
        return true;
    }

    @Override
    int ownPortId() {
        return portId;
    }

    @Override
    int eventFlags() {
        return NetlinkFrame.F_REQUEST;
    }

    // ---- reader ----

    @Override
    void checkFrame(int type, int flags, int sequence, int portId) {
        if (portId != NetlinkFrame.HOST_PORT_ID) {
            throw new FrameFormatException(NetlinkFrame.typeName(type) + " from port " + Integer.toUnsignedString(portId)
                    + "; the host side's messages carry port " + NetlinkFrame.HOST_PORT_ID);
        }
        switch (type) {
            case NetlinkFrame.TYPE_ACK:
                if (registered) {
                    throw new FrameFormatException("ACK " + Integer.toUnsignedString(sequence)
                            + " from the host side, which only acknowledges the registration");
                }
                if (flags != 0) {
                    throw new FrameFormatException("ACK with flags 0x" + Integer.toHexString(flags));
                }
                break;
            case NetlinkFrame.TYPE_REGISTER:
                throw new FrameFormatException("REGISTER from the host side; the daemon side registers");
            default: // EVENT
                if (!registered) {
                    throw new FrameFormatException("EVENT " + Integer.toUnsignedString(sequence)
                            + " before the host side acknowledged the registration");
                }
                if ((flags & NetlinkFrame.F_REQUEST) == 0) {
                    throw new FrameFormatException("EVENT " + Integer.toUnsignedString(sequence) + " without NLM_F_REQUEST");
                }
        }
    }

    @Override
    void onControlFrame(int type, ByteBuffer b, int o) {
        // Only the registration's ACK gets here (checkFrame).
        int sequence = NetlinkFrame.ackSequence(b, o);
        int error = NetlinkFrame.ackError(b, o);
        if (sequence != 0 || NetlinkFrame.sequence(b, o) != 0) {
            throw new FrameFormatException("first ACK is for sequence " + Integer.toUnsignedString(sequence)
                    + ", not the registration's 0");
        }
        if (error != 0) {
            throw new FrameFormatException("the host side refused the registration with error " + error);
        }
        registered = true;
        LOG.debug("{}: host side acknowledged the registration", name);
    }

    @Override
    void beforeDelivery(int sequence, int flags) {
        if ((flags & NetlinkFrame.F_ACK) != 0) {
            queueAck(ackEntry, sequence, 0);
        }
    }

    @Override
    boolean refuse() {
        if (!registered || !haveSequence) {
            return false;
        }
        return outbound.offer(entry(currentSequence, NetlinkFrame.EBADMSG), 0, ACK_ENTRY_LENGTH);
    }

    private ByteBuffer entry(int sequence, int error) {
        LittleEndian.putI32(ackEntry, 0, error);
        LittleEndian.putI32(ackEntry, 4, sequence);
        return ackEntry;
    }

    /**
     * A host side that vanishes (broken pipe, reset) has left, not broken the protocol: its own
     * end reports whatever it must; this end just closes.
     */
    @Override
    void ioFailed(String reason) {
        LOG.info("{}: the host side went away: {}", name, reason);
        shutdown(false);
    }

    @Override
    void onPeerClosed() {
        LOG.info("{}: the host side disconnected", name);
        shutdown(false);
    }
}
