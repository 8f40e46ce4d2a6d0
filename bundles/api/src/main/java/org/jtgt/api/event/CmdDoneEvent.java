package org.jtgt.api.event;

import java.nio.ByteBuffer;

/**
 * {@code KEVENT_CMD_DONE}: the host delivered (or failed to deliver) the response, so the
 * command's life is over and the daemon frees what it holds. Little-endian, 32 bytes.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                     header (16 bytes)                         |  0
 * +---------------------------------------------------------------+
 * |                         cid (u64)                             | 16
 * +---------------------------------------------------------------+
 * |      delivery result (i32: 0 delivered, else an errno)        | 24
 * +---------------------------------------------------------------+
 * |                       reserved (u32)                          | 28
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class CmdDoneEvent {
    public static final int CID_OFFSET = 16;
    public static final int RESULT_OFFSET = 24;
    public static final int RESERVED_OFFSET = 28;
    public static final int LENGTH = 32;

    /** The response reached the LLD. */
    public static final int DELIVERED = 0;
    /** The I_T nexus went away (connection dropped) before the response could be delivered. */
    public static final int NEXUS_LOST = 103; // ECONNABORTED

    private CmdDoneEvent() {
    }

    public static long cid(ByteBuffer b, int o) { return LittleEndian.getI64(b, o + CID_OFFSET); }
    public static int result(ByteBuffer b, int o) { return LittleEndian.getI32(b, o + RESULT_OFFSET); }

    public static void write(ByteBuffer b, int o, int hostNo, long cid, int result) {
        EventHeader.write(b, o, EventType.KEVENT_CMD_DONE, hostNo);
        LittleEndian.putI64(b, o + CID_OFFSET, cid);
        LittleEndian.putI32(b, o + RESULT_OFFSET, result);
        LittleEndian.putI32(b, o + RESERVED_OFFSET, 0);
    }
}
