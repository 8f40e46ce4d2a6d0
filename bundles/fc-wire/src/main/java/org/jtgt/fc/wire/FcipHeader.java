package org.jtgt.fc.wire;

import java.nio.ByteBuffer;

/**
 * The FCIP encapsulation header (RFC 3821 5.6.1 on top of RFC 3643 5): 28 bytes, big-endian,
 * followed by the SOF word, the FC frame (header, payload, CRC) and the EOF word.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------+---------------+---------------+---------------+
 *  |  Protocol# 1  |  Version 1    |  -Protocol#   |  -Version     |  0
 *  +---------------+---------------+---------------+---------------+
 *  |  Protocol# 1  |  Version 1    |  -Protocol#   |  -Version     |  4  (FCIP: word 0 replicated)
 *  +---------------+---------------+---------------+---------------+
 *  |  pFlags       |  Reserved 0   |  -pFlags      |  -Reserved    |  8  (pFlags: Ch 0x80, SF 0x01)
 *  +-----------+---+---------------+-----------+---+---------------+
 *  |  Flags(6) | Frame Length(10)  | -Flags(6) | -Frame Length(10) | 12  (Flags: CRCV 0x01)
 *  +-----------+-------------------+-----------+-------------------+
 *  |  Time Stamp [integer]  (seconds, NTP epoch)                   | 16
 *  +---------------------------------------------------------------+
 *  |  Time Stamp [fraction]                                        | 20
 *  +---------------------------------------------------------------+
 *  |  CRC (0 unless CRCV; FCIP never sets CRCV)                    | 24
 *  +---------------+---------------+---------------+---------------+
 *  |  SOF          |  SOF          |  -SOF         |  -SOF         | 28  (delimiter word)
 *  +---------------+---------------+---------------+---------------+
 *  |  FC frame: 24-byte header, payload (+ fill), CRC-32           | 32
 *  +---------------+---------------+---------------+---------------+
 *  |  EOF          |  EOF          |  -EOF         |  -EOF         | last word
 *  +---------------+---------------+---------------+---------------+
 * </pre>
 *
 * Frame Length counts 32-bit words of the whole encapsulated frame, header and EOF included
 * (RFC 3643 5.1): at least 16 (empty payload), at most 544 (2112-byte payload).
 */
public final class FcipHeader {
    public static final int PROTOCOL_OFFSET = 0;
    public static final int VERSION_OFFSET = 1;
    public static final int PROTOCOL_N_OFFSET = 2;
    public static final int VERSION_N_OFFSET = 3;
    public static final int REPLICA_OFFSET = 4;
    public static final int PFLAGS_OFFSET = 8;
    public static final int RESERVED_OFFSET = 9;
    public static final int PFLAGS_N_OFFSET = 10;
    public static final int RESERVED_N_OFFSET = 11;
    public static final int FLAGS_LENGTH_OFFSET = 12;
    public static final int FLAGS_LENGTH_N_OFFSET = 14;
    public static final int TIMESTAMP_SECONDS_OFFSET = 16;
    public static final int TIMESTAMP_FRACTION_OFFSET = 20;
    public static final int CRC_OFFSET = 24;
    /** Bytes of the encapsulation header proper. */
    public static final int LENGTH = 28;
    /** Where the SOF word sits. */
    public static final int SOF_OFFSET = 28;
    /** Where the FC frame header starts. */
    public static final int FRAME_OFFSET = 32;

    public static final int PROTOCOL_FCIP = 1;
    public static final int VERSION = 1;
    public static final int PFLAG_CHANGED = 0x80;
    public static final int PFLAG_SPECIAL_FRAME = 0x01;
    public static final int FLAG_CRCV = 0x01;

    /** Header + SOF + FC header + CRC + EOF, no payload. */
    public static final int MIN_WORDS = (LENGTH + 4 + FcFrameHeader.LENGTH + 4 + 4) / 4;
    /** FC-FS: a data field carries at most 2112 bytes. */
    public static final int MAX_PAYLOAD = 2112;
    public static final int MAX_WORDS = MIN_WORDS + MAX_PAYLOAD / 4;
    public static final int MAX_BYTES = MAX_WORDS * 4;

