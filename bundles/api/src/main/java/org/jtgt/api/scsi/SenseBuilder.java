package org.jtgt.api.scsi;

/**
 * Writes sense data (SPC-5 4.4): fixed format (response code 70h, current error) and descriptor
 * format (72h), for a sense key, ASC and ASCQ with optional INFORMATION, COMMAND-SPECIFIC
 * INFORMATION and sense-key specific bytes. {@link SenseData} reads what this writes. Nothing is
 * allocated; every byte of the returned length is written.
 *
 * <p>Fixed format, always {@value #FIXED_LENGTH} bytes (SPC-5 4.4.3):
 * <pre>
 *  byte  7      6      5      4      3      2      1      0
 *   0  VALID | response code (70h)
 *   1  obsolete
 *   2  FILEMARK EOM ILI  SDAT_OVFL | sense key
 *   3..6  INFORMATION (big-endian)
 *   7  additional sense length (n - 7 = 10)
 *   8..11 COMMAND-SPECIFIC INFORMATION (big-endian)
 *  12  additional sense code (ASC)
 *  13  additional sense code qualifier (ASCQ)
 *  14  field replaceable unit code
 *  15  SKSV | sense-key specific
 *  16..17 sense-key specific
 * </pre>
 *
 * <p>Descriptor format, a header and the descriptors that apply, in this order (SPC-5 4.4.2):
 * <pre>
 *  byte  7      6      5      4      3      2      1      0
 *   0  rsvd | response code (72h)
 *   1  reserved                  | sense key
 *   2  additional sense code (ASC)
 *   3  additional sense code qualifier (ASCQ)
 *   4..6  reserved
 *   7  additional sense length (n - 7)
 *   information descriptor (4.4.2.2), 12 bytes:
 *     0 type 00h | 1 additional length 0Ah | 2 VALID (80h) | 3 reserved | 4..11 INFORMATION
 *   command-specific information descriptor (4.4.2.3), 12 bytes:
 *     0 type 01h | 1 additional length 0Ah | 2..3 reserved | 4..11 COMMAND-SPECIFIC INFORMATION
 *   sense key specific descriptor (4.4.2.4), 8 bytes:
 *     0 type 02h | 1 additional length 06h | 2..3 reserved | 4 SKSV | 5..6 | 7 reserved
 * </pre>
 *
 * <p>The sense-key specific bytes are passed as one value: the three bytes big-endian in its low
 * 24 bits, SKSV set ({@link #fieldPointer}, {@link #progressIndication}, {@link #segmentPointer}),
 * or {@link #NONE}.
 */
public final class SenseBuilder {
    /** Fixed-format sense with the sense-key specific bytes: 18 bytes. */
    public static final int FIXED_LENGTH = 18;
    /** The longest descriptor-format sense this class writes: header and all three descriptors. */
    public static final int MAX_DESCRIPTOR_LENGTH = 8 + 12 + 12 + 8;
    /** Room for either format. */
    public static final int MAX_LENGTH = MAX_DESCRIPTOR_LENGTH;

    /** No INFORMATION, COMMAND-SPECIFIC INFORMATION or sense-key specific bytes. */
    public static final int NONE = -1;

    public static final int RESPONSE_CODE_FIXED_CURRENT = 0x70;
    public static final int RESPONSE_CODE_DESCRIPTOR_CURRENT = 0x72;

    // fixed format
    public static final int VALID = 0x80;
    public static final int FIXED_SENSE_KEY_OFFSET = 2;
    public static final int FIXED_INFORMATION_OFFSET = 3;
    public static final int FIXED_ADDITIONAL_LENGTH_OFFSET = 7;
    public static final int FIXED_COMMAND_SPECIFIC_OFFSET = 8;
    public static final int FIXED_ASC_OFFSET = 12;
    public static final int FIXED_ASCQ_OFFSET = 13;
    public static final int FIXED_FRU_OFFSET = 14;
    public static final int FIXED_SENSE_KEY_SPECIFIC_OFFSET = 15;
    /** The largest value the 4-byte INFORMATION and COMMAND-SPECIFIC fields of fixed format carry. */
    public static final long FIXED_MAX_INFORMATION = 0xFFFF_FFFFL;

