package org.jtgt.api.event;

import java.nio.ByteBuffer;

/**
 * {@code KEVENT_CMD_REQ}: a SCSI command, host → daemon. Little-endian, 96 bytes.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                     header (16 bytes)                         |  0
 * +---------------------------------------------------------------+
 * |                         cid (u64)                             | 16
 * +---------------------------------------------------------------+
 * |                     I_T nexus id (u64)                        | 24
 * +---------------------------------------------------------------+
 * |                LUN (8 bytes, SAM format, as sent)             | 32
 * +---------------------------------------------------------------+
 * |                 CDB (16 bytes, zero padded)                   | 40
 * +---------------------------------------------------------------+
 * |                 initiator task tag (u32)                      | 56
 * +---------------------------------------------------------------+
 * |               expected data transfer length (u32)             | 60
 * +---------------------------------------------------------------+
 * |                 data offset in the data area (u64)            | 64
 * +---------------------------------------------------------------+
 * |                 data length in the data area (u32)            | 72
 * +---------------+---------------+-------------------------------+
 * |  direction u8 | task attr u8  |        CDB length (u16)       | 76
 * +---------------+---------------+-------------------------------+
 * |     extended CDB offset in the data area (u64, 0 if none)     | 80
 * +---------------------------------------------------------------+
 * |                   reserved (8 bytes, 0)                       | 88
 * +---------------------------------------------------------------+
 * </pre>
 *
 * A CDB of up to 16 bytes travels inline; a longer one (up to {@link #MAX_CDB_LENGTH}) is stored
 * whole in the data area at the extended CDB offset and the inline field holds its first 16
 * bytes. The data reference names the buffer the host reserved for the command: Data-Out bytes
 * for a write, room for Data-In for a read.
 */
public final class CmdReqEvent {
    public static final int CID_OFFSET = 16;
    public static final int NEXUS_OFFSET = 24;
    public static final int LUN_OFFSET = 32;
    public static final int LUN_LENGTH = 8;
    public static final int CDB_OFFSET = 40;
    public static final int INLINE_CDB_LENGTH = 16;
    public static final int TAG_OFFSET = 56;
    public static final int EXPECTED_LENGTH_OFFSET = 60;
    public static final int DATA_OFFSET_OFFSET = 64;
    public static final int DATA_LENGTH_OFFSET = 72;
    public static final int DIRECTION_OFFSET = 76;
    public static final int TASK_ATTR_OFFSET = 77;
    public static final int CDB_LENGTH_OFFSET = 78;
    public static final int EXT_CDB_OFFSET_OFFSET = 80;
    public static final int RESERVED_OFFSET = 88;
    public static final int LENGTH = 96;

    /** The longest CDB a command may carry (SPC-4 variable-length CDBs top out at 260). */
    public static final int MAX_CDB_LENGTH = 260;

    private CmdReqEvent() {
    }

    public static long cid(ByteBuffer b, int o) { return LittleEndian.getI64(b, o + CID_OFFSET); }
    public static long nexusId(ByteBuffer b, int o) { return LittleEndian.getI64(b, o + NEXUS_OFFSET); }
    /** The LUN as the 8 bytes were sent, read as a big-endian number (SAM LUN structure). */
    public static long lun(ByteBuffer b, int o) { return Long.reverseBytes(LittleEndian.getI64(b, o + LUN_OFFSET)); }
    public static int cdbByte(ByteBuffer b, int o, int i) { return b.get(o + CDB_OFFSET + i) & 0xFF; }
    public static int tag(ByteBuffer b, int o) { return LittleEndian.getI32(b, o + TAG_OFFSET); }
    public static int expectedLength(ByteBuffer b, int o) { return LittleEndian.getI32(b, o + EXPECTED_LENGTH_OFFSET); }
    public static long dataOffset(ByteBuffer b, int o) { return LittleEndian.getI64(b, o + DATA_OFFSET_OFFSET); }
    public static int dataLength(ByteBuffer b, int o) { return LittleEndian.getI32(b, o + DATA_LENGTH_OFFSET); }
    public static int direction(ByteBuffer b, int o) { return LittleEndian.getU8(b, o + DIRECTION_OFFSET); }
    public static int taskAttribute(ByteBuffer b, int o) { return LittleEndian.getU8(b, o + TASK_ATTR_OFFSET); }
    public static int cdbLength(ByteBuffer b, int o) { return LittleEndian.getU16(b, o + CDB_LENGTH_OFFSET); }
    public static long extCdbOffset(ByteBuffer b, int o) { return LittleEndian.getI64(b, o + EXT_CDB_OFFSET_OFFSET); }

