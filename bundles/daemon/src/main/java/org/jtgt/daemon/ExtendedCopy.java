package org.jtgt.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.scsi.SenseKey;

/**
 * The copy manager (SPC-4, third-party copy): EXTENDED COPY (LID1) between
 * logical units of the same target, RECEIVE COPY RESULTS and the Third-party Copy VPD page.
 *
 * <p>What it implements: identification descriptor CSCD descriptors (E4h) naming a logical unit
 * of this target by the NAA designator of its Device Identification VPD page, and block device
 * to block device segment descriptors (02h) between units of equal block size. The limits
 * below are reported in OPERATING PARAMETERS and in the VPD page and enforced here. Blocks move
 * through the backing stores in chunks of the context's 64 KiB scratch buffer, never the whole
 * segment at once and without allocating per block; the destination unit's write order is held
 * (shared) while a segment is written, as for WRITE. A copy within one unit whose destination
 * overlaps the source above it is done from the end backwards, so it reads what the source held.
 *
 * <p>Errors: parameter list problems are ILLEGAL REQUEST (PARAMETER LIST LENGTH ERROR for a
 * truncated list or one longer than MAXIMUM DESCRIPTOR LIST LENGTH, TOO MANY TARGET/SEGMENT
 * DESCRIPTORS, UNSUPPORTED TARGET/SEGMENT DESCRIPTOR TYPE CODE, INVALID FIELD IN PARAMETER
 * LIST); problems found while processing segments end the copy with COPY ABORTED:
 * UNREACHABLE COPY TARGET for a CSCD index not in the list, COPY TARGET DEVICE NOT REACHABLE for
 * a designator that names no unit of the target, COPY ABORTED 00h/00h for blocks beyond a
 * unit's capacity and THIRD PARTY DEVICE FAILURE for a backing-store error. The LU ID TYPE and
 * NUL fields are ignored, as SPC-4 makes them for identification descriptors.
 */
final class ExtendedCopy {
    // ---- limits (OPERATING PARAMETERS; Third-party Copy VPD page) ----
    static final int MAX_CSCD_DESCRIPTORS = 8;
    static final int MAX_SEGMENT_DESCRIPTORS = 8;
    static final int MAX_DESCRIPTOR_LIST_LENGTH = 1024;
    /** Bytes one segment may move; with the descriptor count it bounds the work of one command. */
    static final int MAX_SEGMENT_LENGTH = 32 << 20;
    static final int MAX_INLINE_DATA_LENGTH = 0;
    static final int HELD_DATA_LIMIT = 0;

    // ---- the parameter list (SPC-4 EXTENDED COPY(LID1) parameter list) ----
    static final int HEADER = 16;
    static final int LIST_ID_USAGE_SHIFT = 3;
    static final int LIST_ID_USAGE_MASK = 0x3;
    static final int USAGE_HOLD = 0x0;
    static final int USAGE_RESERVED = 0x1;
    static final int USAGE_NO_LIST_ID = 0x3;
    /** Byte 1 bits 7..6 are reserved. */
    static final int HEADER_BYTE1_RESERVED = 0xC0;
    static final int CSCD_LIST_LENGTH_OFFSET = 2;
    static final int SEGMENT_LIST_LENGTH_OFFSET = 8;
    static final int INLINE_LENGTH_OFFSET = 12;

    // ---- CSCD descriptors (SPC-4, CSCD descriptors: identification descriptor) ----
    static final int CSCD_IDENTIFICATION = 0xE4;
    static final int CSCD_LENGTH = 32;
    static final int CSCD_PERIPHERAL_TYPE_MASK = 0x1F;
    static final int CSCD_DESIGNATOR_OFFSET = 4;
    static final int CSCD_DESIGNATOR_MAX = 20;
    static final int CSCD_BLOCK_LENGTH_OFFSET = 29;
    static final int ASSOCIATION_TYPE_MASK = 0x3F;

