package org.jtgt.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jtgt.api.scsi.ScsiStatus;

/**
 * Token-based copy, the offloaded data transfer Windows calls ODX: POPULATE TOKEN (SBC-4,
 * THIRD-PARTY COPY OUT 10h) makes a ROD token over block device ranges of the addressed unit,
 * RECEIVE ROD TOKEN INFORMATION (SPC-4, THIRD-PARTY COPY IN 07h) returns it with the
 * operation's status, WRITE USING TOKEN (SBC-4, THIRD-PARTY COPY OUT 11h) writes the token's
 * blocks, from OFFSET INTO ROD on, into ranges of the addressed unit. Tokens live in the target's
 * {@link RodTokens}; operations are tracked by LIST IDENTIFIER per I_T nexus in the nexus's
 * {@link CopyOperations}, with EXTENDED COPY's.
 *
 * <p>Blocks move through the backing stores in chunks of the context's 64 KiB scratch buffer
 * under the destination's write order (shared, as WRITE), never allocating per block; over a
 * store that blocks the command runs on the unit's store workers (its table entry uses the
 * store). The source may be any unit of the same target with the same block length. Both
 * commands complete before status is returned, IMMED included (status is then just later than
 * it could be). The block device zero ROD token (FFFF0001h) writes zeros. A WRITE USING TOKEN
 * whose destination overlaps its own token's source cancels the token with its first write
 * there, like any other write, and so stops with TOKEN CANCELLED at the next chunk it reads.
 *
 * <p>Refusals: CDB fields INVALID FIELD IN CDB; a parameter list shorter than its header or than
 * its own lengths PARAMETER LIST LENGTH ERROR; inconsistent lengths, reserved bits, an inactivity
 * timeout beyond the maximum, an unsupported ROD type, overlapping ranges, more blocks than
 * MAXIMUM TOKEN TRANSFER SIZE or an OFFSET INTO ROD at or past the ROD's end INVALID FIELD IN
 * PARAMETER LIST with the field pointer; more than MAXIMUM RANGE DESCRIPTORS TOO MANY SEGMENT
 * DESCRIPTORS; a range beyond the capacity LOGICAL BLOCK ADDRESS OUT OF RANGE with its LBA in
 * INFORMATION; a token that cannot be used INVALID TOKEN OPERATION with the ASCQ that says why
 * ({@link RodTokens#use}). When the ROD holds fewer blocks after OFFSET INTO ROD than the ranges
 * ask for, the blocks it holds are written and the command completes with GOOD; RECEIVE ROD TOKEN
 * INFORMATION reports the blocks written (TRANSFER COUNT) and "completed with residual data", so
 * the initiator continues as Windows does after a short offload write.
 */
final class TokenCopy {
    // ---- CDB (SBC-4 POPULATE TOKEN, WRITE USING TOKEN; SPC-4 RECEIVE ROD TOKEN INFORMATION) ----
    static final int CDB_LIST_ID_OFFSET = 6;
    static final int CDB_PARAMETER_LIST_LENGTH_OFFSET = 10;
    static final int RRTI_LIST_ID_OFFSET = 2;
    static final int RRTI_ALLOCATION_OFFSET = 10;

    // ---- POPULATE TOKEN parameter list ----
    static final int PT_HEADER = 16;
    static final int PT_FLAGS_OFFSET = 2;
    static final int PT_TIMEOUT_OFFSET = 4;
    static final int PT_ROD_TYPE_OFFSET = 8;
    static final int PT_RANGES_LENGTH_OFFSET = 14;
    static final int IMMED = 0x01;
    static final int RTV = 0x02;

    // ---- WRITE USING TOKEN parameter list ----
    static final int WUT_HEADER = 536;
    static final int WUT_FLAGS_OFFSET = 2;
    static final int WUT_OFFSET_INTO_ROD_OFFSET = 8;
    static final int WUT_TOKEN_OFFSET = 16;
    static final int WUT_RANGES_LENGTH_OFFSET = 534;
    static final int DEL_TKN = 0x02;

    /** Block device range descriptor: LBA (8), NUMBER OF LOGICAL BLOCKS (4), reserved (4). */
    static final int RANGE_LENGTH = 16;
    static final int RANGE_BLOCKS_OFFSET = 8;

