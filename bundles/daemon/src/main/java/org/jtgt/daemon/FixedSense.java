package org.jtgt.daemon;

/**
 * Writes fixed-format sense data (SPC-4 4.5.3, response code 70h: current error), the only
 * format this daemon returns; the control mode page reports D_SENSE = 0 to match.
 *
 * <pre>
 *  byte  7      6      5      4      3      2      1      0
 *   0  VALID | response code (70h)
 *   1  obsolete
 *   2  FILEMARK EOM ILI  rsvd  | sense key
 *   3..6  INFORMATION (big-endian)
 *   7  additional sense length (n - 7 = 10)
 *   8..11 command-specific information
 *  12  additional sense code (ASC)
 *  13  additional sense code qualifier (ASCQ)
 *  14  field replaceable unit code
 *  15  SKSV | C/D | rsvd rsvd | BPV | bit pointer
 *  16..17 field pointer (big-endian)
 * </pre>
 */
final class FixedSense {
    /** Fixed-format sense is 18 bytes with the sense-key specific bytes. */
    static final int LENGTH = 18;

    static final int RESPONSE_CODE_CURRENT = 0x70;
    static final int VALID = 0x80;
    static final int ADDITIONAL_LENGTH = LENGTH - 8;

    static final int SENSE_KEY_OFFSET = 2;
    static final int INFORMATION_OFFSET = 3;
    static final int ADDITIONAL_LENGTH_OFFSET = 7;
    static final int COMMAND_SPECIFIC_OFFSET = 8;
    static final int ASC_OFFSET = 12;
    static final int ASCQ_OFFSET = 13;
    static final int FRU_OFFSET = 14;
    static final int SENSE_KEY_SPECIFIC_OFFSET = 15;

    static final int SKSV = 0x80;
    /** C/D: the field pointer points into the CDB (1) rather than the parameter list (0). */
    static final int C_D = 0x40;
    /** BPV: the bit pointer is valid. */
    static final int BPV = 0x08;

    /** The largest value the 4-byte INFORMATION field can carry. */
    static final long MAX_INFORMATION = 0xFFFF_FFFFL;

    private FixedSense() {
    }

    /**
     * Writes 18 bytes of sense for {@code reason} into {@code dst} at {@code at}.
     *
     * @param information the INFORMATION field, or a negative value if there is none (VALID = 0);
     *        values above {@link #MAX_INFORMATION} do not fit and are left out too
     * @param fieldPointer for INVALID FIELD IN CDB: the CDB byte in error, or -1 if unknown
     * @param bitPointer the bit within that byte (0..7), or -1 if the whole byte is in error
     * @return {@link #LENGTH}
     */
    static int write(byte[] dst, int at, SenseReason reason, long information, int fieldPointer, int bitPointer) {
        boolean valid = information >= 0 && information <= MAX_INFORMATION;
        dst[at] = (byte) ((valid ? VALID : 0) | RESPONSE_CODE_CURRENT);   // 0: VALID, response code
        dst[at + 1] = 0;                                                   // 1: obsolete
        dst[at + SENSE_KEY_OFFSET] = (byte) reason.senseKey();             // 2: no FILEMARK/EOM/ILI
        long info = valid ? information : 0;
        dst[at + INFORMATION_OFFSET] = (byte) (info >>> 24);               // 3..6: INFORMATION
        dst[at + INFORMATION_OFFSET + 1] = (byte) (info >>> 16);
        dst[at + INFORMATION_OFFSET + 2] = (byte) (info >>> 8);
        dst[at + INFORMATION_OFFSET + 3] = (byte) info;
        dst[at + ADDITIONAL_LENGTH_OFFSET] = (byte) ADDITIONAL_LENGTH;     // 7: bytes after this one
        for (int i = 0; i < 4; i++) {                                      // 8..11: command-specific
            dst[at + COMMAND_SPECIFIC_OFFSET + i] = 0;
        }
        dst[at + ASC_OFFSET] = (byte) reason.asc();                        // 12: ASC
        dst[at + ASCQ_OFFSET] = (byte) reason.ascq();                      // 13: ASCQ
        dst[at + FRU_OFFSET] = 0;                                          // 14: no FRU code
        boolean inCdb = reason == SenseReason.INVALID_FIELD_IN_CDB;
        if ((inCdb || reason == SenseReason.INVALID_FIELD_IN_PARAMETER_LIST) && fieldPointer >= 0) {
            // 15..17: sense-key specific field pointer (SPC-4 4.5.2.4): SKSV, C/D = CDB (1) or
            // parameter list (0), BPV and bit pointer when one bit is at fault, then the byte's index.
            int b15 = SKSV | (inCdb ? C_D : 0);
            if (bitPointer >= 0) {
                b15 |= BPV | (bitPointer & 0x07);
            }
            dst[at + SENSE_KEY_SPECIFIC_OFFSET] = (byte) b15;
            dst[at + SENSE_KEY_SPECIFIC_OFFSET + 1] = (byte) (fieldPointer >>> 8);
            dst[at + SENSE_KEY_SPECIFIC_OFFSET + 2] = (byte) fieldPointer;
        } else {
            dst[at + SENSE_KEY_SPECIFIC_OFFSET] = 0;                       // 15..17: SKSV = 0
            dst[at + SENSE_KEY_SPECIFIC_OFFSET + 1] = 0;
            dst[at + SENSE_KEY_SPECIFIC_OFFSET + 2] = 0;
        }
        return LENGTH;
    }

    /**
     * Sets the sense-key specific bytes of sense already written at {@code at} to a progress
     * indication (SPC-4 4.5.2.4.3: SKSV and a fraction of 65 536 in bytes 16..17), as NOT READY,
     * SANITIZE IN PROGRESS carries it (SBC-4 sanitize operation).
     *
     * @param progress 0..65535
     */
    static void progress(byte[] dst, int at, int progress) {
        dst[at + SENSE_KEY_SPECIFIC_OFFSET] = (byte) SKSV;
        dst[at + SENSE_KEY_SPECIFIC_OFFSET + 1] = (byte) (progress >>> 8);
        dst[at + SENSE_KEY_SPECIFIC_OFFSET + 2] = (byte) progress;
    }

    /** SD: the segment pointer is relative to a segment descriptor (SPC-4 4.5.2.4.5). */
    static final int SD = 0x20;

    /**
     * Sets, in COPY ABORTED sense already written at {@code at}, the segment descriptor that
     * failed: its index in bytes 10..11 (the third and fourth bytes of COMMAND-SPECIFIC
     * INFORMATION) and the segment pointer sense-key specific field (SKSV, SD = 1, the byte of
     * that descriptor in error), SPC-4 4.5.2.4.5.
     */
    static void segmentPointer(byte[] dst, int at, int segment, int fieldPointer) {
        dst[at + COMMAND_SPECIFIC_OFFSET + 2] = (byte) (segment >>> 8);
        dst[at + COMMAND_SPECIFIC_OFFSET + 3] = (byte) segment;
        if (fieldPointer >= 0) {
            dst[at + SENSE_KEY_SPECIFIC_OFFSET] = (byte) (SKSV | SD);
            dst[at + SENSE_KEY_SPECIFIC_OFFSET + 1] = (byte) (fieldPointer >>> 8);
            dst[at + SENSE_KEY_SPECIFIC_OFFSET + 2] = (byte) fieldPointer;
        }
    }
}