    // ---- segment descriptors (SPC-4, block device to block device segment descriptor) ----
    static final int SEGMENT_BLOCK_TO_BLOCK = 0x02;
    static final int SEGMENT_B2B_LENGTH = 28;
    static final int SEGMENT_HEADER = 4;
    /** Fields of a block → block segment descriptor, for the segment pointer of COPY ABORTED. */
    static final int SEGMENT_SOURCE_INDEX = 4;
    static final int SEGMENT_DESTINATION_INDEX = 6;
    static final int SEGMENT_BLOCKS = 10;
    static final int SEGMENT_SOURCE_LBA = 12;
    static final int SEGMENT_DESTINATION_LBA = 20;
    /** Byte 1: DC (bit 1) and CAT (bit 0); the others are reserved. */
    static final int SEGMENT_BYTE1_RESERVED = 0xFC;

    // ---- RECEIVE COPY RESULTS (SPC-4 RECEIVE COPY RESULTS, LID1 service actions) ----
    static final int LIST_ID_OFFSET = 2;
    static final int ALLOCATION_OFFSET = 10;
    static final int COPY_STATUS_LENGTH = 12;
    static final int TRANSFER_COUNT_BYTES = 0x00;
    static final int OPERATING_PARAMETERS_FIXED = 44;
    static final int[] IMPLEMENTED_DESCRIPTORS = {SEGMENT_BLOCK_TO_BLOCK, CSCD_IDENTIFICATION};
    static final int FAILED_SEGMENT_HEADER = 60;

    // ---- Third-party Copy VPD page (SPC-4 VPD page 8Fh) ----
    static final int TPC_SUPPORTED_COMMANDS = 0x0001;
    static final int TPC_PARAMETER_DATA = 0x0004;
    static final int TPC_SUPPORTED_DESCRIPTORS = 0x0008;
    static final int TPC_GENERAL_COPY_OPERATIONS = 0x8001;

    private ExtendedCopy() {
    }

    // ======================= EXTENDED COPY =======================