    // descriptor format
    public static final int DESCRIPTOR_SENSE_KEY_OFFSET = 1;
    public static final int DESCRIPTOR_ASC_OFFSET = 2;
    public static final int DESCRIPTOR_ASCQ_OFFSET = 3;
    public static final int DESCRIPTOR_ADDITIONAL_LENGTH_OFFSET = 7;
    public static final int DESCRIPTOR_HEADER_LENGTH = 8;
    public static final int INFORMATION_DESCRIPTOR = 0x00;
    public static final int COMMAND_SPECIFIC_DESCRIPTOR = 0x01;
    public static final int SENSE_KEY_SPECIFIC_DESCRIPTOR = 0x02;
    public static final int INFORMATION_DESCRIPTOR_LENGTH = 12;
    public static final int COMMAND_SPECIFIC_DESCRIPTOR_LENGTH = 12;
    public static final int SENSE_KEY_SPECIFIC_DESCRIPTOR_LENGTH = 8;

    // sense-key specific bits (SPC-5 4.4.2.4)
    public static final int SKSV = 0x80;
    /** C/D: the field pointer points into the CDB (1) rather than the parameter list (0). */
    public static final int C_D = 0x40;
    /** BPV: the bit pointer is valid. */
    public static final int BPV = 0x08;
    /** SD: the segment pointer is relative to a segment descriptor. */
    public static final int SD = 0x20;

    private SenseBuilder() {
    }

    /**
     * Field pointer sense-key specific bytes (SPC-5 4.4.2.4.2), for INVALID FIELD IN CDB or IN
     * PARAMETER LIST.
     *
     * @param inCdb C/D: the byte is in the CDB (true) or the parameter list (false)
     * @param field the byte in error
     * @param bit the bit within that byte (0..7), or negative if the whole byte is in error
     */
    public static int fieldPointer(boolean inCdb, int field, int bit) {
        int b0 = SKSV | (inCdb ? C_D : 0);
        if (bit >= 0) {
            b0 |= BPV | (bit & 0x07);
        }
        return (b0 << 16) | (field & 0xFFFF);
    }

    /** Progress indication sense-key specific bytes (SPC-5 4.4.2.4.4): a fraction of 65 536. */
    public static int progressIndication(int progress) {
        return (SKSV << 16) | (progress & 0xFFFF);
    }

    /**
     * Segment pointer sense-key specific bytes (SPC-5 4.4.2.4.6) with SD = 1: {@code field} is the
     * byte in error within the segment descriptor that COMMAND-SPECIFIC INFORMATION names.
     */
    public static int segmentPointer(int field) {
        return ((SKSV | SD) << 16) | (field & 0xFFFF);
    }

    /** Fixed-format sense with a key, ASC and ASCQ only. */
    public static int fixed(byte[] dst, int at, int key, int asc, int ascq) {
        return fixed(dst, at, key, asc, ascq, NONE, NONE, NONE);
    }

    /**
     * Writes {@value #FIXED_LENGTH} bytes of fixed-format sense at {@code at}.
     *
     * @param information INFORMATION, or negative if there is none (VALID = 0); values above
     *        {@link #FIXED_MAX_INFORMATION} do not fit and are left out too
     * @param commandSpecific COMMAND-SPECIFIC INFORMATION, or negative for none (zeros)
     * @param senseKeySpecific the three sense-key specific bytes, or {@link #NONE}
     * @return {@link #FIXED_LENGTH}
     */
    public static int fixed(byte[] dst, int at, int key, int asc, int ascq, long information, long commandSpecific,
                            int senseKeySpecific) {
        boolean valid = information >= 0 && information <= FIXED_MAX_INFORMATION;
        dst[at] = (byte) ((valid ? VALID : 0) | RESPONSE_CODE_FIXED_CURRENT);     // 0: VALID, response code
        dst[at + 1] = 0;                                                         // 1: obsolete
        dst[at + FIXED_SENSE_KEY_OFFSET] = (byte) (key & 0x0F);                  // 2: no FILEMARK/EOM/ILI
        putU32(dst, at + FIXED_INFORMATION_OFFSET, valid ? information : 0);      // 3..6: INFORMATION
        dst[at + FIXED_ADDITIONAL_LENGTH_OFFSET] = (byte) (FIXED_LENGTH - 8);    // 7: bytes after this one
        putU32(dst, at + FIXED_COMMAND_SPECIFIC_OFFSET,                          // 8..11: command-specific
                commandSpecific >= 0 && commandSpecific <= FIXED_MAX_INFORMATION ? commandSpecific : 0);
        dst[at + FIXED_ASC_OFFSET] = (byte) asc;                                 // 12: ASC
        dst[at + FIXED_ASCQ_OFFSET] = (byte) ascq;                               // 13: ASCQ
        dst[at + FIXED_FRU_OFFSET] = 0;                                          // 14: no FRU code
        putSenseKeySpecific(dst, at + FIXED_SENSE_KEY_SPECIFIC_OFFSET, senseKeySpecific);   // 15..17
        return FIXED_LENGTH;
    }