    /**
     * Writes a complete record. {@code cdb[cdbOffset .. cdbOffset+min(cdbLength,16))} is copied
     * inline; for longer CDBs the caller stores the whole CDB at {@code extCdbOffset}.
     */
    public static void write(ByteBuffer b, int o, int hostNo, long cid, long nexusId, long lun,
                             byte[] cdb, int cdbLength, int tag, int expectedLength,
                             long dataOffset, int dataLength, int direction, int taskAttribute,
                             long extCdbOffset) {
        EventHeader.write(b, o, EventType.KEVENT_CMD_REQ, hostNo);
        LittleEndian.putI64(b, o + CID_OFFSET, cid);
        LittleEndian.putI64(b, o + NEXUS_OFFSET, nexusId);
        LittleEndian.putI64(b, o + LUN_OFFSET, Long.reverseBytes(lun));
        int inline = Math.min(cdbLength, INLINE_CDB_LENGTH);
        for (int i = 0; i < INLINE_CDB_LENGTH; i++) {
            b.put(o + CDB_OFFSET + i, i < inline ? cdb[i] : 0);
        }
        LittleEndian.putI32(b, o + TAG_OFFSET, tag);
        LittleEndian.putI32(b, o + EXPECTED_LENGTH_OFFSET, expectedLength);
        LittleEndian.putI64(b, o + DATA_OFFSET_OFFSET, dataOffset);
        LittleEndian.putI32(b, o + DATA_LENGTH_OFFSET, dataLength);
        LittleEndian.putU8(b, o + DIRECTION_OFFSET, direction);
        LittleEndian.putU8(b, o + TASK_ATTR_OFFSET, taskAttribute);
        LittleEndian.putU16(b, o + CDB_LENGTH_OFFSET, cdbLength);
        LittleEndian.putI64(b, o + EXT_CDB_OFFSET_OFFSET, extCdbOffset);
        LittleEndian.putI64(b, o + RESERVED_OFFSET, 0L);
    }

    /**
     * Checks the fields a daemon must trust: CDB length, direction, task attribute, and that the
     * data reference lies inside a data area of {@code dataAreaSize} bytes.
     */
    public static void validate(ByteBuffer b, int o, long dataAreaSize) {
        int cdbLength = cdbLength(b, o);
        if (cdbLength < 6 || cdbLength > MAX_CDB_LENGTH) {
            throw new EventFormatException("KEVENT_CMD_REQ: CDB length " + cdbLength + " outside 6.." + MAX_CDB_LENGTH);
        }
        if (DataDirection.fromCode(direction(b, o)) == null) {
            throw new EventFormatException("KEVENT_CMD_REQ: unknown data direction " + direction(b, o));
        }
        if (taskAttribute(b, o) > TaskAttribute.ACA.code()) {
            throw new EventFormatException("KEVENT_CMD_REQ: unknown task attribute " + taskAttribute(b, o));
        }
        DataReference.check("KEVENT_CMD_REQ data", dataOffset(b, o), dataLength(b, o), dataAreaSize);
        if (cdbLength > INLINE_CDB_LENGTH) {
            DataReference.check("KEVENT_CMD_REQ extended CDB", extCdbOffset(b, o), cdbLength, dataAreaSize);
        }
    }
}