    /** Bytes one token may represent and one WRITE USING TOKEN may write (MAXIMUM TOKEN TRANSFER SIZE, in blocks). */
    static final long MAX_TOKEN_BYTES = 64L << 20;
    /** OPTIMAL TRANSFER COUNT, in bytes before conversion to blocks. */
    static final long OPTIMAL_TRANSFER_BYTES = 16L << 20;

    // ---- RECEIVE ROD TOKEN INFORMATION parameter data ----
    static final int RRTI_HEADER = 32;
    /** TRANSFER COUNT UNITS F1h: logical blocks of the destination. */
    static final int TRANSFER_COUNT_BLOCKS = 0xF1;
    static final long STATUS_UPDATE_DELAY_NONE = 0xFFFF_FFFEL;
    /** A ROD token descriptor: 2 reserved bytes, then the token. */
    static final int TOKEN_DESCRIPTOR_LENGTH = 2 + RodTokens.TOKEN_LENGTH;

    // ---- Third-party Copy VPD page descriptors ----
    static final int TPC_BLOCK_DEVICE_ROD_LIMITS = 0x0000;
    static final int TPC_ROD_TOKEN_FEATURES = 0x0106;
    static final int TPC_SUPPORTED_ROD_TYPES = 0x0108;
    static final int BLOCK_DEVICE_ROD_LIMITS_LENGTH = 4 + 32;
    static final int ROD_DEVICE_FEATURES_LENGTH = 48;
    static final int ROD_TOKEN_FEATURES_LENGTH = 4 + 44 + ROD_DEVICE_FEATURES_LENGTH;
    static final int ROD_TYPE_DESCRIPTOR_LENGTH = 64;
    static final long[] ROD_TYPES = {
        RodTokens.ROD_TYPE_PIT_DEFAULT, RodTokens.ROD_TYPE_PIT_CHANGE_VULNERABLE, RodTokens.ROD_TYPE_BLOCK_DEVICE_ZERO,
    };
    static final int SUPPORTED_ROD_TYPES_LENGTH = 4 + 4 + ROD_TYPES.length * ROD_TYPE_DESCRIPTOR_LENGTH;
    /** Supported ROD Types descriptor, byte 4 of each ROD type descriptor: TOKEN_IN (bit 1), TOKEN_OUT (bit 0). */
    static final int TOKEN_IN = 0x02;
    static final int TOKEN_OUT = 0x01;

    private TokenCopy() {
    }

    // ======================= POPULATE TOKEN (SBC-4) =======================

    static SenseReason populateToken(CommandContext c) {
        SenseReason r = checkCdb(c);
        if (r != SenseReason.NONE) {
            return r;
        }
        long listId = Cdb.u32(c.cdb, CDB_LIST_ID_OFFSET);
        if (c.wanted == 0) {
            return SenseReason.NONE;   // nothing to do; SPC-4: a PARAMETER LIST LENGTH of 0 is not an error
        }
        r = checkList(c, PT_HEADER, PT_RANGES_LENGTH_OFFSET);
        if (r != SenseReason.NONE) {
            return r;
        }
        int rangesLength = c.outU16(PT_RANGES_LENGTH_OFFSET);
        int flags = c.outU8(PT_FLAGS_OFFSET);
        if ((flags & ~(IMMED | RTV)) != 0) {
            return c.invalidParameter(PT_FLAGS_OFFSET, -1);
        }
        if (c.outU8(3) != 0) {
            return c.invalidParameter(3, -1);
        }
        if (c.outU16(12) != 0) {
            return c.invalidParameter(12, -1);
        }
        long timeout = c.outU32(PT_TIMEOUT_OFFSET);
        if (timeout > RodTokens.MAX_INACTIVITY_TIMEOUT) {
            return c.invalidParameter(PT_TIMEOUT_OFFSET, -1);
        }
        long rodType = RodTokens.ROD_TYPE_PIT_DEFAULT;
        if ((flags & RTV) != 0) {
            long asked = c.outU32(PT_ROD_TYPE_OFFSET);
            if (asked == RodTokens.ROD_TYPE_PIT_CHANGE_VULNERABLE) {
                rodType = asked;
            } else if (asked != 0 && asked != RodTokens.ROD_TYPE_PIT_DEFAULT && asked != RodTokens.ROD_TYPE_PIT_ANY) {
                return c.invalidParameter(PT_ROD_TYPE_OFFSET, -1);
            }
        }
        int count = rangesLength / RANGE_LENGTH;
        r = checkRanges(c, c.unit, PT_HEADER, count);
        if (r != SenseReason.NONE) {
            return r;
        }
        CopyOperations table = c.nexus.copies();
        SenseReason[] refusal = new SenseReason[1];
        CopyOperations.Operation op = table.begin(listId, refusal);
        if (op == null) {
            return refusal[0];
        }
        RodTokens tokens = c.target.rodTokens();
        RodTokens.Token t = tokens.create(c, c.unit, PT_HEADER, count, rodType,
                timeout == 0 ? RodTokens.DEFAULT_INACTIVITY_TIMEOUT : (int) timeout);
        if (t == null) {
            return fail(c, table, op, Opcodes.SA_POPULATE_TOKEN, 0, SenseReason.INSUFFICIENT_RESOURCES_TO_CREATE_ROD_TOKEN);
        }
        // the token's bytes are read under the table's lock by writers only through its state
        synchronized (tokens) {
            table.endRod(op, Opcodes.SA_POPULATE_TOKEN, CopyOperations.OPERATION_COMPLETED, t.totalBlocks, t.bytes,
                    ScsiStatus.GOOD, null, 0);
        }
        return SenseReason.NONE;
    }

