package org.jtgt.fc.wire;

import java.nio.ByteBuffer;

/**
 * The FC-2 frame header (FC-FS-3 10), 24 bytes, big-endian; static accessors over a buffer and
 * the constants the LLD uses.
 *
 * <pre>
 *   0               1               2               3
 *  +---------------+-----------------------------------------------+
 *  | R_CTL         | D_ID (destination N_Port ID)                  |  0
 *  +---------------+-----------------------------------------------+
 *  | CS_CTL        | S_ID (source N_Port ID)                       |  4
 *  +---------------+-----------------------------------------------+
 *  | TYPE          | F_CTL                                         |  8
 *  +---------------+---------------+-------------------------------+
 *  | SEQ_ID        | DF_CTL        | SEQ_CNT                       | 12
 *  +---------------+---------------+-------------------------------+
 *  | OX_ID                         | RX_ID                         | 16
 *  +-------------------------------+-------------------------------+
 *  | Parameter (relative offset for data frames)                   | 20
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class FcFrameHeader {
    public static final int R_CTL_OFFSET = 0;
    public static final int D_ID_OFFSET = 1;
    public static final int CS_CTL_OFFSET = 4;
    public static final int S_ID_OFFSET = 5;
    public static final int TYPE_OFFSET = 8;
    public static final int F_CTL_OFFSET = 9;
    public static final int SEQ_ID_OFFSET = 12;
    public static final int DF_CTL_OFFSET = 13;
    public static final int SEQ_CNT_OFFSET = 14;
    public static final int OX_ID_OFFSET = 16;
    public static final int RX_ID_OFFSET = 18;
    public static final int PARAMETER_OFFSET = 20;
    public static final int LENGTH = 24;

    // ---- R_CTL: routing bits (upper nibble) + information category (lower nibble) ----
    /** FC-4 device data, solicited data (FCP_DATA). */
    public static final int R_CTL_DATA = 0x01;
    /** FC-4 device data, unsolicited control (CT request). */
    public static final int R_CTL_UNSOL_CONTROL = 0x02;
    /** FC-4 device data, solicited control (CT response). */
    public static final int R_CTL_SOL_CONTROL = 0x03;
    /** FC-4 device data, data descriptor (FCP_XFER_RDY). */
    public static final int R_CTL_DATA_DESCRIPTOR = 0x05;
    /** FC-4 device data, unsolicited command (FCP_CMND). */
    public static final int R_CTL_UNSOL_COMMAND = 0x06;
    /** FC-4 device data, command status (FCP_RSP). */
    public static final int R_CTL_COMMAND_STATUS = 0x07;
    /** Extended link services, request. */
    public static final int R_CTL_ELS_REQUEST = 0x22;
    /** Extended link services, reply. */
    public static final int R_CTL_ELS_REPLY = 0x23;
    /** Basic link services: ABTS. */
    public static final int R_CTL_BLS_ABTS = 0x81;
    public static final int R_CTL_BLS_BA_ACC = 0x84;
    public static final int R_CTL_BLS_BA_RJT = 0x85;

    // ---- TYPE ----
    public static final int TYPE_BLS = 0x00;
    public static final int TYPE_ELS = 0x01;
    public static final int TYPE_FCP = 0x08;
    public static final int TYPE_CT = 0x20;

    // ---- F_CTL bits (24 bits) ----
    /** The sender is the exchange responder. */
    public static final int F_CTL_EXCHANGE_CONTEXT = 0x800000;
    /** The sender is the sequence recipient. */
    public static final int F_CTL_SEQUENCE_CONTEXT = 0x400000;
    public static final int F_CTL_FIRST_SEQUENCE = 0x200000;
    public static final int F_CTL_LAST_SEQUENCE = 0x100000;
    public static final int F_CTL_END_SEQUENCE = 0x080000;
    public static final int F_CTL_SEQUENCE_INITIATIVE = 0x010000;
    /** The parameter field holds a relative offset. */
    public static final int F_CTL_RELATIVE_OFFSET = 0x000008;
    public static final int F_CTL_FILL_MASK = 0x000003;

    /** An originator's single-frame request that hands over the initiative. */
    public static final int F_CTL_REQUEST = F_CTL_FIRST_SEQUENCE | F_CTL_END_SEQUENCE | F_CTL_SEQUENCE_INITIATIVE;
    /** A responder's single-frame final reply. */
    public static final int F_CTL_REPLY = F_CTL_EXCHANGE_CONTEXT | F_CTL_LAST_SEQUENCE | F_CTL_END_SEQUENCE;

    /** OX_ID / RX_ID not assigned. */
    public static final int UNASSIGNED_ID = 0xFFFF;

    // ---- well-known addresses (FC-FS-3 table 38) ----
    public static final int FABRIC_LOGIN_SERVER = 0xFFFFFE;
    public static final int DIRECTORY_SERVER = 0xFFFFFC;
    public static final int FABRIC_CONTROLLER = 0xFFFFFD;

    private FcFrameHeader() {
    }

    private static int get24(ByteBuffer b, int o) {
        return (b.get(o) & 0xFF) << 16 | (b.get(o + 1) & 0xFF) << 8 | b.get(o + 2) & 0xFF;
    }

    private static void put24(ByteBuffer b, int o, int v) {
        b.put(o, (byte) (v >>> 16));
        b.put(o + 1, (byte) (v >>> 8));
        b.put(o + 2, (byte) v);
    }

    public static int rCtl(ByteBuffer b, int o) { return b.get(o + R_CTL_OFFSET) & 0xFF; }
    public static int dId(ByteBuffer b, int o) { return get24(b, o + D_ID_OFFSET); }
    public static int csCtl(ByteBuffer b, int o) { return b.get(o + CS_CTL_OFFSET) & 0xFF; }
    public static int sId(ByteBuffer b, int o) { return get24(b, o + S_ID_OFFSET); }
    public static int type(ByteBuffer b, int o) { return b.get(o + TYPE_OFFSET) & 0xFF; }
    public static int fCtl(ByteBuffer b, int o) { return get24(b, o + F_CTL_OFFSET); }
    public static int seqId(ByteBuffer b, int o) { return b.get(o + SEQ_ID_OFFSET) & 0xFF; }
    public static int dfCtl(ByteBuffer b, int o) { return b.get(o + DF_CTL_OFFSET) & 0xFF; }
    public static int seqCnt(ByteBuffer b, int o) { return b.getShort(o + SEQ_CNT_OFFSET) & 0xFFFF; }
    public static int oxId(ByteBuffer b, int o) { return b.getShort(o + OX_ID_OFFSET) & 0xFFFF; }
    public static int rxId(ByteBuffer b, int o) { return b.getShort(o + RX_ID_OFFSET) & 0xFFFF; }
    public static int parameter(ByteBuffer b, int o) { return b.getInt(o + PARAMETER_OFFSET); }

    /** Writes a whole header. */
    public static void encode(ByteBuffer b, int o, int rCtl, int dId, int sId, int type, int fCtl, int seqId,
            int seqCnt, int oxId, int rxId, int parameter) {
        b.put(o + R_CTL_OFFSET, (byte) rCtl);
        put24(b, o + D_ID_OFFSET, dId);
        b.put(o + CS_CTL_OFFSET, (byte) 0);
        put24(b, o + S_ID_OFFSET, sId);
        b.put(o + TYPE_OFFSET, (byte) type);
        put24(b, o + F_CTL_OFFSET, fCtl);
        b.put(o + SEQ_ID_OFFSET, (byte) seqId);
        b.put(o + DF_CTL_OFFSET, (byte) 0);
        b.putShort(o + SEQ_CNT_OFFSET, (short) seqCnt);
        b.putShort(o + OX_ID_OFFSET, (short) oxId);
        b.putShort(o + RX_ID_OFFSET, (short) rxId);
        b.putInt(o + PARAMETER_OFFSET, parameter);
    }

    /**
     * Checks the fields this emulation does not support: optional headers (DF_CTL) and a CS_CTL
     * priority; the rest is checked by whoever handles the frame.
     *
     * @return null if acceptable, else why not
     */
    public static String validate(ByteBuffer b, int o) {
        if (dfCtl(b, o) != 0) {
            return "optional headers (DF_CTL 0x" + Integer.toHexString(dfCtl(b, o)) + ") not supported";
        }
        return null;
    }

    /** {@code 0x010203} → {@code "010203"}, as FC port IDs are usually written. */
    public static String portId(int id) {
        return String.format("%06x", id & 0xFFFFFF);
    }
}
