package org.jtgt.transport.shm;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The control link between the front process and the daemon process of the split shape: a Unix
 * stream socket beside the region ({@code jtgt-front.sock}), the front listening. It carries what
 * the rings do not: who attaches to which generation, the target ports the front's drivers
 * registered, and the daemon's catalog (targets, CHAP accounts, ports) that the front answers
 * discovery and logins from. Its end of file is how each side learns that the other died: the
 * kernel closes a killed process's socket.
 *
 * <p>Frames: {@code u32 length} (big-endian, 2..{@value #MAX_FRAME}), {@code u16 type}, payload in
 * {@link DataOutputStream} encoding. Either peer may be hostile: a frame out of bounds, an unknown
 * type or a payload that does not parse ends the link.
 *
 * <pre>
 * HELLO           daemon → front  u32 protocol, u64 pid, UTF build version, UTF medium (shm, netlink)
 * ATTACH          front → daemon  u64 generation, UTF medium, UTF region path (shm; else empty), u64 data area size,
 *                                 u32 ports (u16 id, UTF driver, UTF description)*,
 *                                 u32 targets the previous daemon had (UTF name, u32 units (u32 lun)*)*,
 *                                 u64 daemons attached to this front before
 * READY           daemon → front  u64 generation, UTF address of the daemon's end (shm: empty; the daemon
 *                                 consumes the rings of that generation)
 * PORT_REGISTER   front → daemon  u16 id, UTF driver, UTF description
 * PORT_UNREGISTER front → daemon  u16 id
 * CATALOG         daemon → front  see {@link CatalogCodec}
 * REFUSED         front → daemon  UTF reason (another daemon is attached, or the protocol or medium differs)
 * LEAVING         daemon → front  (a planned stop: take no new requests from me, tell me when I have answered all)
 * LEFT            front → daemon  u32 requests still unanswered (0 unless the front's wait timed out)
 * </pre>
 */
final class PeerLink implements Closeable {
    /** 2: HELLO names the medium, ATTACH and READY carry what a medium other than shm needs. */
    static final int PROTOCOL = 2;
    static final int MAX_FRAME = 1 << 20;

    static final int HELLO = 1;
    static final int ATTACH = 2;
    static final int READY = 3;
    static final int PORT_REGISTER = 4;
    static final int PORT_UNREGISTER = 5;
    static final int CATALOG = 6;
    static final int REFUSED = 7;
    static final int LEAVING = 8;
    static final int LEFT = 9;

    /** One frame read: its type and a reader over its payload. */
    record Frame(int type, DataInputStream payload) {
    }

    /** Writes a payload. */
    @FunctionalInterface
    interface Payload {
        void write(DataOutputStream out) throws IOException;
    }

    private final SocketChannel channel;
    private final ByteBuffer lengthBuffer = ByteBuffer.allocate(4);
    private final Object writeLock = new Object();
    private volatile boolean fenced;

    PeerLink(SocketChannel channel) {
        this.channel = channel;
    }

    /** The next frame; {@link EOFException} when the peer closed the link or died. */
    Frame read() throws IOException {
        lengthBuffer.clear();
        readFully(lengthBuffer);
        int length = lengthBuffer.getInt(0);
        if (length < 2 || length > MAX_FRAME) {
            throw new IOException("link frame of " + length + " bytes (2.." + MAX_FRAME + " allowed)");
        }
        ByteBuffer body = ByteBuffer.allocate(length);
        readFully(body);
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(body.array()));
        int type = in.readUnsignedShort();
        if (type < HELLO || type > LEFT) {
            throw new IOException("unknown link frame type " + type);
        }
        return new Frame(type, in);
    }

    private void readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                throw new EOFException("link closed by the peer");
            }
        }
    }

    void write(int type, Payload payload) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(0);
        out.writeShort(type);
        payload.write(out);
        out.flush();
        ByteBuffer frame = ByteBuffer.wrap(bytes.toByteArray());
        int length = frame.remaining() - 4;
        if (length > MAX_FRAME) {
            throw new IOException("link frame of " + length + " bytes exceeds " + MAX_FRAME);
        }
        frame.putInt(0, length);
        synchronized (writeLock) {
            while (frame.hasRemaining()) {
                channel.write(frame);
            }
        }
    }

    /** A count read from a peer, refused beyond {@code max}. */
    static int count(DataInputStream in, int max, String what) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > max) {
            throw new IOException(what + ": count " + n + " outside 0.." + max);
        }
        return n;
    }

    /** A relative target port identifier read from a peer. */
    static int portId(DataInputStream in) throws IOException {
        int id = in.readUnsignedShort();
        if (id < 1) {
            throw new IOException("relative target port identifier 0 is reserved");
        }
        return id;
    }

    /** Closes the link because its daemon is fenced (its reader's error is then no protocol error). */
    void fence() {
        fenced = true;
        close();
    }

    boolean fenced() {
        return fenced;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing: nothing to tell anyone
        }
    }
}
