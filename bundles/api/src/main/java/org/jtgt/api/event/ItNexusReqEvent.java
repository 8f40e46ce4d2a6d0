package org.jtgt.api.event;

import java.nio.ByteBuffer;

/**
 * {@code KEVENT_IT_NEXUS_REQ}: create or destroy an I_T nexus, host → daemon. Little-endian,
 * 40 bytes. The names are longer than a slot allows (an iSCSI initiator port name is up to 240
 * bytes), so they travel in the data area as {@code initiator-port-name NUL target-name}, UTF-8.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                     header (16 bytes)                         |  0
 * +---------------+---------------+-------------------------------+
 * |                     I_T nexus id (u64)                        | 16
 * +---------------+---------------+-------------------------------+
 * |  op u8        |  reserved u8  | relative target port id (u16) | 24
 * +---------------+---------------+-------------------------------+
 * |               names length in the data area (u32)             | 28
 * +---------------------------------------------------------------+
 * |               names offset in the data area (u64)             | 32
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class ItNexusReqEvent {
    public static final int NEXUS_OFFSET = 16;
    public static final int OP_OFFSET = 24;
    public static final int RESERVED_OFFSET = 25;
    public static final int REL_PORT_OFFSET = 26;
    public static final int NAMES_LENGTH_OFFSET = 28;
    public static final int NAMES_OFFSET_OFFSET = 32;
    public static final int LENGTH = 40;

    public static final int OP_CREATE = 1;
    public static final int OP_DESTROY = 2;

    /** Upper bound on the names blob: two iSCSI names of 255 bytes, a separator and slack. */
    public static final int MAX_NAMES_LENGTH = 512;

    private ItNexusReqEvent() {
    }

    public static long nexusId(ByteBuffer b, int o) { return LittleEndian.getI64(b, o + NEXUS_OFFSET); }
    public static int op(ByteBuffer b, int o) { return LittleEndian.getU8(b, o + OP_OFFSET); }
    public static int relativePort(ByteBuffer b, int o) { return LittleEndian.getU16(b, o + REL_PORT_OFFSET); }
    public static int namesLength(ByteBuffer b, int o) { return LittleEndian.getI32(b, o + NAMES_LENGTH_OFFSET); }
    public static long namesOffset(ByteBuffer b, int o) { return LittleEndian.getI64(b, o + NAMES_OFFSET_OFFSET); }

    public static void write(ByteBuffer b, int o, int hostNo, long nexusId, int op, int relativePort,
                             long namesOffset, int namesLength) {
        EventHeader.write(b, o, EventType.KEVENT_IT_NEXUS_REQ, hostNo);
        LittleEndian.putI64(b, o + NEXUS_OFFSET, nexusId);
        LittleEndian.putU8(b, o + OP_OFFSET, op);
        LittleEndian.putU8(b, o + RESERVED_OFFSET, 0);
        LittleEndian.putU16(b, o + REL_PORT_OFFSET, relativePort);
        LittleEndian.putI32(b, o + NAMES_LENGTH_OFFSET, namesLength);
        LittleEndian.putI64(b, o + NAMES_OFFSET_OFFSET, namesOffset);
    }

    public static void validate(ByteBuffer b, int o, long dataAreaSize) {
        int op = op(b, o);
        if (op != OP_CREATE && op != OP_DESTROY) {
            throw new EventFormatException("KEVENT_IT_NEXUS_REQ: unknown op " + op);
        }
        if (op == OP_CREATE) {
            int n = namesLength(b, o);
            if (n < 3 || n > MAX_NAMES_LENGTH) {
                throw new EventFormatException("KEVENT_IT_NEXUS_REQ: names length " + n + " outside 3.." + MAX_NAMES_LENGTH);
            }
            DataReference.check("KEVENT_IT_NEXUS_REQ names", namesOffset(b, o), n, dataAreaSize);
        }
    }
}
