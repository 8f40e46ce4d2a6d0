package org.jtgt.iscsi;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ScatteringByteChannel;
import java.util.zip.CRC32C;

/**
 * Framing of inbound PDUs (RFC 7143 11.2), separate from their meaning: an explicit state
 * machine BHS → AHS + header digest → data segment + padding + data digest → COMPLETE, or
 * BAD_MESSAGE after a violation, after which nothing more is decoded on this connection.
 *
 * <p>Memory is bounded and allocated once per connection: the header buffer holds the BHS, the
 * largest possible AHS (1020 bytes) and a digest; the data buffer holds the largest data segment
 * this side accepts. Every length is checked before anything is read into a buffer. The header
 * digest is verified before any field is interpreted beyond the two lengths it needs.
 *
 * <p>A {@link Placement} may direct a data segment straight into a command's data buffer
 * (immediate data and Data-Out land in the shared data area without a copy). It sees the
 * verified header, and must return a buffer with exactly the segment's length remaining.
 *
 * <p>Reading ahead. Headers, digests and small data segments are read through a buffer of
 * {@value #READ_AHEAD} bytes with one system call for whatever the socket holds, so commands
 * that queued up while the connection was busy come in with one call, and PDUs already in the
 * buffer are decoded without any. A data segment of {@value #READ_AHEAD} bytes or more is read
 * straight into its placement once the bytes read ahead are copied there (at most
 * {@value #READ_AHEAD}, so a large segment is still received where it belongs). This matters
 * beyond the system calls: TCP serializes a socket's reads with its writes (the socket lock), so
 * a reader that asks for one 48-byte header at a time waits for every response being written on
 * the same connection before it can learn of the next command.
 */
final class PduDecoder {
    enum State { BHS, AHS, DATA, COMPLETE, BAD_MESSAGE }

    /** Chooses where a data segment goes; {@code null} means the decoder's own buffer. */
    interface Placement {
        ByteBuffer place(ByteBuffer header, int dataLength);
    }

    /** A framing violation. After one the connection is unusable (the state is BAD_MESSAGE). */
    static final class FramingException extends IOException {
        private static final long serialVersionUID = 1L;
        /** A Reject reason to send before closing, or 0 to close silently. */
        final int rejectReason;
        /** Whether the header is trustworthy enough to quote in a Reject. */
        final boolean headerValid;

        FramingException(String message, int rejectReason, boolean headerValid) {
            super(message);
            this.rejectReason = rejectReason;
            this.headerValid = headerValid;
        }
    }

    /** Bytes of the read-ahead buffer (and the smallest data segment read straight into its placement). */
    static final int READ_AHEAD = 16 * 1024;

    private final ByteBuffer header;
    private final ByteBuffer own;
    /** Bytes received and not yet decoded, from position to limit. */
    private final ByteBuffer ahead = ByteBuffer.allocateDirect(READ_AHEAD).limit(0);
    private final ByteBuffer trailer = ByteBuffer.allocateDirect(Bhs.PAD + Bhs.DIGEST_LENGTH).order(ByteOrder.BIG_ENDIAN);
    private final ByteBuffer[] scatter = new ByteBuffer[2];
    private final CRC32C crc = new CRC32C();

    private State state = State.BHS;
    private boolean loginPhase = true;
    private boolean headerDigest;
    private boolean dataDigest;
    private int maxDataSegmentLength;

    // ---- the current PDU ----
    private int ahsLength;
    private int dataLength;
    private ByteBuffer data;
    private int dataOffset;
    private boolean dataDigestOk;

    /**
     * @param maxDataSegmentLength the largest data segment accepted, ever: sizes the own buffer
     * @param initialLimit the limit until {@link #limit} changes it (8192 during login)
     */
    PduDecoder(int maxDataSegmentLength, int initialLimit) {
        header = ByteBuffer.allocateDirect(Bhs.LENGTH + Bhs.MAX_AHS_LENGTH + Bhs.DIGEST_LENGTH).order(ByteOrder.BIG_ENDIAN);
        own = ByteBuffer.allocateDirect(maxDataSegmentLength + Bhs.PAD).order(ByteOrder.BIG_ENDIAN);
        this.maxDataSegmentLength = Math.min(initialLimit, maxDataSegmentLength);
    }

    /** The login phase is over: PDUs other than Login Requests are framed from now on. */
    void fullFeaturePhase() {
        loginPhase = false;
    }

    /** Digests apply from the next PDU on (after the login response that completed negotiation). */
    void digests(boolean header, boolean data) {
        this.headerDigest = header;
        this.dataDigest = data;
    }

    /** The largest data segment accepted from the next PDU on; never more than the buffer. */
    void limit(int maxDataSegmentLength) {
        this.maxDataSegmentLength = Math.min(maxDataSegmentLength, own.capacity() - Bhs.PAD);
    }

    int limit() {
        return maxDataSegmentLength;
    }

    State state() {
        return state;
    }

