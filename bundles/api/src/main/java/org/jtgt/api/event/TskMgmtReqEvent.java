package org.jtgt.api.event;

import java.nio.ByteBuffer;

/**
 * {@code KEVENT_TSK_MGMT_REQ}: a task-management function, host → daemon, carried in the same
 * per-host queue as commands so it never overtakes the commands it concerns. Little-endian,
 * 48 bytes.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                     header (16 bytes)                         |  0
 * +---------------------------------------------------------------+
 * |                  management id, mid (u64)                     | 16
 * +---------------------------------------------------------------+
 * |                     I_T nexus id (u64)                        | 24
 * +---------------------------------------------------------------+
 * |                LUN (8 bytes, SAM format, as sent)             | 32
 * +---------------------------------------------------------------+
 * |        referenced task tag (u32, ABORT TASK / QUERY TASK)     | 40
 * +---------------+-----------------------------------------------+
 * |  function u8  |              reserved (3 bytes)               | 44
 * +---------------+-----------------------------------------------+
 * </pre>
 */
public final class TskMgmtReqEvent {
    public static final int MID_OFFSET = 16;
    public static final int NEXUS_OFFSET = 24;
    public static final int LUN_OFFSET = 32;
    public static final int REF_TAG_OFFSET = 40;
    public static final int FUNCTION_OFFSET = 44;
    public static final int RESERVED_OFFSET = 45;
    public static final int LENGTH = 48;

    private TskMgmtReqEvent() {
    }

    public static long mid(ByteBuffer b, int o) { return LittleEndian.getI64(b, o + MID_OFFSET); }
    public static long nexusId(ByteBuffer b, int o) { return LittleEndian.getI64(b, o + NEXUS_OFFSET); }
    public static long lun(ByteBuffer b, int o) { return Long.reverseBytes(LittleEndian.getI64(b, o + LUN_OFFSET)); }
    public static int referencedTag(ByteBuffer b, int o) { return LittleEndian.getI32(b, o + REF_TAG_OFFSET); }
    public static int function(ByteBuffer b, int o) { return LittleEndian.getU8(b, o + FUNCTION_OFFSET); }

    public static void write(ByteBuffer b, int o, int hostNo, long mid, long nexusId, long lun,
                             int referencedTag, TaskManagementFunction function) {
        EventHeader.write(b, o, EventType.KEVENT_TSK_MGMT_REQ, hostNo);
        LittleEndian.putI64(b, o + MID_OFFSET, mid);
        LittleEndian.putI64(b, o + NEXUS_OFFSET, nexusId);
        LittleEndian.putI64(b, o + LUN_OFFSET, Long.reverseBytes(lun));
        LittleEndian.putI32(b, o + REF_TAG_OFFSET, referencedTag);
        LittleEndian.putU8(b, o + FUNCTION_OFFSET, function.code());
        LittleEndian.putU8(b, o + RESERVED_OFFSET, 0);
        LittleEndian.putU16(b, o + RESERVED_OFFSET + 1, 0);
    }

    public static void validate(ByteBuffer b, int o) {
        if (TaskManagementFunction.fromCode(function(b, o)) == null) {
            throw new EventFormatException("KEVENT_TSK_MGMT_REQ: unknown function " + function(b, o));
        }
    }
}
