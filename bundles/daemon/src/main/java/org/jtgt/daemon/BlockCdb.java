package org.jtgt.daemon;

/**
 * What the block command CDBs share (SBC-3, section numbers of revision 35): the LOGICAL BLOCK
 * ADDRESS and TRANSFER LENGTH layouts of the 6-, 10-, 12- and 16-byte forms, the protection and
 * FUA bits of byte 1, and the checks every family applies to them: the one LBA range check and
 * Block Limits' MAXIMUM TRANSFER LENGTH.
 *
 * <p>Each CDB family has one decoder ({@link ReadWriteCdb}, {@link VerifyCdb},
 * {@link WriteSameCdb}, {@link CompareAndWriteCdb}, {@link UnmapCdb}, {@link CacheCdb},
 * {@link GetLbaStatusCdb}) that decodes and validates the CDB into the command's
 * {@link CommandContext} (LBA, blocks, flags, the bytes it wants to move) before the executor in
 * {@link SbcCommands} runs, as LIO's {@code sbc_parse_cdb} precedes {@code execute_cmd}. The
 * context is reused per delivering thread, so decoding allocates nothing.
 */
final class BlockCdb {
    // ---- byte 1 of READ/WRITE/VERIFY(10/12/16) ----
    /** RDPROTECT / WRPROTECT / VRPROTECT (bits 7..5); protection information is not supported. */
    static final int PROTECT_MASK = 0xE0;
    static final int PROTECT_MSB = 7;
    static final int FUA = 0x08;

    // ---- READ(6) / WRITE(6) ----
    static final int LBA6_HIGH_MASK = 0x1F;
    /** A TRANSFER LENGTH of 0 in READ(6)/WRITE(6) means 256 blocks (SBC-3 5.11, 5.33). */
    static final int LENGTH6_ZERO = 256;
    static final int LENGTH6_OFFSET = 4;

    // ---- the 10-, 12- and 16-byte forms: LBA at byte 2, then the length ----
    static final int LBA_OFFSET = 2;
    static final int LENGTH10_OFFSET = 7;
    static final int LENGTH12_OFFSET = 6;
    static final int LENGTH16_OFFSET = 10;

    private BlockCdb() {
    }

    /** The 6-byte form: 21-bit LBA, 8-bit length, 0 = 256 blocks. */
    static void form6(CommandContext c) {
        byte[] cdb = c.cdb;
        c.lba = (Cdb.u8(cdb, 1) & LBA6_HIGH_MASK) << 16 | Cdb.u16(cdb, 2);
        int n = Cdb.u8(cdb, LENGTH6_OFFSET);
        c.blocks = n == 0 ? LENGTH6_ZERO : n;
        c.lengthField = LENGTH6_OFFSET;
    }

    /** The 10-byte form: 32-bit LBA, 16-bit length. */
    static void form10(CommandContext c) {
        c.lba = Cdb.u32(c.cdb, LBA_OFFSET);
        c.blocks = Cdb.u16(c.cdb, LENGTH10_OFFSET);
        c.lengthField = LENGTH10_OFFSET;
    }

    /** The 12-byte form: 32-bit LBA, 32-bit length. */
    static void form12(CommandContext c) {
        c.lba = Cdb.u32(c.cdb, LBA_OFFSET);
        c.blocks = Cdb.u32(c.cdb, LENGTH12_OFFSET);
        c.lengthField = LENGTH12_OFFSET;
    }

    /** The 16-byte form: 64-bit LBA, 32-bit length. */
    static void form16(CommandContext c) {
        c.lba = Cdb.u64(c.cdb, LBA_OFFSET);
        c.blocks = Cdb.u32(c.cdb, LENGTH16_OFFSET);
        c.lengthField = LENGTH16_OFFSET;
    }

    /** Byte 1 of the 10/12/16-byte forms: no protection information, FUA. */
    static SenseReason protectionAndFua(CommandContext c) {
        int flags = Cdb.u8(c.cdb, 1);
        if ((flags & PROTECT_MASK) != 0) {
            return c.invalidField(1, PROTECT_MSB);
        }
        c.fua = (flags & FUA) != 0;
        return SenseReason.NONE;
    }

    /**
     * The one LBA range check: {@code [lba, lba + blocks)} must lie inside the medium. The LBA is
     * unsigned 64-bit; the comparison never overflows (LBA near 2^64 included).
     */
    static SenseReason checkRange(CommandContext c) {
        long capacity = c.unit.blockCount();
        if (Long.compareUnsigned(c.lba, capacity) > 0 || c.blocks > capacity - c.lba) {
            return SenseReason.LOGICAL_BLOCK_ADDRESS_OUT_OF_RANGE;
        }
        return SenseReason.NONE;
    }

    /** Block Limits' MAXIMUM TRANSFER LENGTH applies to every command that moves blocks. */
    static SenseReason checkTransferLength(CommandContext c) {
        if (c.blocks > c.unit.maxTransferBlocks()) {
            return c.invalidField(c.lengthField);
        }
        return SenseReason.NONE;
    }

    /** The range, then the transfer length: what every command that moves its blocks checks. */
    static SenseReason checkRangeAndTransferLength(CommandContext c) {
        SenseReason r = checkRange(c);
        return r != SenseReason.NONE ? r : checkTransferLength(c);
    }
}