    /*
     * The FCIP Special Frame (FSF, RFC 3821 6.6.2): the first bytes the connecting side sends on a
     * new TCP connection; the accepting side echoes it. 76 bytes: this header with pFlags SF and
     * Frame Length 19, then, where SOF and the FC frame would be:
     *
     *  28  reserved 0000h, its complement FFFFh (in lieu of the SOF word)
     *  32  source FC Fabric Entity WWN (8)
     *  40  source FC/FCIP Entity Identifier (8)
     *  48  connection nonce (8)
     *  56  connection usage flags (1), reserved (1), connection usage code (2)
     *  60  destination FC Fabric Entity WWN (8)
     *  68  K_A_TOV (4)
     *  72  reserved 0000h, its complement FFFFh (in lieu of the EOF word)
     */
    public static final int FSF_WORDS = 19;
    public static final int FSF_BYTES = FSF_WORDS * 4;
    public static final int FSF_SOURCE_WWN_OFFSET = 32;
    public static final int FSF_SOURCE_ENTITY_OFFSET = 40;
    public static final int FSF_NONCE_OFFSET = 48;
    public static final int FSF_USAGE_FLAGS_OFFSET = 56;
    public static final int FSF_USAGE_CODE_OFFSET = 58;
    public static final int FSF_DESTINATION_WWN_OFFSET = 60;
    public static final int FSF_KATOV_OFFSET = 68;
    public static final int FSF_LAST_WORD_OFFSET = 72;
    /** Connection usage flag: the connection carries class 3 frames (SOFi3, SOFn3). */
    public static final int FSF_USAGE_CLASS3 = 0x20;

    /** Seconds from 1900 (NTP epoch, RFC 2030) to 1970. */
    private static final long NTP_EPOCH_OFFSET = 2_208_988_800L;

    private FcipHeader() {
    }

    /** Writes the 28-byte header for an encapsulated frame of {@code words} words. */
    public static void encode(ByteBuffer b, int o, int words, long epochMillis) {
        if (words < MIN_WORDS || words > MAX_WORDS) {
            throw new IllegalArgumentException("frame length " + words + " words outside " + MIN_WORDS + ".." + MAX_WORDS);
        }
        encode(b, o, words, 0, epochMillis);
    }

    private static void encode(ByteBuffer b, int o, int words, int pflags, long epochMillis) {
        for (int i = 0; i < 8; i += 4) {
            b.put(o + i, (byte) PROTOCOL_FCIP);
            b.put(o + i + 1, (byte) VERSION);
            b.put(o + i + 2, (byte) ~PROTOCOL_FCIP);
            b.put(o + i + 3, (byte) ~VERSION);
        }
        b.put(o + PFLAGS_OFFSET, (byte) pflags);
        b.put(o + RESERVED_OFFSET, (byte) 0);
        b.put(o + PFLAGS_N_OFFSET, (byte) ~pflags);
        b.put(o + RESERVED_N_OFFSET, (byte) 0xFF);
        int flagsLength = words & 0x3FF;   // flags 0: FCIP does not use CRCV
        b.putShort(o + FLAGS_LENGTH_OFFSET, (short) flagsLength);
        b.putShort(o + FLAGS_LENGTH_N_OFFSET, (short) ~flagsLength);
        long seconds = epochMillis / 1000 + NTP_EPOCH_OFFSET;
        long fraction = ((epochMillis % 1000) << 32) / 1000;
        b.putInt(o + TIMESTAMP_SECONDS_OFFSET, (int) seconds);
        b.putInt(o + TIMESTAMP_FRACTION_OFFSET, (int) fraction);
        b.putInt(o + CRC_OFFSET, 0);
    }

    /** A whole FSF (pFlags SF, Ch clear), 76 bytes. */
    public static byte[] specialFrame(long sourceWwn, long sourceEntity, long nonce, int usageFlags, int usageCode,
            long destinationWwn, int kaTov) {
        ByteBuffer b = ByteBuffer.allocate(FSF_BYTES);
        encode(b, 0, FSF_WORDS, PFLAG_SPECIAL_FRAME, System.currentTimeMillis());
        b.putInt(SOF_OFFSET, 0x0000FFFF);
        b.putLong(FSF_SOURCE_WWN_OFFSET, sourceWwn);
        b.putLong(FSF_SOURCE_ENTITY_OFFSET, sourceEntity);
        b.putLong(FSF_NONCE_OFFSET, nonce);
        b.put(FSF_USAGE_FLAGS_OFFSET, (byte) usageFlags);
        b.putShort(FSF_USAGE_CODE_OFFSET, (short) usageCode);
        b.putLong(FSF_DESTINATION_WWN_OFFSET, destinationWwn);
        b.putInt(FSF_KATOV_OFFSET, kaTov);
        b.putInt(FSF_LAST_WORD_OFFSET, 0x0000FFFF);
        return b.array();
    }

    /** Frame Length in words (without validation). */
    public static int words(ByteBuffer b, int o) {
        return b.getShort(o + FLAGS_LENGTH_OFFSET) & 0x3FF;
    }

