package org.jtgt.api.target;

/**
 * Per-LUN options.
 *
 * @param readOnly writes fail with DATA PROTECT / WRITE PROTECTED
 * @param removable INQUIRY reports removable media
 * @param thin thin-provisioned (reported in READ CAPACITY(16) and VPD 0xB2)
 * @param serial unit serial number for VPD 0x80; {@code null} derives one from the target and LUN
 */
public record LunOptions(boolean readOnly, boolean removable, boolean thin, String serial) {
    public static final LunOptions DEFAULT = new LunOptions(false, false, false, null);
}
