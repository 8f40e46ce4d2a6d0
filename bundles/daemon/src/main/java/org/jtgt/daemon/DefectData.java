package org.jtgt.daemon;

/**
 * READ DEFECT DATA(10) and (12) (SBC-4; SBC-3). The medium of a virtual
 * unit has no defects: both lists exist and are empty. The answer is the header alone, in the
 * defect list format asked for, with PLISTV/GLISTV set for the lists that were requested and a
 * DEFECT LIST LENGTH of zero.
 *
 * <p>Address descriptor formats (SBC-4 address descriptor formats): short block (000b), extended bytes from index
 * (001b), extended physical sector (010b), long block (011b), bytes from index (100b) and
 * physical sector (101b) are all answered, since an empty list looks the same in each. The
 * vendor-specific format (110b) has no meaning here and 111b is reserved: both are INVALID
 * FIELD IN CDB pointing at the DEFECT LIST FORMAT field.
 */
final class DefectData {
    /** CDB byte 2 of (10), byte 1 of (12): REQ_PLIST, REQ_GLIST, DEFECT LIST FORMAT. */
    static final int REQ_PLIST = 0x10;
    static final int REQ_GLIST = 0x08;
    static final int FORMAT_MASK = 0x07;
    static final int FORMAT_MSB = 2;
    static final int FORMAT_VENDOR_SPECIFIC = 0x6;
    static final int FORMAT_RESERVED = 0x7;
    /** Header byte 1: PLISTV and GLISTV sit where REQ_PLIST and REQ_GLIST sit in the CDB. */
    static final int HEADER_10 = 4;
    static final int HEADER_12 = 8;

    private DefectData() {
    }

    /** READ DEFECT DATA(10), SBC-4: header of 4 bytes, 16-bit DEFECT LIST LENGTH. */
    static SenseReason readDefectData10(CommandContext c) {
        if (Cdb.u8(c.cdb, 1) != 0) {
            return c.invalidField(1);   // reserved
        }
        int flags = Cdb.u8(c.cdb, 2);
        if ((flags & ~(REQ_PLIST | REQ_GLIST | FORMAT_MASK)) != 0) {
            return c.invalidField(2);
        }
        SenseReason r = checkFormat(c, 2, flags);
        if (r != SenseReason.NONE) {
            return r;
        }
        int allocation = Cdb.u16(c.cdb, 7);
        c.zeroIn(0, HEADER_10);
        c.putIn(1, flags);            // PLISTV, GLISTV, DEFECT LIST FORMAT
        c.putIn16(2, 0);              // DEFECT LIST LENGTH
        c.produce(HEADER_10, allocation);
        return SenseReason.NONE;
    }

    /**
     * READ DEFECT DATA(12), SBC-4: header of 8 bytes, GENERATION CODE 0 (the lists never
     * change), 32-bit DEFECT LIST LENGTH. Any ADDRESS DESCRIPTOR INDEX lies past the end of an
     * empty list, which returns the header alone.
     */
    static SenseReason readDefectData12(CommandContext c) {
        int flags = Cdb.u8(c.cdb, 1);
        if ((flags & ~(REQ_PLIST | REQ_GLIST | FORMAT_MASK)) != 0) {
            return c.invalidField(1);
        }
        SenseReason r = checkFormat(c, 1, flags);
        if (r != SenseReason.NONE) {
            return r;
        }
        long allocation = Cdb.u32(c.cdb, 6);
        c.zeroIn(0, HEADER_12);
        c.putIn(1, flags);
        c.putIn16(2, 0);              // GENERATION CODE
        c.putIn32(4, 0);              // DEFECT LIST LENGTH
        c.produce(HEADER_12, allocation);
        return SenseReason.NONE;
    }

    private static SenseReason checkFormat(CommandContext c, int at, int flags) {
        int format = flags & FORMAT_MASK;
        if (format == FORMAT_VENDOR_SPECIFIC || format == FORMAT_RESERVED) {
            return c.invalidField(at, FORMAT_MSB);
        }
        return SenseReason.NONE;
    }
}
