package org.jtgt.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jtgt.api.store.AsyncBackingStore;

/**
 * Block command executors (SBC-3, section numbers of revision 35). Each runs after its CDB
 * family's decoder ({@link BlockCdb} names them) has left the decoded, validated command in the
 * context ({@code lba}, {@code blocks}, flags, the bytes it wants to move; the LBA range checked),
 * and talks to the backing store with the data area's buffer directly, never through a copy.
 * The {@link CommandTable} pairs each opcode's decoder with its executor.
 */
final class SbcCommands {
    // ---- READ CAPACITY ----
    static final int READ_CAPACITY_10_LENGTH = 8;
    static final int READ_CAPACITY_16_LENGTH = 32;
    static final long RETURNED_LBA_10_MAX = 0xFFFF_FFFFL;
    static final int LBPME = 0x80;
    static final int LBPRZ = 0x40;
    static final int PROVISIONING_OFFSET = 14;
    /** Byte 13: P_I_EXPONENT (bits 7..4), LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT (bits 3..0). */
    static final int PHYSICAL_EXPONENT_OFFSET = 13;

    // ---- UNMAP (SBC-3 5.28) ----
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

    // ---- START STOP UNIT (SBC-3 5.25) ----
    static final int POWER_START_VALID = 0x0;

    private SbcCommands() {
    }

    /**
     * Reads into the data area at the command's data reference: min(blocks × block size, the
     * Data-In room) bytes; the difference shows up as the residual. FUA on a read needs nothing:
     * the daemon keeps no read cache of its own. READ(6/10/12/16), SBC-3 5.11 to 5.14.
     */
    static SenseReason read(CommandContext c) {
        int n = (int) Math.min(c.wanted, c.inLimit);
        if (n > 0) {
            AsyncBackingStore async = c.unit.async();
            if (async != null) {
                c.transferred = n;
                c.submitting(CommandContext.KIND_READ);
                async.submitRead(c.lba << c.unit.blockShift(), c.window(0, n), c);
                return c.submitted();
            }
            if (c.nowOnly) {
                return readNow(c, n);
            }
            try {
                c.unit.store().read(c.lba << c.unit.blockShift(), c.window(0, n));
            } catch (IOException e) {
                c.information = c.lba;
                c.ioFailure = e;
                return SenseReason.ofReadFailure(e);
            }
        }
        c.transferred = n;
        return SenseReason.NONE;
    }

    /**
     * The read on the delivering thread ({@link CommandContext#nowOnly}): done if the store has
     * the bytes at hand, else marked {@link CommandContext#notNow} for the workers, which read it
     * again from the start (also after a failure here: theirs is the one that answers).
     */
    private static SenseReason readNow(CommandContext c, int n) {
        boolean done;
        try {
            done = c.unit.store().readNow(c.lba << c.unit.blockShift(), c.window(0, n));
        } catch (IOException e) {
            done = false;
        }
        if (!done) {
            c.notNow = true;
            return SenseReason.NONE;
        }
        c.transferred = n;
        return SenseReason.NONE;
    }

    // ======================= WRITE =======================

    /**
     * Writes min(blocks × block size, Data-Out present) bytes from the data area: when the
     * expected data transfer length disagrees with the CDB, the command is processed normally
     * except that no data beyond the shorter of the two is transferred, and the residual says
     * by how much (FCP-4 9.4.2 rule a, which libiscsi's residual tests accept).
     * WRITE(6/10/12/16), SBC-3 5.33 to 5.36.
     */
    static SenseReason write(CommandContext c) {
        return writeBlocks(c, false, true);
    }

