package org.jtgt.fc.wire;

import java.nio.ByteBuffer;

/**
 * Extended link service payloads (FC-LS-3), big-endian. The first byte of every ELS payload is
 * its command code.
 *
 * <pre>
 * FLOGI / FDISC / PLOGI and their LS_ACC (116 bytes, FC-LS-3 6.6.2 / 6.6.3):
 *    0  command (04 FLOGI, 51 FDISC, 03 PLOGI, 02 LS_ACC), 3 bytes 0
 *    4  common service parameters (16):
 *         4 FC-PH version high, 5 low, 6-7 buffer-to-buffer credit,
 *         8-9 common features, 10-11 B2B receive data field size (low 12 bits),
 *        12-15 (PLOGI) total concurrent sequences + RO by category / (FLOGI) R_A_TOV,
 *        16-19 E_D_TOV
 *   20  port name (WWPN, 8)
 *   28  node name (WWNN, 8)
 *   36  class 1, 52 class 2, 68 class 3 service parameters (16 each):
 *         +0 service options (0x8000 class valid), +6 receive data field size, +10 concurrent
 *         sequences, +12 open sequences per exchange
 *   84  class 4 service parameters (16)
 *  100  vendor version level (16)
 *
 * PRLI / PRLO and LS_ACC (4 + 16 per page, FC-LS-3 6.7; FCP page FCP-4 6.3):
 *    0  command (20 PRLI, 21 PRLO, 02 LS_ACC), 1 page length 0x10, 2-3 payload length 20
 *    4  type code (08 FCP), 5 type code extension, 6 flags (0x20 establish image pair;
 *       in LS_ACC also the response code in bits 3..0: 1 = request executed), 7 reserved
 *    8  originator process associator, 12 responder process associator
 *   16  FCP service parameters (0x20 initiator function, 0x10 target function,
 *       0x02 read FCP_XFER_RDY disabled, 0x01 write FCP_XFER_RDY disabled)
 *
 * LOGO (16): 0 command 05, 5-7 N_Port ID, 8 port name
 * LS_RJT (8): 0 command 01, 5 reason code, 6 reason explanation, 7 vendor unique
 * </pre>
 */
public final class Els {
    public static final int LS_RJT = 0x01;
    public static final int LS_ACC = 0x02;
    public static final int PLOGI = 0x03;
    public static final int FLOGI = 0x04;
    public static final int LOGO = 0x05;
    public static final int PRLI = 0x20;
    public static final int PRLO = 0x21;
    public static final int FDISC = 0x51;

    public static final int LOGIN_LENGTH = 116;
    public static final int COMMON_FEATURES_OFFSET = 8;
    public static final int RX_SIZE_OFFSET = 10;
    public static final int PORT_NAME_OFFSET = 20;
    public static final int NODE_NAME_OFFSET = 28;
    public static final int CLASS3_OFFSET = 68;
    public static final int CLASS_RX_SIZE = 6;

    public static final int PRLI_LENGTH = 20;
    public static final int PRLI_TYPE_OFFSET = 4;
    public static final int PRLI_FLAGS_OFFSET = 6;
    public static final int PRLI_SERVICE_OFFSET = 16;
    public static final int PRLI_ESTABLISH_IMAGE_PAIR = 0x20;
    public static final int PRLI_REQUEST_EXECUTED = 0x01;
    public static final int FCP_INITIATOR_FUNCTION = 0x20;
    public static final int FCP_TARGET_FUNCTION = 0x10;
    public static final int FCP_READ_XFER_RDY_DISABLED = 0x02;

    public static final int LOGO_LENGTH = 16;
    public static final int LS_RJT_LENGTH = 8;

    /** Common features: the responder of a FLOGI LS_ACC is an F_Port. */
    public static final int FEATURE_F_PORT = 0x1000;
    /** Common features: continuously increasing relative offset. */
    public static final int FEATURE_CIRO = 0x8000;

