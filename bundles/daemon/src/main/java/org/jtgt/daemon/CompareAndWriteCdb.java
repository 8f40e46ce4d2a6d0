package org.jtgt.daemon;

/**
 * Decoder of COMPARE AND WRITE, SBC-3 5.2. Checks, in order: WRPROTECT (not supported) and the
 * reserved bits of byte 1, NUMBER OF LOGICAL BLOCKS above MAXIMUM COMPARE AND WRITE LENGTH, an
 * expected transfer length that is not exactly twice the blocks (the verify and write halves
 * could not be told apart; this also refuses blocks = 0 with data, as a block count that wrapped
 * at 256 would send), the LBA range. DPO is accepted (no cache to keep), FUA honoured, FUA_NV is
 * obsolete and ignored.
 */
final class CompareAndWriteCdb {
    /** Byte 1 bits 2 and 0 are reserved (bit 1 is the obsolete FUA_NV, bit 4 DPO). */
    static final int CAW_RESERVED = 0x05;
    static final int CAW_BLOCKS_OFFSET = 13;

    private CompareAndWriteCdb() {
    }

    static SenseReason decode(CommandContext c) {
        byte[] cdb = c.cdb;
        int flags = Cdb.u8(cdb, 1);
        if ((flags & BlockCdb.PROTECT_MASK) != 0) {
            return c.invalidField(1, BlockCdb.PROTECT_MSB);
        }
        if ((flags & CAW_RESERVED) != 0) {
            return c.invalidField(1, 31 - Integer.numberOfLeadingZeros(flags & CAW_RESERVED));
        }
        c.fua = (flags & BlockCdb.FUA) != 0;
        c.lba = Cdb.u64(cdb, BlockCdb.LBA_OFFSET);
        c.blocks = Cdb.u8(cdb, CAW_BLOCKS_OFFSET);
        c.lengthField = CAW_BLOCKS_OFFSET;
        c.wanted = 2L * (int) (c.blocks << c.unit.blockShift());
        if (c.blocks > c.unit.maxCompareAndWriteBlocks() || c.expectedLength != c.wanted) {
            return c.invalidField(CAW_BLOCKS_OFFSET);
        }
        return BlockCdb.checkRange(c);
    }
}