    /**
     * Reads one whole PDU, blocking. Afterwards {@link #header()}, {@link #data()} and friends
     * describe it until the next call.
     *
     * @throws EOFException if the peer closed the connection (cleanly only between PDUs)
     * @throws FramingException on a framing violation; the decoder stays in BAD_MESSAGE
     */
    void read(ScatteringByteChannel channel, Placement placement) throws IOException {
        if (state == State.BAD_MESSAGE) {
            throw new FramingException("connection is in BAD_MESSAGE state", 0, false);
        }
        state = State.BHS;
        header.clear().limit(Bhs.LENGTH);
        readFully(channel, header, true);

        state = State.AHS;
        ahsLength = Bhs.totalAhsLength(header);
        dataLength = Bhs.dataSegmentLength(header);
        int opcode = Bhs.opcode(header);
        if (loginPhase && opcode != Bhs.LOGIN_REQUEST) {
            // RFC 7143 6.3: nothing but Login Requests before the full feature phase; whatever
            // else arrives (a stray protocol, garbage) is not framed any further.
            throw bad(Bhs.opcodeName(opcode) + " during login", 0, false);
        }
        if (ahsLength > 0 && opcode != Bhs.SCSI_COMMAND) {
            // Only the SCSI Command carries AHS (RFC 7143 11.2.2).
            throw bad("AHS of " + ahsLength + " bytes on " + Bhs.opcodeName(opcode), 0, false);
        }
        int rest = ahsLength + (headerDigest ? Bhs.DIGEST_LENGTH : 0);
        if (rest > 0) {
            header.limit(Bhs.LENGTH + rest);
            readFully(channel, header, false);
        }
        if (headerDigest) {
            int expected = Digests.crc32c(crc, header, 0, Bhs.LENGTH + ahsLength);
            int got = Digests.get(header, Bhs.LENGTH + ahsLength);
            if (expected != got) {
                // RFC 7143 7.8: the lengths cannot be trusted, so neither can the framing.
                throw bad("header digest mismatch", 0, false);
            }
        }
        if (dataLength > maxDataSegmentLength) {
            // Checked before anything is read or allocated (RFC 7143 13.12: a protocol error).
            throw bad("data segment of " + dataLength + " bytes exceeds the limit of " + maxDataSegmentLength,
                    RejectReason.PROTOCOL_ERROR, true);
        }

        state = State.DATA;
        dataDigestOk = true;
        if (dataLength == 0) {
            data = own;
            dataOffset = 0;
        } else {
            ByteBuffer target = placement == null ? null : placement.place(header, dataLength);
            if (target == null) {
                target = own.clear().limit(dataLength);
            } else if (target.remaining() != dataLength) {
                throw new IllegalStateException("placement returned " + target.remaining() + " bytes for " + dataLength);
            }
            data = target;
            dataOffset = target.position();
            int padding = Digests.padding(dataLength);
            trailer.clear().limit(padding + (dataDigest ? Bhs.DIGEST_LENGTH : 0));
            scatter[0] = target;
            scatter[1] = trailer;
            takeAhead(target);
            takeAhead(trailer);
            while (target.hasRemaining() || trailer.hasRemaining()) {
                boolean large = target.remaining() + trailer.remaining() >= READ_AHEAD;
                if (large ? channel.read(scatter) < 0 : !readAhead(channel)) {
                    state = State.BAD_MESSAGE;
                    throw new EOFException("connection closed inside a data segment");
                }
                takeAhead(target);
                takeAhead(trailer);
            }
            scatter[0] = null;
            if (dataDigest) {
                crc.reset();
                Digests.update(crc, data, dataOffset, dataLength);
                Digests.update(crc, trailer, 0, padding);
                dataDigestOk = (int) crc.getValue() == Digests.get(trailer, padding);
            }
        }
        state = State.COMPLETE;
    }

    /** Fills {@code b} from the bytes read ahead, reading more as needed (small reads only: headers, digests). */
    private void readFully(ScatteringByteChannel channel, ByteBuffer b, boolean atBoundary) throws IOException {
        takeAhead(b);
        while (b.hasRemaining()) {
            if (!readAhead(channel)) {
                state = State.BAD_MESSAGE;
                throw new EOFException(atBoundary && b.position() == 0 ? null : "connection closed inside a PDU header");
            }
            takeAhead(b);
        }
    }

    /**
     * One read into the read-ahead buffer, which must be empty: whatever the socket holds, up
     * to {@value #READ_AHEAD} bytes, blocking until there is at least one. False at end of stream.
     */
    private boolean readAhead(ScatteringByteChannel channel) throws IOException {
        ahead.clear();
        int n;
        do {
            n = channel.read(ahead);
        } while (n == 0);
        ahead.flip();
        return n > 0;
    }

    /** Moves what was read ahead into {@code b}, as much as fits. */
    private void takeAhead(ByteBuffer b) {
        int n = Math.min(ahead.remaining(), b.remaining());
        if (n > 0) {
            b.put(b.position(), ahead, ahead.position(), n);
            b.position(b.position() + n);
            ahead.position(ahead.position() + n);
        }
    }

    /** Bytes received and not yet decoded (read ahead of the PDUs decoded so far). */
    int readAheadBytes() {
        return ahead.remaining();
    }

    private FramingException bad(String message, int rejectReason, boolean headerValid) {
        state = State.BAD_MESSAGE;
        return new FramingException(message, rejectReason, headerValid);
    }

    /** The BHS at 0, then the AHS; big-endian, absolute access only. */
    ByteBuffer header() {
        return header;
    }

    int ahsLength() {
        return ahsLength;
    }

    int dataLength() {
        return dataLength;
    }

    /** The buffer holding the data segment at {@link #dataOffset()}; absolute access only. */
    ByteBuffer data() {
        return data;
    }

    int dataOffset() {
        return dataOffset;
    }

    /** Whether the data segment went to the decoder's own buffer (not a placement). */
    boolean dataInOwnBuffer() {
        return data == own;
    }

    boolean dataDigestOk() {
        return dataDigestOk;
    }

    /** Copies the data segment out (for text and login PDUs, which are small). */
    byte[] dataBytes() {
        byte[] b = new byte[dataLength];
        data.get(dataOffset, b, 0, dataLength);
        return b;
    }
}