    /** EXTENDED COPY (LID1), SPC-4: THIRD-PARTY COPY OUT service action 00h. */
    static SenseReason extendedCopy(CommandContext c) {
        for (int i = 2; i < 10; i++) {
            if (c.cdb[i] != 0) {
                return c.invalidField(i);   // reserved in LID1
            }
        }
        if (c.cdb[14] != 0) {
            return c.invalidField(14);
        }
        long listLength = Cdb.u32(c.cdb, 10);
        c.wanted = listLength;
        if (listLength == 0) {
            return SenseReason.NONE;   // SPC-4: a PARAMETER LIST LENGTH of 0 is not an error
        }
        int available = (int) Math.min(listLength, c.outAvailable);
        if (available < HEADER) {
            return SenseReason.PARAMETER_LIST_LENGTH_ERROR;
        }
        int listId = c.outU8(0);
        int byte1 = c.outU8(1);
        int usage = byte1 >>> LIST_ID_USAGE_SHIFT & LIST_ID_USAGE_MASK;
        int cscdLength = c.outU16(CSCD_LIST_LENGTH_OFFSET);
        long segmentLength = c.outU32(SEGMENT_LIST_LENGTH_OFFSET);
        long inlineLength = c.outU32(INLINE_LENGTH_OFFSET);
        if (cscdLength + segmentLength > MAX_DESCRIPTOR_LIST_LENGTH) {
            return SenseReason.PARAMETER_LIST_LENGTH_ERROR;
        }
        if (HEADER + cscdLength + segmentLength + inlineLength > available) {
            return SenseReason.PARAMETER_LIST_LENGTH_ERROR;   // the list is truncated
        }
        if ((byte1 & HEADER_BYTE1_RESERVED) != 0 || usage == USAGE_RESERVED
                || usage == USAGE_NO_LIST_ID && listId != 0 || inlineLength > MAX_INLINE_DATA_LENGTH) {
            return SenseReason.INVALID_FIELD_IN_PARAMETER_LIST;
        }
        int cscdCount = cscdLength / CSCD_LENGTH;
        if (cscdCount > MAX_CSCD_DESCRIPTORS) {
            return SenseReason.TOO_MANY_TARGET_DESCRIPTORS;
        }
        int cscdEnd = HEADER + cscdLength;
        for (int p = HEADER; p < cscdEnd; p += CSCD_LENGTH) {
            if (c.outU8(p) != CSCD_IDENTIFICATION) {
                return SenseReason.UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE;
            }
            if (p + CSCD_LENGTH > cscdEnd || c.outU8(p + CSCD_DESIGNATOR_OFFSET + 3) > CSCD_DESIGNATOR_MAX) {
                return SenseReason.INVALID_FIELD_IN_PARAMETER_LIST;
            }
        }
        int segmentEnd = (int) (cscdEnd + segmentLength);
        int segments = 0;
        for (int p = cscdEnd; p < segmentEnd; segments++) {
            if (p + SEGMENT_HEADER > segmentEnd) {
                return SenseReason.PARAMETER_LIST_LENGTH_ERROR;
            }
            p += SEGMENT_HEADER + c.outU16(p + 2);
        }
        if (segments > MAX_SEGMENT_DESCRIPTORS) {
            return SenseReason.TOO_MANY_SEGMENT_DESCRIPTORS;
        }
        for (int p = cscdEnd; p < segmentEnd; p += SEGMENT_HEADER + c.outU16(p + 2)) {
            if (c.outU8(p) != SEGMENT_BLOCK_TO_BLOCK) {
                return SenseReason.UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE;
            }
            if (c.outU16(p + 2) != SEGMENT_B2B_LENGTH - SEGMENT_HEADER || p + SEGMENT_B2B_LENGTH > segmentEnd
                    || (c.outU8(p + 1) & SEGMENT_BYTE1_RESERVED) != 0 || c.outU16(p + 8) != 0) {
                return SenseReason.INVALID_FIELD_IN_PARAMETER_LIST;
            }
        }

        CopyOperations table = c.nexus.copies();
        CopyOperations.Operation op = null;
        if (usage != USAGE_NO_LIST_ID) {
            SenseReason[] refusal = new SenseReason[1];
            op = table.begin(listId, refusal);
            if (op == null) {
                return refusal[0];
            }
        }
        long[] moved = new long[1];
        int done = 0;
        SenseReason r = SenseReason.NONE;
        for (int p = cscdEnd; p < segmentEnd && r == SenseReason.NONE; p += SEGMENT_B2B_LENGTH) {
            r = copySegment(c, p, cscdCount, moved);
            if (r == SenseReason.NONE) {
                done++;
                if (op != null) {
                    table.progress(op, done, moved[0]);
                }
            } else if (r.senseKey() == SenseKey.COPY_ABORTED) {
                c.copySegment = done;   // the segment pointer names the descriptor that failed
            }
        }
        if (op != null) {
            if (r == SenseReason.NONE) {
                table.end(op, ScsiStatus.GOOD, null, 0);
            } else {
                int n = r.writeSense(c.unit != null && c.unit.descriptorSense(), c.sense, 0, c.information, c.copySegment >= 0 ? c.fieldPointer : -1, -1,
                        c.copySegment);
                table.end(op, r.isStatusOnly() ? ScsiStatus.RESERVATION_CONFLICT : ScsiStatus.CHECK_CONDITION,
                        c.sense, n);
            }
        }
        return r;
    }

