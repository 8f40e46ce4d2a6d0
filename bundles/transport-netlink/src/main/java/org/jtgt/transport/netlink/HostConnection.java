package org.jtgt.transport.netlink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.jtgt.api.transport.EventSink;

/**
 * The host side's end (the kernel's end in tgt): connects, waits for the daemon side's REGISTER,
 * acknowledges it, and only then writes what has been offered meanwhile.
 *
 * <p>Every event it sends asks for an ACK. A message is unacknowledged from the moment
 * {@link #offer} accepts it until the daemon side's ACK for its sequence number arrives; at most
 * {@code ackWindow} may be, and {@link #offer} refuses (back-pressure) while the window or the
 * outbound queue is full. ACKs must come in sequence order, for sequences already sent, with
 * error 0; an ACK with an error means the daemon side found the message malformed, and fails the
 * connection like any other protocol error.
 */
final class HostConnection extends NetlinkConnection {
    private static final long REGISTER_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final int ackWindow;
    private final AtomicInteger unacknowledged = new AtomicInteger();
    private final AtomicLong refusedByWindow = new AtomicLong();
    private volatile boolean registered;
    private volatile int daemonPortId;
    /** Sequence of the last EVENT the writer numbered (written before the frame is). */
    private volatile int lastSent;
    /** Reader only: the sequence the next ACK must carry. */
    private int expectedAck = 1;
    private volatile long acknowledged;

    HostConnection(NetlinkTransport transport, String name, SocketChannel channel, EventSink sink,
                   NetlinkDataArea area, int queueSlots, int ackWindow) {
        super(transport, name, channel, sink, area, queueSlots, false);
        this.ackWindow = ackWindow;
    }

    @Override
    String side() {
        return "host";
    }

