package org.jtgt.daemon;

import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thin unit's soft threshold on used space (SBC-4 4.7.3.7) and the two mode pages it needs:
 * the Logical Block Provisioning mode page (1Ch/02h, SBC-4 6.5.9) with its one threshold
 * descriptor, and the Read-Write Error Recovery mode page (01h, SBC-4 6.5.10), whose LBPERE bit
 * enables the notification. Only thin units have them (their Logical Block Provisioning VPD page
 * reports a THRESHOLD EXPONENT; a fully provisioned unit reports 0, no thresholds).
 *
 * <pre>
 * Logical Block Provisioning mode page (24 bytes)
 *  byte 0      PS(0) SPF(1) PAGE CODE (1Ch)
 *  byte 1      SUBPAGE CODE (02h)
 *  bytes 2..3  PAGE LENGTH (20)
 *  byte 4      reserved ............. SITUA(0)
 *  bytes 5..15 reserved
 *  threshold descriptor at byte 16:
 *  byte 16     ENABLED  reserved  THRESHOLD TYPE (000b soft)  THRESHOLD ARMING (001b increasing)
 *  byte 17     THRESHOLD RESOURCE (02h: used LBA mapping resources)
 *  bytes 18..19 reserved
 *  bytes 20..23 THRESHOLD COUNT (threshold sets of 2^THRESHOLD EXPONENT blocks)
 *
 * Read-Write Error Recovery mode page (12 bytes)
 *  byte 0      PS(0) SPF(0) PAGE CODE (01h)      byte 1  PAGE LENGTH (0Ah)
 *  byte 2      AWRE ARRE TB RC EER PER DTE DCR (all 0)
 *  byte 7      LBPERE(1) reserved            bytes 3..6, 8..11: 0
 * </pre>
 *
 * Changeable: ENABLED and THRESHOLD COUNT. The threshold's type, arming and resource are the one
 * combination offered (SBC-4 table 7: 02h/000b/001b, usage increasing), SITUA is 0 (the unit
 * attention goes to every I_T nexus) and LBPERE is 1; none of these can be changed. The default
 * values come from the LUN option {@code softthreshold} (percent of the capacity, rounded to
 * threshold sets), which also sets the current ones when the unit is made or the option changes.
 *
 * <p>Operation (SBC-4 4.7.3.7.2 and .5): the threshold range is THRESHOLD COUNT threshold sets
 * plus or minus half a set. After each command that changed the medium the unit asks its store
 * for its allocation ({@code allocatedBytes}; a file LUN's {@code fstat}) while the threshold is
 * enabled; used blocks above the range's maximum, with the notification trigger armed, disarm the
 * trigger and establish THIN PROVISIONING SOFT THRESHOLD REACHED (38h/07h, INFORMATION: the
 * descriptor's offset, 16) once on every I_T nexus of the target. Used blocks below the range's
 * minimum (seen after a deallocation, or any later check) arm it again, so each crossing is
 * reported once. Nothing is checked while the threshold is disabled, and nothing is allocated by
 * the daemon for it.
 */
final class ProvisioningThreshold {
    private static final Logger LOG = LoggerFactory.getLogger(TargetDaemon.class);

    static final int PAGE_RW_ERROR_RECOVERY = 0x01;
    static final int RW_ERROR_RECOVERY_LENGTH = 12;
    /** Read-Write Error Recovery byte 7 bit 7: logical block provisioning error reporting enabled. */
    static final int LBPERE_OFFSET = 7;
    static final int LBPERE = 0x80;

    static final int PAGE_LOGICAL_BLOCK_PROVISIONING = 0x1C;
    static final int SUBPAGE_LOGICAL_BLOCK_PROVISIONING = 0x02;
    static final int LBP_PAGE_LENGTH = 24;
    /** The sub_page format page header: page code, subpage code, two bytes of PAGE LENGTH. */
    static final int SUBPAGE_HEADER = 4;
    static final int SITUA_OFFSET = 4;
    /** Where the (one) threshold descriptor starts: the INFORMATION of the unit attention. */
    static final int DESCRIPTOR_OFFSET = 16;
    static final int ENABLED = 0x80;
    /** THRESHOLD TYPE 000b (soft) in bits 5..3, THRESHOLD ARMING 001b (increasing) in bits 2..0. */
    static final int TYPE_SOFT_ARMED_INCREASING = 0x01;
    static final int RESOURCE_OFFSET = DESCRIPTOR_OFFSET + 1;
    /** THRESHOLD RESOURCE 02h: used LBA mapping resources (the log page's parameter 0002h). */
    static final int RESOURCE_USED = LogPages.USED_LBA_MAPPING_RESOURCES;
    static final int COUNT_OFFSET = DESCRIPTOR_OFFSET + 4;
    static final long MAX_COUNT = 0xFFFF_FFFFL;

    /**
     * Field starts per byte, for the sense field pointer (as {@code ModePages}' tables): PS SPF
     * PAGE CODE; SUBPAGE CODE; PAGE LENGTH; reserved, SITUA; reserved to byte 15; ENABLED,
     * reserved, THRESHOLD TYPE, THRESHOLD ARMING; THRESHOLD RESOURCE; reserved; THRESHOLD COUNT.
     */
    static final int[] LBP_FIELDS = {
        0xE0, 0x80, 0x80, 0x00, 0x81, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xE4, 0x80, 0x80, 0x00, 0x80, 0x00, 0x00, 0x00};
    /**
     * Read-Write Error Recovery (SBC-4): PS SPF PAGE CODE; PAGE LENGTH; AWRE ARRE TB RC EER PER
     * DTE DCR; READ RETRY COUNT; three obsolete bytes; LBPERE, reserved; WRITE RETRY COUNT;
     * reserved; RECOVERY TIME LIMIT.
     */
    static final int[] RW_ERROR_RECOVERY_FIELDS = {
        0xE0, 0x80, 0xFF, 0x80, 0x80, 0x80, 0x80, 0xC0, 0x80, 0x80, 0x80, 0x00};

    private volatile boolean enabled;
    /** THRESHOLD COUNT, in threshold sets. */
    private volatile long count;
    /** The default values' THRESHOLD COUNT (from the LUN option), 0 for none. */
    private volatile long defaultCount;
    /** The notification trigger (SBC-4 figure 8): armed until a crossing is reported. */
    private final AtomicBoolean armed = new AtomicBoolean(true);
    /** The target whose I_T nexuses hear of a crossing; set when the unit joins it. */
    private volatile Target target;

    void attach(Target t) {
        target = t;
    }

    boolean enabled() {
        return enabled;
    }

    long count() {
        return count;
    }

    /**
     * Applies the LUN option: {@code percent} of the unit's capacity (0 = none) as the default
     * and current threshold, rounded to the nearest threshold set (at least one).
     */
    void configure(LogicalUnit u, int percent) {
        long c = 0;
        if (percent > 0 && u.options().thin()) {
            int e = LogPages.thresholdExponent(u);
            long blocks = u.blockCount();
            long threshold = blocks / 100 * percent + blocks % 100 * percent / 100;
            c = Math.max(1, Math.min(MAX_COUNT, (threshold + (1L << e - 1)) >>> e));
        }
        defaultCount = c;
        set(c != 0, c);
    }

    /** MODE SELECT's values (under the unit's mode-parameter lock); true if they changed. */
    boolean select(boolean on, long newCount) {
        if (on == enabled && newCount == count) {
            return false;
        }
        set(on, newCount);
        return true;
    }

    private void set(boolean on, long newCount) {
        count = newCount;
        enabled = on;
        armed.set(true);
    }

    /**
     * After a command changed the medium (written, or deallocated): compares the store's
     * allocation with the threshold range, reports a crossing once, re-arms below it.
     */
    void afterMediumChange(LogicalUnit u) {
        if (!enabled) {
            return;
        }
        long bytes = u.store().allocatedBytes();
        if (bytes < 0) {
            return;
        }
        int e = LogPages.thresholdExponent(u);
        long used = (bytes + u.blockSize() - 1) >>> u.blockShift();
        long half = 1L << (e - 1);
        long center = count << e;
        if (used < center - half) {
            if (!armed.get()) {
                armed.set(true);
            }
        } else if (used > center + half && armed.get() && armed.compareAndSet(true, false)) {
            Target t = target;
            if (t != null) {
                t.unitAttentionForAllNexuses(u.lun(), SenseReason.THIN_PROVISIONING_SOFT_THRESHOLD_REACHED);
            }
            LOG.info("Target {} LUN {}: soft threshold reached, {} bytes in use (threshold {} bytes)",
                    u.targetName(), u.lun(), bytes, center << u.blockShift());
        }
    }

    /** Writes mode page 01h or 1Ch/02h as {@code pc} selects into {@code dst}; returns its length. */
    int page(int page, int pc, byte[] dst) {
        int length = page == PAGE_RW_ERROR_RECOVERY ? RW_ERROR_RECOVERY_LENGTH : LBP_PAGE_LENGTH;
        for (int i = 0; i < length; i++) {
            dst[i] = 0;
        }
        if (page == PAGE_RW_ERROR_RECOVERY) {
            dst[0] = PAGE_RW_ERROR_RECOVERY;
            dst[1] = RW_ERROR_RECOVERY_LENGTH - ModePages.PAGE_HEADER;
            if (pc != ModePages.PC_CHANGEABLE) {
                dst[LBPERE_OFFSET] = (byte) LBPERE;
            }
            return length;
        }
        dst[0] = (byte) (ModePages.SPF | PAGE_LOGICAL_BLOCK_PROVISIONING);
        dst[1] = SUBPAGE_LOGICAL_BLOCK_PROVISIONING;
        dst[3] = LBP_PAGE_LENGTH - SUBPAGE_HEADER;
        boolean on;
        long c;
        if (pc == ModePages.PC_CHANGEABLE) {
            dst[DESCRIPTOR_OFFSET] = (byte) ENABLED;
            putCount(dst, MAX_COUNT);
            return length;
        } else if (pc == ModePages.PC_DEFAULT) {
            c = defaultCount;
            on = c != 0;
        } else {
            c = count;
            on = enabled;
        }
        dst[DESCRIPTOR_OFFSET] = (byte) ((on ? ENABLED : 0) | TYPE_SOFT_ARMED_INCREASING);
        dst[RESOURCE_OFFSET] = (byte) RESOURCE_USED;
        putCount(dst, c);
        return length;
    }

    private static void putCount(byte[] dst, long c) {
        dst[COUNT_OFFSET] = (byte) (c >>> 24);
        dst[COUNT_OFFSET + 1] = (byte) (c >>> 16);
        dst[COUNT_OFFSET + 2] = (byte) (c >>> 8);
        dst[COUNT_OFFSET + 3] = (byte) c;
    }

    static long count(byte[] page) {
        return (page[COUNT_OFFSET] & 0xFFL) << 24 | (page[COUNT_OFFSET + 1] & 0xFF) << 16
                | (page[COUNT_OFFSET + 2] & 0xFF) << 8 | page[COUNT_OFFSET + 3] & 0xFF;
    }
}