    // LS_RJT reasons (FC-LS-3 table 131) and explanations (table 132)
    public static final int RJT_INVALID_COMMAND = 0x01;
    public static final int RJT_LOGICAL_ERROR = 0x03;
    public static final int RJT_LOGICAL_BUSY = 0x05;
    public static final int RJT_PROTOCOL_ERROR = 0x07;
    public static final int RJT_UNABLE = 0x09;
    public static final int RJT_NOT_SUPPORTED = 0x0B;
    public static final int EXPL_NONE = 0x00;
    public static final int EXPL_INVALID_PORT_NAME = 0x0D;
    public static final int EXPL_LOGIN_REQUIRED = 0x1E;
    public static final int EXPL_INSUFFICIENT_RESOURCES = 0x29;

    private Els() {
    }

    /**
     * A FLOGI/FDISC/PLOGI request or LS_ACC.
     *
     * @param word3 bytes 12-15: R_A_TOV for fabric logins, concurrent sequences and RO by category for PLOGI
     */
    public static byte[] login(int command, long portName, long nodeName, int rxSize, int features, int word3,
            int edtov) {
        ByteBuffer b = ByteBuffer.allocate(LOGIN_LENGTH);
        b.put(0, (byte) command);
        b.put(4, (byte) 0x20);          // FC-PH version: FC-FS-3 and later report 0x20
        b.put(5, (byte) 0x20);
        b.putShort(6, (short) 10);      // B2B credit: nominal, TCP does the flow control
        b.putShort(COMMON_FEATURES_OFFSET, (short) features);
        b.putShort(RX_SIZE_OFFSET, (short) (rxSize & 0xFFF));
        b.putInt(12, word3);
        b.putInt(16, edtov);
        b.putLong(PORT_NAME_OFFSET, portName);
        b.putLong(NODE_NAME_OFFSET, nodeName);
        b.putShort(CLASS3_OFFSET, (short) 0x8000);   // class 3 valid
        b.putShort(CLASS3_OFFSET + CLASS_RX_SIZE, (short) rxSize);
        b.putShort(CLASS3_OFFSET + 10, (short) 255);  // concurrent sequences
        b.putShort(CLASS3_OFFSET + 12, (short) 1);    // open sequences per exchange
        return b.array();
    }

    /** The receive data field size a login payload offers (common and class 3: the smaller). */
    public static int rxSize(FcipFraming.Frame f) {
        int common = (f.payloadByte(RX_SIZE_OFFSET) << 8 | f.payloadByte(RX_SIZE_OFFSET + 1)) & 0xFFF;
        int class3 = f.payloadByte(CLASS3_OFFSET + CLASS_RX_SIZE) << 8 | f.payloadByte(CLASS3_OFFSET + CLASS_RX_SIZE + 1);
        if ((f.payloadByte(CLASS3_OFFSET) & 0x80) != 0 && class3 > 0) {
            return Math.min(common, class3);
        }
        return common;
    }

    public static byte[] prli(int command, int flags, int serviceParameters) {
        ByteBuffer b = ByteBuffer.allocate(PRLI_LENGTH);
        b.put(0, (byte) command);
        b.put(1, (byte) 0x10);
        b.putShort(2, (short) PRLI_LENGTH);
        b.put(PRLI_TYPE_OFFSET, (byte) FcFrameHeader.TYPE_FCP);
        b.put(PRLI_FLAGS_OFFSET, (byte) flags);
        b.putInt(PRLI_SERVICE_OFFSET, serviceParameters);
        return b.array();
    }

    public static byte[] logo(int portId, long portName) {
        ByteBuffer b = ByteBuffer.allocate(LOGO_LENGTH);
        b.putInt(4, portId & 0xFFFFFF);
        b.put(0, (byte) LOGO);
        b.putLong(8, portName);
        return b.array();
    }

    public static byte[] lsRjt(int reason, int explanation) {
        byte[] p = new byte[LS_RJT_LENGTH];
        p[0] = LS_RJT;
        p[5] = (byte) reason;
        p[6] = (byte) explanation;
        return p;
    }

    public static byte[] lsAcc() {
        byte[] p = new byte[4];
        p[0] = LS_ACC;
        return p;
    }
}
