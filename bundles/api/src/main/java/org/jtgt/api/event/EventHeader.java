package org.jtgt.api.event;

import java.nio.ByteBuffer;

/**
 * The 16-byte header every event record starts with. All fields little-endian.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+-------------------------------+
 * |          type (u16)           |         version (u16)         |  0
 * +-------------------------------+-------------------------------+
 * |                     record length (u32)                       |  4
 * +---------------------------------------------------------------+
 * |                        host no (u32)                          |  8
 * +---------------------------------------------------------------+
 * |                       reserved (u32, 0)                       | 12
 * +---------------------------------------------------------------+
 * |                    type-specific body ...                     | 16
 * </pre>
 *
 * Record lengths are fixed per type and multiples of 8; every record fits in
 * {@link #MAX_RECORD_LENGTH} bytes, so a transport can use fixed slots.
 */
public final class EventHeader {
    public static final int TYPE_OFFSET = 0;
    public static final int VERSION_OFFSET = 2;
    public static final int LENGTH_OFFSET = 4;
    public static final int HOST_NO_OFFSET = 8;
    public static final int RESERVED_OFFSET = 12;
    public static final int LENGTH = 16;

    /** Layout version written in every record; a reader rejects any other. */
    public static final int VERSION = 1;

    /** The largest record of any type ({@link CmdRspEvent#LENGTH}). */
    public static final int MAX_RECORD_LENGTH = 144;

    /** Records start and end on this boundary. */
    public static final int ALIGNMENT = 8;

    private EventHeader() {
    }

    public static int type(ByteBuffer b, int offset) {
        return LittleEndian.getU16(b, offset + TYPE_OFFSET);
    }

    public static int version(ByteBuffer b, int offset) {
        return LittleEndian.getU16(b, offset + VERSION_OFFSET);
    }

    public static int length(ByteBuffer b, int offset) {
        return LittleEndian.getI32(b, offset + LENGTH_OFFSET);
    }

    public static int hostNo(ByteBuffer b, int offset) {
        return LittleEndian.getI32(b, offset + HOST_NO_OFFSET);
    }

    /** Writes a header for {@code type} with its fixed length and clears the reserved word. */
    public static void write(ByteBuffer b, int offset, EventType type, int hostNo) {
        LittleEndian.putU16(b, offset + TYPE_OFFSET, type.code());
        LittleEndian.putU16(b, offset + VERSION_OFFSET, VERSION);
        LittleEndian.putI32(b, offset + LENGTH_OFFSET, type.recordLength());
        LittleEndian.putI32(b, offset + HOST_NO_OFFSET, hostNo);
        LittleEndian.putI32(b, offset + RESERVED_OFFSET, 0);
    }

    /**
     * Checks that {@code available} bytes at {@code offset} hold one complete, well-formed event
     * header and returns its type.
     *
     * @throws EventFormatException if the record is truncated, of an unknown type or version, or
     *         its length disagrees with its type
     */
    public static EventType validate(ByteBuffer b, int offset, int available) {
        if (available < LENGTH) {
            throw new EventFormatException("truncated event: " + available + " bytes, header needs " + LENGTH);
        }
        if (offset < 0 || offset + available > b.capacity()) {
            throw new EventFormatException("event at " + offset + "+" + available + " lies outside a buffer of " + b.capacity());
        }
        int code = type(b, offset);
        EventType type = EventType.fromCode(code);
        if (type == null) {
            throw new EventFormatException("unknown event type 0x" + Integer.toHexString(code));
        }
        int version = version(b, offset);
        if (version != VERSION) {
            throw new EventFormatException(type + ": unsupported layout version " + version + " (expected " + VERSION + ")");
        }
        int length = length(b, offset);
        if (length != type.recordLength()) {
            throw new EventFormatException(type + ": record length " + length + " but the type has " + type.recordLength());
        }
        if (length > available) {
            throw new EventFormatException(type + ": truncated, " + available + " of " + length + " bytes");
        }
        return type;
    }
}