    /** Processes one block → block segment descriptor at parameter list offset {@code p}. */
    private static SenseReason copySegment(CommandContext c, int p, int cscdCount, long[] moved) {
        int srcIndex = c.outU16(p + 4);
        int dstIndex = c.outU16(p + 6);
        if (srcIndex >= cscdCount || dstIndex >= cscdCount) {
            c.fieldPointer = srcIndex >= cscdCount ? SEGMENT_SOURCE_INDEX : SEGMENT_DESTINATION_INDEX;
            return SenseReason.UNREACHABLE_COPY_TARGET;
        }
        long blocks = c.outU16(p + 10);
        long srcLba = c.outU64(p + 12);
        long dstLba = c.outU64(p + 20);
        LogicalUnit src = resolve(c, HEADER + srcIndex * CSCD_LENGTH);
        if (src == null) {
            c.fieldPointer = SEGMENT_SOURCE_INDEX;
            return SenseReason.COPY_TARGET_DEVICE_NOT_REACHABLE;
        }
        try {
            LogicalUnit dst = resolve(c, HEADER + dstIndex * CSCD_LENGTH);
            if (dst == null) {
                c.fieldPointer = SEGMENT_DESTINATION_INDEX;
                return SenseReason.COPY_TARGET_DEVICE_NOT_REACHABLE;
            }
            try {
                return copyBlocks(c, p, src, srcLba, dst, dstLba, blocks, moved);
            } finally {
                dst.release();
            }
        } finally {
            src.release();
        }
    }

    /**
     * The unit of this target whose NAA designator the CSCD descriptor at {@code p} carries, with
     * its block length matching, acquired against removal; {@code null} when there is none.
     */
    private static LogicalUnit resolve(CommandContext c, int p) {
        int d = p + CSCD_DESIGNATOR_OFFSET;
        if ((c.outU8(p + 1) & CSCD_PERIPHERAL_TYPE_MASK) != InquiryData.DEVICE_TYPE_DIRECT_ACCESS
                || (c.outU8(d) & 0x0F) != InquiryData.CODE_SET_BINARY
                || (c.outU8(d + 1) & ASSOCIATION_TYPE_MASK) != (InquiryData.ASSOCIATION_LU | InquiryData.TYPE_NAA)
                || c.outU8(d + 3) != InquiryData.NAA_LENGTH) {
            return null;
        }
        long naa = c.outU64(d + InquiryData.DESIGNATOR_HEADER);
        int blockLength = c.outU16(p + CSCD_BLOCK_LENGTH_OFFSET + 1) | c.outU8(p + CSCD_BLOCK_LENGTH_OFFSET) << 16;
        for (LogicalUnit u : c.target.luns()) {
            if (u.naa() == naa && u.blockSize() == blockLength && c.nexus.maps(u.lun()) && u.acquire()) {
                return u;
            }
        }
        return null;
    }

