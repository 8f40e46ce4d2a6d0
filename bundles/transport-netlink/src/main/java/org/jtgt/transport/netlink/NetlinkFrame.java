package org.jtgt.transport.netlink;

import java.nio.ByteBuffer;

import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.LittleEndian;

/**
 * One message on the socket, shaped like the {@code nlmsghdr} the old tgt netlink interface used.
 * All fields little-endian.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |           message length (u32, this header included)          |  0
 * +-------------------------------+-------------------------------+
 * |           type (u16)          |           flags (u16)         |  4
 * +-------------------------------+-------------------------------+
 * |                        sequence (u32)                         |  8
 * +---------------------------------------------------------------+
 * |          port id (u32: the daemon's, or 0 from the host)      | 12
 * +---------------------------------------------------------------+
 * |                        payload ...                            | 16
 *
 * TYPE_EVENT (host -> daemon: flags REQUEST|ACK; daemon -> host: REQUEST)
 * +---------------------------------------------------------------+
 * |   event record (EventHeader + body, 32..144 bytes, fixed per   | 16
 * |   type; see org.jtgt.api.event)                               |
 * +---------------------------------------------------------------+
 * |   the bytes of each data range the record references that     | 16 + record
 * |   travels in this direction, in InlineData order (0..2 ranges) |
 * +---------------------------------------------------------------+
 *
 * TYPE_ACK (like NLMSG_ERROR; 24 bytes; sequence = the acked message's)
 * +---------------------------------------------------------------+
 * |           error (i32: 0, or an errno such as EBADMSG)         | 16
 * +---------------------------------------------------------------+
 * |                    acked sequence (u32)                       | 20
 * +---------------------------------------------------------------+
 *
 * TYPE_REGISTER (daemon -> host, first message, flags REQUEST|ACK, sequence 0; 32 bytes)
 * +---------------------------------------------------------------+
 * |                  protocol version (u32, 1)                    | 16
 * +---------------------------------------------------------------+
 * |                       reserved (u32, 0)                       | 20
 * +---------------------------------------------------------------+
 * |                    data area size (u64)                       | 24
 * +---------------------------------------------------------------+
 * </pre>
 *
 * The daemon side registers first, as tgtd sent {@code TGT_UEVENT_REQ}: it writes a REGISTER on
 * every connection it accepts, and the host side answers with an ACK for sequence 0 before it
 * sends anything else. Every EVENT the host sends asks for an ACK ({@link #F_ACK}); the daemon
 * side acknowledges in order. Daemon → host events are not acknowledged, as netlink messages from
 * tgtd to the kernel were only acknowledged on error.
 *
 * <p>Framing is separate from meaning: {@link #validate} checks only what every frame must
 * satisfy (a whole header, a length within bounds, a known type, known flags, the fixed length
 * of ACK and REGISTER); the endpoint checks direction, port id and sequence, and the event codecs
 * check the record.
 */
public final class NetlinkFrame {
    public static final int LENGTH_OFFSET = 0;
    public static final int TYPE_OFFSET = 4;
    public static final int FLAGS_OFFSET = 6;
    public static final int SEQUENCE_OFFSET = 8;
    public static final int PORT_ID_OFFSET = 12;
    public static final int HEADER_LENGTH = 16;

    /** An acknowledgement, like {@code NLMSG_ERROR} with error 0 (or a refusal with an errno). */
    public static final int TYPE_ACK = 0x0002;
    /** The daemon side's registration; the first types above netlink's reserved control range. */
    public static final int TYPE_REGISTER = 0x0010;
    /** One event record plus its inline data. */
    public static final int TYPE_EVENT = 0x0011;

    /** {@code NLM_F_REQUEST}: a request to the peer (every REGISTER and EVENT). */
    public static final int F_REQUEST = 0x0001;
    /** {@code NLM_F_ACK}: the sender wants an ACK for this message. */
    public static final int F_ACK = 0x0004;
    static final int KNOWN_FLAGS = F_REQUEST | F_ACK;

    public static final int ACK_ERROR_OFFSET = 16;
    public static final int ACK_SEQUENCE_OFFSET = 20;
    public static final int ACK_LENGTH = 24;

    public static final int REGISTER_VERSION_OFFSET = 16;
    public static final int REGISTER_RESERVED_OFFSET = 20;
    public static final int REGISTER_AREA_SIZE_OFFSET = 24;
    public static final int REGISTER_LENGTH = 32;

    public static final int EVENT_RECORD_OFFSET = HEADER_LENGTH;
    /** The shortest EVENT: a header and the smallest record. */
    public static final int EVENT_MIN_LENGTH = HEADER_LENGTH + EventHeader.LENGTH;

    /** Written in REGISTER; a host side refuses any other. */
    public static final int PROTOCOL_VERSION = 1;

    /** Port id of the host side's messages (the kernel's port in netlink). */
    public static final int HOST_PORT_ID = 0;

    /** The error an ACK carries for a malformed message (Linux {@code EBADMSG}). */
    public static final int EBADMSG = 74;
    /** The error a host side answers a REGISTER it cannot accept with (Linux {@code EPROTO}). */
    public static final int EPROTO = 71;

    private NetlinkFrame() {
    }

    /** The length field, unsigned. */
    public static long length(ByteBuffer b, int o) {
        return Integer.toUnsignedLong(LittleEndian.getI32(b, o + LENGTH_OFFSET));
    }

    public static int type(ByteBuffer b, int o) {
        return LittleEndian.getU16(b, o + TYPE_OFFSET);
    }