    public static int flags(ByteBuffer b, int o) {
        return (b.get(o + FLAGS_LENGTH_OFFSET) & 0xFC) >>> 2;
    }

    public static int pflags(ByteBuffer b, int o) {
        return b.get(o + PFLAGS_OFFSET) & 0xFF;
    }

    /**
     * Checks everything a receiver must trust before reading on: protocol, version, the replica
     * of word 0, every ones-complement copy, the reserved byte, and a frame length in range.
     *
     * @return null if the header is sound, else why not
     */
    public static String validate(ByteBuffer b, int o) {
        int protocol = b.get(o + PROTOCOL_OFFSET) & 0xFF;
        int version = b.get(o + VERSION_OFFSET) & 0xFF;
        if (protocol != PROTOCOL_FCIP) {
            return "protocol " + protocol + ", expected " + PROTOCOL_FCIP + " (FCIP)";
        }
        if (version != VERSION) {
            return "encapsulation version " + version + ", expected " + VERSION;
        }
        if ((b.get(o + PROTOCOL_N_OFFSET) & 0xFF) != (~protocol & 0xFF)
                || (b.get(o + VERSION_N_OFFSET) & 0xFF) != (~version & 0xFF)) {
            return "protocol/version ones complement mismatch";
        }
        if (b.getInt(o + REPLICA_OFFSET) != b.getInt(o)) {
            return "word 1 does not replicate word 0 (RFC 3821 5.6.1)";
        }
        int pflags = b.get(o + PFLAGS_OFFSET) & 0xFF;
        if ((b.get(o + PFLAGS_N_OFFSET) & 0xFF) != (~pflags & 0xFF)) {
            return "pFlags ones complement mismatch";
        }
        if (b.get(o + RESERVED_OFFSET) != 0 || (b.get(o + RESERVED_N_OFFSET) & 0xFF) != 0xFF) {
            return "reserved byte or its complement wrong";
        }
        int fl = b.getShort(o + FLAGS_LENGTH_OFFSET) & 0xFFFF;
        int fln = b.getShort(o + FLAGS_LENGTH_N_OFFSET) & 0xFFFF;
        if (fl != (~fln & 0xFFFF)) {
            return "flags/frame length ones complement mismatch";
        }
        if ((fl >>> 10 & FLAG_CRCV) != 0) {
            return "CRCV set: FCIP does not use the encapsulation CRC (RFC 3821 5.6.1)";
        }
        int words = fl & 0x3FF;
        if ((pflags & PFLAG_SPECIAL_FRAME) != 0) {
            if (words != FSF_WORDS) {
                return "special frame of " + words + " words, expected " + FSF_WORDS + " (RFC 3821 6.6.2)";
            }
        } else if (words < MIN_WORDS || words > MAX_WORDS) {
            return "frame length " + words + " words outside " + MIN_WORDS + ".." + MAX_WORDS;
        }
        return null;
    }

    // ---- SOF / EOF delimiter words (RFC 3643 table 2) ----

    public static final int SOF_F = 0x28;
    public static final int SOF_I2 = 0x2D;
    public static final int SOF_N2 = 0x35;
    /** Class 3, first frame of a sequence. */
    public static final int SOF_I3 = 0x2E;
    /** Class 3, any later frame of a sequence. */
    public static final int SOF_N3 = 0x36;
    /** Not the last frame of a sequence. */
    public static final int EOF_N = 0x41;
    /** Last frame of a sequence. */
    public static final int EOF_T = 0x42;
    public static final int EOF_NI = 0x49;
    public static final int EOF_A = 0x50;

    public static boolean isSof(int code) {
        return code == SOF_F || code == SOF_I2 || code == SOF_N2 || code == SOF_I3 || code == SOF_N3;
    }

    public static boolean isEof(int code) {
        return code == EOF_N || code == EOF_T || code == EOF_NI || code == EOF_A;
    }

    /** Writes {@code code, code, ~code, ~code}. */
    public static void putDelimiter(ByteBuffer b, int o, int code) {
        b.put(o, (byte) code);
        b.put(o + 1, (byte) code);
        b.put(o + 2, (byte) ~code);
        b.put(o + 3, (byte) ~code);
    }

    /** The delimiter code, or -1 if its four copies disagree. */
    public static int delimiter(ByteBuffer b, int o) {
        int c = b.get(o) & 0xFF;
        if ((b.get(o + 1) & 0xFF) != c || (b.get(o + 2) & 0xFF) != (~c & 0xFF) || (b.get(o + 3) & 0xFF) != (~c & 0xFF)) {
            return -1;
        }
        return c;
    }
}