    private static SenseReason copyBlocks(CommandContext c, int p, LogicalUnit src, long srcLba,
                                          LogicalUnit dst, long dstLba, long blocks, long[] moved) {
        // The copy manager reads the source and writes the destination for this nexus, so their
        // reservations apply as if it had sent READ and WRITE to them (SPC-4 5.13.1).
        if (!src.reservationAllows(c.nexus) || !dst.reservationAllows(c.nexus)
                || src.persistentReservations().conflicts(c.nexus, PersistentReservations.ACCESS_READ)
                || dst.persistentReservations().conflicts(c.nexus, PersistentReservations.ACCESS_WRITE)) {
            return SenseReason.RESERVATION_CONFLICT;
        }
        if (src.sanitizing() || dst.sanitizing()) {
            return SenseReason.SANITIZE_IN_PROGRESS;
        }
        if (src.sanitizeFailed() || dst.sanitizeFailed()) {
            return SenseReason.SANITIZE_COMMAND_FAILED;
        }
        if (!src.mediumPresent() || !dst.mediumPresent()) {
            return SenseReason.MEDIUM_NOT_PRESENT;
        }
        if (Long.compareUnsigned(srcLba, src.blockCount()) > 0 || blocks > src.blockCount() - srcLba) {
            c.fieldPointer = SEGMENT_SOURCE_LBA;
            return SenseReason.COPY_SEGMENT_REFUSED;
        }
        if (Long.compareUnsigned(dstLba, dst.blockCount()) > 0 || blocks > dst.blockCount() - dstLba) {
            c.fieldPointer = SEGMENT_DESTINATION_LBA;
            return SenseReason.COPY_SEGMENT_REFUSED;
        }
        int shift = src.blockShift();
        if (blocks << shift > MAX_SEGMENT_LENGTH) {
            c.fieldPointer = SEGMENT_BLOCKS;
            return SenseReason.COPY_SEGMENT_REFUSED;
        }
        if (blocks == 0) {
            return SenseReason.NONE;
        }
        SenseReason protection = dst.writeProtection();
        if (protection != SenseReason.NONE) {
            return protection;
        }
        ByteBuffer chunk = c.verifyScratch();
        long from = srcLba << shift;
        long to = dstLba << shift;
        long length = blocks << shift;
        // Same unit, destination above an overlapping source: copy from the end backwards.
        boolean backwards = src == dst && to > from && to < from + length;
        long stamp = dst.beginWrite();
        try {
            long done = 0;
            while (done < length) {
                int n = (int) Math.min(chunk.capacity(), length - done);
                long at = backwards ? length - done - n : done;
                chunk.clear().limit(n);
                try {
                    src.store().read(from + at, chunk);
                    chunk.flip();
                    dst.writeMedium(to + at, chunk, false);
                } catch (IOException e) {
                    c.information = -1;
                    c.fieldPointer = -1;
                    c.ioFailure = e;
                    return SenseReason.THIRD_PARTY_DEVICE_FAILURE;
                }
                done += n;
                moved[0] += n;
            }
        } finally {
            dst.endWrite(stamp);
        }
        return SenseReason.NONE;
    }

    // ======================= RECEIVE COPY RESULTS =======================

    /** RECEIVE COPY RESULTS, COPY STATUS (SPC-4): progress and outcome of a list identifier. */
    static SenseReason copyStatus(CommandContext c) {
        CopyOperations.Operation o = new CopyOperations.Operation();
        SenseReason r = findOperation(c, o);
        if (r != SenseReason.NONE) {
            return r;
        }
        long allocation = Cdb.u32(c.cdb, ALLOCATION_OFFSET);
        c.zeroIn(0, COPY_STATUS_LENGTH);
        c.putIn32(0, COPY_STATUS_LENGTH - 4);   // AVAILABLE DATA
        c.putIn(4, o.status);                   // HDD 0, COPY MANAGER STATUS
        c.putIn16(5, o.segmentsProcessed);
        c.putIn(7, TRANSFER_COUNT_BYTES);
        c.putIn32(8, Math.min(o.bytesTransferred, 0xFFFF_FFFFL));
        c.produce(COPY_STATUS_LENGTH, allocation);
        return SenseReason.NONE;
    }

    /**
     * RECEIVE COPY RESULTS, FAILED SEGMENT DETAILS (SPC-4): the status and sense data with
     * which a copy of this list identifier failed; AVAILABLE DATA 0 while it runs or when it did
     * not fail.
     */
    static SenseReason failedSegmentDetails(CommandContext c) {
        CopyOperations.Operation o = new CopyOperations.Operation();
        SenseReason r = findOperation(c, o);
        if (r != SenseReason.NONE) {
            return r;
        }
        long allocation = Cdb.u32(c.cdb, ALLOCATION_OFFSET);
        if (o.status != CopyOperations.STATUS_FAILED) {
            c.zeroIn(0, 4);
            c.produce(4, allocation);
            return SenseReason.NONE;
        }
        int length = FAILED_SEGMENT_HEADER + o.senseLength;
        c.zeroIn(0, FAILED_SEGMENT_HEADER);
        c.putIn32(0, length - 4);
        c.putIn(56, o.commandStatus);
        c.putIn16(58, o.senseLength);
        c.putIn(FAILED_SEGMENT_HEADER, o.sense, 0, o.senseLength);
        c.produce(length, allocation);
        return SenseReason.NONE;
    }

