package org.jtgt.daemon;

/**
 * Decoder of READ CAPACITY(10), SBC-3 5.16, and READ CAPACITY(16), SBC-3 5.17 (SERVICE ACTION
 * IN(16), 10h): with PMI 0 the LOGICAL BLOCK ADDRESS field must be zero; the 16-byte form
 * carries an ALLOCATION LENGTH.
 */
final class CapacityCdb {
    static final int PMI = 0x01;
    static final int PMI_10_OFFSET = 8;
    static final int PMI_16_OFFSET = 14;
    static final int ALLOCATION_LENGTH_16_OFFSET = 10;

    private CapacityCdb() {
    }

    static SenseReason readCapacity10(CommandContext c) {
        if ((Cdb.u8(c.cdb, PMI_10_OFFSET) & PMI) == 0 && Cdb.u32(c.cdb, BlockCdb.LBA_OFFSET) != 0) {
            return c.invalidField(BlockCdb.LBA_OFFSET);
        }
        return SenseReason.NONE;
    }

    static SenseReason readCapacity16(CommandContext c) {
        if ((Cdb.u8(c.cdb, PMI_16_OFFSET) & PMI) == 0 && Cdb.u64(c.cdb, BlockCdb.LBA_OFFSET) != 0) {
            return c.invalidField(BlockCdb.LBA_OFFSET);
        }
        c.allocationLength = Cdb.u32(c.cdb, ALLOCATION_LENGTH_16_OFFSET);
        return SenseReason.NONE;
    }
}
