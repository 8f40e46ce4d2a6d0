package org.jtgt.daemon;

/**
 * MODE SENSE(6)/(10) and MODE SELECT(6)/(10) (SPC-4 6.11 to 6.14) for a direct-access block
 * device: the mode parameter header (SPC-4, mode parameter list), one short or long LBA block
 * descriptor (SBC-3, block descriptors) and the Caching (SBC-3) and Control (SPC-4) mode pages.
 *
 * <p>Mode parameters are per logical unit, shared by every I_T nexus, and none is saved: no page
 * is savable (PS = 0), asking for saved values fails with SAVING PARAMETERS NOT SUPPORTED
 * (SPC-4 6.13, PC field) and MODE SELECT with SP = 1 with INVALID FIELD IN CDB (SPC-4 6.11:
 * the logical unit implements no saved pages). The default values are what a unit starts with,
 * except in the split shape's daemon, whose next process takes over the current values
 * ({@link KeptState}): a daemon restart is not a power cycle.
 *
 * <p>Changeable (what MODE SENSE with PC = 01b reports, and exactly what MODE SELECT accepts):
 * the Control mode page's SWP and D_SENSE and the Caching mode page's WCE.
 * <ul>
 * <li>SWP (default 0): while set, every command that changes the medium ends with DATA PROTECT,
 *     LOGICAL UNIT SOFTWARE WRITE PROTECTED, and MODE SENSE reports WP.</li>
 * <li>WCE (default 1): the backing store's write cache is whatever its {@code flush()} makes
 *     stable (a file store writes through the page cache; the memory store has nothing to
 *     flush). With WCE = 1 a completed WRITE may still be in that cache, and SYNCHRONIZE CACHE
 *     or FUA make it stable. With WCE = 0 every command that changes the medium returns GOOD
 *     only once its data is stable: writes go to the store with FUA, deallocations are followed
 *     by a flush ({@link LogicalUnit#writeThrough()}).</li>
 * <li>D_SENSE (default 0): sense data of this unit in descriptor format.</li>
 * </ul>
 * A thin unit also has the Read-Write Error Recovery page (01h) and the Logical Block
 * Provisioning page (1Ch/02h) of its soft threshold ({@link ProvisioningThreshold}), whose
 * ENABLED bit and THRESHOLD COUNT are changeable.
 */
final class ModePages {
    static final int PC_CURRENT = 0;
    static final int PC_CHANGEABLE = 1;
    static final int PC_DEFAULT = 2;
    static final int PC_SAVED = 3;

    static final int PAGE_CACHING = 0x08;
    static final int PAGE_CONTROL = 0x0A;
    /** Control page byte 3: QUEUE ALGORITHM MODIFIER 1h in bits 7..4. */
    static final int QAM_UNRESTRICTED = 0x10;
    static final int PAGE_ALL = 0x3F;
    static final int SUBPAGE_NONE = 0x00;
    static final int SUBPAGE_ALL = 0xFF;

    // ---- MODE SENSE CDB fields ----
    static final int DBD = 0x08;
    static final int LLBAA = 0x10;
    static final int PC_SHIFT = 6;
    static final int PAGE_CODE_MASK = 0x3F;
    /** The PAGE CODE field's most significant bit, for the sense bit pointer. */
    static final int PAGE_CODE_MSB = 5;

    // ---- MODE SELECT CDB fields (SPC-4 6.11, 6.12): byte 1 ----
    static final int PF = 0x10;
    static final int PF_BIT = 4;
    static final int SP = 0x01;
    static final int SP_BIT = 0;
    static final int SELECT_6_LENGTH_OFFSET = 4;
    static final int SELECT_10_LENGTH_OFFSET = 7;

