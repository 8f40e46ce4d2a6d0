package org.jtgt.daemon;

/**
 * MODE SENSE(6) and MODE SENSE(10) (SPC-4 6.13, 6.14) for a direct-access block device: the
 * mode parameter header (SPC-4, mode parameter list), one short or long LBA block descriptor
 * (SBC-3, block descriptors) and the Caching (SBC-3) and Control (SPC-4) mode pages.
 *
 * <p>No parameter is changeable (MODE SELECT is not implemented) and none is saved, so the
 * changeable values are all zero, the default values equal the current ones, and asking for
 * saved values fails with SAVING PARAMETERS NOT SUPPORTED (SPC-4 6.13, PC field).
 *
 * <p>WCE is reported as 1: the daemon cannot promise that a completed WRITE is on stable storage
 * for every backing store (a file store writes through the page cache), so initiators must send
 * SYNCHRONIZE CACHE or FUA writes for durability, and both are honoured ({@code flush()} and
 * {@code write(..., fua)}). For the memory store this costs nothing: its flush is a no-op.
 */
final class ModePages {
    static final int PC_CURRENT = 0;
    static final int PC_CHANGEABLE = 1;
    static final int PC_DEFAULT = 2;
    static final int PC_SAVED = 3;

    static final int PAGE_CACHING = 0x08;
    static final int PAGE_CONTROL = 0x0A;
    static final int PAGE_ALL = 0x3F;
    static final int SUBPAGE_NONE = 0x00;
    static final int SUBPAGE_ALL = 0xFF;

    // ---- CDB fields ----
    static final int DBD = 0x08;
    static final int LLBAA = 0x10;
    static final int PC_SHIFT = 6;
    static final int PAGE_CODE_MASK = 0x3F;
    /** The PAGE CODE field's most significant bit, for the sense bit pointer. */
    static final int PAGE_CODE_MSB = 5;

    // ---- mode parameter header (SPC-4, mode parameter list format) ----
    static final int HEADER_6 = 4;
    static final int HEADER_10 = 8;
    static final int WP = 0x80;
    static final int DPOFUA = 0x10;
    static final int LONGLBA = 0x01;

    // ---- short and long LBA mode parameter block descriptors (SBC-3) ----
    static final int SHORT_DESCRIPTOR = 8;
    static final int LONG_DESCRIPTOR = 16;
    static final long SHORT_MAX_BLOCKS = 0xFFFF_FFFFL;

    // ---- pages ----
    static final int CACHING_LENGTH = 20;
    static final int CONTROL_LENGTH = 12;
    /** Bytes after the 2-byte page header. */
    static final int PAGE_HEADER = 2;
    static final int WCE = 0x04;
    static final int GLTSD = 0x02;

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
        int pagesLength;
        switch (page) {
            case PAGE_CACHING:
                pagesLength = CACHING_LENGTH;
                break;
            case PAGE_CONTROL:
                pagesLength = CONTROL_LENGTH;
                break;
            case PAGE_ALL:
                pagesLength = CACHING_LENGTH + CONTROL_LENGTH;
                break;
            default:
                return c.invalidField(2, PAGE_CODE_MSB);
        }
        // no page has subpages: only "none" is valid, and "all" for 3Fh (SPC-4 6.13)
        if (subpage != SUBPAGE_NONE && !(page == PAGE_ALL && subpage == SUBPAGE_ALL)) {
            return c.invalidField(3);
        }

        int header = ten ? HEADER_10 : HEADER_6;
        int descriptor = dbd ? 0 : longLba ? LONG_DESCRIPTOR : SHORT_DESCRIPTOR;
        int total = header + descriptor + pagesLength;
        LogicalUnit u = c.unit;
        int deviceSpecific = (u.readOnly() ? WP : 0) | DPOFUA;

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
            c.putIn32(p, Math.min(u.blockCount(), SHORT_MAX_BLOCKS));
            c.putIn32(p + 4, u.blockSize());  // byte 4 reserved (0 for 512/4096), 5..7 LOGICAL BLOCK LENGTH
        } else if (descriptor == LONG_DESCRIPTOR) {
            c.putIn64(p, u.blockCount());
            c.putIn32(p + 12, u.blockSize());
        }
        p += descriptor;
        if (page == PAGE_CACHING || page == PAGE_ALL) {
            p = caching(c, p, pc);
        }
        if (page == PAGE_CONTROL || page == PAGE_ALL) {
            p = control(c, p, pc);
        }
        c.produce(p, allocation);
        return SenseReason.NONE;
    }

    /** Caching mode page (SBC-3): WCE = 1 (see class comment), nothing changeable. */
    private static int caching(CommandContext c, int p, int pc) {
        c.putIn(p, PAGE_CACHING);                // PS = 0: not saveable
        c.putIn(p + 1, CACHING_LENGTH - PAGE_HEADER);
        if (pc != PC_CHANGEABLE) {
            c.putIn(p + 2, WCE);                 // RCD = 0: the read cache is not disabled
        }
        return p + CACHING_LENGTH;
    }

    /**
     * Control mode page (SPC-4): TST 000b (one task set), D_SENSE 0 (fixed sense), GLTSD 1
     * (no log parameters are saved), QUEUE ALGORITHM MODIFIER 0, QERR 00b, TAS 0.
     */
    private static int control(CommandContext c, int p, int pc) {
        c.putIn(p, PAGE_CONTROL);
        c.putIn(p + 1, CONTROL_LENGTH - PAGE_HEADER);
        if (pc != PC_CHANGEABLE) {
            c.putIn(p + 2, GLTSD);
        }
        return p + CONTROL_LENGTH;
    }
}
