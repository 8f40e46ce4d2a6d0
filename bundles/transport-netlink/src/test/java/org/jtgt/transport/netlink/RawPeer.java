package org.jtgt.transport.netlink;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The other end of a connection, written by hand: a raw host client on the transport's socket,
 * or the accepted end of a raw daemon. Reads poll a non-blocking channel with a deadline, so a
 * test never hangs on a peer that says nothing.
 */
final class RawPeer implements AutoCloseable {
    final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

    RawPeer(SocketChannel channel) throws IOException {
        this.channel = channel;
        channel.configureBlocking(false);
    }

    static RawPeer connect(Path socket) throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(socket));
        return new RawPeer(c);
    }

    void write(ByteBuffer frame) throws IOException {
        ByteBuffer b = frame.duplicate();
        b.position(0);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (b.hasRemaining()) {
            if (channel.write(b) == 0) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IOException("peer does not read");
                }
                sleep();
            }
        }
    }

    void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    /**
     * The next whole frame (a heap buffer, little-endian, position 0), or null if the peer closed
     * the connection first.
     */
    ByteBuffer readFrame(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (in.position() >= NetlinkFrame.HEADER_LENGTH) {
                int length = in.getInt(0);
                if (length >= NetlinkFrame.HEADER_LENGTH && in.position() >= length) {
                    ByteBuffer frame = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
                    frame.put(0, in, 0, length);
                    in.flip().position(length);
                    in.compact();
                    return frame;
                }
            }
            int n;
            try {
                n = channel.read(in);
            } catch (IOException e) {
                return null; // reset: closed
            }
            if (n < 0) {
                return null;
            }
            if (n == 0) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("no frame within " + timeout.toMillis() + " ms");
                }
                sleep();
            }
        }
    }

    /** Reads (and drops) frames until the peer closes; false if it stays open for {@code timeout}. */
    boolean awaitClosed(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteBuffer sink = ByteBuffer.allocate(1 << 16);
        while (true) {
            sink.clear();
            int n;
            try {
                n = channel.read(sink);
            } catch (IOException e) {
                return true;
            }
            if (n < 0) {
                return true;
            }
            if (n == 0) {
                if (System.nanoTime() - deadline > 0) {
                    return false;
                }
                sleep();
            }
        }
    }

    /** Reads the daemon side's REGISTER and acknowledges it, as a host side must. */
    ByteBuffer handshake() throws IOException {
        ByteBuffer register = readFrame(Duration.ofSeconds(5));
        if (register == null || NetlinkFrame.type(register, 0) != NetlinkFrame.TYPE_REGISTER) {
            throw new AssertionError("expected a REGISTER first");
        }
        write(Events.ack(0, 0, NetlinkFrame.HOST_PORT_ID));
        return register;
    }

    private static void sleep() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