    /** Descriptor-format sense with a key, ASC and ASCQ only: the 8-byte header. */
    public static int descriptor(byte[] dst, int at, int key, int asc, int ascq) {
        return descriptor(dst, at, key, asc, ascq, NONE, NONE, NONE);
    }

    /**
     * Writes descriptor-format sense at {@code at}: the header, then an information descriptor if
     * {@code information} is not negative, a command-specific information descriptor if
     * {@code commandSpecific} is not negative, a sense key specific descriptor if
     * {@code senseKeySpecific} is not {@link #NONE}.
     *
     * @return the length written, at most {@link #MAX_DESCRIPTOR_LENGTH}
     */
    public static int descriptor(byte[] dst, int at, int key, int asc, int ascq, long information, long commandSpecific,
                                 int senseKeySpecific) {
        dst[at] = (byte) RESPONSE_CODE_DESCRIPTOR_CURRENT;                       // 0: response code
        dst[at + DESCRIPTOR_SENSE_KEY_OFFSET] = (byte) (key & 0x0F);             // 1: sense key
        dst[at + DESCRIPTOR_ASC_OFFSET] = (byte) asc;                            // 2: ASC
        dst[at + DESCRIPTOR_ASCQ_OFFSET] = (byte) ascq;                          // 3: ASCQ
        dst[at + 4] = 0;                                                         // 4..6: reserved
        dst[at + 5] = 0;
        dst[at + 6] = 0;
        int p = at + DESCRIPTOR_HEADER_LENGTH;
        if (information >= 0) {
            dst[p] = INFORMATION_DESCRIPTOR;
            dst[p + 1] = INFORMATION_DESCRIPTOR_LENGTH - 2;
            dst[p + 2] = (byte) VALID;                                           // VALID shall be one
            dst[p + 3] = 0;
            putU64(dst, p + 4, information);
            p += INFORMATION_DESCRIPTOR_LENGTH;
        }
        if (commandSpecific >= 0) {
            dst[p] = COMMAND_SPECIFIC_DESCRIPTOR;
            dst[p + 1] = COMMAND_SPECIFIC_DESCRIPTOR_LENGTH - 2;
            dst[p + 2] = 0;
            dst[p + 3] = 0;
            putU64(dst, p + 4, commandSpecific);
            p += COMMAND_SPECIFIC_DESCRIPTOR_LENGTH;
        }
        if (senseKeySpecific != NONE) {
            dst[p] = SENSE_KEY_SPECIFIC_DESCRIPTOR;
            dst[p + 1] = SENSE_KEY_SPECIFIC_DESCRIPTOR_LENGTH - 2;
            dst[p + 2] = 0;
            dst[p + 3] = 0;
            putSenseKeySpecific(dst, p + 4, senseKeySpecific);
            dst[p + 7] = 0;
            p += SENSE_KEY_SPECIFIC_DESCRIPTOR_LENGTH;
        }
        dst[at + DESCRIPTOR_ADDITIONAL_LENGTH_OFFSET] = (byte) (p - at - 8);     // 7: bytes after this one
        return p - at;
    }

    /**
     * Either format: descriptor format when {@code descriptorFormat} (the control mode page's
     * D_SENSE, or REQUEST SENSE's DESC), fixed format otherwise.
     */
    public static int write(boolean descriptorFormat, byte[] dst, int at, int key, int asc, int ascq, long information,
                            long commandSpecific, int senseKeySpecific) {
        return descriptorFormat
                ? descriptor(dst, at, key, asc, ascq, information, commandSpecific, senseKeySpecific)
                : fixed(dst, at, key, asc, ascq, information, commandSpecific, senseKeySpecific);
    }

    private static void putSenseKeySpecific(byte[] dst, int at, int senseKeySpecific) {
        int v = senseKeySpecific == NONE ? 0 : senseKeySpecific;
        dst[at] = (byte) (v >>> 16);
        dst[at + 1] = (byte) (v >>> 8);
        dst[at + 2] = (byte) v;
    }

    private static void putU32(byte[] dst, int at, long v) {
        dst[at] = (byte) (v >>> 24);
        dst[at + 1] = (byte) (v >>> 16);
        dst[at + 2] = (byte) (v >>> 8);
        dst[at + 3] = (byte) v;
    }

    private static void putU64(byte[] dst, int at, long v) {
        putU32(dst, at, v >>> 32);
        putU32(dst, at + 4, v);
    }
}