    /**
     * The write of WRITE, WRITE AND VERIFY and WRITE ATOMIC once their CDB is decoded:
     * write protection, then min(blocks × block size, Data-Out present) bytes under the unit's
     * write order, shared or, for {@code atomic}, exclusive of every other writer. With
     * {@code mayFinishLater} a plain write goes to an asynchronous store's {@code submitWrite},
     * holding its share of the write order until the completion.
     */
    private static SenseReason writeBlocks(CommandContext c, boolean atomic, boolean mayFinishLater) {
        LogicalUnit u = c.unit;
        SenseReason protection = u.writeProtection();
        if (protection != SenseReason.NONE) {
            return protection;
        }
        int n = (int) Math.min(c.wanted, c.outAvailable);
        if (n > 0 && mayFinishLater && !atomic && u.async() != null) {
            c.writeStamp = u.beginWrite();
            c.submitting(CommandContext.KIND_WRITE);
            u.submitWriteMedium(c.lba << u.blockShift(), c.window(0, n), c.fua, c);
            return c.submitted();
        }
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

    /**
     * Writes like WRITE, with the data made stable first (verifying "the medium" means the bytes
     * must be on it), then with BYTCHK 01b reads the blocks back and compares them with Data-Out
     * (MISCOMPARE DURING VERIFY OPERATION with the offset on a difference). BYTCHK 00b verifies
     * the medium only, which has nothing that can fail beyond the write itself.
     * WRITE AND VERIFY(10/12/16), SBC-3 5.37 to 5.39; decoded by {@link VerifyCdb}.
     */
    static SenseReason writeAndVerify(CommandContext c) {
        SenseReason r = writeBlocks(c, false, false);
        if (r != SenseReason.NONE || c.bytchk == VerifyCdb.BYTCHK_NONE) {
            return r;
        }
        try {
            return compare(c, c.lba << c.unit.blockShift(), 0, (int) Math.min(c.wanted, c.outAvailable));
        } catch (IOException e) {
            c.information = c.lba;
            c.ioFailure = e;
            return SenseReason.ofReadFailure(e);
        }
    }

    // ======================= VERIFY =======================

    /**
     * BYTCHK 00b: the medium needs no checking beyond the range (there is no media to fail).
     * 01b: compares the Data-Out buffer with the blocks; 11b: compares one block of Data-Out
     * with every block of the range. A difference ends the command with MISCOMPARE, MISCOMPARE
     * DURING VERIFY OPERATION and the byte offset of the first difference in INFORMATION
     * (offset into the compared range). VERIFY(10/12/16), SBC-3 5.29 to 5.31; decoded by
     * {@link VerifyCdb}.
     */
    static SenseReason verify(CommandContext c) {
        if (c.bytchk == VerifyCdb.BYTCHK_NONE) {
            return SenseReason.NONE;
        }
        int shift = c.unit.blockShift();
        try {
            if (c.bytchk == VerifyCdb.BYTCHK_COMPARE) {
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
            return SenseReason.ofReadFailure(e);
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

    /**
     * SYNCHRONIZE CACHE(10/16), SBC-3 5.26, 5.27: flushes the store (the range decoded by
     * {@link CacheCdb}; 0 blocks means "to the end").
     */
    static SenseReason synchronizeCache(CommandContext c) {
        AsyncBackingStore async = c.unit.async();
        if (async != null) {
            c.submitting(CommandContext.KIND_FLUSH);
            async.submitFlush(c);
            return c.submitted();
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

    /**
     * Replaces each byte of the range with its OR with the Data-Out byte (SBC-3 5.8, with
     * BMOP 000b: the only operation without a multiple-command sequence): read, OR, write, one
     * 64 KiB chunk at a time through the context's scratch buffer, owning the unit's write order
     * ({@link LogicalUnit#beginAtomicWrite()}), so no write from another transport thread lands
     * between the read and the write and no bits are lost.
     * Decoded as WRITE(16) ({@link ReadWriteCdb}); FUA is honoured on each chunk. ORWRITE(16),
     * SBC-3 5.8.
     */
    static SenseReason orWrite(CommandContext c) {
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
                    return SenseReason.ofReadFailure(e);
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
     * <p>The CDB is decoded and checked by {@link CompareAndWriteCdb}; then write protection.
     * A store that compares and writes atomically itself ({@link AsyncBackingStore#comparesAndWrites},
     * a store shared by several gateways) is handed both halves instead, and its
     * {@link org.jtgt.api.store.MiscompareException} becomes the MISCOMPARE.
     */
    static SenseReason compareAndWrite(CommandContext c) {
        int shift = c.unit.blockShift();
        int half = (int) (c.blocks << shift);
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
        AsyncBackingStore async = c.unit.async();
        if (async != null && async.comparesAndWrites()) {
            // the store compares and writes atomically against every writer, other gateways too
            c.unit.mediumChanging(offset, half);   // it may write: ROD tokens over the blocks are cancelled
            c.submitting(CommandContext.KIND_COMPARE_AND_WRITE);
            async.submitCompareAndWrite(offset, c.window(0, half), c.secondWindow(half, half),
                    c.fua || c.unit.writeThrough(), c);
            return c.submitted();
        }
        long stamp = c.unit.beginAtomicWrite();
        try {
            SenseReason m;
            try {
                m = compare(c, offset, 0, half);
            } catch (IOException e) {
                c.information = c.lba;
                c.ioFailure = e;
                return SenseReason.ofReadFailure(e);
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
     * UNMAP, SBC-3 5.28, for thin units only, its CDB decoded by {@link UnmapCdb}. The parameter list is an 8-byte header (UNMAP DATA LENGTH, UNMAP BLOCK
     * DESCRIPTOR DATA LENGTH) and 16-byte descriptors (LBA, NUMBER OF LOGICAL BLOCKS); an
     * incomplete last descriptor is ignored. Every descriptor is checked before anything is
     * deallocated: more than MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT descriptors, or more than
     * MAXIMUM UNMAP LBA COUNT blocks in all, is INVALID FIELD IN PARAMETER LIST; a range outside
     * the medium is LOGICAL BLOCK ADDRESS OUT OF RANGE. The store makes unmapped blocks read
     * zeros (LBPRZ).
     */
    static SenseReason unmap(CommandContext c) {
        int listLength = (int) c.wanted;   // PARAMETER LIST LENGTH
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
                        c.unit.mediumChanging(lba << shift, n << shift);
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
     * block mapped. The starting LBA is decoded and checked by {@link GetLbaStatusCdb}.
     */
    static SenseReason getLbaStatus(CommandContext c) {
        long allocation = c.allocationLength;
        long capacity = c.unit.blockCount();
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

    /**
     * WRITE SAME(10/16), SBC-3 5.41, 5.42, decoded by {@link WriteSameCdb}: writes the one block
     * of Data-Out (zeros with NDOB) to every block of the range. With UNMAP (thin units only)
     * and a block of all zeros, what an unmapped block reads (LBPRZ), the range is deallocated
     * instead of written; any other block is written, which leaves the blocks mapped as
     * SBC-3 5.41 allows. The block is replicated into the context's 64 KiB scratch buffer once
     * and written in chunks of it.
     */
    static SenseReason writeSame(CommandContext c) {
        int bs = c.unit.blockSize();
        boolean ndob = c.ndob;
        int shift = c.unit.blockShift();
        if (c.unmap && (ndob || isZeroBlock(c, bs))) {
            long stamp = c.unit.beginWrite();
            try {
                c.unit.mediumChanging(c.lba << shift, c.blocks << shift);
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

    /**
     * WRITE ATOMIC(16), SBC-4, decoded by {@link ReadWriteCdb#decodeAtomic16}: the blocks are
     * written as one indivisible operation with respect to every other writer of the unit,
     * because the write owns the unit's write order ({@link LogicalUnit#beginAtomicWrite}) as
     * COMPARE AND WRITE does.
     */
    static SenseReason writeAtomic(CommandContext c) {
        return writeBlocks(c, true, false);
    }

    // ======================= PRE-FETCH =======================

    /**
     * PRE-FETCH(10/16), SBC-3 5.9, 5.10, the range decoded by {@link CacheCdb}. The daemon keeps
     * no cache of its own, so no block can be transferred into one: SBC-3 5.9 asks for
     * CONDITION MET only when the cache has room for every block, and GOOD when it has not,
     * which for a cache of size zero is always.
     */
    static SenseReason preFetch(CommandContext c) {
        return SenseReason.NONE;
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
     * A non-removable unit has no medium to eject, so LOEJ = 1 is INVALID FIELD IN CDB. The CDB
     * is decoded by {@link MediumCdb}.
     */
    static SenseReason startStopUnit(CommandContext c) {
        // SBC-3 4.17.1 table 13: only START = 1 with POWER CONDITION 0h is allowed under a persistent reservation
        boolean startOnly = c.start && c.powerCondition == 0;
        if (!startOnly && c.unit.persistentReservations().conflicts(c.nexus, PersistentReservations.ACCESS_WRITE)) {
            return SenseReason.RESERVATION_CONFLICT;
        }
        if (c.powerCondition != POWER_START_VALID || !c.loej) {
            return SenseReason.NONE;
        }
        if (!c.unit.removable()) {
            return c.invalidField(MediumCdb.SSU_FLAGS_OFFSET, MediumCdb.SSU_LOEJ_BIT);
        }
        return c.unit.moveMedium(c.start) ? SenseReason.NONE : SenseReason.MEDIUM_REMOVAL_PREVENTED;
    }

    /**
     * PREVENT ALLOW MEDIUM REMOVAL, SBC-3 5.15: PREVENT 01b stops this I_T nexus's eject and
     * every other's until it sends 00b, or the nexus is lost, or the unit is reset. 10b and 11b
     * are obsolete and refused. A non-removable unit has nothing to prevent: allowing is GOOD,
     * preventing INVALID FIELD IN CDB. The CDB is decoded by {@link MediumCdb}.
     */
    static SenseReason preventAllowMediumRemoval(CommandContext c) {
        int prevent = c.prevent;
        // SPC-4 5.13.1 table 67: PREVENT 00b is allowed under a persistent reservation, others conflict
        if (prevent != MediumCdb.PREVENT_OFF
                && c.unit.persistentReservations().conflicts(c.nexus, PersistentReservations.ACCESS_WRITE)) {
            return SenseReason.RESERVATION_CONFLICT;
        }
        if (!c.unit.removable()) {
            return prevent == MediumCdb.PREVENT_OFF ? SenseReason.NONE : c.invalidField(MediumCdb.PREVENT_OFFSET, 0);
        }
        c.unit.preventRemoval(c.nexus, prevent == MediumCdb.PREVENT_ON);
        return SenseReason.NONE;
    }

    // ======================= READ CAPACITY =======================

    /**
     * READ CAPACITY(10), SBC-3 5.16: the last LBA, or FFFFFFFFh when it does not fit (the
     * initiator must use READ CAPACITY(16)), and the block length. The CDB is decoded by
     * {@link CapacityCdb}.
     */
    static SenseReason readCapacity10(CommandContext c) {
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
        long allocation = c.allocationLength;
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
