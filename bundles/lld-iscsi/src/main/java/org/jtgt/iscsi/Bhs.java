package org.jtgt.iscsi;

import java.nio.ByteBuffer;

/**
 * The iSCSI Basic Header Segment (RFC 7143 11.2.1): 48 bytes, big-endian, at the start of every
 * PDU. Fields common to all opcodes have fixed offsets; the opcode-specific ones are named
 * after the PDU that uses them.
 *
 * <pre>
 * Byte/     0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0|.|I| Opcode    |F|  Opcode-specific fields                     |
 *    +---------------+---------------+---------------+---------------+
 *   4|TotalAHSLength | DataSegmentLength                             |
 *    +---------------+---------------+---------------+---------------+
 *   8| LUN or Opcode-specific fields                                 |
 *    +                                                               +
 *  12|                                                               |
 *    +---------------+---------------+---------------+---------------+
 *  16| Initiator Task Tag                                            |
 *    +---------------+---------------+---------------+---------------+
 *  20| Opcode-specific (TTT, EDTL, CID, Referenced Task Tag, ...)    |
 *    +---------------+---------------+---------------+---------------+
 *  24| CmdSN (initiator) or StatSN (target)                          |
 *    +---------------+---------------+---------------+---------------+
 *  28| ExpStatSN (initiator) or ExpCmdSN (target)                    |
 *    +---------------+---------------+---------------+---------------+
 *  32| MaxCmdSN (target) / RefCmdSN / CDB start                      |
 *    +---------------+---------------+---------------+---------------+
 *  36| DataSN / R2TSN / Status-Class+Detail / ExpDataSN              |
 *    +---------------+---------------+---------------+---------------+
 *  40| Buffer Offset                                                 |
 *    +---------------+---------------+---------------+---------------+
 *  44| Residual Count / Desired Data Transfer Length                 |
 *    +---------------+---------------+---------------+---------------+
 *  48  (AHS, header digest, data segment, data digest follow)
 * </pre>
 */
final class Bhs {
    static final int LENGTH = 48;

    static final int OPCODE_OFFSET = 0;
    static final int FLAGS_OFFSET = 1;
    static final int BYTE2_OFFSET = 2;
    static final int BYTE3_OFFSET = 3;
    static final int TOTAL_AHS_LENGTH_OFFSET = 4;
    static final int DATA_SEGMENT_LENGTH_OFFSET = 5;
    static final int LUN_OFFSET = 8;
    static final int ISID_OFFSET = 8;
    static final int TSIH_OFFSET = 14;
    static final int ITT_OFFSET = 16;
    /** Target Transfer Tag, Expected Data Transfer Length, CID, Referenced Task Tag. */
    static final int WORD20_OFFSET = 20;
    static final int CMD_SN_OFFSET = 24;
    static final int STAT_SN_OFFSET = 24;
    static final int EXP_STAT_SN_OFFSET = 28;
    static final int EXP_CMD_SN_OFFSET = 28;
    static final int MAX_CMD_SN_OFFSET = 32;
    static final int REF_CMD_SN_OFFSET = 32;
    static final int CDB_OFFSET = 32;
    static final int CDB_LENGTH = 16;
    static final int WORD36_OFFSET = 36;
    static final int BUFFER_OFFSET_OFFSET = 40;
    static final int WORD44_OFFSET = 44;

    /** Bit 6 of byte 0: immediate delivery (RFC 7143 11.2.1.2). */
    static final int IMMEDIATE_BIT = 0x40;
    static final int OPCODE_MASK = 0x3F;
    /** Bit 7 of byte 1: final PDU of a sequence (or the "1" bit of PDUs that have no sequence). */
    static final int FINAL_BIT = 0x80;
    /** The reserved value of ITT and TTT. */
    static final int RESERVED_TAG = 0xFFFFFFFF;
    /** The data segment is padded to this many bytes (RFC 7143 11.2.3). */
    static final int PAD = 4;
    static final int DIGEST_LENGTH = 4;
    /** TotalAHSLength counts 4-byte words in one byte: at most 1020 bytes of AHS. */
    static final int MAX_AHS_LENGTH = 255 * 4;
    /** DataSegmentLength is three bytes. */
    static final int MAX_DATA_SEGMENT_LENGTH = 0xFF_FFFF;

    // ---- initiator opcodes (RFC 7143 11.2.1.2) ----
    static final int NOP_OUT = 0x00;
    static final int SCSI_COMMAND = 0x01;
    static final int TASK_MANAGEMENT_REQUEST = 0x02;
    static final int LOGIN_REQUEST = 0x03;
    static final int TEXT_REQUEST = 0x04;
    static final int DATA_OUT = 0x05;
    static final int LOGOUT_REQUEST = 0x06;
    static final int SNACK_REQUEST = 0x10;

    // ---- target opcodes ----
    static final int NOP_IN = 0x20;
    static final int SCSI_RESPONSE = 0x21;
    static final int TASK_MANAGEMENT_RESPONSE = 0x22;
    static final int LOGIN_RESPONSE = 0x23;
    static final int TEXT_RESPONSE = 0x24;
    static final int DATA_IN = 0x25;
    static final int LOGOUT_RESPONSE = 0x26;
    static final int R2T = 0x31;
    static final int ASYNC_MESSAGE = 0x32;
    static final int REJECT = 0x3F;

