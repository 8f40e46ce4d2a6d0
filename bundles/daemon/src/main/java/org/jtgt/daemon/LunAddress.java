package org.jtgt.daemon;

/**
 * Single-level LUN structures (SAM-5 4.7): the 8-byte LUN field read as a big-endian number.
 *
 * <pre>
 *  byte 0: address method (7..6) | bus id or LUN high bits (5..0)
 *  byte 1: LUN (low 8 bits)
 *  bytes 2..7: zero for a single-level LUN
 * </pre>
 *
 * Peripheral device addressing (method 00b, bus 0) covers LUNs 0..255; flat space addressing
 * (method 01b) covers 0..16383.
 */
final class LunAddress {
    /** The highest LUN flat space addressing can express. */
    static final int MAX_LUN = 0x3FFF;
    /** LUNs below this are reported with peripheral device addressing. */
    static final int PERIPHERAL_LIMIT = 0x100;

    static final int METHOD_PERIPHERAL = 0x00;
    static final int METHOD_FLAT = 0x40;
    private static final int METHOD_MASK = 0xC0;
    private static final int LOW_SIX_BITS = 0x3F;
    private static final long SECOND_LEVEL_MASK = 0x0000_FFFF_FFFF_FFFFL;

    /** Returned for a LUN field this daemon cannot address. */
    static final int UNADDRESSABLE = -1;

    private LunAddress() {
    }

    /** The logical unit number a LUN field addresses, or {@link #UNADDRESSABLE}. */
    static int decode(long lunField) {
        if ((lunField & SECOND_LEVEL_MASK) != 0) {
            return UNADDRESSABLE;
        }
        int b0 = (int) (lunField >>> 56) & 0xFF;
        int b1 = (int) (lunField >>> 48) & 0xFF;
        switch (b0 & METHOD_MASK) {
            case METHOD_PERIPHERAL:
                // bus identifier 0 only: other buses would be behind a SCSI bridge
                return (b0 & LOW_SIX_BITS) == 0 ? b1 : UNADDRESSABLE;
            case METHOD_FLAT:
                return (b0 & LOW_SIX_BITS) << 8 | b1;
            default:
                return UNADDRESSABLE;
        }
    }

    /** Writes the 8-byte LUN field for {@code lun} the way REPORT LUNS lists it (SPC-4 6.33). */
    static long encode(int lun) {
        long b0;
        long b1 = lun & 0xFF;
        if (lun < PERIPHERAL_LIMIT) {
            b0 = METHOD_PERIPHERAL;
        } else {
            b0 = METHOD_FLAT | (lun >>> 8) & LOW_SIX_BITS;
        }
        return b0 << 56 | b1 << 48;
    }
}
