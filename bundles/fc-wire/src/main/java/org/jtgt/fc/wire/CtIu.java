package org.jtgt.fc.wire;

import java.nio.ByteBuffer;

/**
 * Common Transport information units (FC-GS-7 4.3) as the directory name server (FC-GS-7 5.2)
 * uses them: a 16-byte preamble, then the command's payload. Big-endian.
 *
 * <pre>
 * CT_IU preamble (16 bytes, FC-GS-7 4.3.2), then the command's payload:
 *    0 revision 01, 1-3 IN_ID
 *    4 GS_TYPE (FC directory service), 5 GS_SUBTYPE (02 name server), 6 options, 7 reserved
 *    8 command / response code (8002 FS_ACC, 8001 FS_RJT), 10 max / residual size (words)
 *   12 reserved, 13 reason code, 14 reason explanation, 15 vendor specific
 * GID_FT request: 16 reserved, domain scope, area scope, FC-4 type
 *        FS_ACC: one word per port: control (0x80 on the last), port ID (3)
 * RFT_ID request: 16 reserved + port ID (3), 20 FC-4 types bitmap (32 bytes: type T is bit T%32
 *        of big-endian word T/32)
 * </pre>
 */
public final class CtIu {
    public static final int PREAMBLE_LENGTH = 16;
    public static final int REVISION_OFFSET = 0;
    public static final int GS_TYPE_OFFSET = 4;
    public static final int GS_SUBTYPE_OFFSET = 5;
    public static final int COMMAND_OFFSET = 8;
    public static final int REASON_OFFSET = 13;
    public static final int EXPLANATION_OFFSET = 14;

    public static final int REVISION = 0x01;
    public static final int GS_TYPE_DIRECTORY = 0xFC;
    public static final int GS_SUBTYPE_NAME_SERVER = 0x02;
    public static final int FS_RJT = 0x8001;
    public static final int FS_ACC = 0x8002;
    public static final int GID_FT = 0x0171;
    public static final int RFT_ID = 0x0217;
    public static final int FS_RJT_INVALID_COMMAND = 0x01;
    public static final int FS_RJT_UNABLE = 0x09;
    public static final int FS_RJT_NOT_SUPPORTED = 0x0B;
    public static final int FS_EXPL_NONE = 0x00;
    public static final int FS_EXPL_TYPES_NOT_REGISTERED = 0x07;
    /** RFT_ID's FC-4 types bitmap. */
    public static final int FT_BITMAP_LENGTH = 32;
    /** GID_FT's FS_ACC: the control byte of the last port's word. */
    public static final int LAST_PORT = 0x80000000;

    private CtIu() {
    }

    /** A name server preamble with {@code code} and room for {@code payloadLength} bytes after it. */
    public static ByteBuffer preamble(int code, int payloadLength) {
        ByteBuffer b = ByteBuffer.allocate(PREAMBLE_LENGTH + payloadLength);
        b.put(REVISION_OFFSET, (byte) REVISION);
        b.put(GS_TYPE_OFFSET, (byte) GS_TYPE_DIRECTORY);
        b.put(GS_SUBTYPE_OFFSET, (byte) GS_SUBTYPE_NAME_SERVER);
        b.putShort(COMMAND_OFFSET, (short) code);
        return b;
    }

    /** A name server request with its payload. */
    public static byte[] request(int command, byte[] payload) {
        ByteBuffer b = preamble(command, payload.length);
        b.put(PREAMBLE_LENGTH, payload);
        return b.array();
    }

    /** FS_RJT with its reason and explanation. */
    public static byte[] reject(int reason, int explanation) {
        ByteBuffer b = preamble(FS_RJT, 0);
        b.put(REASON_OFFSET, (byte) reason);
        b.put(EXPLANATION_OFFSET, (byte) explanation);
        return b.array();
    }
}
