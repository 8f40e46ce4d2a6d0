package org.jtgt.api.event;

import java.nio.ByteBuffer;

/**
 * {@code UEVENT_TSK_MGMT_RSP}: the result of a task-management function, daemon → host.
 * Little-endian, 32 bytes.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                     header (16 bytes)                         |  0
 * +---------------------------------------------------------------+
 * |                  management id, mid (u64)                     | 16
 * +---------------------------------------------------------------+
 * |            result (u32, a {@link TmfResponse} code)           | 24
 * +---------------------------------------------------------------+
 * |                       reserved (u32)                          | 28
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class TskMgmtRspEvent {
    public static final int MID_OFFSET = 16;
    public static final int RESULT_OFFSET = 24;
    public static final int RESERVED_OFFSET = 28;
    public static final int LENGTH = 32;

    private TskMgmtRspEvent() {
    }

    public static long mid(ByteBuffer b, int o) { return LittleEndian.getI64(b, o + MID_OFFSET); }
    public static int result(ByteBuffer b, int o) { return LittleEndian.getI32(b, o + RESULT_OFFSET); }

    public static void write(ByteBuffer b, int o, int hostNo, long mid, TmfResponse result) {
        EventHeader.write(b, o, EventType.UEVENT_TSK_MGMT_RSP, hostNo);
        LittleEndian.putI64(b, o + MID_OFFSET, mid);
        LittleEndian.putI32(b, o + RESULT_OFFSET, result.code());
        LittleEndian.putI32(b, o + RESERVED_OFFSET, 0);
    }

    public static void validate(ByteBuffer b, int o) {
        if (TmfResponse.fromCode(result(b, o)) == null) {
            throw new EventFormatException("UEVENT_TSK_MGMT_RSP: unknown result " + result(b, o));
        }
    }
}
