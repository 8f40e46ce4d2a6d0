package org.jtgt.daemon;

import org.jtgt.api.store.BackingStore;

/**
 * LOG SENSE (SPC-4 6.7) and the log pages this device server keeps: Supported Log Pages (00h,
 * and its subpage FFh, Supported Log Pages and Subpages) and Logical Block Provisioning (0Ch,
 * SBC-4), whose two parameters say how much space the unit's store could still allocate and how
 * much it holds now. Nothing is counted or reset by commands: every page control (PC) answers
 * the current values, no parameter is saved (SP = 1 is refused) and the page's DS bit is set.
 */
final class LogPages {
    static final int PAGE_SUPPORTED = 0x00;
    static final int PAGE_LOGICAL_BLOCK_PROVISIONING = 0x0C;
    static final int SUBPAGE_ALL = 0xFF;
    static final int HEADER = 4;
    /** Page header byte 0: DS (parameters are not saved) and SPF (a subpage format page). */
    static final int DS = 0x80;
    static final int SPF = 0x40;
    /** CDB byte 1: SP (save parameters). */
    static final int SP = 0x01;
    /** Logical Block Provisioning parameters (SBC-4): codes, length, and their control byte. */
    static final int AVAILABLE_LBA_MAPPING_RESOURCES = 0x0001;
    static final int USED_LBA_MAPPING_RESOURCES = 0x0002;
    static final int RESOURCE_PARAMETER_LENGTH = 8;
    /** TSD (no saving) and FORMAT AND LINKING 11b: a binary format list log parameter (SPC-4). */
    static final int BINARY_LIST_PARAMETER = 0x20 | 0x03;
    /** SCOPE: the resources are the unit's own (01b), or shared with other units (10b). */
    static final int SCOPE_DEDICATED = 0x1;
    static final int SCOPE_SHARED = 0x2;
    /** RESOURCE COUNT is a 32-bit field. */
    static final long MAX_RESOURCE_COUNT = 0xFFFF_FFFFL;
    /** The threshold set aimed for: 1 MiB of blocks, or larger where the count would not fit 32 bits. */
    static final int THRESHOLD_SET_BYTES = 1 << 20;

    private LogPages() {
    }

    /** LOG SENSE(10): 4Dh. */
    static SenseReason logSense(CommandContext c) {
        byte[] cdb = c.cdb;
        if ((Cdb.u8(cdb, 1) & SP) != 0) {
            return c.invalidField(1, 0);   // no parameter is saved
        }
        int page = Cdb.u8(cdb, 2) & 0x3F;
        int subpage = Cdb.u8(cdb, 3);
        int pointer = Cdb.u16(cdb, 5);
        int allocation = Cdb.u16(cdb, 7);
        if (page == PAGE_SUPPORTED && (subpage == 0 || subpage == SUBPAGE_ALL)) {
            if (pointer != 0) {
                return c.invalidField(5);   // these pages have no parameters to point at
            }
            return supported(c, subpage == SUBPAGE_ALL, allocation);
        }
        if (page == PAGE_LOGICAL_BLOCK_PROVISIONING && subpage == 0) {
            if (pointer > USED_LBA_MAPPING_RESOURCES) {
                return c.invalidField(5);
            }
            return logicalBlockProvisioning(c, pointer, allocation);
        }
        return subpage != 0 && subpage != SUBPAGE_ALL && (page == PAGE_SUPPORTED || page == PAGE_LOGICAL_BLOCK_PROVISIONING)
                ? c.invalidField(3) : c.invalidField(2, 5);
    }

    private static SenseReason supported(CommandContext c, boolean withSubpages, int allocation) {
        int n;
        if (withSubpages) {
            c.putIn(0, SPF | PAGE_SUPPORTED);
            c.putIn(1, SUBPAGE_ALL);
            int at = HEADER;
            int[][] pairs = {{PAGE_SUPPORTED, 0}, {PAGE_SUPPORTED, SUBPAGE_ALL}, {PAGE_LOGICAL_BLOCK_PROVISIONING, 0}};
            for (int[] p : pairs) {
                c.putIn(at++, p[0]);
                c.putIn(at++, p[1]);
            }
            n = at;
        } else {
            c.putIn(0, PAGE_SUPPORTED);
            c.putIn(1, 0);
            c.putIn(HEADER, PAGE_SUPPORTED);
            c.putIn(HEADER + 1, PAGE_LOGICAL_BLOCK_PROVISIONING);
            n = HEADER + 2;
        }
        c.putIn16(2, n - HEADER);
        c.produce(n, allocation);
        return SenseReason.NONE;
    }

    /**
     * Logical Block Provisioning log page: RESOURCE COUNTs in threshold sets of
     * 2^{@link #thresholdExponent} blocks (the exponent the Logical Block Provisioning VPD page
     * reports), available rounded down and used rounded up; a parameter whose figure the store
     * cannot tell is left out (SBC-4 lets a page carry any of them).
     */
    private static SenseReason logicalBlockProvisioning(CommandContext c, int pointer, int allocation) {
        LogicalUnit u = c.unit;
        BackingStore store = u.store();
        long setBytes = (long) u.blockSize() << thresholdExponent(u);
        c.putIn(0, DS | PAGE_LOGICAL_BLOCK_PROVISIONING);
        c.putIn(1, 0);
        int at = HEADER;
        long available = store.availableBytes();
        if (available >= 0 && pointer <= AVAILABLE_LBA_MAPPING_RESOURCES) {
            at = parameter(c, at, AVAILABLE_LBA_MAPPING_RESOURCES, available / setBytes,
                    store.sharesSpace() ? SCOPE_SHARED : SCOPE_DEDICATED);
        }
        long used = store.allocatedBytes();
        if (used >= 0) {
            at = parameter(c, at, USED_LBA_MAPPING_RESOURCES, (used + setBytes - 1) / setBytes, SCOPE_DEDICATED);
        }
        c.putIn16(2, at - HEADER);
        c.produce(at, allocation);
        return SenseReason.NONE;
    }

    private static int parameter(CommandContext c, int at, int code, long count, int scope) {
        c.putIn16(at, code);
        c.putIn(at + 2, BINARY_LIST_PARAMETER);
        c.putIn(at + 3, RESOURCE_PARAMETER_LENGTH);
        c.putIn32(at + 4, Math.min(count, MAX_RESOURCE_COUNT));
        c.putIn(at + 8, scope);
        c.putIn(at + 9, 0);
        c.putIn(at + 10, 0);
        c.putIn(at + 11, 0);
        return at + 4 + RESOURCE_PARAMETER_LENGTH;
    }

    /**
     * THRESHOLD EXPONENT (SBC-4, Logical Block Provisioning VPD page): threshold sets of 1 MiB of
     * blocks (at least two blocks), larger where the unit's capacity in sets would not fit 32
     * bits (capacity / 2^exponent &lt; 2^32).
     */
    static int thresholdExponent(LogicalUnit u) {
        int e = Math.max(1, Integer.numberOfTrailingZeros(THRESHOLD_SET_BYTES) - u.blockShift());
        while ((u.blockCount() >>> e) >= 1L << 32) {
            e++;
        }
        return e;
    }
}