    @Override
    public boolean offer(ByteBuffer src, int offset, int length) {
        if (!isOpen()) {
            return false;
        }
        checkRecord(src, offset, length);
        if (unacknowledged.incrementAndGet() > ackWindow) {
            unacknowledged.decrementAndGet();
            refusedByWindow.incrementAndGet();
            return false;
        }
        if (!outbound.offer(src, offset, length)) {
            unacknowledged.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Messages accepted by {@link #offer} whose ACK has not arrived. */
    int unacknowledged() {
        return unacknowledged.get();
    }

    /** ACKs received for events. */
    long acknowledged() {
        return acknowledged;
    }

    /** Offers refused because the ACK window was full. */
    long refusedByWindow() {
        return refusedByWindow.get();
    }

    boolean registered() {
        return registered;
    }

    /**
     * Waits until the daemon side's REGISTER has arrived, the connection has failed or closed,
     * or {@code timeoutNanos} have passed; returns whether it is registered.
     */
    boolean awaitRegistered(long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (!registered) {
            if (!isOpen() || System.nanoTime() - deadline >= 0) {
                return registered;
            }
            LockSupport.parkNanos(this, REGISTER_POLL_NANOS);
        }
        return true;
    }

    @Override
    public void close() {
        shutdown(true);
    }

    @Override
    boolean peerClosesAfterFlush() {
        return registered;
    }

    // ---- writer ----

    @Override
    boolean writerStart() throws IOException {
        while (!registered) {
            // A flushing close still waits (within its bound) for a daemon to send the queue to.
            if (!running || flushAndStopRequested() && outbound.size() == 0) {
                return false;
            }
            LockSupport.parkNanos(this, REGISTER_POLL_NANOS);
        }
        NetlinkFrame.writeAck(txHeader(), 0, 0, 0, NetlinkFrame.HOST_PORT_ID);
        writeFrame(NetlinkFrame.ACK_LENGTH);
        return true;
    }

    @Override
    int ownPortId() {
        return NetlinkFrame.HOST_PORT_ID;
    }

    @Override
    int eventFlags() {
        return NetlinkFrame.F_REQUEST | NetlinkFrame.F_ACK;
    }

    @Override
    void sending(int sequence) {
        lastSent = sequence;
    }

    // ---- reader ----

    @Override
    void checkFrame(int type, int flags, int sequence, int portId) {
        if (!registered) {
            if (type != NetlinkFrame.TYPE_REGISTER) {
                throw new FrameFormatException(NetlinkFrame.typeName(type) + " before the daemon side registered");
            }
            return;
        }
        if (portId != daemonPortId) {
            throw new FrameFormatException(NetlinkFrame.typeName(type) + " from port " + Integer.toUnsignedString(portId)
                    + "; the daemon side registered as port " + Integer.toUnsignedString(daemonPortId));
        }
        switch (type) {
            case NetlinkFrame.TYPE_REGISTER:
                throw new FrameFormatException("a second REGISTER");
            case NetlinkFrame.TYPE_ACK:
                if (flags != 0) {
                    throw new FrameFormatException("ACK with flags 0x" + Integer.toHexString(flags));
                }
                break;
            default: // EVENT
                if ((flags & NetlinkFrame.F_REQUEST) == 0) {
                    throw new FrameFormatException("EVENT " + Integer.toUnsignedString(sequence) + " without NLM_F_REQUEST");
                }
        }
    }

    @Override
    void onControlFrame(int type, ByteBuffer b, int o) {
        if (type == NetlinkFrame.TYPE_REGISTER) {
            register(b, o);
        } else {
            acknowledge(b, o);
        }
    }

    private void register(ByteBuffer b, int o) {
        int version = NetlinkFrame.registerVersion(b, o);
        long size = NetlinkFrame.registerAreaSize(b, o);
        int flags = NetlinkFrame.flags(b, o);
        if (NetlinkFrame.sequence(b, o) != 0 || flags != (NetlinkFrame.F_REQUEST | NetlinkFrame.F_ACK)) {
            throw new FrameFormatException("REGISTER with sequence " + Integer.toUnsignedString(NetlinkFrame.sequence(b, o))
                    + " and flags 0x" + Integer.toHexString(flags) + " (expected 0 and REQUEST|ACK)");
        }
        if (version != NetlinkFrame.PROTOCOL_VERSION) {
            throw new FrameFormatException("daemon side speaks protocol version " + version + ", this side "
                    + NetlinkFrame.PROTOCOL_VERSION);
        }
        if (size != area.size()) {
            throw new FrameFormatException("daemon side mirrors a data area of " + size + " bytes, this side has "
                    + area.size() + "; references would not mean the same range");
        }
        daemonPortId = NetlinkFrame.portId(b, o);
        registered = true;
        LockSupport.unpark(writer);
    }

    private void acknowledge(ByteBuffer b, int o) {
        int sequence = NetlinkFrame.ackSequence(b, o);
        int error = NetlinkFrame.ackError(b, o);
        if (sequence != NetlinkFrame.sequence(b, o)) {
            throw new FrameFormatException("ACK header sequence " + Integer.toUnsignedString(NetlinkFrame.sequence(b, o))
                    + " disagrees with its acked sequence " + Integer.toUnsignedString(sequence));
        }
        if (lastSent - sequence < 0 || sequence == 0) {
            throw new FrameFormatException("ACK for sequence " + Integer.toUnsignedString(sequence)
                    + ", which was never sent (last sent " + Integer.toUnsignedString(lastSent) + ")");
        }
        if (sequence != expectedAck) {
            throw new FrameFormatException("ACK for sequence " + Integer.toUnsignedString(sequence) + " out of order; expected "
                    + Integer.toUnsignedString(expectedAck));
        }
        if (error != 0) {
            throw new FrameFormatException("daemon side refused message " + Integer.toUnsignedString(sequence)
                    + " with error " + error + (error == NetlinkFrame.EBADMSG ? " (EBADMSG: malformed)" : ""));
        }
        expectedAck++;
        if (expectedAck == 0) {
            expectedAck = 1; // sequence 0 is the registration's
        }
        unacknowledged.decrementAndGet();
        acknowledged++;
    }

    @Override
    void onPeerClosed() {
        fail("the daemon side closed the connection", false);
    }
}
