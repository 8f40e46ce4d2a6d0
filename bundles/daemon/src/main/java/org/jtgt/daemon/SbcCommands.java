package org.jtgt.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Block commands (SBC-3, section numbers of revision 35). Each handler parses its CDB into the
 * context ({@code lba}, {@code blocks}, flags, the bytes it wants to move) and hands over to one
 * of the shared executors, which apply the one LBA range check ({@link #checkRange}) and talk to
 * the backing store with the data area's buffer directly, never through a copy.
 */
final class SbcCommands {
    // ---- byte 1 of READ/WRITE/VERIFY(10/12/16) ----
    /** RDPROTECT / WRPROTECT / VRPROTECT (bits 7..5); protection information is not supported. */
    static final int PROTECT_MASK = 0xE0;
    static final int PROTECT_MSB = 7;
    static final int FUA = 0x08;
    static final int BYTCHK_MASK = 0x06;
    static final int BYTCHK_SHIFT = 1;
    /** BYTCHK field's most significant bit, for the sense bit pointer. */
    static final int BYTCHK_MSB = 2;
    static final int BYTCHK_NONE = 0;
    static final int BYTCHK_COMPARE = 1;
    static final int BYTCHK_RESERVED = 2;
    static final int BYTCHK_ONE_BLOCK = 3;

    // ---- READ(6) / WRITE(6) ----
    static final int LBA6_HIGH_MASK = 0x1F;
    /** A TRANSFER LENGTH of 0 in READ(6)/WRITE(6) means 256 blocks (SBC-3 5.11, 5.33). */
    static final int LENGTH6_ZERO = 256;

    // ---- READ CAPACITY ----
    static final int PMI = 0x01;
    static final int READ_CAPACITY_10_LENGTH = 8;
    static final int READ_CAPACITY_16_LENGTH = 32;
    static final long RETURNED_LBA_10_MAX = 0xFFFF_FFFFL;
    static final int LBPME = 0x80;
    static final int LBPRZ = 0x40;
    static final int PROVISIONING_OFFSET = 14;
    /** Byte 13: P_I_EXPONENT (bits 7..4), LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT (bits 3..0). */
    static final int PHYSICAL_EXPONENT_OFFSET = 13;

    // ---- COMPARE AND WRITE (SBC-3 5.2) ----
    /** Byte 1 bits 2 and 0 are reserved (bit 1 is the obsolete FUA_NV, bit 4 DPO). */
    static final int CAW_RESERVED = 0x05;
    static final int CAW_BLOCKS_OFFSET = 13;

    // ---- WRITE SAME (SBC-3 5.41, 5.42) ----
    static final int WS_UNMAP = 0x08;
    static final int WS_UNMAP_BIT = 3;
    /** NDOB, byte 1 bit 0 of WRITE SAME(16) (SBC-4): no Data-Out, the block is zeros. */
    static final int WS_NDOB = 0x01;

    // ---- UNMAP (SBC-3 5.28) ----
    static final int UNMAP_ANCHOR = 0x01;
    static final int UNMAP_LIST_LENGTH_OFFSET = 7;
    static final int UNMAP_HEADER = 8;
    static final int UNMAP_DESCRIPTOR_LENGTH_OFFSET = 2;
    static final int UNMAP_DESCRIPTOR = 16;
    /** MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT (Block Limits VPD). */
    static final int MAX_UNMAP_DESCRIPTORS = 256;
    /** MAXIMUM UNMAP LBA COUNT (Block Limits VPD): a bound on the time one UNMAP may take. */
    static final long MAX_UNMAP_BLOCKS = 1 << 20;

    // ---- GET LBA STATUS (SBC-3 5.6) ----
    static final int LBA_STATUS_HEADER = 8;
    static final int LBA_STATUS_DESCRIPTOR = 16;
    static final int LBA_STATUS_MAPPED = 0x0;
    static final int LBA_STATUS_DEALLOCATED = 0x1;
    /** A bound on the work of one command (each descriptor asks the store for a run). */
    static final int MAX_LBA_STATUS_DESCRIPTORS = 1024;
    /** NUMBER OF LOGICAL BLOCKS of a descriptor is 32 bits. */
    static final long MAX_DESCRIPTOR_BLOCKS = 0xFFFF_FFFFL;

    // ---- PRE-FETCH (SBC-3 5.9) ----
    static final int PREFETCH_IMMED = 0x02;

    // ---- START STOP UNIT (SBC-3 5.25) ----
    static final int SSU_IMMED = 0x01;
    static final int SSU_START = 0x01;
    static final int SSU_LOEJ = 0x02;
    static final int SSU_LOEJ_BIT = 1;
    /** Byte 4 bit 3 is reserved (bit 2 is NO_FLUSH, accepted: there is no cache to keep). */
    static final int SSU_RESERVED = 0x08;
    static final int SSU_RESERVED_BIT = 3;
    static final int SSU_POWER_CONDITION_SHIFT = 4;
    static final int POWER_START_VALID = 0x0;

    // ---- PREVENT ALLOW MEDIUM REMOVAL (SBC-3 5.15) ----
    static final int PREVENT_MASK = 0x03;
    static final int PREVENT_OFF = 0;
    static final int PREVENT_ON = 1;

    private SbcCommands() {
    }

    // ======================= parsing =======================

    /** READ(6) / WRITE(6): 21-bit LBA, 8-bit length, 0 = 256 blocks. */
    private static void parse6(CommandContext c) {
        byte[] cdb = c.cdb;
        c.lba = (Cdb.u8(cdb, 1) & LBA6_HIGH_MASK) << 16 | Cdb.u16(cdb, 2);
        int n = Cdb.u8(cdb, 4);
        c.blocks = n == 0 ? LENGTH6_ZERO : n;
        c.lengthField = 4;
        c.wanted = c.blocks << c.unit.blockShift();
    }

    /** Byte 1 of the 10/12/16-byte forms: no protection information, FUA. */
    private static SenseReason parseFlags(CommandContext c) {
        int flags = Cdb.u8(c.cdb, 1);
        if ((flags & PROTECT_MASK) != 0) {
            return c.invalidField(1, PROTECT_MSB);
        }
        c.fua = (flags & FUA) != 0;
        return SenseReason.NONE;
    }

    private static SenseReason parse10(CommandContext c) {
        c.lba = Cdb.u32(c.cdb, 2);
        c.blocks = Cdb.u16(c.cdb, 7);
        c.lengthField = 7;
        c.wanted = c.blocks << c.unit.blockShift();
        return parseFlags(c);
    }

    private static SenseReason parse12(CommandContext c) {
        c.lba = Cdb.u32(c.cdb, 2);
        c.blocks = Cdb.u32(c.cdb, 6);
        c.lengthField = 6;
        c.wanted = c.blocks << c.unit.blockShift();
        return parseFlags(c);
    }

    private static SenseReason parse16(CommandContext c) {
        c.lba = Cdb.u64(c.cdb, 2);
        c.blocks = Cdb.u32(c.cdb, 10);
        c.lengthField = 10;
        c.wanted = c.blocks << c.unit.blockShift();
        return parseFlags(c);
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
    private static SenseReason checkTransferLength(CommandContext c) {
        if (c.blocks > c.unit.maxTransferBlocks()) {
            return c.invalidField(c.lengthField);
        }
        return SenseReason.NONE;
    }

    // ======================= READ =======================

    /** READ(6), SBC-3 5.11. */
    static SenseReason read6(CommandContext c) {
        parse6(c);
        return executeRead(c);
    }

    /** READ(10), SBC-3 5.12. */
    static SenseReason read10(CommandContext c) {
        SenseReason r = parse10(c);
        return r != SenseReason.NONE ? r : executeRead(c);
    }

    /** READ(12), SBC-3 5.13. */
    static SenseReason read12(CommandContext c) {
        SenseReason r = parse12(c);
        return r != SenseReason.NONE ? r : executeRead(c);
    }

    /** READ(16), SBC-3 5.14. */
    static SenseReason read16(CommandContext c) {
        SenseReason r = parse16(c);
        return r != SenseReason.NONE ? r : executeRead(c);
    }

    /**
     * Reads into the data area at the command's data reference: min(blocks × block size, the
     * Data-In room) bytes; the difference shows up as the residual. FUA on a read needs nothing:
     * the daemon keeps no read cache of its own.
     */
    private static SenseReason executeRead(CommandContext c) {
        SenseReason r = checkRange(c);
        if (r == SenseReason.NONE) {
            r = checkTransferLength(c);
        }
        if (r != SenseReason.NONE) {
            return r;
        }
        int n = (int) Math.min(c.wanted, c.inLimit);
        if (n > 0) {
            try {
                c.unit.store().read(c.lba << c.unit.blockShift(), c.window(0, n));
            } catch (IOException e) {
                c.information = c.lba;
                c.ioFailure = e;
                return SenseReason.UNRECOVERED_READ_ERROR;
            }
        }
        c.transferred = n;
        return SenseReason.NONE;
    }

    // ======================= WRITE =======================

    /** WRITE(6), SBC-3 5.33. */
    static SenseReason write6(CommandContext c) {
        parse6(c);
        return executeWrite(c);
    }

    /** WRITE(10), SBC-3 5.34. */
    static SenseReason write10(CommandContext c) {
        SenseReason r = parse10(c);
        return r != SenseReason.NONE ? r : executeWrite(c);
    }

    /** WRITE(12), SBC-3 5.35. */
    static SenseReason write12(CommandContext c) {
        SenseReason r = parse12(c);
        return r != SenseReason.NONE ? r : executeWrite(c);
    }

    /** WRITE(16), SBC-3 5.36. */
    static SenseReason write16(CommandContext c) {
        SenseReason r = parse16(c);
        return r != SenseReason.NONE ? r : executeWrite(c);
    }

    /**
     * Writes min(blocks × block size, Data-Out present) bytes from the data area: when the
     * expected data transfer length disagrees with the CDB, the command is processed normally
     * except that no data beyond the shorter of the two is transferred, and the residual says
     * by how much (FCP-4 9.4.2 rule a, which libiscsi's residual tests accept).
     */
    private static SenseReason executeWrite(CommandContext c) {
        SenseReason r = checkRange(c);
        if (r == SenseReason.NONE) {
            r = checkTransferLength(c);
        }
        if (r != SenseReason.NONE) {
            return r;
        }
        return writeBlocks(c, false);
    }

    /**
     * The write of WRITE and WRITE ATOMIC once their CDB is checked (parsing, then execution):
     * write protection, then min(blocks × block size, Data-Out present) bytes under the unit's
     * write order, shared or, for {@code atomic}, exclusive of every other writer.
     */
    private static SenseReason writeBlocks(CommandContext c, boolean atomic) {
        LogicalUnit u = c.unit;
        SenseReason protection = u.writeProtection();
        if (protection != SenseReason.NONE) {
            return protection;
        }
        int n = (int) Math.min(c.wanted, c.outAvailable);
        if (n > 0) {
            long stamp = atomic ? u.beginAtomicWrite() : u.beginWrite();
            try {
                u.writeMedium(c.lba << u.blockShift(), c.window(0, n), c.fua);
            } catch (IOException e) {
                c.information = c.lba;
                c.ioFailure = e;
                return SenseReason.ofWriteFailure(e);
            } finally {
                if (atomic) {
                    u.endAtomicWrite(stamp);
                } else {
                    u.endWrite(stamp);
                }
            }
        }
        return SenseReason.NONE;
    }

    // ======================= WRITE AND VERIFY =======================

    /** WRITE AND VERIFY(10), SBC-3 5.37. */
    static SenseReason writeAndVerify10(CommandContext c) {
        c.lba = Cdb.u32(c.cdb, 2);
        c.blocks = Cdb.u16(c.cdb, 7);
        c.lengthField = 7;
        return executeWriteAndVerify(c);
    }

    /** WRITE AND VERIFY(12), SBC-3 5.38. */
    static SenseReason writeAndVerify12(CommandContext c) {
        c.lba = Cdb.u32(c.cdb, 2);
        c.blocks = Cdb.u32(c.cdb, 6);
        c.lengthField = 6;
        return executeWriteAndVerify(c);
    }

    /** WRITE AND VERIFY(16), SBC-3 5.39. */
    static SenseReason writeAndVerify16(CommandContext c) {
        c.lba = Cdb.u64(c.cdb, 2);
        c.blocks = Cdb.u32(c.cdb, 10);
        c.lengthField = 10;
        return executeWriteAndVerify(c);
    }

    /**
     * Writes like WRITE, with the data made stable first (verifying "the medium" means the bytes
     * must be on it), then with BYTCHK 01b reads the blocks back and compares them with Data-Out
     * (MISCOMPARE DURING VERIFY OPERATION with the offset on a difference). BYTCHK 00b verifies
     * the medium only, which has nothing that can fail beyond the write itself. Byte 1 bits 2–1
     * are BYTCHK as in SBC-4 (SBC-3 used bit 1 alone, the same value for 0 and 1); 10b and 11b
     * are reserved.
     */
    private static SenseReason executeWriteAndVerify(CommandContext c) {
        int flags = Cdb.u8(c.cdb, 1);
        if ((flags & PROTECT_MASK) != 0) {
            return c.invalidField(1, PROTECT_MSB);
        }
        int bytchk = (flags & BYTCHK_MASK) >>> BYTCHK_SHIFT;
        if (bytchk > BYTCHK_COMPARE) {
            return c.invalidField(1, BYTCHK_MSB);
        }
        c.wanted = c.blocks << c.unit.blockShift();
        c.fua = true;
        SenseReason r = executeWrite(c);
        if (r != SenseReason.NONE || bytchk == BYTCHK_NONE) {
            return r;
        }
        try {
            return compare(c, c.lba << c.unit.blockShift(), 0, (int) Math.min(c.wanted, c.outAvailable));
        } catch (IOException e) {
            c.information = c.lba;
            c.ioFailure = e;
            return SenseReason.UNRECOVERED_READ_ERROR;
        }
    }

    // ======================= VERIFY =======================

    /** VERIFY(10), SBC-3 5.29. */
    static SenseReason verify10(CommandContext c) {
        c.lba = Cdb.u32(c.cdb, 2);
        c.blocks = Cdb.u16(c.cdb, 7);
        c.lengthField = 7;
        return executeVerify(c);
    }

    /** VERIFY(12), SBC-3 5.30. */
    static SenseReason verify12(CommandContext c) {
        c.lba = Cdb.u32(c.cdb, 2);
        c.blocks = Cdb.u32(c.cdb, 6);
        c.lengthField = 6;
        return executeVerify(c);
    }

    /** VERIFY(16), SBC-3 5.31. */
    static SenseReason verify16(CommandContext c) {
        c.lba = Cdb.u64(c.cdb, 2);
        c.blocks = Cdb.u32(c.cdb, 10);
        c.lengthField = 10;
        return executeVerify(c);
    }

    /**
     * BYTCHK 00b: the medium needs no checking beyond the range (there is no media to fail).
     * 01b: compares the Data-Out buffer with the blocks; 11b: compares one block of Data-Out
     * with every block of the range. A difference ends the command with MISCOMPARE, MISCOMPARE
     * DURING VERIFY OPERATION and the byte offset of the first difference in INFORMATION
     * (offset into the compared range).
     */
    private static SenseReason executeVerify(CommandContext c) {
        int flags = Cdb.u8(c.cdb, 1);
        if ((flags & PROTECT_MASK) != 0) {
            return c.invalidField(1, PROTECT_MSB);
        }
        int bytchk = (flags & BYTCHK_MASK) >>> BYTCHK_SHIFT;
        if (bytchk == BYTCHK_RESERVED) {
            return c.invalidField(1, BYTCHK_MSB);
        }
        int shift = c.unit.blockShift();
        if (bytchk == BYTCHK_COMPARE) {
            c.wanted = c.blocks << shift;
        } else if (bytchk == BYTCHK_ONE_BLOCK) {
            c.wanted = c.blocks == 0 ? 0 : c.unit.blockSize();
        }
        SenseReason r = checkRange(c);
        if (r != SenseReason.NONE || bytchk == BYTCHK_NONE) {
            return r;
        }
        r = checkTransferLength(c);
        if (r != SenseReason.NONE) {
            return r;
        }
        try {
            if (bytchk == BYTCHK_COMPARE) {
                int n = (int) Math.min(c.wanted, c.outAvailable);
                return compare(c, c.lba << shift, 0, n);
            }
            if (c.outAvailable < c.wanted) {
                return SenseReason.NONE;   // no block to compare against was sent
            }
            int bs = c.unit.blockSize();
            for (long b = 0; b < c.blocks; b++) {
                SenseReason m = compare(c, (c.lba + b) << shift, 0, bs);
                if (m != SenseReason.NONE) {
                    c.information += b << shift;
                    return m;
                }
            }
            return SenseReason.NONE;
        } catch (IOException e) {
            c.information = c.lba;
            c.ioFailure = e;
            return SenseReason.UNRECOVERED_READ_ERROR;
        }
    }

    /** Compares {@code length} medium bytes at {@code offset} with Data-Out from {@code from}. */
    private static SenseReason compare(CommandContext c, long offset, int from, int length) throws IOException {
        ByteBuffer medium = c.verifyScratch();
        int done = 0;
        while (done < length) {
            int chunk = Math.min(medium.capacity(), length - done);
            medium.clear().limit(chunk);
            c.unit.store().read(offset + done, medium);
            medium.flip();
            int m = medium.mismatch(c.window(from + done, chunk));
            if (m >= 0) {
                c.information = done + m;
                return SenseReason.MISCOMPARE_DURING_VERIFY_OPERATION;
            }
            done += chunk;
        }
        return SenseReason.NONE;
    }

    // ======================= SYNCHRONIZE CACHE =======================

    /** SYNCHRONIZE CACHE(10), SBC-3 5.26: flushes the store; 0 blocks means "to the end". */
    static SenseReason synchronizeCache10(CommandContext c) {
        c.lba = Cdb.u32(c.cdb, 2);
        c.blocks = Cdb.u16(c.cdb, 7);
        return executeSynchronizeCache(c);
    }

    /** SYNCHRONIZE CACHE(16), SBC-3 5.27. */
    static SenseReason synchronizeCache16(CommandContext c) {
        c.lba = Cdb.u64(c.cdb, 2);
        c.blocks = Cdb.u32(c.cdb, 10);
        return executeSynchronizeCache(c);
    }

    private static SenseReason executeSynchronizeCache(CommandContext c) {
        SenseReason r = checkRange(c);
        if (r != SenseReason.NONE) {
            return r;
        }
        try {
            c.unit.store().flush();
        } catch (IOException e) {
            c.ioFailure = e;
            return SenseReason.ofWriteFailure(e);
        }
        return SenseReason.NONE;
    }

    // ======================= ORWRITE =======================

    /** ORWRITE(16), SBC-3 5.8. */
    static SenseReason orWrite16(CommandContext c) {
        SenseReason r = parse16(c);
        return r != SenseReason.NONE ? r : executeOrWrite(c);
    }

    /**
     * Replaces each byte of the range with its OR with the Data-Out byte (SBC-3 5.8, with
     * BMOP 000b: the only operation without a multiple-command sequence): read, OR, write, one
     * 64 KiB chunk at a time through the context's scratch buffer, owning the unit's write order
     * ({@link LogicalUnit#beginAtomicWrite()}), so no write from another transport thread lands
     * between the read and the write and no bits are lost.
     * Checks as for WRITE; FUA is honoured on each chunk.
     */
    private static SenseReason executeOrWrite(CommandContext c) {
        SenseReason r = checkRange(c);
        if (r == SenseReason.NONE) {
            r = checkTransferLength(c);
        }
        if (r != SenseReason.NONE) {
            return r;
        }
        SenseReason protection = c.unit.writeProtection();
        if (protection != SenseReason.NONE) {
            return protection;
        }
        int n = (int) Math.min(c.wanted, c.outAvailable);
        ByteBuffer medium = c.verifyScratch();
        ByteBuffer data = c.data();
        long base = c.lba << c.unit.blockShift();
        long stamp = c.unit.beginAtomicWrite();
        try {
            int done = 0;
            while (done < n) {
                int chunk = Math.min(medium.capacity(), n - done);
                medium.clear().limit(chunk);
                try {
                    c.unit.store().read(base + done, medium);
                } catch (IOException e) {
                    c.information = c.lba + (done >>> c.unit.blockShift());
                    c.ioFailure = e;
                    return SenseReason.UNRECOVERED_READ_ERROR;
                }
                int from = c.dataOffset + done;
                for (int i = 0; i < chunk; i++) {
                    medium.put(i, (byte) (medium.get(i) | data.get(from + i)));
                }
                medium.clear().limit(chunk);
                try {
                    c.unit.writeMedium(base + done, medium, c.fua);
                } catch (IOException e) {
                    c.information = c.lba + (done >>> c.unit.blockShift());
                    c.ioFailure = e;
                    return SenseReason.ofWriteFailure(e);
                }
                done += chunk;
            }
        } finally {
            c.unit.endAtomicWrite(stamp);
        }
        return SenseReason.NONE;
    }

    // ======================= COMPARE AND WRITE =======================

    /**
     * COMPARE AND WRITE, SBC-3 5.2. Data-Out holds NUMBER OF LOGICAL BLOCKS blocks of verify
     * data followed by as many blocks of write data. With the unit's write order owned
     * ({@link LogicalUnit#beginAtomicWrite()}) the blocks are compared with the verify data and,
     * only if every byte is equal, replaced by the write data; no other write of the unit can
     * run in between. A difference ends the command with MISCOMPARE, MISCOMPARE DURING VERIFY
     * OPERATION and, in INFORMATION, the offset of the first differing byte from the start of
     * Data-Out; nothing is written then. Zero blocks is not an error and does nothing.
     *
     * <p>Checks, in order: WRPROTECT (not supported) and reserved bits of byte 1, NUMBER OF
     * LOGICAL BLOCKS above MAXIMUM COMPARE AND WRITE LENGTH, an expected transfer length that is
     * not exactly twice the blocks (the verify and write halves could not be told apart; this
     * also refuses blocks = 0 with data, as a block count that wrapped at 256 would send), the
     * LBA range, write protection. DPO is accepted (no cache to keep), FUA honoured, FUA_NV is
     * obsolete and ignored.
     */
    static SenseReason compareAndWrite(CommandContext c) {
        byte[] cdb = c.cdb;
        int flags = Cdb.u8(cdb, 1);
        if ((flags & PROTECT_MASK) != 0) {
            return c.invalidField(1, PROTECT_MSB);
        }
        if ((flags & CAW_RESERVED) != 0) {
            return c.invalidField(1, 31 - Integer.numberOfLeadingZeros(flags & CAW_RESERVED));
        }
        c.fua = (flags & FUA) != 0;
        c.lba = Cdb.u64(cdb, 2);
        c.blocks = Cdb.u8(cdb, CAW_BLOCKS_OFFSET);
        c.lengthField = CAW_BLOCKS_OFFSET;
        int shift = c.unit.blockShift();
        int half = (int) (c.blocks << shift);
        c.wanted = 2L * half;
        if (c.blocks > c.unit.maxCompareAndWriteBlocks() || c.expectedLength != c.wanted) {
            return c.invalidField(CAW_BLOCKS_OFFSET);
        }
        SenseReason r = checkRange(c);
        if (r != SenseReason.NONE) {
            return r;
        }
        SenseReason protection = c.unit.writeProtection();
        if (protection != SenseReason.NONE) {
            return protection;
        }
        if (c.blocks == 0) {
            return SenseReason.NONE;
        }
        if (c.outAvailable < c.wanted) {
            return SenseReason.INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT;   // fewer bytes than announced
        }
        long offset = c.lba << shift;
        long stamp = c.unit.beginAtomicWrite();
        try {
            SenseReason m;
            try {
                m = compare(c, offset, 0, half);
            } catch (IOException e) {
                c.information = c.lba;
                c.ioFailure = e;
                return SenseReason.UNRECOVERED_READ_ERROR;
            }
            if (m != SenseReason.NONE) {
                return m;   // INFORMATION: compare() counted from the start of Data-Out
            }
            try {
                c.unit.writeMedium(offset, c.window(half, half), c.fua);
            } catch (IOException e) {
                c.information = c.lba;
                c.ioFailure = e;
                return SenseReason.ofWriteFailure(e);
            }
        } finally {
            c.unit.endAtomicWrite(stamp);
        }
        return SenseReason.NONE;
    }

    // ======================= UNMAP =======================

    /**
     * UNMAP, SBC-3 5.28, for thin units only (LBPU = 1 in the Logical Block Provisioning VPD
     * page; a fully provisioned unit answers INVALID COMMAND OPERATION CODE, as one without the
     * command would). The parameter list is an 8-byte header (UNMAP DATA LENGTH, UNMAP BLOCK
     * DESCRIPTOR DATA LENGTH) and 16-byte descriptors (LBA, NUMBER OF LOGICAL BLOCKS); an
     * incomplete last descriptor is ignored. Every descriptor is checked before anything is
     * deallocated: more than MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT descriptors, or more than
     * MAXIMUM UNMAP LBA COUNT blocks in all, is INVALID FIELD IN PARAMETER LIST; a range outside
     * the medium is LOGICAL BLOCK ADDRESS OUT OF RANGE. ANCHOR is not supported (ANC_SUP = 0).
     * The store makes unmapped blocks read zeros (LBPRZ).
     */
    static SenseReason unmap(CommandContext c) {
        if (!c.unit.options().thin()) {
            return SenseReason.INVALID_COMMAND_OPERATION_CODE;
        }
        int flags = Cdb.u8(c.cdb, 1);
        if ((flags & UNMAP_ANCHOR) != 0) {
            return c.invalidField(1, 0);
        }
        if (flags != 0) {
            return c.invalidField(1);
        }
        int listLength = Cdb.u16(c.cdb, UNMAP_LIST_LENGTH_OFFSET);
        c.wanted = listLength;
        if (listLength == 0) {
            return SenseReason.NONE;   // nothing to unmap is not an error
        }
        SenseReason protection = c.unit.writeProtection();
        if (protection != SenseReason.NONE) {
            return protection;
        }
        int available = (int) Math.min(listLength, c.outAvailable);
        if (available < UNMAP_HEADER) {
            return SenseReason.PARAMETER_LIST_LENGTH_ERROR;
        }
        int descriptors = Math.min(c.outU16(UNMAP_DESCRIPTOR_LENGTH_OFFSET), available - UNMAP_HEADER)
                / UNMAP_DESCRIPTOR;
        if (descriptors > MAX_UNMAP_DESCRIPTORS) {
            return SenseReason.INVALID_FIELD_IN_PARAMETER_LIST;
        }
        long capacity = c.unit.blockCount();
        long total = 0;
        for (int i = 0; i < descriptors; i++) {
            int at = UNMAP_HEADER + i * UNMAP_DESCRIPTOR;
            long lba = c.outU64(at);
            long n = c.outU32(at + 8);
            if (Long.compareUnsigned(lba, capacity) > 0 || n > capacity - lba) {
                c.information = lba;
                return SenseReason.LOGICAL_BLOCK_ADDRESS_OUT_OF_RANGE;
            }
            total += n;
            if (total > MAX_UNMAP_BLOCKS) {
                return SenseReason.INVALID_FIELD_IN_PARAMETER_LIST;
            }
        }
        int shift = c.unit.blockShift();
        long stamp = c.unit.beginWrite();
        try {
            for (int i = 0; i < descriptors; i++) {
                int at = UNMAP_HEADER + i * UNMAP_DESCRIPTOR;
                long lba = c.outU64(at);
                long n = c.outU32(at + 8);
                if (n > 0) {
                    try {
                        c.unit.store().deallocate(lba << shift, n << shift);
                    } catch (IOException e) {
                        c.information = lba;
                        c.ioFailure = e;
                        return SenseReason.ofWriteFailure(e);
                    }
                }
            }
            if (c.unit.writeThrough()) {
                try {
                    c.unit.store().flush();
                } catch (IOException e) {
                    c.ioFailure = e;
                    return SenseReason.ofWriteFailure(e);
                }
            }
        } finally {
            c.unit.endWrite(stamp);
        }
        return SenseReason.NONE;
    }

    // ======================= GET LBA STATUS =======================

    /**
     * GET LBA STATUS, SBC-3 5.6 (SERVICE ACTION IN(16), 12h): LBA status descriptors from
     * STARTING LOGICAL BLOCK ADDRESS on, each an extent of blocks that are all mapped (00h) or
     * all deallocated (01h), as the backing store tracks them; as many as the allocation length
     * holds, at most {@value #MAX_LBA_STATUS_DESCRIPTORS}, and at least one. The first
     * descriptor starts at the starting LBA itself. A store that tracks nothing reports every
     * block mapped. A starting LBA past the last one is LOGICAL BLOCK ADDRESS OUT OF RANGE.
     */
    static SenseReason getLbaStatus(CommandContext c) {
        c.lba = Cdb.u64(c.cdb, 2);
        long allocation = Cdb.u32(c.cdb, 10);
        long capacity = c.unit.blockCount();
        if (Long.compareUnsigned(c.lba, capacity) >= 0) {
            return SenseReason.LOGICAL_BLOCK_ADDRESS_OUT_OF_RANGE;
        }
        int room = (int) Math.min(MAX_LBA_STATUS_DESCRIPTORS,
                Math.max(1, (Math.min(allocation, c.inLimit) - LBA_STATUS_HEADER) / LBA_STATUS_DESCRIPTOR));
        int shift = c.unit.blockShift();
        int bs = c.unit.blockSize();
        long pos = c.lba;
        int k = 0;
        c.zeroIn(0, LBA_STATUS_HEADER);
        while (k < room && pos < capacity) {
            long maxBytes = Math.min(capacity - pos, MAX_DESCRIPTOR_BLOCKS) << shift;
            long offset = pos << shift;
            boolean mapped = c.unit.store().runLength(offset, maxBytes, true) > 0;
            long run = c.unit.store().runLength(offset, maxBytes, mapped);
            long blocks = Math.max(1, (run + bs - 1) >>> shift);
            int at = LBA_STATUS_HEADER + k * LBA_STATUS_DESCRIPTOR;
            c.zeroIn(at, at + LBA_STATUS_DESCRIPTOR);
            c.putIn64(at, pos);
            c.putIn32(at + 8, blocks);
            c.putIn(at + 12, mapped ? LBA_STATUS_MAPPED : LBA_STATUS_DEALLOCATED);
            pos += blocks;
            k++;
        }
        int length = LBA_STATUS_HEADER + k * LBA_STATUS_DESCRIPTOR;
        c.putIn32(0, length - 4);   // PARAMETER DATA LENGTH: the bytes after itself
        c.produce(length, allocation);
        return SenseReason.NONE;
    }

    // ======================= WRITE SAME =======================

    /** WRITE SAME(10), SBC-3 5.41. */
    static SenseReason writeSame10(CommandContext c) {
        c.lba = Cdb.u32(c.cdb, 2);
        c.blocks = Cdb.u16(c.cdb, 7);
        c.lengthField = 7;
        return executeWriteSame(c, WS_UNMAP);
    }

    /** WRITE SAME(16), SBC-3 5.42. */
    static SenseReason writeSame16(CommandContext c) {
        c.lba = Cdb.u64(c.cdb, 2);
        c.blocks = Cdb.u32(c.cdb, 10);
        c.lengthField = 10;
        return executeWriteSame(c, WS_UNMAP | WS_NDOB);
    }

    /**
     * Writes the one block of Data-Out to every block of the range. NDOB (16 only) means no
     * Data-Out and a block of zeros. UNMAP is honoured on thin units (LBPWS and LBPWS10 in the
     * Logical Block Provisioning VPD page): when the block is all zeros, what an unmapped block
     * reads (LBPRZ), the range is deallocated instead of written; any other block is written,
     * which leaves the blocks mapped as SBC-3 5.41 allows. On a fully provisioned unit UNMAP is
     * INVALID FIELD IN CDB. ANCHOR (ANC_SUP = 0) and the obsolete PBDATA/LBDATA are refused too.
     * A NUMBER OF LOGICAL BLOCKS of zero would mean "to the last LBA"; the Block Limits VPD page
     * reports WSNZ = 1, so it is INVALID FIELD IN CDB instead of a write of the whole medium;
     * so is a count above MAXIMUM WRITE SAME LENGTH, which bounds the time one command runs
     * inline on its transport's thread. The block is replicated into the context's 64 KiB scratch buffer once and written in
     * chunks of it.
     *
     * @param allowed the bits of byte 1 this form of the CDB defines and the daemon implements
     */
    private static SenseReason executeWriteSame(CommandContext c, int allowed) {
        int flags = Cdb.u8(c.cdb, 1);
        if ((flags & PROTECT_MASK) != 0) {
            return c.invalidField(1, PROTECT_MSB);
        }
        boolean ndob = (flags & allowed & WS_NDOB) != 0;
        boolean unmap = (flags & WS_UNMAP) != 0;
        int bs = c.unit.blockSize();
        c.wanted = ndob ? 0 : bs;
        if (c.blocks == 0 || c.blocks > c.unit.maxWriteSameBlocks()) {
            return c.invalidField(c.lengthField);   // WSNZ = 1; MAXIMUM WRITE SAME LENGTH
        }
        SenseReason r = checkRange(c);
        if (r != SenseReason.NONE) {
            return r;
        }
        // Any WRITE SAME changes the medium, whichever way the remaining bits would select, so
        // write protection is reported before they are looked at.
        SenseReason protection = c.unit.writeProtection();
        if (protection != SenseReason.NONE) {
            return protection;
        }
        int refused = flags & ~PROTECT_MASK & ~allowed;
        if (refused != 0) {
            return c.invalidField(1, 31 - Integer.numberOfLeadingZeros(refused));
        }
        if (unmap && !c.unit.options().thin()) {
            return c.invalidField(1, WS_UNMAP_BIT);
        }
        if (!ndob && (c.outAvailable < bs || c.expectedLength != bs)) {
            // Data-Out is exactly one block: with fewer bytes there is no block to write, with
            // more the transfer and the CDB disagree about what the block is
            return SenseReason.INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT;
        }
        int shift = c.unit.blockShift();
        if (unmap && (ndob || isZeroBlock(c, bs))) {
            long stamp = c.unit.beginWrite();
            try {
                c.unit.store().deallocate(c.lba << shift, c.blocks << shift);
                if (c.unit.writeThrough()) {
                    c.unit.store().flush();
                }
            } catch (IOException e) {
                c.information = c.lba;
                c.ioFailure = e;
                return SenseReason.ofWriteFailure(e);
            } finally {
                c.unit.endWrite(stamp);
            }
            return SenseReason.NONE;
        }
        ByteBuffer pattern = c.verifyScratch();
        int perChunk = pattern.capacity() / bs;
        int filled = (int) Math.min(perChunk, c.blocks);
        pattern.clear();
        if (ndob) {
            for (int i = 0; i < filled << shift; i++) {
                pattern.put(i, (byte) 0);
            }
        } else {
            for (int i = 0; i < filled; i++) {
                pattern.put(c.window(0, bs));
            }
        }
        long done = 0;
        long stamp = c.unit.beginWrite();
        try {
            while (done < c.blocks) {
                int n = (int) Math.min(filled, c.blocks - done);
                pattern.clear().limit(n << shift);
                c.unit.writeMedium((c.lba + done) << shift, pattern, false);
                done += n;
            }
        } catch (IOException e) {
            c.information = c.lba + done;
            c.ioFailure = e;
            return SenseReason.ofWriteFailure(e);
        } finally {
            c.unit.endWrite(stamp);
        }
        return SenseReason.NONE;
    }

    /** True if the first block of Data-Out is all zeros. */
    private static boolean isZeroBlock(CommandContext c, int bs) {
        for (int i = 0; i < bs; i++) {
            if (c.outU8(i) != 0) {
                return false;
            }
        }
        return true;
    }

    // ======================= WRITE ATOMIC =======================

    /** WRITE ATOMIC(16) CDB (SBC-4): ATOMIC BOUNDARY and the 16-bit TRANSFER LENGTH. */
    static final int ATOMIC_BOUNDARY_OFFSET = 10;
    static final int ATOMIC_LENGTH_OFFSET = 12;
    /** Byte 1 bits 2..0 are reserved in WRITE ATOMIC(16) (bit 4 is DPO, bit 3 FUA). */
    static final int ATOMIC_RESERVED = 0x07;

    /**
     * WRITE ATOMIC(16), SBC-4: the blocks are written as one indivisible operation with
     * respect to every other writer of the unit, because the write owns the unit's write order
     * ({@link LogicalUnit#beginAtomicWrite}) as COMPARE AND WRITE does. The Block Limits VPD
     * page reports the limits checked here: a TRANSFER LENGTH above MAXIMUM ATOMIC TRANSFER
     * LENGTH, an LBA that is not a multiple of ATOMIC ALIGNMENT or a length that is not a
     * multiple of ATOMIC TRANSFER LENGTH GRANULARITY (when those are not zero) is INVALID
     * FIELD IN CDB. Atomic boundaries are not supported (MAXIMUM ATOMIC BOUNDARY SIZE 0), so a
     * non-zero ATOMIC BOUNDARY is INVALID FIELD IN CDB too. A TRANSFER LENGTH of zero writes
     * nothing and is not an error.
     */
    static SenseReason writeAtomic16(CommandContext c) {
        c.lba = Cdb.u64(c.cdb, 2);
        c.blocks = Cdb.u16(c.cdb, ATOMIC_LENGTH_OFFSET);
        c.lengthField = ATOMIC_LENGTH_OFFSET;
        c.wanted = c.blocks << c.unit.blockShift();
        SenseReason r = parseFlags(c);
        if (r != SenseReason.NONE) {
            return r;
        }
        if ((Cdb.u8(c.cdb, 1) & ATOMIC_RESERVED) != 0) {
            return c.invalidField(1);
        }
        if (Cdb.u16(c.cdb, ATOMIC_BOUNDARY_OFFSET) != 0) {
            return c.invalidField(ATOMIC_BOUNDARY_OFFSET);
        }
        r = checkRange(c);
        if (r != SenseReason.NONE) {
            return r;
        }
        LogicalUnit u = c.unit;
        if (c.blocks > u.maxAtomicTransferBlocks()) {
            return c.invalidField(ATOMIC_LENGTH_OFFSET);
        }
        if (u.atomicAlignment() > 1 && Long.remainderUnsigned(c.lba, u.atomicAlignment()) != 0) {
            return c.invalidField(2);
        }
        if (u.atomicGranularity() > 1 && c.blocks % u.atomicGranularity() != 0) {
            return c.invalidField(ATOMIC_LENGTH_OFFSET);
        }
        return writeBlocks(c, true);
    }

    // ======================= PRE-FETCH =======================

    /** PRE-FETCH(10), SBC-3 5.9. */
    static SenseReason preFetch10(CommandContext c) {
        c.lba = Cdb.u32(c.cdb, 2);
        c.blocks = Cdb.u16(c.cdb, 7);
        c.lengthField = 7;
        return executePreFetch(c);
    }

    /** PRE-FETCH(16), SBC-3 5.10. */
    static SenseReason preFetch16(CommandContext c) {
        c.lba = Cdb.u64(c.cdb, 2);
        c.blocks = Cdb.u32(c.cdb, 10);
        c.lengthField = 10;
        return executePreFetch(c);
    }

    /**
     * The range is checked as for READ (a PREFETCH LENGTH of 0 means "to the last LBA", so only
     * the LBA must lie inside the medium); IMMED is accepted, and there is nothing to wait for.
     * The daemon keeps no cache of its own, so no block can be transferred into one: SBC-3 5.9
     * asks for CONDITION MET only when the cache has room for every block, and GOOD when it has
     * not, which for a cache of size zero is always. The group number is not used.
     */
    private static SenseReason executePreFetch(CommandContext c) {
        if ((Cdb.u8(c.cdb, 1) & ~PREFETCH_IMMED) != 0) {
            return c.invalidField(1);   // reserved bits (bit 0 is obsolete RELADR)
        }
        return checkRange(c);
    }

    // ======================= START STOP UNIT / PREVENT ALLOW MEDIUM REMOVAL =======================

    /**
     * START STOP UNIT, SBC-3 5.25. The unit has no motor and no power conditions beyond active:
     * START without LOEJ changes nothing a command can observe, and a POWER CONDITION other
     * than START_VALID makes START and LOEJ ignored (SBC-3 5.25) with nothing else to do, since
     * no power condition can be entered. With LOEJ a removable unit ejects (START = 0) or loads
     * (START = 1) its medium; while ejected, commands that access the medium are NOT READY,
     * MEDIUM NOT PRESENT. While an I_T nexus prevents medium removal the medium cannot be moved
     * either way: ILLEGAL REQUEST, MEDIUM REMOVAL PREVENTED (the unit behaves as a locked tray).
     * A non-removable unit has no medium to eject, so LOEJ = 1 is INVALID FIELD IN CDB.
     */
    static SenseReason startStopUnit(CommandContext c) {
        byte[] cdb = c.cdb;
        if ((Cdb.u8(cdb, 1) & ~SSU_IMMED) != 0) {
            return c.invalidField(1);
        }
        int flags = Cdb.u8(cdb, 4);
        if ((flags & SSU_RESERVED) != 0) {
            return c.invalidField(4, SSU_RESERVED_BIT);
        }
        // SBC-3 4.17.1 table 13: only START = 1 with POWER CONDITION 0h is allowed under a persistent reservation
        boolean startOnly = (flags & SSU_START) != 0 && flags >>> SSU_POWER_CONDITION_SHIFT == 0;
        if (!startOnly && c.unit.persistentReservations().conflicts(c.nexus, PersistentReservations.ACCESS_WRITE)) {
            return SenseReason.RESERVATION_CONFLICT;
        }
        if (flags >>> SSU_POWER_CONDITION_SHIFT != POWER_START_VALID || (flags & SSU_LOEJ) == 0) {
            return SenseReason.NONE;
        }
        if (!c.unit.removable()) {
            return c.invalidField(4, SSU_LOEJ_BIT);
        }
        boolean load = (flags & SSU_START) != 0;
        return c.unit.moveMedium(load) ? SenseReason.NONE : SenseReason.MEDIUM_REMOVAL_PREVENTED;
    }

    /**
     * PREVENT ALLOW MEDIUM REMOVAL, SBC-3 5.15: PREVENT 01b stops this I_T nexus's eject and
     * every other's until it sends 00b, or the nexus is lost, or the unit is reset. 10b and 11b
     * are obsolete and refused. A non-removable unit has nothing to prevent: allowing is GOOD,
     * preventing INVALID FIELD IN CDB.
     */
    static SenseReason preventAllowMediumRemoval(CommandContext c) {
        int prevent = Cdb.u8(c.cdb, 4) & PREVENT_MASK;
        if ((Cdb.u8(c.cdb, 4) & ~PREVENT_MASK) != 0 || prevent > PREVENT_ON) {
            return c.invalidField(4);
        }
        // SPC-4 5.13.1 table 67: PREVENT 00b is allowed under a persistent reservation, others conflict
        if (prevent != PREVENT_OFF && c.unit.persistentReservations().conflicts(c.nexus, PersistentReservations.ACCESS_WRITE)) {
            return SenseReason.RESERVATION_CONFLICT;
        }
        if (!c.unit.removable()) {
            return prevent == PREVENT_OFF ? SenseReason.NONE : c.invalidField(4, 0);
        }
        c.unit.preventRemoval(c.nexus, prevent == PREVENT_ON);
        return SenseReason.NONE;
    }

    // ======================= READ CAPACITY =======================

    /**
     * READ CAPACITY(10), SBC-3 5.16: the last LBA, or FFFFFFFFh when it does not fit (the
     * initiator must use READ CAPACITY(16)), and the block length. With PMI 0 the LOGICAL BLOCK
     * ADDRESS field must be zero.
     */
    static SenseReason readCapacity10(CommandContext c) {
        if ((Cdb.u8(c.cdb, 8) & PMI) == 0 && Cdb.u32(c.cdb, 2) != 0) {
            return c.invalidField(2);
        }
        long last = c.unit.blockCount() - 1;
        c.putIn32(0, Math.min(last, RETURNED_LBA_10_MAX));
        c.putIn32(4, c.unit.blockSize());
        c.produce(READ_CAPACITY_10_LENGTH, READ_CAPACITY_10_LENGTH);
        return SenseReason.NONE;
    }

    /**
     * READ CAPACITY(16), SBC-3 5.17: last LBA, block length, LOGICAL BLOCKS PER PHYSICAL BLOCK
     * EXPONENT (the LUN's physical block size) with LOWEST ALIGNED LBA 0, and for a thin unit
     * LBPME (logical block provisioning management) with LBPRZ (unmapped blocks read zeros).
     */
    static SenseReason readCapacity16(CommandContext c) {
        if ((Cdb.u8(c.cdb, 14) & PMI) == 0 && Cdb.u64(c.cdb, 2) != 0) {
            return c.invalidField(2);
        }
        long allocation = Cdb.u32(c.cdb, 10);
        c.zeroIn(0, READ_CAPACITY_16_LENGTH);
        c.putIn64(0, c.unit.blockCount() - 1);
        c.putIn32(8, c.unit.blockSize());
        c.putIn(PHYSICAL_EXPONENT_OFFSET, c.unit.physicalBlockExponent());   // P_I_EXPONENT 0
        if (c.unit.options().thin()) {
            c.putIn(PROVISIONING_OFFSET, LBPME | LBPRZ);
        }
        c.produce(READ_CAPACITY_16_LENGTH, allocation);
        return SenseReason.NONE;
    }
}