    // ---- mode parameter header (SPC-4, mode parameter list format) ----
    static final int HEADER_6 = 4;
    static final int HEADER_10 = 8;
    static final int MEDIUM_TYPE_6_OFFSET = 1;
    static final int MEDIUM_TYPE_10_OFFSET = 2;
    static final int DESCRIPTOR_LENGTH_6_OFFSET = 3;
    static final int LONGLBA_OFFSET = 4;
    static final int DESCRIPTOR_LENGTH_10_OFFSET = 6;
    static final int WP = 0x80;
    static final int DPOFUA = 0x10;
    static final int LONGLBA = 0x01;

    // ---- short and long LBA mode parameter block descriptors (SBC-3) ----
    static final int SHORT_DESCRIPTOR = 8;
    static final int LONG_DESCRIPTOR = 16;
    static final long SHORT_MAX_BLOCKS = 0xFFFF_FFFFL;
    static final int SHORT_RESERVED_OFFSET = 4;
    static final int SHORT_BLOCK_LENGTH_OFFSET = 5;
    static final int LONG_BLOCK_LENGTH_OFFSET = 12;

    // ---- pages ----
    static final int CACHING_LENGTH = 20;
    static final int CONTROL_LENGTH = 12;
    static final int LARGEST_PAGE = ProvisioningThreshold.LBP_PAGE_LENGTH;
    /** Bytes after the 2-byte page header. */
    static final int PAGE_HEADER = 2;
    /** SPF, byte 0 bit 6: the page is in sub_page format (here only 1Ch/02h of a thin unit). */
    static final int SPF = 0x40;
    static final int SPF_BIT = 6;
    /** Caching page byte 2 bit 2: write cache enable. */
    static final int WCE_OFFSET = 2;
    static final int WCE = 0x04;
    /** Control page byte 2. */
    static final int GLTSD = 0x02;
    /** Control page byte 2: D_SENSE, sense data in descriptor format (SPC-4). */
    static final int D_SENSE = 0x04;
    /** Control page byte 4 bit 3: software write protect. */
    static final int SWP_OFFSET = 4;
    static final int SWP = 0x08;

    /**
     * Where each field of a page starts, for the sense field pointer (SPC-4 4.5.2.4.2: the byte
     * and the most significant bit of the field in error): per byte, a bit set for the most
     * significant bit of every field that starts in it; 0 for a byte that continues a field of
     * the bytes before. Caching mode page, SBC-3: IC..RCD are one bit each (byte 2), two 4-bit
     * retention priorities, 16-bit pre-fetch fields, FSW LBCSS DRA, vendor specific bits 4..3,
     * reserved bits 2..1, NV_DIS, NUMBER OF CACHE SEGMENTS, CACHE SEGMENT SIZE, a reserved byte,
     * three obsolete bytes.
     */
    private static final int[] CACHING_FIELDS = {
        0xE0, 0x80, 0xFF, 0x88, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00,
        0x80, 0x00, 0xF5, 0x80, 0x80, 0x00, 0x80, 0x80, 0x00, 0x00};
    /**
     * Control mode page, SPC-4: TST (3 bits) TMF_ONLY DPICZ D_SENSE GLTSD RLEC; QUEUE ALGORITHM
     * MODIFIER (4 bits) NUAR QERR (2 bits) obsolete; VS RAC UA_INTLCK_CTRL (2 bits) SWP
     * obsolete (3 bits); ATO TAS ATMPE RWWP reserved AUTOLOAD MODE (3 bits); two obsolete
     * bytes, BUSY TIMEOUT PERIOD, EXTENDED SELF-TEST COMPLETION TIME.
     */
    private static final int[] CONTROL_FIELDS = {
        0xE0, 0x80, 0x9F, 0x8D, 0xEC, 0xFC, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00};

    private ModePages() {
    }

    /** MODE SENSE(6), SPC-4 6.13. */
    static SenseReason modeSense6(CommandContext c) {
        return modeSense(c, false);
    }

    /** MODE SENSE(10), SPC-4 6.14. */
    static SenseReason modeSense10(CommandContext c) {
        return modeSense(c, true);
    }

