package org.jtgt.daemon;

/**
 * Decoder of the READ and WRITE family: READ and WRITE (6/10/12/16), ORWRITE(16), which has the
 * WRITE(16) layout, and WRITE ATOMIC(16). Leaves LBA, blocks, FUA and the bytes the command
 * wants to move in the context, the range and transfer length checked ({@link BlockCdb}).
 */
final class ReadWriteCdb {
    /** WRITE ATOMIC(16) CDB (SBC-4): ATOMIC BOUNDARY and the 16-bit TRANSFER LENGTH. */
    static final int ATOMIC_BOUNDARY_OFFSET = 10;
    static final int ATOMIC_LENGTH_OFFSET = 12;
    /** Byte 1 bits 2..0 are reserved in WRITE ATOMIC(16) (bit 4 is DPO, bit 3 FUA). */
    static final int ATOMIC_RESERVED = 0x07;

    private ReadWriteCdb() {
    }

    /** READ(6), SBC-3 5.11; WRITE(6), SBC-3 5.33: no flags byte. */
    static SenseReason decode6(CommandContext c) {
        BlockCdb.form6(c);
        c.wanted = c.blocks << c.unit.blockShift();
        return BlockCdb.checkRangeAndTransferLength(c);
    }

    /** READ(10), SBC-3 5.12; WRITE(10), SBC-3 5.34. */
    static SenseReason decode10(CommandContext c) {
        BlockCdb.form10(c);
        return decodeFlagsAndCheck(c);
    }

    /** READ(12), SBC-3 5.13; WRITE(12), SBC-3 5.35. */
    static SenseReason decode12(CommandContext c) {
        BlockCdb.form12(c);
        return decodeFlagsAndCheck(c);
    }

    /** READ(16), SBC-3 5.14; WRITE(16), SBC-3 5.36; ORWRITE(16), SBC-3 5.8. */
    static SenseReason decode16(CommandContext c) {
        BlockCdb.form16(c);
        return decodeFlagsAndCheck(c);
    }

    private static SenseReason decodeFlagsAndCheck(CommandContext c) {
        c.wanted = c.blocks << c.unit.blockShift();
        SenseReason r = BlockCdb.protectionAndFua(c);
        return r != SenseReason.NONE ? r : BlockCdb.checkRangeAndTransferLength(c);
    }

    /**
     * WRITE ATOMIC(16), SBC-4. The Block Limits VPD page reports the limits checked here: a
     * TRANSFER LENGTH above MAXIMUM ATOMIC TRANSFER LENGTH, an LBA that is not a multiple of
     * ATOMIC ALIGNMENT or a length that is not a multiple of ATOMIC TRANSFER LENGTH GRANULARITY
     * (when those are not zero) is INVALID FIELD IN CDB. Atomic boundaries are not supported
     * (MAXIMUM ATOMIC BOUNDARY SIZE 0), so a non-zero ATOMIC BOUNDARY is INVALID FIELD IN CDB
     * too. A TRANSFER LENGTH of zero writes nothing and is not an error.
     */
    static SenseReason decodeAtomic16(CommandContext c) {
        c.lba = Cdb.u64(c.cdb, BlockCdb.LBA_OFFSET);
        c.blocks = Cdb.u16(c.cdb, ATOMIC_LENGTH_OFFSET);
        c.lengthField = ATOMIC_LENGTH_OFFSET;
        c.wanted = c.blocks << c.unit.blockShift();
        SenseReason r = BlockCdb.protectionAndFua(c);
        if (r != SenseReason.NONE) {
            return r;
        }
        if ((Cdb.u8(c.cdb, 1) & ATOMIC_RESERVED) != 0) {
            return c.invalidField(1);
        }
        if (Cdb.u16(c.cdb, ATOMIC_BOUNDARY_OFFSET) != 0) {
            return c.invalidField(ATOMIC_BOUNDARY_OFFSET);
        }
        r = BlockCdb.checkRange(c);
        if (r != SenseReason.NONE) {
            return r;
        }
        LogicalUnit u = c.unit;
        if (c.blocks > u.maxAtomicTransferBlocks()) {
            return c.invalidField(ATOMIC_LENGTH_OFFSET);
        }
        if (u.atomicAlignment() > 1 && Long.remainderUnsigned(c.lba, u.atomicAlignment()) != 0) {
            return c.invalidField(BlockCdb.LBA_OFFSET);
        }
        if (u.atomicGranularity() > 1 && c.blocks % u.atomicGranularity() != 0) {
            return c.invalidField(ATOMIC_LENGTH_OFFSET);
        }
        return SenseReason.NONE;
    }
}