    // ======================= WRITE USING TOKEN (SBC-4) =======================

    static SenseReason writeUsingToken(CommandContext c) {
        SenseReason r = checkCdb(c);
        if (r != SenseReason.NONE) {
            return r;
        }
        long listId = Cdb.u32(c.cdb, CDB_LIST_ID_OFFSET);
        if (c.wanted == 0) {
            return SenseReason.NONE;
        }
        r = checkList(c, WUT_HEADER, WUT_RANGES_LENGTH_OFFSET);
        if (r != SenseReason.NONE) {
            return r;
        }
        int rangesLength = c.outU16(WUT_RANGES_LENGTH_OFFSET);
        int flags = c.outU8(WUT_FLAGS_OFFSET);
        if ((flags & ~(IMMED | DEL_TKN)) != 0) {
            return c.invalidParameter(WUT_FLAGS_OFFSET, -1);
        }
        for (int i = 3; i < WUT_OFFSET_INTO_ROD_OFFSET; i++) {
            if (c.outU8(i) != 0) {
                return c.invalidParameter(i, -1);
            }
        }
        for (int i = WUT_TOKEN_OFFSET + RodTokens.TOKEN_LENGTH; i < WUT_RANGES_LENGTH_OFFSET; i++) {
            if (c.outU8(i) != 0) {
                return c.invalidParameter(i, -1);
            }
        }
        LogicalUnit dst = c.unit;
        int count = rangesLength / RANGE_LENGTH;
        r = checkRanges(c, dst, WUT_HEADER, count);
        if (r != SenseReason.NONE) {
            return r;
        }
        r = dst.writeProtection();
        if (r != SenseReason.NONE) {
            return r;
        }
        long offset = c.outU64(WUT_OFFSET_INTO_ROD_OFFSET);
        CopyOperations table = c.nexus.copies();
        SenseReason[] refusal = new SenseReason[1];
        if (c.outU32(WUT_TOKEN_OFFSET + RodTokens.TYPE_OFFSET) == RodTokens.ROD_TYPE_BLOCK_DEVICE_ZERO) {
            CopyOperations.Operation op = table.begin(listId, refusal);
            if (op == null) {
                return refusal[0];
            }
            long[] moved = new long[1];
            r = writeZeros(c, dst, count, moved);
            return end(c, table, op, r, moved[0], moved[0], false);
        }
        RodTokens tokens = c.target.rodTokens();
        RodTokens.Token[] found = new RodTokens.Token[1];
        r = tokens.use(c, WUT_TOKEN_OFFSET, found);
        if (r != SenseReason.NONE) {
            return r;
        }
        RodTokens.Token t = found[0];
        boolean delete = false;
        LogicalUnit src = t.unit;
        if (src == null || !src.acquire()) {
            tokens.release(t, false);
            return SenseReason.TOKEN_CANCELLED;   // its unit was removed
        }
        try {
            if (src.blockSize() != dst.blockSize()) {
                return SenseReason.INVALID_TOKEN_OPERATION_CAUSE_NOT_REPORTABLE;
            }
            for (int i = 0; i < t.ranges; i++) {
                if (t.lba[i] + t.blocks[i] > src.blockCount()) {
                    return SenseReason.TOKEN_CANCELLED;   // the unit shrank under its blocks
                }
            }
            if (Long.compareUnsigned(offset, t.totalBlocks) >= 0) {
                return c.invalidParameter(WUT_OFFSET_INTO_ROD_OFFSET, -1);
            }
            // The copy manager reads the source for this nexus (SPC-4 5.13.1), as EXTENDED COPY does.
            if (src != dst && (!src.reservationAllows(c.nexus)
                    || src.persistentReservations().conflicts(c.nexus, PersistentReservations.ACCESS_READ))) {
                return SenseReason.RESERVATION_CONFLICT;
            }
            if (src.sanitizing()) {
                return SenseReason.SANITIZE_IN_PROGRESS;
            }
            if (!src.mediumPresent()) {
                return SenseReason.MEDIUM_NOT_PRESENT;
            }
            CopyOperations.Operation op = table.begin(listId, refusal);
            if (op == null) {
                return refusal[0];
            }
            long[] moved = new long[1];
            r = copy(c, t, src, dst, offset, count, moved);
            delete = r == SenseReason.NONE && (flags & DEL_TKN) != 0;
            long asked = 0;
            for (int i = 0; i < count; i++) {
                asked += c.outU32(WUT_HEADER + i * RANGE_LENGTH + RANGE_BLOCKS_OFFSET);
            }
            return end(c, table, op, r, moved[0], asked, offset + moved[0] < t.totalBlocks);
        } finally {
            src.release();
            tokens.release(t, delete);
        }
    }