    private static SenseReason modeSense(CommandContext c, boolean ten) {
        byte[] cdb = c.cdb;
        int flags = Cdb.u8(cdb, 1);
        boolean dbd = (flags & DBD) != 0;
        boolean longLba = ten && (flags & LLBAA) != 0;
        int pc = Cdb.u8(cdb, 2) >>> PC_SHIFT;
        int page = Cdb.u8(cdb, 2) & PAGE_CODE_MASK;
        int subpage = Cdb.u8(cdb, 3);
        int allocation = ten ? Cdb.u16(cdb, 7) : Cdb.u8(cdb, 4);

        if (pc == PC_SAVED) {
            return SenseReason.SAVING_PARAMETERS_NOT_SUPPORTED;
        }
        LogicalUnit unit = c.unit;
        boolean thin = unit.options().thin();
        int[] selected;
        switch (page) {
            case PAGE_CACHING:
                selected = CACHING_ONLY;
                break;
            case PAGE_CONTROL:
                selected = CONTROL_ONLY;
                break;
            case ProvisioningThreshold.PAGE_RW_ERROR_RECOVERY:
                if (!thin) {
                    return c.invalidField(2, PAGE_CODE_MSB);
                }
                selected = RW_ERROR_RECOVERY_ONLY;
                break;
            case ProvisioningThreshold.PAGE_LOGICAL_BLOCK_PROVISIONING:
                // 1Ch: only subpage 02h exists here (no Informational Exceptions Control page)
                if (!thin) {
                    return c.invalidField(2, PAGE_CODE_MSB);
                }
                if (subpage != ProvisioningThreshold.SUBPAGE_LOGICAL_BLOCK_PROVISIONING && subpage != SUBPAGE_ALL) {
                    return c.invalidField(3);
                }
                selected = PROVISIONING_ONLY;
                break;
            case PAGE_ALL:
                selected = subpage == SUBPAGE_ALL ? (thin ? ALL_WITH_SUBPAGES_THIN : ALL) : thin ? ALL_THIN : ALL;
                break;
            default:
                return c.invalidField(2, PAGE_CODE_MSB);
        }
        // pages without subpages: only "none" is valid, and "all" for 3Fh (SPC-4 6.13)
        if (page != ProvisioningThreshold.PAGE_LOGICAL_BLOCK_PROVISIONING && subpage != SUBPAGE_NONE
                && !(page == PAGE_ALL && subpage == SUBPAGE_ALL)) {
            return c.invalidField(3);
        }
        int pagesLength = 0;
        for (int code : selected) {
            pagesLength += pageLength(code);
        }

        int header = ten ? HEADER_10 : HEADER_6;
        int descriptor = dbd ? 0 : longLba ? LONG_DESCRIPTOR : SHORT_DESCRIPTOR;
        int total = header + descriptor + pagesLength;
        LogicalUnit u = unit;
        int deviceSpecific = (u.writeProtected() ? WP : 0) | DPOFUA;

        c.zeroIn(0, total);
        if (ten) {
            c.putIn16(0, total - 2);          // MODE DATA LENGTH excludes itself
            c.putIn(3, deviceSpecific);
            c.putIn(4, longLba ? LONGLBA : 0);
            c.putIn16(6, descriptor);
        } else {
            c.putIn(0, total - 1);
            c.putIn(2, deviceSpecific);
            c.putIn(3, descriptor);
        }
        int p = header;
        if (descriptor == SHORT_DESCRIPTOR) {
            c.putIn32(p, shortBlockCount(u));
            c.putIn32(p + 4, u.blockSize());  // byte 4 reserved (0 for 512/4096), 5..7 LOGICAL BLOCK LENGTH
        } else if (descriptor == LONG_DESCRIPTOR) {
            c.putIn64(p, u.blockCount());
            c.putIn32(p + LONG_BLOCK_LENGTH_OFFSET, u.blockSize());
        }
        p += descriptor;
        byte[] scratch = c.modePage;
        for (int code : selected) {
            int n = page(u, code, pc, scratch);
            c.putIn(p, scratch, 0, n);
            p += n;
        }
        c.produce(p, allocation);
        return SenseReason.NONE;
    }

