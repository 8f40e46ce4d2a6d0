package org.jtgt.api.target;

/**
 * Per-LUN options.
 *
 * @param readOnly writes fail with DATA PROTECT / WRITE PROTECTED
 * @param removable INQUIRY reports removable media
 * @param thin thin-provisioned (reported in READ CAPACITY(16) and VPD 0xB2)
 * @param serial unit serial number for VPD 0x80; {@code null} derives one from the target and LUN
 * @param physicalBlockSize bytes per physical block, a power-of-two multiple of the logical block
 *        size (at most 2^15 logical blocks), reported by READ CAPACITY(16) and the Block Limits
 *        VPD page, e.g. 4096 on 512-byte logical blocks ("512e"); 0 means one logical block per
 *        physical block (since 1.2)
 * @param softThreshold a thin unit's soft threshold on used space, in percent of its capacity
 *        (1..100): the threshold the Logical Block Provisioning mode page starts with (and reports
 *        as its default); crossing it establishes THIN PROVISIONING SOFT THRESHOLD REACHED. 0 means
 *        none (since 1.4)
 */
public record LunOptions(boolean readOnly, boolean removable, boolean thin, String serial, int physicalBlockSize,
        int softThreshold) {
    public static final LunOptions DEFAULT = new LunOptions(false, false, false, null);

    /** Options without a soft threshold. */
    public LunOptions(boolean readOnly, boolean removable, boolean thin, String serial, int physicalBlockSize) {
        this(readOnly, removable, thin, serial, physicalBlockSize, 0);
    }

    /** Options with one logical block per physical block. */
    public LunOptions(boolean readOnly, boolean removable, boolean thin, String serial) {
        this(readOnly, removable, thin, serial, 0);
    }
}