    /**
     * Copies the token's blocks from {@code offset} on into the destination ranges, in chunks; a
     * chunk counts only if the token is still live after it was read (a write to its source
     * cancels it before the store changes), so what is written is the point-in-time data.
     */
    private static SenseReason copy(CommandContext c, RodTokens.Token t, LogicalUnit src, LogicalUnit dst,
                                    long offset, int count, long[] moved) {
        int shift = dst.blockShift();
        ByteBuffer chunk = c.verifyScratch();
        int chunkBlocks = chunk.capacity() >>> shift;
        // position in the ROD: range s, block sOff within it
        int s = 0;
        long sOff = offset;
        while (s < t.ranges && sOff >= t.blocks[s]) {
            sOff -= t.blocks[s];
            s++;
        }
        long stamp = dst.beginWrite();
        try {
            for (int d = 0; d < count && s < t.ranges; d++) {
                int at = WUT_HEADER + d * RANGE_LENGTH;
                long dLba = c.outU64(at);
                long dLeft = c.outU32(at + RANGE_BLOCKS_OFFSET);
                while (dLeft > 0 && s < t.ranges) {
                    long n = Math.min(Math.min(dLeft, t.blocks[s] - sOff), chunkBlocks);
                    long from = t.lba[s] + sOff;
                    chunk.clear().limit((int) (n << shift));
                    try {
                        src.store().read(from << shift, chunk);
                    } catch (IOException e) {
                        c.information = dLba;
                        c.ioFailure = e;
                        return SenseReason.UNRECOVERED_READ_ERROR;
                    }
                    if (!t.live()) {
                        return SenseReason.TOKEN_CANCELLED;
                    }
                    chunk.flip();
                    try {
                        dst.writeMedium(dLba << shift, chunk, false);
                    } catch (IOException e) {
                        c.information = dLba;
                        c.ioFailure = e;
                        return SenseReason.ofWriteFailure(e);
                    }
                    moved[0] += n;
                    dLba += n;
                    dLeft -= n;
                    sOff += n;
                    while (s < t.ranges && sOff >= t.blocks[s]) {
                        sOff -= t.blocks[s];
                        s++;
                    }
                }
            }
        } finally {
            dst.endWrite(stamp);
        }
        return SenseReason.NONE;
    }