    /** What MODE SENSE returns per page selection, in page code order (SPC-4 6.13). */
    private static final int[] CACHING_ONLY = {PAGE_CACHING};
    private static final int[] CONTROL_ONLY = {PAGE_CONTROL};
    private static final int[] RW_ERROR_RECOVERY_ONLY = {ProvisioningThreshold.PAGE_RW_ERROR_RECOVERY};
    private static final int[] PROVISIONING_ONLY = {ProvisioningThreshold.PAGE_LOGICAL_BLOCK_PROVISIONING};
    private static final int[] ALL = {PAGE_CACHING, PAGE_CONTROL};
    private static final int[] ALL_THIN = {ProvisioningThreshold.PAGE_RW_ERROR_RECOVERY, PAGE_CACHING, PAGE_CONTROL};
    private static final int[] ALL_WITH_SUBPAGES_THIN = {ProvisioningThreshold.PAGE_RW_ERROR_RECOVERY, PAGE_CACHING,
        PAGE_CONTROL, ProvisioningThreshold.PAGE_LOGICAL_BLOCK_PROVISIONING};

    private static int pageLength(int code) {
        switch (code) {
            case PAGE_CACHING:
                return CACHING_LENGTH;
            case PAGE_CONTROL:
                return CONTROL_LENGTH;
            case ProvisioningThreshold.PAGE_RW_ERROR_RECOVERY:
                return ProvisioningThreshold.RW_ERROR_RECOVERY_LENGTH;
            default:
                return ProvisioningThreshold.LBP_PAGE_LENGTH;
        }
    }

    /** NUMBER OF LOGICAL BLOCKS of a short block descriptor: FFFFFFFFh when the count does not fit (SBC-3). */
    private static long shortBlockCount(LogicalUnit u) {
        return Math.min(u.blockCount(), SHORT_MAX_BLOCKS);
    }

    /**
     * Writes mode page {@code page} (Caching or Control) with the values {@code pc} selects
     * (current, changeable or default) into {@code dst} from index 0; returns its length.
     *
         * <p>Caching (SBC-3): WCE as last selected (1 by default, see the class comment) and
     * changeable, RCD = 0.
     * Control (SPC-4): TST 000b (one task set), D_SENSE as last selected (0, fixed format, by
     * default) and changeable, GLTSD 1 (no log
     * parameters are saved), QUEUE ALGORITHM MODIFIER 1 (unrestricted reordering: SIMPLE tasks
     * run at the same time on the store workers and complete in any order, see {@link TaskSet}),
     * QERR 00b, TAS 0, SWP as last selected
     * (0 by default), and SWP changeable.
     */
    static int page(LogicalUnit u, int page, int pc, byte[] dst) {
        if (page == ProvisioningThreshold.PAGE_RW_ERROR_RECOVERY
                || page == ProvisioningThreshold.PAGE_LOGICAL_BLOCK_PROVISIONING) {
            return u.provisioning().page(page, pc, dst);
        }
        int length = page == PAGE_CACHING ? CACHING_LENGTH : CONTROL_LENGTH;
        for (int i = 0; i < length; i++) {
            dst[i] = 0;
        }
        dst[0] = (byte) page;                     // PS = 0: not savable; SPF = 0
        dst[1] = (byte) (length - PAGE_HEADER);
        if (page == PAGE_CACHING) {
            if (pc == PC_CHANGEABLE || pc == PC_DEFAULT || u.writeCacheEnabled()) {
                dst[2] = WCE;
            }
        } else if (pc == PC_CHANGEABLE) {
            dst[2] = D_SENSE;
            dst[SWP_OFFSET] = SWP;
        } else {
            dst[2] = (byte) (GLTSD | (pc == PC_CURRENT && u.descriptorSense() ? D_SENSE : 0));
            dst[3] = QAM_UNRESTRICTED;
            if (pc == PC_CURRENT && u.softwareWriteProtect()) {
                dst[SWP_OFFSET] = SWP;
            }
        }
        return length;
    }

