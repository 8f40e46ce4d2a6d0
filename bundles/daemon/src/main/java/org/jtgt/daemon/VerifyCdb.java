package org.jtgt.daemon;

/**
 * Decoder of the VERIFY family: VERIFY (10/12/16) and WRITE AND VERIFY (10/12/16) share their
 * layouts and byte 1 (VRPROTECT/WRPROTECT, BYTCHK), and differ in which BYTCHK values exist and
 * what the command moves. Byte 1 bits 2–1 are BYTCHK as in SBC-4 (SBC-3 used bit 1 alone, the
 * same value for 0 and 1).
 */
final class VerifyCdb {
    static final int BYTCHK_MASK = 0x06;
    static final int BYTCHK_SHIFT = 1;
    /** BYTCHK field's most significant bit, for the sense bit pointer. */
    static final int BYTCHK_MSB = 2;
    static final int BYTCHK_NONE = 0;
    static final int BYTCHK_COMPARE = 1;
    static final int BYTCHK_RESERVED = 2;
    static final int BYTCHK_ONE_BLOCK = 3;

    private VerifyCdb() {
    }

    /** VERIFY(10), SBC-3 5.29. */
    static SenseReason verify10(CommandContext c) {
        BlockCdb.form10(c);
        return decodeVerify(c);
    }

    /** VERIFY(12), SBC-3 5.30. */
    static SenseReason verify12(CommandContext c) {
        BlockCdb.form12(c);
        return decodeVerify(c);
    }

    /** VERIFY(16), SBC-3 5.31. */
    static SenseReason verify16(CommandContext c) {
        BlockCdb.form16(c);
        return decodeVerify(c);
    }

    /** WRITE AND VERIFY(10), SBC-3 5.37. */
    static SenseReason writeAndVerify10(CommandContext c) {
        BlockCdb.form10(c);
        return decodeWriteAndVerify(c);
    }

    /** WRITE AND VERIFY(12), SBC-3 5.38. */
    static SenseReason writeAndVerify12(CommandContext c) {
        BlockCdb.form12(c);
        return decodeWriteAndVerify(c);
    }

    /** WRITE AND VERIFY(16), SBC-3 5.39. */
    static SenseReason writeAndVerify16(CommandContext c) {
        BlockCdb.form16(c);
        return decodeWriteAndVerify(c);
    }

    /** Byte 1 of both: protection information is not supported; BYTCHK into the context. */
    private static SenseReason decodeByteCheck(CommandContext c) {
        int flags = Cdb.u8(c.cdb, 1);
        if ((flags & BlockCdb.PROTECT_MASK) != 0) {
            return c.invalidField(1, BlockCdb.PROTECT_MSB);
        }
        c.bytchk = (flags & BYTCHK_MASK) >>> BYTCHK_SHIFT;
        return SenseReason.NONE;
    }

    /**
     * VERIFY: BYTCHK 00b moves nothing (the range is all there is to check), 01b the blocks of
     * the range, 11b one block; 10b is reserved. The transfer length is checked only when data
     * is compared.
     */
    private static SenseReason decodeVerify(CommandContext c) {
        SenseReason r = decodeByteCheck(c);
        if (r != SenseReason.NONE) {
            return r;
        }
        if (c.bytchk == BYTCHK_RESERVED) {
            return c.invalidField(1, BYTCHK_MSB);
        }
        if (c.bytchk == BYTCHK_COMPARE) {
            c.wanted = c.blocks << c.unit.blockShift();
        } else if (c.bytchk == BYTCHK_ONE_BLOCK) {
            c.wanted = c.blocks == 0 ? 0 : c.unit.blockSize();
        }
        r = BlockCdb.checkRange(c);
        if (r != SenseReason.NONE || c.bytchk == BYTCHK_NONE) {
            return r;
        }
        return BlockCdb.checkTransferLength(c);
    }

    /**
     * WRITE AND VERIFY: BYTCHK 00b or 01b (10b and 11b are reserved); the blocks move as for
     * WRITE and are always forced to the medium (verifying "the medium" means the bytes must be
     * on it).
     */
    private static SenseReason decodeWriteAndVerify(CommandContext c) {
        SenseReason r = decodeByteCheck(c);
        if (r != SenseReason.NONE) {
            return r;
        }
        if (c.bytchk > BYTCHK_COMPARE) {
            return c.invalidField(1, BYTCHK_MSB);
        }
        c.wanted = c.blocks << c.unit.blockShift();
        c.fua = true;
        return BlockCdb.checkRangeAndTransferLength(c);
    }
}