    /** The CDB checks of COPY STATUS and FAILED SEGMENT DETAILS, then the list identifier's operation into {@code o}. */
    private static SenseReason findOperation(CommandContext c, CopyOperations.Operation o) {
        SenseReason r = checkReceiveCdb(c);
        if (r != SenseReason.NONE) {
            return r;
        }
        return c.nexus.copies().find(Cdb.u8(c.cdb, LIST_ID_OFFSET), o) ? SenseReason.NONE
                : c.invalidField(LIST_ID_OFFSET);
    }

    /** RECEIVE COPY RESULTS, OPERATING PARAMETERS (SPC-4): the limits enforced above. */
    static SenseReason operatingParameters(CommandContext c) {
        SenseReason r = checkReceiveCdb(c);
        if (r != SenseReason.NONE) {
            return r;
        }
        long allocation = Cdb.u32(c.cdb, ALLOCATION_OFFSET);
        int length = OPERATING_PARAMETERS_FIXED + IMPLEMENTED_DESCRIPTORS.length;
        c.zeroIn(0, length);
        c.putIn32(0, length - 4);                     // AVAILABLE DATA
        c.putIn(4, 0);                                // SNLID 0: every list identifier is tracked
        c.putIn16(8, MAX_CSCD_DESCRIPTORS);
        c.putIn16(10, MAX_SEGMENT_DESCRIPTORS);
        c.putIn32(12, MAX_DESCRIPTOR_LIST_LENGTH);
        c.putIn32(16, MAX_SEGMENT_LENGTH);
        c.putIn32(20, MAX_INLINE_DATA_LENGTH);
        c.putIn32(24, HELD_DATA_LIMIT);
        c.putIn32(28, 0);                             // MAXIMUM STREAM DEVICE TRANSFER SIZE
        c.putIn16(34, CopyOperations.CAPACITY);       // TOTAL CONCURRENT COPIES
        c.putIn(36, CopyOperations.CAPACITY);         // MAXIMUM CONCURRENT COPIES
        c.putIn(37, 0);                               // granularities: 2^0
        c.putIn(43, IMPLEMENTED_DESCRIPTORS.length);
        for (int i = 0; i < IMPLEMENTED_DESCRIPTORS.length; i++) {
            c.putIn(OPERATING_PARAMETERS_FIXED + i, IMPLEMENTED_DESCRIPTORS[i]);
        }
        c.produce(length, allocation);
        return SenseReason.NONE;
    }

    /** Bytes 3..9 and 14 of RECEIVE COPY RESULTS (LID1) are reserved. */
    private static SenseReason checkReceiveCdb(CommandContext c) {
        for (int i = 3; i < 10; i++) {
            if (c.cdb[i] != 0) {
                return c.invalidField(i);
            }
        }
        return c.cdb[14] != 0 ? c.invalidField(14) : SenseReason.NONE;
    }

    // ======================= Third-party Copy VPD page =======================