    /** MODE SELECT(6), SPC-4 6.11. */
    static SenseReason modeSelect6(CommandContext c) {
        return modeSelect(c, false);
    }

    /** MODE SELECT(10), SPC-4 6.12. */
    static SenseReason modeSelect10(CommandContext c) {
        return modeSelect(c, true);
    }

    /**
     * Checks the whole parameter list against the unit's mode parameters and then applies it,
     * all or nothing, under the unit's mode parameter lock. In order:
     * <ul>
     * <li>CDB: reserved bits of byte 1, then SP = 1 (INVALID FIELD IN CDB at SP: no page is
     *     savable). A PARAMETER LIST LENGTH of zero transfers nothing and is not an error.</li>
     * <li>A list shorter than the mode parameter header, a block descriptor or a page header
     *     or page it announces: PARAMETER LIST LENGTH ERROR.</li>
     * <li>Header: MEDIUM TYPE must be 00h (SBC-3); the device-specific parameter is ignored
     *     (SBC-3: WP is ignored by MODE SELECT, DPOFUA reserved); BLOCK DESCRIPTOR LENGTH must
     *     be 0 or one descriptor (8 bytes, 16 with LONGLBA in MODE SELECT(10)).</li>
     * <li>Block descriptor: the capacity and the block length cannot be changed, so NUMBER OF
     *     LOGICAL BLOCKS must be 0 (keep) or what MODE SENSE reports, LOGICAL BLOCK LENGTH the
     *     unit's block size.</li>
     * <li>Pages with PF = 0 (vendor-specific page format): INVALID FIELD IN CDB at PF.</li>
     * <li>Each page: SPF = 1 or a page other than Caching and Control, a PAGE LENGTH other
     *     than the one MODE SENSE returns, or any field that is not changeable set to a value
     *     other than its current one (SPC-4 6.11): PS is reserved and ignored.</li>
     * </ul>
     * Every INVALID FIELD IN PARAMETER LIST points at the byte and most significant bit of the
     * field in error. A change of any parameter establishes MODE PARAMETERS CHANGED for every
     * other I_T nexus of the target for this logical unit (SPC-4 6.11).
     */
    private static SenseReason modeSelect(CommandContext c, boolean ten) {
        int flags = Cdb.u8(c.cdb, 1);
        int reserved = flags & ~(PF | SP);
        if (reserved != 0) {
            return c.invalidField(1, 31 - Integer.numberOfLeadingZeros(reserved));
        }
        if ((flags & SP) != 0) {
            return c.invalidField(1, SP_BIT);
        }
        int length = ten ? Cdb.u16(c.cdb, SELECT_10_LENGTH_OFFSET) : Cdb.u8(c.cdb, SELECT_6_LENGTH_OFFSET);
        c.wanted = length;
        if (length == 0) {
            return SenseReason.NONE;
        }
        int available = (int) Math.min(length, c.outAvailable);
        int header = ten ? HEADER_10 : HEADER_6;
        if (available < header) {
            return SenseReason.PARAMETER_LIST_LENGTH_ERROR;
        }
        int mediumType = ten ? MEDIUM_TYPE_10_OFFSET : MEDIUM_TYPE_6_OFFSET;
        if (c.outU8(mediumType) != 0) {
            return c.invalidParameter(mediumType, -1);
        }
        int descriptorField = ten ? DESCRIPTOR_LENGTH_10_OFFSET : DESCRIPTOR_LENGTH_6_OFFSET;
        int descriptor = ten ? c.outU16(descriptorField) : c.outU8(descriptorField);
        boolean longLba = ten && (c.outU8(LONGLBA_OFFSET) & LONGLBA) != 0;
        if (descriptor != 0 && descriptor != (longLba ? LONG_DESCRIPTOR : SHORT_DESCRIPTOR)) {
            return c.invalidParameter(descriptorField, -1);
        }
        if (available < header + descriptor) {
            return SenseReason.PARAMETER_LIST_LENGTH_ERROR;
        }
        LogicalUnit u = c.unit;
        SenseReason r = checkBlockDescriptor(c, u, header, descriptor);
        if (r != SenseReason.NONE) {
            return r;
        }
        int pages = header + descriptor;
        if (pages < available && (flags & PF) == 0) {
            return c.invalidField(1, PF_BIT);
        }
        synchronized (u.modeParameters()) {
            boolean swp = u.softwareWriteProtect();
            boolean dSense = u.descriptorSense();
            boolean wce = u.writeCacheEnabled();
            ProvisioningThreshold threshold = u.provisioning();
            boolean thin = u.options().thin();
            boolean thresholdOn = threshold.enabled();
            long thresholdCount = threshold.count();
            byte[] current = c.modePage;
            byte[] changeable = new byte[LARGEST_PAGE];
            int p = pages;
            while (p < available) {
                if (available - p < PAGE_HEADER) {
                    return SenseReason.PARAMETER_LIST_LENGTH_ERROR;
                }
                int b0 = c.outU8(p);
                int code = b0 & PAGE_CODE_MASK;
                boolean provisioningPage = thin && code == ProvisioningThreshold.PAGE_LOGICAL_BLOCK_PROVISIONING;
                if ((b0 & SPF) != 0 && !provisioningPage) {
                    return c.invalidParameter(p, SPF_BIT);
                }
                int[] fields;
                int pageHeader = PAGE_HEADER;
                if (code == PAGE_CACHING) {
                    fields = CACHING_FIELDS;
                } else if (code == PAGE_CONTROL) {
                    fields = CONTROL_FIELDS;
                } else if (thin && code == ProvisioningThreshold.PAGE_RW_ERROR_RECOVERY) {
                    fields = ProvisioningThreshold.RW_ERROR_RECOVERY_FIELDS;
                } else if (provisioningPage && (b0 & SPF) != 0) {
                    fields = ProvisioningThreshold.LBP_FIELDS;
                    pageHeader = ProvisioningThreshold.SUBPAGE_HEADER;
                } else {
                    return c.invalidParameter(p, PAGE_CODE_MSB);
                }
                if (available - p < pageHeader) {
                    return SenseReason.PARAMETER_LIST_LENGTH_ERROR;
                }
                int pageLength = page(u, code, PC_CURRENT, current);
                page(u, code, PC_CHANGEABLE, changeable);
                if (pageHeader == ProvisioningThreshold.SUBPAGE_HEADER) {
                    if (c.outU8(p + 1) != ProvisioningThreshold.SUBPAGE_LOGICAL_BLOCK_PROVISIONING) {
                        return c.invalidParameter(p + 1, -1);
                    }
                    if (c.outU16(p + 2) != pageLength - pageHeader) {
                        return c.invalidParameter(p + 2, -1);
                    }
                } else if (c.outU8(p + 1) != pageLength - PAGE_HEADER) {
                    return c.invalidParameter(p + 1, -1);
                }
                if (available - p < pageLength) {
                    return SenseReason.PARAMETER_LIST_LENGTH_ERROR;
                }
                // as an earlier page of this list set them
                if (pageHeader == ProvisioningThreshold.SUBPAGE_HEADER) {
                    int d = ProvisioningThreshold.DESCRIPTOR_OFFSET;
                    current[d] = (byte) (current[d] & ~ProvisioningThreshold.ENABLED
                            | (thresholdOn ? ProvisioningThreshold.ENABLED : 0));
                    for (int i = 0; i < 4; i++) {
                        current[ProvisioningThreshold.COUNT_OFFSET + i] = (byte) (thresholdCount >>> 8 * (3 - i));
                    }
                } else if (code == ProvisioningThreshold.PAGE_RW_ERROR_RECOVERY) {
                    // nothing changeable
                } else if (code == PAGE_CONTROL) {
                    current[SWP_OFFSET] = (byte) (swp ? SWP : 0);
                    current[2] = (byte) (current[2] & ~D_SENSE | (dSense ? D_SENSE : 0));
                } else {
                    current[WCE_OFFSET] = (byte) (wce ? WCE : 0);
                }
                for (int i = pageHeader; i < pageLength; i++) {
                    int differs = (c.outU8(p + i) ^ (current[i] & 0xFF)) & ~changeable[i] & 0xFF;
                    if (differs != 0) {
                        return invalidPageField(c, fields, p, i, 31 - Integer.numberOfLeadingZeros(differs));
                    }
                }
                if (pageHeader == ProvisioningThreshold.SUBPAGE_HEADER) {
                    thresholdOn = (c.outU8(p + ProvisioningThreshold.DESCRIPTOR_OFFSET)
                            & ProvisioningThreshold.ENABLED) != 0;
                    thresholdCount = c.outU32(p + ProvisioningThreshold.COUNT_OFFSET);
                } else if (code == ProvisioningThreshold.PAGE_RW_ERROR_RECOVERY) {
                    // nothing changeable
                } else if (code == PAGE_CONTROL) {
                    swp = (c.outU8(p + SWP_OFFSET) & SWP) != 0;
                    dSense = (c.outU8(p + 2) & D_SENSE) != 0;
                } else {
                    wce = (c.outU8(p + WCE_OFFSET) & WCE) != 0;
                }
                p += pageLength;
            }
            boolean changed = u.softwareWriteProtect(swp);
            changed |= u.descriptorSense(dSense);
            changed |= u.writeCacheEnabled(wce);
            changed |= threshold.select(thresholdOn, thresholdCount);
            if (changed) {
                u.keepModeParameters();   // before the answer, as the unit attentions below
                for (Nexus n : c.target.nexuses()) {
                    if (n != c.nexus) {
                        n.unitAttentions().establish(u.lun(), SenseReason.MODE_PARAMETERS_CHANGED);
                    }
                }
            }
        }
        return SenseReason.NONE;
    }