    // ---- SCSI Command flags, byte 1 (RFC 7143 11.3) ----
    static final int CMD_READ = 0x40;
    static final int CMD_WRITE = 0x20;
    static final int CMD_ATTR_MASK = 0x07;

    // ---- SCSI Response / Data-In flags, byte 1 (RFC 7143 11.4, 11.7) ----
    static final int RSP_BIDI_OVERFLOW = 0x10;
    static final int RSP_BIDI_UNDERFLOW = 0x08;
    static final int RSP_OVERFLOW = 0x04;
    static final int RSP_UNDERFLOW = 0x02;
    static final int DATA_IN_ACK = 0x40;
    static final int DATA_IN_STATUS = 0x01;

    // ---- Login flags, byte 1 (RFC 7143 11.12) ----
    static final int LOGIN_TRANSIT = 0x80;
    static final int LOGIN_CONTINUE = 0x40;
    static final int TEXT_CONTINUE = 0x40;

    // ---- AHS types (RFC 7143 11.2.2) ----
    static final int AHS_EXTENDED_CDB = 1;
    static final int AHS_BIDI_READ_LENGTH = 2;

    private Bhs() {
    }

    static int opcode(ByteBuffer h) {
        return h.get(OPCODE_OFFSET) & OPCODE_MASK;
    }

    static boolean immediate(ByteBuffer h) {
        return (h.get(OPCODE_OFFSET) & IMMEDIATE_BIT) != 0;
    }

    static int flags(ByteBuffer h) {
        return h.get(FLAGS_OFFSET) & 0xFF;
    }

    static boolean finalBit(ByteBuffer h) {
        return (h.get(FLAGS_OFFSET) & FINAL_BIT) != 0;
    }

    static int totalAhsLength(ByteBuffer h) {
        return (h.get(TOTAL_AHS_LENGTH_OFFSET) & 0xFF) * 4;
    }

    static int dataSegmentLength(ByteBuffer h) {
        return (h.get(DATA_SEGMENT_LENGTH_OFFSET) & 0xFF) << 16 | (h.get(DATA_SEGMENT_LENGTH_OFFSET + 1) & 0xFF) << 8
                | h.get(DATA_SEGMENT_LENGTH_OFFSET + 2) & 0xFF;
    }

    static void setDataSegmentLength(ByteBuffer h, int length) {
        h.put(DATA_SEGMENT_LENGTH_OFFSET, (byte) (length >>> 16));
        h.put(DATA_SEGMENT_LENGTH_OFFSET + 1, (byte) (length >>> 8));
        h.put(DATA_SEGMENT_LENGTH_OFFSET + 2, (byte) length);
    }

    static long lun(ByteBuffer h) {
        return h.getLong(LUN_OFFSET);
    }

    static int itt(ByteBuffer h) {
        return h.getInt(ITT_OFFSET);
    }

    static int word20(ByteBuffer h) {
        return h.getInt(WORD20_OFFSET);
    }

    static int cmdSn(ByteBuffer h) {
        return h.getInt(CMD_SN_OFFSET);
    }

    static int expStatSn(ByteBuffer h) {
        return h.getInt(EXP_STAT_SN_OFFSET);
    }

    static int word32(ByteBuffer h) {
        return h.getInt(REF_CMD_SN_OFFSET);
    }

    static int word36(ByteBuffer h) {
        return h.getInt(WORD36_OFFSET);
    }

    static int bufferOffset(ByteBuffer h) {
        return h.getInt(BUFFER_OFFSET_OFFSET);
    }

    /** The 6-byte ISID of a login request, as a number. */
    static long isid(ByteBuffer h) {
        long v = 0;
        for (int i = 0; i < 6; i++) {
            v = v << 8 | h.get(ISID_OFFSET + i) & 0xFF;
        }
        return v;
    }

    static void putIsid(ByteBuffer h, long isid) {
        for (int i = 0; i < 6; i++) {
            h.put(ISID_OFFSET + i, (byte) (isid >>> (40 - 8 * i)));
        }
    }

    static int tsih(ByteBuffer h) {
        return h.getShort(TSIH_OFFSET) & 0xFFFF;
    }

    /** Zeroes the 48 bytes of an outgoing header and sets opcode and flags. */
    static void start(ByteBuffer h, int opcode, int flags) {
        for (int i = 0; i < LENGTH; i += 8) {
            h.putLong(i, 0L);
        }
        h.put(OPCODE_OFFSET, (byte) opcode);
        h.put(FLAGS_OFFSET, (byte) flags);
    }

    static String opcodeName(int opcode) {
        switch (opcode) {
            case NOP_OUT: return "NOP-Out";
            case SCSI_COMMAND: return "SCSI Command";
            case TASK_MANAGEMENT_REQUEST: return "Task Management Function Request";
            case LOGIN_REQUEST: return "Login Request";
            case TEXT_REQUEST: return "Text Request";
            case DATA_OUT: return "SCSI Data-Out";
            case LOGOUT_REQUEST: return "Logout Request";
            case SNACK_REQUEST: return "SNACK Request";
            default: return "opcode 0x" + Integer.toHexString(opcode);
        }
    }
}
