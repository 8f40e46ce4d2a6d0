package org.jtgt.api.event;

import java.nio.ByteBuffer;

/**
 * {@code UEVENT_CMD_RSP}: the daemon's answer to a command, daemon → host. Little-endian,
 * 144 bytes.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                     header (16 bytes)                         |  0
 * +---------------------------------------------------------------+
 * |                         cid (u64)                             | 16
 * +---------------------------------------------------------------+
 * |              Data-In offset in the data area (u64)            | 24
 * +---------------------------------------------------------------+
 * |                    Data-In length (u32)                       | 32
 * +---------------------------------------------------------------+
 * |        residual (i32: > 0 underflow, < 0 overflow)            | 36
 * +---------------+---------------+-------------------------------+
 * | SCSI status u8| sense len u8  |          flags (u16)          | 40
 * +---------------+---------------+-------------------------------+
 * |                       reserved (u32)                          | 44
 * +---------------------------------------------------------------+
 * |                 sense data (96 bytes, inline)                 | 48
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Flags (since 1.1): {@link #FLAG_ABORTED} says the task was ended by task management or by
 * the loss of its I_T nexus before it completed: the status is TASK ABORTED, there is no Data-In
 * and no sense, and the LLD sends the initiator nothing for it (SAM-5 5.6: a task aborted by a
 * task management function of its own I_T nexus ends without status; RFC 7143 11.5.1). Its slot
 * is ended with {@code KEVENT_CMD_DONE} like any other.
 */
public final class CmdRspEvent {
    public static final int CID_OFFSET = 16;
    public static final int DATA_OFFSET_OFFSET = 24;
    public static final int DATA_LENGTH_OFFSET = 32;
    public static final int RESIDUAL_OFFSET = 36;
    public static final int STATUS_OFFSET = 40;
    public static final int SENSE_LENGTH_OFFSET = 41;
    /** u16 flags, reserved (zero) before 1.1. */
    public static final int FLAGS_OFFSET = 42;
    /** Kept for readers of the 1.0 layout: the flags field, and the reserved u32 after it. */
    public static final int RESERVED_OFFSET = 42;
    /** The task was aborted: the initiator gets no response for it. @since 1.1 */
    public static final int FLAG_ABORTED = 0x1;
    public static final int SENSE_OFFSET = 48;
    public static final int MAX_SENSE_LENGTH = 96;
    public static final int LENGTH = 144;

    private CmdRspEvent() {
    }

    public static long cid(ByteBuffer b, int o) { return LittleEndian.getI64(b, o + CID_OFFSET); }
    public static long dataOffset(ByteBuffer b, int o) { return LittleEndian.getI64(b, o + DATA_OFFSET_OFFSET); }
    public static int dataLength(ByteBuffer b, int o) { return LittleEndian.getI32(b, o + DATA_LENGTH_OFFSET); }
    public static int residual(ByteBuffer b, int o) { return LittleEndian.getI32(b, o + RESIDUAL_OFFSET); }
    public static int status(ByteBuffer b, int o) { return LittleEndian.getU8(b, o + STATUS_OFFSET); }
    public static int senseLength(ByteBuffer b, int o) { return LittleEndian.getU8(b, o + SENSE_LENGTH_OFFSET); }
    /** @since 1.1 */
    public static int flags(ByteBuffer b, int o) { return LittleEndian.getU16(b, o + FLAGS_OFFSET); }

    /** Whether the record ends an aborted task ({@link #FLAG_ABORTED}). @since 1.1 */
    public static boolean aborted(ByteBuffer b, int o) { return (flags(b, o) & FLAG_ABORTED) != 0; }

    /** Copies the sense bytes into {@code dst} and returns how many there were. */
    public static int sense(ByteBuffer b, int o, byte[] dst) {
        int n = Math.min(senseLength(b, o), Math.min(dst.length, MAX_SENSE_LENGTH));
        b.get(o + SENSE_OFFSET, dst, 0, n);
        return n;
    }

    /** Writes a record without sense; {@link #putSense} adds it. */
    public static void write(ByteBuffer b, int o, int hostNo, long cid, long dataOffset, int dataLength,
                             int residual, int status) {
        EventHeader.write(b, o, EventType.UEVENT_CMD_RSP, hostNo);
        LittleEndian.putI64(b, o + CID_OFFSET, cid);
        LittleEndian.putI64(b, o + DATA_OFFSET_OFFSET, dataOffset);
        LittleEndian.putI32(b, o + DATA_LENGTH_OFFSET, dataLength);
        LittleEndian.putI32(b, o + RESIDUAL_OFFSET, residual);
        LittleEndian.putU8(b, o + STATUS_OFFSET, status);
        LittleEndian.putU8(b, o + SENSE_LENGTH_OFFSET, 0);
        LittleEndian.putU16(b, o + RESERVED_OFFSET, 0);
        LittleEndian.putI32(b, o + RESERVED_OFFSET + 2, 0);
    }

    /**
     * Writes the record that ends an aborted task: status TASK ABORTED, no data, no sense,
     * {@link #FLAG_ABORTED}.
     *
     * @since 1.1
     */
    public static void writeAborted(ByteBuffer b, int o, int hostNo, long cid, long dataOffset, int residual) {
        write(b, o, hostNo, cid, dataOffset, 0, residual, org.jtgt.api.scsi.ScsiStatus.TASK_ABORTED);
        LittleEndian.putU16(b, o + FLAGS_OFFSET, FLAG_ABORTED);
    }

    public static void putSense(ByteBuffer b, int o, byte[] sense, int length) {
        if (length > MAX_SENSE_LENGTH) {
            throw new IllegalArgumentException("sense of " + length + " bytes exceeds " + MAX_SENSE_LENGTH);
        }
        b.put(o + SENSE_OFFSET, sense, 0, length);
        LittleEndian.putU8(b, o + SENSE_LENGTH_OFFSET, length);
    }

    public static void validate(ByteBuffer b, int o, long dataAreaSize) {
        if (senseLength(b, o) > MAX_SENSE_LENGTH) {
            throw new EventFormatException("UEVENT_CMD_RSP: sense length " + senseLength(b, o) + " exceeds " + MAX_SENSE_LENGTH);
        }
        DataReference.check("UEVENT_CMD_RSP Data-In", dataOffset(b, o), dataLength(b, o), dataAreaSize);
        if (aborted(b, o) && (dataLength(b, o) != 0 || senseLength(b, o) != 0)) {
            throw new EventFormatException("UEVENT_CMD_RSP: an aborted task carries Data-In or sense");
        }
    }
}