    /** The block descriptor may restate the capacity and block length, never change them (SBC-3 block descriptors). */
    private static SenseReason checkBlockDescriptor(CommandContext c, LogicalUnit u, int at, int descriptor) {
        if (descriptor == SHORT_DESCRIPTOR) {
            long count = c.outU32(at);
            if (count != 0 && count != shortBlockCount(u)) {
                return c.invalidParameter(at, 7);
            }
            if (c.outU8(at + SHORT_RESERVED_OFFSET) != 0) {
                return c.invalidParameter(at + SHORT_RESERVED_OFFSET, 7);
            }
            int blockLength = c.outU8(at + SHORT_BLOCK_LENGTH_OFFSET) << 16 | c.outU16(at + SHORT_BLOCK_LENGTH_OFFSET + 1);
            if (blockLength != u.blockSize()) {
                return c.invalidParameter(at + SHORT_BLOCK_LENGTH_OFFSET, 7);
            }
        } else if (descriptor == LONG_DESCRIPTOR) {
            long count = c.outU64(at);
            if (count != 0 && count != u.blockCount()) {
                return c.invalidParameter(at, 7);
            }
            if (c.outU32(at + LONG_BLOCK_LENGTH_OFFSET) != u.blockSize()) {
                return c.invalidParameter(at + LONG_BLOCK_LENGTH_OFFSET, 7);
            }
        }
        return SenseReason.NONE;
    }

    /**
     * INVALID FIELD IN PARAMETER LIST for a difference in bit {@code bit} of byte {@code i} of
     * the page at {@code page}: the pointer names the start of the field that bit belongs to.
     */
    private static SenseReason invalidPageField(CommandContext c, int[] fields, int page, int i, int bit) {
        int starts = fields[i] & -(1 << bit);        // field MSBs at or above the bit, in this byte
        if (starts != 0) {
            return c.invalidParameter(page + i, Integer.numberOfTrailingZeros(starts));
        }
        int j = i - 1;
        while (fields[j] == 0) {
            j--;
        }
        return c.invalidParameter(page + j, Integer.numberOfTrailingZeros(fields[j]));
    }
}
