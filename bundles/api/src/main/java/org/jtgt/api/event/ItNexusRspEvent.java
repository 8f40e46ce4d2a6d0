package org.jtgt.api.event;

import java.nio.ByteBuffer;

/**
 * {@code UEVENT_IT_NEXUS_RSP}: the daemon accepted or refused a nexus request, daemon → host.
 * Little-endian, 32 bytes.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                     header (16 bytes)                         |  0
 * +---------------------------------------------------------------+
 * |                     I_T nexus id (u64)                        | 16
 * +---------------------------------------------------------------+
 * |      result (i32: 0, or one of the RESULT_* refusals)         | 24
 * +---------------------------------------------------------------+
 * |                 op (u32, echoed from the request)             | 28
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class ItNexusRspEvent {
    public static final int NEXUS_OFFSET = 16;
    public static final int RESULT_OFFSET = 24;
    public static final int OP_OFFSET = 28;
    public static final int LENGTH = 32;

    public static final int RESULT_OK = 0;
    /** No target of that name. */
    public static final int RESULT_NO_SUCH_TARGET = -2;
    /** The target's ACL does not admit that initiator. */
    public static final int RESULT_ACCESS_DENIED = -13;
    /** A nexus with that id exists already, or the daemon has no room for another. */
    public static final int RESULT_EXISTS = -17;
    /** The nexus to destroy is unknown. */
    public static final int RESULT_NO_SUCH_NEXUS = -3;

    private ItNexusRspEvent() {
    }

    public static long nexusId(ByteBuffer b, int o) { return LittleEndian.getI64(b, o + NEXUS_OFFSET); }
    public static int result(ByteBuffer b, int o) { return LittleEndian.getI32(b, o + RESULT_OFFSET); }
    public static int op(ByteBuffer b, int o) { return LittleEndian.getI32(b, o + OP_OFFSET); }

    public static void write(ByteBuffer b, int o, int hostNo, long nexusId, int result, int op) {
        EventHeader.write(b, o, EventType.UEVENT_IT_NEXUS_RSP, hostNo);
        LittleEndian.putI64(b, o + NEXUS_OFFSET, nexusId);
        LittleEndian.putI32(b, o + RESULT_OFFSET, result);
        LittleEndian.putI32(b, o + OP_OFFSET, op);
    }
}