    /**
     * Third-party Copy VPD page (SPC-4 VPD page 8Fh), its descriptors in ascending type order:
     * Block Device ROD Limits (SBC-4, {@link TokenCopy}), Supported Commands (EXTENDED COPY LID1,
     * POPULATE TOKEN, WRITE USING TOKEN and the RECEIVE COPY RESULTS / RECEIVE ROD TOKEN
     * INFORMATION service actions), Parameter Data and Supported Descriptors (the same limits and
     * descriptor types as OPERATING PARAMETERS), ROD Token Features and Supported ROD Types
     * ({@link TokenCopy}), General Copy Operations.
     */
    static void thirdPartyCopyPage(CommandContext c, int allocationLength) {
        int[] out = {Opcodes.SA_EXTENDED_COPY_LID1, Opcodes.SA_POPULATE_TOKEN, Opcodes.SA_WRITE_USING_TOKEN};
        int[] rcr = {Opcodes.SA_COPY_STATUS, Opcodes.SA_OPERATING_PARAMETERS, Opcodes.SA_FAILED_SEGMENT_DETAILS,
            Opcodes.SA_RECEIVE_ROD_TOKEN_INFORMATION};
        int commandsList = 2 + out.length + 2 + rcr.length;   // opcode, count, SAs for 83h and 84h
        int commandsLength = pad4(1 + commandsList);
        int descriptorsLength = pad4(1 + IMPLEMENTED_DESCRIPTORS.length);
        int pageLength = TokenCopy.BLOCK_DEVICE_ROD_LIMITS_LENGTH + 4 + commandsLength + 4 + 28 + 4 + descriptorsLength
                + TokenCopy.ROD_TOKEN_FEATURES_LENGTH + TokenCopy.SUPPORTED_ROD_TYPES_LENGTH + 4 + 28;
        c.zeroIn(0, InquiryData.VPD_HEADER + pageLength);
        c.putIn(0, InquiryData.DEVICE_TYPE_DIRECT_ACCESS);
        c.putIn(1, InquiryData.PAGE_THIRD_PARTY_COPY);
        c.putIn16(2, pageLength);
        int p = TokenCopy.blockDeviceRodLimits(c, InquiryData.VPD_HEADER);

        c.putIn16(p, TPC_SUPPORTED_COMMANDS);
        c.putIn16(p + 2, commandsLength);
        c.putIn(p + 4, commandsList);
        int q = p + 5;
        c.putIn(q++, Opcodes.THIRD_PARTY_COPY_OUT);
        c.putIn(q++, out.length);
        for (int sa : out) {
            c.putIn(q++, sa);
        }
        c.putIn(q++, Opcodes.THIRD_PARTY_COPY_IN);
        c.putIn(q++, rcr.length);
        for (int sa : rcr) {
            c.putIn(q++, sa);
        }
        p += 4 + commandsLength;

        c.putIn16(p, TPC_PARAMETER_DATA);
        c.putIn16(p + 2, 28);
        c.putIn16(p + 8, MAX_CSCD_DESCRIPTORS);
        c.putIn16(p + 10, MAX_SEGMENT_DESCRIPTORS);
        c.putIn32(p + 12, MAX_DESCRIPTOR_LIST_LENGTH);
        c.putIn32(p + 16, MAX_INLINE_DATA_LENGTH);
        p += 4 + 28;

        c.putIn16(p, TPC_SUPPORTED_DESCRIPTORS);
        c.putIn16(p + 2, descriptorsLength);
        c.putIn(p + 4, IMPLEMENTED_DESCRIPTORS.length);
        for (int i = 0; i < IMPLEMENTED_DESCRIPTORS.length; i++) {
            c.putIn(p + 5 + i, IMPLEMENTED_DESCRIPTORS[i]);
        }
        p += 4 + descriptorsLength;
        p = TokenCopy.rodTokenFeatures(c, p);
        p = TokenCopy.supportedRodTypes(c, p);

        c.putIn16(p, TPC_GENERAL_COPY_OPERATIONS);
        c.putIn16(p + 2, 28);
        c.putIn32(p + 4, CopyOperations.CAPACITY);    // TOTAL CONCURRENT COPIES
        c.putIn32(p + 8, CopyOperations.CAPACITY);    // MAXIMUM IDENTIFIED CONCURRENT COPIES
        c.putIn32(p + 12, MAX_SEGMENT_LENGTH);
        p += 4 + 28;
        c.produce(p, allocationLength);
    }

    private static int pad4(int n) {
        return (n + 3) & ~3;
    }
}