    /** The block device zero ROD token: zeros into every range, from one zeroed chunk. */
    private static SenseReason writeZeros(CommandContext c, LogicalUnit dst, int count, long[] moved) {
        int shift = dst.blockShift();
        ByteBuffer chunk = c.verifyScratch();
        chunk.clear();
        while (chunk.remaining() >= Long.BYTES) {
            chunk.putLong(0L);
        }
        long chunkBlocks = chunk.capacity() >>> shift;
        long stamp = dst.beginWrite();
        try {
            for (int d = 0; d < count; d++) {
                int at = WUT_HEADER + d * RANGE_LENGTH;
                long lba = c.outU64(at);
                long left = c.outU32(at + RANGE_BLOCKS_OFFSET);
                while (left > 0) {
                    long n = Math.min(left, chunkBlocks);
                    chunk.clear().limit((int) (n << shift));
                    try {
                        dst.writeMedium(lba << shift, chunk, false);
                    } catch (IOException e) {
                        c.information = lba;
                        c.ioFailure = e;
                        return SenseReason.ofWriteFailure(e);
                    }
                    moved[0] += n;
                    lba += n;
                    left -= n;
                }
            }
        } finally {
            dst.endWrite(stamp);
        }
        return SenseReason.NONE;
    }

    /** Records the outcome of a WRITE USING TOKEN for RECEIVE ROD TOKEN INFORMATION; returns {@code r}. */
    private static SenseReason end(CommandContext c, CopyOperations table, CopyOperations.Operation op, SenseReason r,
                                   long moved, long asked, boolean rodLeft) {
        if (r != SenseReason.NONE) {
            return fail(c, table, op, Opcodes.SA_WRITE_USING_TOKEN, moved, r);
        }
        int status = moved < asked ? CopyOperations.OPERATION_COMPLETED_RESIDUAL_DATA
                : rodLeft ? CopyOperations.OPERATION_COMPLETED_PARTIAL_ROD_USAGE : CopyOperations.OPERATION_COMPLETED;
        table.endRod(op, Opcodes.SA_WRITE_USING_TOKEN, status, moved, null, ScsiStatus.GOOD, null, 0);
        return r;
    }

    private static SenseReason fail(CommandContext c, CopyOperations table, CopyOperations.Operation op, int sa,
                                    long moved, SenseReason r) {
        int status = r.isStatusOnly() ? ScsiStatus.RESERVATION_CONFLICT : ScsiStatus.CHECK_CONDITION;
        int n = r.isStatusOnly() ? 0 : r.writeSense(c.unit != null && c.unit.descriptorSense(), c.sense, 0,
                c.information, c.fieldPointer, c.bitPointer, -1);
        table.endRod(op, sa, CopyOperations.OPERATION_FAILED, moved, null, status, c.sense, n);
        return r;
    }

    /** Bytes 2..5 are reserved; PARAMETER LIST LENGTH goes to {@code c.wanted}. */
    private static SenseReason checkCdb(CommandContext c) {
        for (int i = 2; i < CDB_LIST_ID_OFFSET; i++) {
            if (c.cdb[i] != 0) {
                return c.invalidField(i);
            }
        }
        c.wanted = Cdb.u32(c.cdb, CDB_PARAMETER_LIST_LENGTH_OFFSET);
        return SenseReason.NONE;
    }

    /**
     * The block device range descriptors at {@code at}: at most MAXIMUM RANGE DESCRIPTORS, each
     * within the unit's capacity, none overlapping another, at most MAXIMUM TOKEN TRANSFER SIZE
     * blocks in all and at least one block.
     */
    /**
     * The parameter list of POPULATE TOKEN and WRITE USING TOKEN up to its block device range
     * descriptors: shorter than its {@code header} or than the lengths it states, PARAMETER LIST
     * LENGTH ERROR; a range list that is empty, not whole descriptors, or beyond the DATA LENGTH,
     * INVALID FIELD IN PARAMETER LIST. NONE when it holds the header and every range.
     */
    private static SenseReason checkList(CommandContext c, int header, int rangesLengthOffset) {
        int available = (int) Math.min(c.wanted, c.outAvailable);
        if (available < header) {
            return SenseReason.PARAMETER_LIST_LENGTH_ERROR;
        }
        int dataLength = c.outU16(0);
        int rangesLength = c.outU16(rangesLengthOffset);
        if (dataLength + 2 > available || header + rangesLength > available) {
            return SenseReason.PARAMETER_LIST_LENGTH_ERROR;
        }
        if (rangesLength == 0 || rangesLength % RANGE_LENGTH != 0) {
            return c.invalidParameter(rangesLengthOffset, -1);
        }
        if (dataLength < header - 2 + rangesLength) {
            return c.invalidParameter(0, -1);
        }
        return SenseReason.NONE;
    }

