package org.jtgt.daemon;

/**
 * Decoder of WRITE SAME(10), SBC-3 5.41, and WRITE SAME(16), SBC-3 5.42. NDOB (16 only) means no
 * Data-Out and a block of zeros. UNMAP is honoured on thin units only (LBPWS and LBPWS10 in the
 * Logical Block Provisioning VPD page); on a fully provisioned unit it is INVALID FIELD IN CDB.
 * ANCHOR (ANC_SUP = 0) and the obsolete PBDATA/LBDATA are refused. A NUMBER OF LOGICAL BLOCKS of
 * zero would mean "to the last LBA"; the Block Limits VPD page reports WSNZ = 1, so it is INVALID
 * FIELD IN CDB instead of a write of the whole medium; so is a count above MAXIMUM WRITE SAME
 * LENGTH, which bounds the time one command runs inline on its transport's thread. Data-Out must
 * be exactly one block unless NDOB is set.
 */
final class WriteSameCdb {
    static final int WS_UNMAP = 0x08;
    static final int WS_UNMAP_BIT = 3;
    /** NDOB, byte 1 bit 0 of WRITE SAME(16) (SBC-4): no Data-Out, the block is zeros. */
    static final int WS_NDOB = 0x01;

    private WriteSameCdb() {
    }

    /** WRITE SAME(10), SBC-3 5.41. */
    static SenseReason decode10(CommandContext c) {
        BlockCdb.form10(c);
        return decode(c, WS_UNMAP);
    }

    /** WRITE SAME(16), SBC-3 5.42. */
    static SenseReason decode16(CommandContext c) {
        BlockCdb.form16(c);
        return decode(c, WS_UNMAP | WS_NDOB);
    }

    /** @param allowed the bits of byte 1 this form of the CDB defines and the daemon implements */
    private static SenseReason decode(CommandContext c, int allowed) {
        int flags = Cdb.u8(c.cdb, 1);
        if ((flags & BlockCdb.PROTECT_MASK) != 0) {
            return c.invalidField(1, BlockCdb.PROTECT_MSB);
        }
        c.ndob = (flags & allowed & WS_NDOB) != 0;
        c.unmap = (flags & WS_UNMAP) != 0;
        int bs = c.unit.blockSize();
        c.wanted = c.ndob ? 0 : bs;
        if (c.blocks == 0 || c.blocks > c.unit.maxWriteSameBlocks()) {
            return c.invalidField(c.lengthField);   // WSNZ = 1; MAXIMUM WRITE SAME LENGTH
        }
        SenseReason r = BlockCdb.checkRange(c);
        if (r != SenseReason.NONE) {
            return r;
        }
        // Any WRITE SAME changes the medium, whichever way the remaining bits would select, so
        // write protection is reported before they are looked at.
        SenseReason protection = c.unit.writeProtection();
        if (protection != SenseReason.NONE) {
            return protection;
        }
        int refused = flags & ~BlockCdb.PROTECT_MASK & ~allowed;
        if (refused != 0) {
            return c.invalidField(1, 31 - Integer.numberOfLeadingZeros(refused));
        }
        if (c.unmap && !c.unit.options().thin()) {
            return c.invalidField(1, WS_UNMAP_BIT);
        }
        if (!c.ndob && (c.outAvailable < bs || c.expectedLength != bs)) {
            // Data-Out is exactly one block: with fewer bytes there is no block to write, with
            // more the transfer and the CDB disagree about what the block is
            return SenseReason.INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT;
        }
        return SenseReason.NONE;
    }
}