    public static int flags(ByteBuffer b, int o) {
        return LittleEndian.getU16(b, o + FLAGS_OFFSET);
    }

    public static int sequence(ByteBuffer b, int o) {
        return LittleEndian.getI32(b, o + SEQUENCE_OFFSET);
    }

    public static int portId(ByteBuffer b, int o) {
        return LittleEndian.getI32(b, o + PORT_ID_OFFSET);
    }

    public static int ackError(ByteBuffer b, int o) {
        return LittleEndian.getI32(b, o + ACK_ERROR_OFFSET);
    }

    public static int ackSequence(ByteBuffer b, int o) {
        return LittleEndian.getI32(b, o + ACK_SEQUENCE_OFFSET);
    }

    public static int registerVersion(ByteBuffer b, int o) {
        return LittleEndian.getI32(b, o + REGISTER_VERSION_OFFSET);
    }

    public static long registerAreaSize(ByteBuffer b, int o) {
        return LittleEndian.getI64(b, o + REGISTER_AREA_SIZE_OFFSET);
    }

    public static void writeHeader(ByteBuffer b, int o, long length, int type, int flags, int sequence, int portId) {
        LittleEndian.putI32(b, o + LENGTH_OFFSET, (int) length);
        LittleEndian.putU16(b, o + TYPE_OFFSET, type);
        LittleEndian.putU16(b, o + FLAGS_OFFSET, flags);
        LittleEndian.putI32(b, o + SEQUENCE_OFFSET, sequence);
        LittleEndian.putI32(b, o + PORT_ID_OFFSET, portId);
    }

    /** A complete ACK frame for {@code sequence}. */
    public static void writeAck(ByteBuffer b, int o, int sequence, int error, int portId) {
        writeHeader(b, o, ACK_LENGTH, TYPE_ACK, 0, sequence, portId);
        LittleEndian.putI32(b, o + ACK_ERROR_OFFSET, error);
        LittleEndian.putI32(b, o + ACK_SEQUENCE_OFFSET, sequence);
    }

    /** A complete REGISTER frame (sequence 0). */
    public static void writeRegister(ByteBuffer b, int o, int portId, long dataAreaSize) {
        writeHeader(b, o, REGISTER_LENGTH, TYPE_REGISTER, F_REQUEST | F_ACK, 0, portId);
        LittleEndian.putI32(b, o + REGISTER_VERSION_OFFSET, PROTOCOL_VERSION);
        LittleEndian.putI32(b, o + REGISTER_RESERVED_OFFSET, 0);
        LittleEndian.putI64(b, o + REGISTER_AREA_SIZE_OFFSET, dataAreaSize);
    }

    /**
     * The longest frame a data area of {@code dataAreaSize} bytes can justify: a header, the
     * largest record, a data range as large as the area and an extended CDB. Anything longer is
     * rejected before a byte of its payload is read.
     */
    public static long maxLength(long dataAreaSize) {
        return Math.min(0xFFFF_FFFFL, HEADER_LENGTH + EventHeader.MAX_RECORD_LENGTH + dataAreaSize
                + CmdReqEvent.MAX_CDB_LENGTH);
    }

    /**
     * Checks that {@code available} bytes at {@code o} hold a whole frame header that any
     * receiver could accept, and returns the frame type.
     *
     * @param maxLength the longest frame this receiver accepts ({@link #maxLength(long)})
     * @throws FrameFormatException if the header is short, the length is below
     *         {@value #HEADER_LENGTH} or above {@code maxLength}, the type or a flag is unknown, or
     *         an ACK or REGISTER does not have its fixed length
     */
    public static int validate(ByteBuffer b, int o, int available, long maxLength) {
        if (available < HEADER_LENGTH) {
            throw new FrameFormatException("short frame header: " + available + " of " + HEADER_LENGTH + " bytes");
        }
        long length = length(b, o);
        if (length < HEADER_LENGTH) {
            throw new FrameFormatException("frame length " + length + " is shorter than its " + HEADER_LENGTH
                    + "-byte header");
        }
        if (length > maxLength) {
            throw new FrameFormatException("frame length " + length + " exceeds the largest frame of "
                    + maxLength + " bytes");
        }
        int type = type(b, o);
        int flags = flags(b, o);
        if ((flags & ~KNOWN_FLAGS) != 0) {
            throw new FrameFormatException("frame type 0x" + Integer.toHexString(type) + ": unknown flags 0x"
                    + Integer.toHexString(flags & ~KNOWN_FLAGS));
        }
        switch (type) {
            case TYPE_ACK:
                expectLength("ACK", length, ACK_LENGTH);
                break;
            case TYPE_REGISTER:
                expectLength("REGISTER", length, REGISTER_LENGTH);
                break;
            case TYPE_EVENT:
                if (length < EVENT_MIN_LENGTH) {
                    throw new FrameFormatException("EVENT frame of " + length + " bytes cannot hold an event record ("
                            + EVENT_MIN_LENGTH + " at least)");
                }
                break;
            default:
                throw new FrameFormatException("unknown frame type 0x" + Integer.toHexString(type));
        }
        return type;
    }

    private static void expectLength(String what, long length, int expected) {
        if (length != expected) {
            throw new FrameFormatException(what + " frame of " + length + " bytes; it has " + expected);
        }
    }

    /** Name of a frame type for messages. */
    static String typeName(int type) {
        switch (type) {
            case TYPE_ACK:
                return "ACK";
            case TYPE_REGISTER:
                return "REGISTER";
            case TYPE_EVENT:
                return "EVENT";
            default:
                return "0x" + Integer.toHexString(type);
        }
    }
}