    private static SenseReason checkRanges(CommandContext c, LogicalUnit u, int at, int count) {
        if (count > RodTokens.MAX_RANGES) {
            return SenseReason.TOO_MANY_SEGMENT_DESCRIPTORS;
        }
        long capacity = u.blockCount();
        long max = maxTokenBlocks(u);
        long total = 0;
        for (int i = 0; i < count; i++) {
            int p = at + i * RANGE_LENGTH;
            long lba = c.outU64(p);
            long n = c.outU32(p + RANGE_BLOCKS_OFFSET);
            if (Long.compareUnsigned(lba, capacity) > 0 || n > capacity - lba) {
                c.information = lba;
                return SenseReason.LOGICAL_BLOCK_ADDRESS_OUT_OF_RANGE;
            }
            total += n;
            if (total > max) {
                return c.invalidParameter(p + RANGE_BLOCKS_OFFSET, -1);
            }
            for (int j = 0; j < i; j++) {
                int q = at + j * RANGE_LENGTH;
                long other = c.outU64(q);
                long m = c.outU32(q + RANGE_BLOCKS_OFFSET);
                if (n > 0 && m > 0 && lba < other + m && other < lba + n) {
                    return c.invalidParameter(p, -1);
                }
            }
        }
        if (total == 0) {
            return c.invalidParameter(at + RANGE_BLOCKS_OFFSET, -1);
        }
        return SenseReason.NONE;
    }

    static long maxTokenBlocks(LogicalUnit u) {
        return MAX_TOKEN_BYTES >>> u.blockShift();
    }

    // ======================= RECEIVE ROD TOKEN INFORMATION (SPC-4) =======================

    static SenseReason receiveRodTokenInformation(CommandContext c) {
        for (int i = 6; i < RRTI_ALLOCATION_OFFSET; i++) {
            if (c.cdb[i] != 0) {
                return c.invalidField(i);
            }
        }
        if (c.cdb[14] != 0) {
            return c.invalidField(14);
        }
        CopyOperations.Operation o = new CopyOperations.Operation();
        if (!c.nexus.copies().find(Cdb.u32(c.cdb, RRTI_LIST_ID_OFFSET), o)) {
            return c.invalidField(RRTI_LIST_ID_OFFSET);
        }
        long allocation = Cdb.u32(c.cdb, RRTI_ALLOCATION_OFFSET);
        int tokens = o.hasRodToken ? TOKEN_DESCRIPTOR_LENGTH : 0;
        int senseEnd = RRTI_HEADER + o.senseLength;
        int length = senseEnd + 4 + tokens;
        c.zeroIn(0, length);
        c.putIn32(0, length - 4);                       // AVAILABLE DATA
        c.putIn(4, o.serviceAction);                     // RESPONSE TO SERVICE ACTION
        boolean running = o.status == CopyOperations.STATUS_IN_PROGRESS;
        int status = running ? CopyOperations.OPERATION_IN_PROGRESS_FOREGROUND
                : o.operationStatus != 0 ? o.operationStatus
                : o.status == CopyOperations.STATUS_FAILED ? CopyOperations.OPERATION_FAILED
                : CopyOperations.OPERATION_COMPLETED;
        c.putIn(5, status);                              // COPY OPERATION STATUS
        c.putIn16(6, 0);                                 // OPERATION COUNTER
        c.putIn32(8, running ? 0 : STATUS_UPDATE_DELAY_NONE);
        c.putIn(12, running ? 0 : o.commandStatus);      // the command's SCSI status
        c.putIn(13, o.senseLength);                      // LENGTH OF THE SENSE DATA FIELD
        c.putIn(14, o.senseLength);                      // SENSE DATA LENGTH
        c.putIn(15, TRANSFER_COUNT_BLOCKS);
        c.putIn64(16, o.transferCount);
        c.putIn(RRTI_HEADER, o.sense, 0, o.senseLength);
        c.putIn32(senseEnd, tokens);                     // ROD TOKEN DESCRIPTORS LENGTH
        if (o.hasRodToken) {
            c.putIn(senseEnd + 4 + 2, o.rodToken, 0, RodTokens.TOKEN_LENGTH);
        }
        c.produce(length, allocation);
        return SenseReason.NONE;
    }

    // ======================= Third-party Copy VPD page descriptors =======================

