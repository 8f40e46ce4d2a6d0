package org.jtgt.fc.wire;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * Framing of FC frames on an FCIP byte stream, separate from their meaning: {@link #read} goes
 * HEADER → BODY and hands out only whole frames whose encapsulation, delimiters, header and CRC
 * are checked; {@link #encode} builds one encapsulated frame.
 *
 * <p>Two kinds of bad input: a header that cannot be trusted (wrong protocol, a complement that
 * disagrees, a length out of range) leaves no way to find the next frame, so the stream is lost
 * and the reader refuses everything after it ({@link BadFrameException#streamLost()}); a frame
 * whose length is sound but whose delimiters or CRC are wrong is skipped and reading goes on.
 * An FCIP Special Frame (19 words, pFlags SF) is handed out as it is ({@link Frame#special()});
 * whether it may come (only first on a link) is the link's decision.
 * Nothing is allocated per frame: the one receive buffer holds {@link FcipHeader#MAX_BYTES}.
 */
public final class FcipFraming {
    private final InputStream in;
    private final byte[] raw = new byte[FcipHeader.MAX_BYTES];
    private final ByteBuffer buffer = ByteBuffer.wrap(raw);
    private final Frame frame = new Frame(buffer);
    private boolean lost;

    /** A frame did not pass the checks. */
    public static final class BadFrameException extends Exception {
        private static final long serialVersionUID = 1L;
        private final boolean streamLost;

        BadFrameException(String reason, boolean streamLost) {
            super(reason);
            this.streamLost = streamLost;
        }

        /** True when no later frame can be found: the connection has to end. */
        public boolean streamLost() {
            return streamLost;
        }
    }

    /** A received frame: a view of the reader's buffer, valid until the next {@link #read}. */
    public static final class Frame {
        /** The whole encapsulated frame; the FC header sits at {@link FcipHeader#FRAME_OFFSET}. */
        public final ByteBuffer buffer;
        int sof;
        int eof;
        int payloadLength;
        boolean special;

        Frame(ByteBuffer buffer) {
            this.buffer = buffer;
        }

        /** An FCIP Special Frame ({@link FcipHeader#FSF_BYTES} bytes at 0); no FC frame, no SOF or EOF. */
        public boolean special() { return special; }
        public int sof() { return sof; }
        public int eof() { return eof; }
        /** Data field bytes, fill bytes excluded. */
        public int payloadLength() { return payloadLength; }
        public int payloadOffset() { return FcipHeader.FRAME_OFFSET + FcFrameHeader.LENGTH; }

        public int rCtl() { return FcFrameHeader.rCtl(buffer, FcipHeader.FRAME_OFFSET); }
        public int dId() { return FcFrameHeader.dId(buffer, FcipHeader.FRAME_OFFSET); }
        public int sId() { return FcFrameHeader.sId(buffer, FcipHeader.FRAME_OFFSET); }
        public int type() { return FcFrameHeader.type(buffer, FcipHeader.FRAME_OFFSET); }
        public int fCtl() { return FcFrameHeader.fCtl(buffer, FcipHeader.FRAME_OFFSET); }
        public int seqId() { return FcFrameHeader.seqId(buffer, FcipHeader.FRAME_OFFSET); }
        public int seqCnt() { return FcFrameHeader.seqCnt(buffer, FcipHeader.FRAME_OFFSET); }
        public int oxId() { return FcFrameHeader.oxId(buffer, FcipHeader.FRAME_OFFSET); }
        public int rxId() { return FcFrameHeader.rxId(buffer, FcipHeader.FRAME_OFFSET); }
        public int parameter() { return FcFrameHeader.parameter(buffer, FcipHeader.FRAME_OFFSET); }

        /** Payload byte {@code i} (0-based), or 0 past the end. */
        public int payloadByte(int i) {
            return i < payloadLength ? buffer.get(payloadOffset() + i) & 0xFF : 0;
        }

        public int payloadInt(int i) {
            return i + 4 <= payloadLength ? buffer.getInt(payloadOffset() + i) : 0;
        }

        public long payloadLong(int i) {
            return i + 8 <= payloadLength ? buffer.getLong(payloadOffset() + i) : 0;
        }

        /** A copy of the payload (for replies that outlive the frame). */
        public byte[] payloadCopy() {
            byte[] p = new byte[payloadLength];
            buffer.get(payloadOffset(), p);
            return p;
        }

        /** The special frame's bytes as received (for the echo). */
        public byte[] specialFrameCopy() {
            byte[] p = new byte[FcipHeader.FSF_BYTES];
            buffer.get(0, p);
            return p;
        }

        @Override
        public String toString() {
            if (special) {
                return "FCIP special frame";
            }
            return String.format("R_CTL %02x TYPE %02x %s->%s OX_ID %04x RX_ID %04x F_CTL %06x len %d", rCtl(), type(),
                    FcFrameHeader.portId(sId()), FcFrameHeader.portId(dId()), oxId(), rxId(), fCtl(), payloadLength);
        }
    }

    public FcipFraming(InputStream in) {
        this.in = in;
    }

    /**
     * Reads the next frame.
     *
     * @return the frame, or null at a clean end of stream (between frames)
     * @throws BadFrameException if the frame fails a check (see {@link BadFrameException#streamLost()})
     */
    public Frame read() throws IOException, BadFrameException {
        if (lost) {
            throw new BadFrameException("stream lost after an earlier framing error", true);
        }
        // HEADER
        int n = in.readNBytes(raw, 0, FcipHeader.LENGTH);
        if (n == 0) {
            return null;
        }
        if (n < FcipHeader.LENGTH) {
            throw new EOFException("stream ended inside an FCIP header");
        }
        String reason = FcipHeader.validate(buffer, 0);
        if (reason != null) {
            lost = true;
            throw new BadFrameException(reason, true);
        }
        int total = FcipHeader.words(buffer, 0) * 4;
        if ((FcipHeader.pflags(buffer, 0) & FcipHeader.PFLAG_SPECIAL_FRAME) != 0) {
            // FSF (RFC 3821 6.6.2): its length is checked (19 words); what it means is the link's business.
            if (in.readNBytes(raw, FcipHeader.LENGTH, total - FcipHeader.LENGTH) < total - FcipHeader.LENGTH) {
                throw new EOFException("stream ended inside a special frame");
            }
            frame.special = true;
            frame.sof = 0;
            frame.eof = 0;
            frame.payloadLength = 0;
            return frame;
        }
        frame.special = false;
        // BODY: the length is trusted now, so a bad body costs only this frame
        int rest = total - FcipHeader.LENGTH;
        if (in.readNBytes(raw, FcipHeader.LENGTH, rest) < rest) {
            throw new EOFException("stream ended inside a frame");
        }
        int sof = FcipHeader.delimiter(buffer, FcipHeader.SOF_OFFSET);
        if (sof < 0 || !FcipHeader.isSof(sof)) {
            throw new BadFrameException("bad SOF word", false);
        }
        int eof = FcipHeader.delimiter(buffer, total - 4);
        if (eof < 0 || !FcipHeader.isEof(eof)) {
            throw new BadFrameException("bad EOF word", false);
        }
        int fcLength = total - FcipHeader.FRAME_OFFSET - 8;   // header + data field, without CRC and EOF
        if (!FcCrc.check(buffer, FcipHeader.FRAME_OFFSET, fcLength)) {
            throw new BadFrameException("FC CRC mismatch", false);
        }
        reason = FcFrameHeader.validate(buffer, FcipHeader.FRAME_OFFSET);
        if (reason != null) {
            throw new BadFrameException(reason, false);
        }
        int fill = FcFrameHeader.fCtl(buffer, FcipHeader.FRAME_OFFSET) & FcFrameHeader.F_CTL_FILL_MASK;
        frame.sof = sof;
        frame.eof = eof;
        frame.payloadLength = fcLength - FcFrameHeader.LENGTH - fill;
        return frame;
    }

    /** Bytes an encapsulated frame with {@code payloadLength} data bytes takes. */
    public static int encodedLength(int payloadLength) {
        return FcipHeader.MIN_WORDS * 4 + (payloadLength + 3 & ~3);
    }

    /**
     * Encodes one frame at position 0 of {@code out} (which must hold {@link #encodedLength}).
     * Fill bytes up to a word boundary are added and counted in F_CTL.
     *
     * @param payload copied from its position to its limit; may be null for none
     * @return the encoded length
     */
    public static int encode(ByteBuffer out, int sof, int eof, int rCtl, int dId, int sId, int type, int fCtl,
            int seqId, int seqCnt, int oxId, int rxId, int parameter, ByteBuffer payload) {
        int len = payload == null ? 0 : payload.remaining();
        if (len > FcipHeader.MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload " + len + " > " + FcipHeader.MAX_PAYLOAD);
        }
        int padded = len + 3 & ~3;
        int total = encodedLength(len);
        FcipHeader.encode(out, 0, total / 4, System.currentTimeMillis());
        FcipHeader.putDelimiter(out, FcipHeader.SOF_OFFSET, sof);
        int h = FcipHeader.FRAME_OFFSET;
        FcFrameHeader.encode(out, h, rCtl, dId, sId, type, (fCtl & ~FcFrameHeader.F_CTL_FILL_MASK) | (padded - len),
                seqId, seqCnt, oxId, rxId, parameter);
        int p = h + FcFrameHeader.LENGTH;
        if (len > 0) {
            out.put(p, payload, payload.position(), len);
        }
        for (int i = len; i < padded; i++) {
            out.put(p + i, (byte) 0);
        }
        FcCrc.put(out, h, FcFrameHeader.LENGTH + padded);
        FcipHeader.putDelimiter(out, total - 4, eof);
        return total;
    }

    /** Convenience for single-frame sequences with a byte[] payload. */
    public static byte[] encode(int rCtl, int dId, int sId, int type, int fCtl, int seqId, int oxId, int rxId,
            int parameter, byte[] payload) {
        int len = payload == null ? 0 : payload.length;
        ByteBuffer out = ByteBuffer.allocate(encodedLength(len));
        encode(out, FcipHeader.SOF_I3, FcipHeader.EOF_T, rCtl, dId, sId, type, fCtl, seqId, 0, oxId, rxId, parameter,
                payload == null ? null : ByteBuffer.wrap(payload));
        return out.array();
    }
}