    /**
     * Block Device ROD Limits (SBC-4, third-party copy descriptor 0000h): MAXIMUM RANGE
     * DESCRIPTORS, the inactivity timeouts, MAXIMUM TOKEN TRANSFER SIZE and OPTIMAL TRANSFER
     * COUNT in the unit's blocks. Its vendor specific bytes 6..9 carry how many ROD tokens the
     * target holds at once ({@link RodTokens#CAPACITY}).
     */
    static int blockDeviceRodLimits(CommandContext c, int p) {
        c.putIn16(p, TPC_BLOCK_DEVICE_ROD_LIMITS);
        c.putIn16(p + 2, BLOCK_DEVICE_ROD_LIMITS_LENGTH - 4);
        c.putIn32(p + 6, RodTokens.CAPACITY);
        c.putIn16(p + 10, RodTokens.MAX_RANGES);
        c.putIn32(p + 12, RodTokens.MAX_INACTIVITY_TIMEOUT);
        c.putIn32(p + 16, RodTokens.DEFAULT_INACTIVITY_TIMEOUT);
        c.putIn64(p + 20, maxTokenBlocks(c.unit));
        c.putIn64(p + 28, OPTIMAL_TRANSFER_BYTES >>> c.unit.blockShift());
        return p + BLOCK_DEVICE_ROD_LIMITS_LENGTH;
    }

    /**
     * ROD Token Features (SPC-4, 0106h): no remote tokens, lifetimes (the maximum lifetime is
     * not bounded apart from inactivity), and the block device ROD features (maximum and optimal
     * bytes in a ROD, the bytes per segment to and from a token).
     */
    static int rodTokenFeatures(CommandContext c, int p) {
        c.putIn16(p, TPC_ROD_TOKEN_FEATURES);
        c.putIn16(p + 2, ROD_TOKEN_FEATURES_LENGTH - 4);
        c.putIn(p + 4, 0);                                          // REMOTE TOKENS 0: none
        c.putIn32(p + 16, 1);                                       // MINIMUM TOKEN LIFETIME
        c.putIn32(p + 20, 0xFFFF_FFFFL);                            // MAXIMUM TOKEN LIFETIME
        c.putIn32(p + 24, RodTokens.MAX_INACTIVITY_TIMEOUT);       // MAXIMUM TOKEN INACTIVITY TIMEOUT
        c.putIn16(p + 46, ROD_DEVICE_FEATURES_LENGTH);
        int d = p + 48;
        c.putIn(d, InquiryData.DEVICE_TYPE_DIRECT_ACCESS);
        c.putIn16(d + 2, ROD_DEVICE_FEATURES_LENGTH - 4);
        c.putIn16(d + 6, 1);                                        // OPTIMAL BLOCK ROD LENGTH GRANULARITY
        c.putIn64(d + 8, MAX_TOKEN_BYTES);                          // MAXIMUM BYTES IN BLOCK ROD
        c.putIn64(d + 16, OPTIMAL_TRANSFER_BYTES);                  // OPTIMAL BYTES IN BLOCK ROD TRANSFER
        c.putIn64(d + 24, MAX_TOKEN_BYTES);                         // OPTIMAL BYTES TO TOKEN PER SEGMENT
        c.putIn64(d + 32, OPTIMAL_TRANSFER_BYTES);                  // OPTIMAL BYTES FROM TOKEN PER SEGMENT
        return p + ROD_TOKEN_FEATURES_LENGTH;
    }

    /** Supported ROD Types (SPC-4, 0108h): the PIT types made and accepted, the zero token accepted. */
    static int supportedRodTypes(CommandContext c, int p) {
        c.putIn16(p, TPC_SUPPORTED_ROD_TYPES);
        c.putIn16(p + 2, SUPPORTED_ROD_TYPES_LENGTH - 4);
        c.putIn16(p + 6, ROD_TYPES.length * ROD_TYPE_DESCRIPTOR_LENGTH);
        int d = p + 8;
        for (long type : ROD_TYPES) {
            c.putIn32(d, type);
            c.putIn(d + 4, type == RodTokens.ROD_TYPE_BLOCK_DEVICE_ZERO ? TOKEN_IN : TOKEN_IN | TOKEN_OUT);
            d += ROD_TYPE_DESCRIPTOR_LENGTH;
        }
        return d;
    }
}
