package org.jtgt.daemon;

import org.jtgt.api.scsi.SenseBuilder;

/**
 * Primary commands (SPC-4; section numbers of revision 37) every logical unit answers: TEST UNIT READY, INQUIRY,
 * REQUEST SENSE and REPORT LUNS. MODE SENSE lives in {@link ModePages}.
 */
final class SpcCommands {
    // ---- REQUEST SENSE (SPC-4 6.39) ----
    static final int DESC = 0x01;

    // ---- REPORT LUNS (SPC-4 6.33) ----
    static final int SELECT_ALL_LOGICAL_UNITS = 0x00;
    static final int SELECT_WELL_KNOWN = 0x01;
    static final int SELECT_ALL = 0x02;
    static final int REPORT_LUNS_MIN_ALLOCATION = 16;
    static final int LUN_LIST_HEADER = 8;
    static final int LUN_ENTRY = 8;

    private static final LogicalUnit[] NONE = new LogicalUnit[0];

    private SpcCommands() {
    }

    /** TEST UNIT READY, SPC-4 6.47: the medium is always ready. */
    static SenseReason testUnitReady(CommandContext c) {
        return SenseReason.NONE;
    }

    /**
     * INQUIRY, SPC-4 6.6. CMDDT (obsolete) and a page code without EVPD are INVALID FIELD IN CDB;
     * an unsupported VPD page likewise (SPC-4 6.6.1). For a LUN without a logical unit the
     * standard data carries peripheral qualifier 011b and device type 1Fh (SPC-4 6.6.2); there
     * are no VPD pages to report for it.
     */
    static SenseReason inquiry(CommandContext c) {
        byte[] cdb = c.cdb;
        int flags = Cdb.u8(cdb, 1);
        int page = Cdb.u8(cdb, 2);
        int allocation = Cdb.u16(cdb, 3);
        if ((flags & InquiryData.CMDDT) != 0) {
            return c.invalidField(1, InquiryData.CMDDT_BIT);
        }
        if ((flags & ~(InquiryData.EVPD | InquiryData.CMDDT)) != 0) {
            return c.invalidField(1);   // reserved bits
        }
        if ((flags & InquiryData.EVPD) == 0) {
            if (page != 0) {
                return c.invalidField(2);
            }
            InquiryData.standard(c, allocation);
            return SenseReason.NONE;
        }
        if (c.unit == null) {
            return SenseReason.LOGICAL_UNIT_NOT_SUPPORTED;
        }
        switch (page) {
            case InquiryData.PAGE_SUPPORTED_PAGES:
                InquiryData.supportedPages(c, allocation);
                return SenseReason.NONE;
            case InquiryData.PAGE_UNIT_SERIAL_NUMBER:
                InquiryData.unitSerialNumber(c, allocation);
                return SenseReason.NONE;
            case InquiryData.PAGE_DEVICE_IDENTIFICATION:
                InquiryData.deviceIdentification(c, allocation);
                return SenseReason.NONE;
            case InquiryData.PAGE_BLOCK_LIMITS:
                InquiryData.blockLimits(c, allocation);
                return SenseReason.NONE;
            case InquiryData.PAGE_BLOCK_DEVICE_CHARACTERISTICS:
                InquiryData.blockDeviceCharacteristics(c, allocation);
                return SenseReason.NONE;
            case InquiryData.PAGE_LOGICAL_BLOCK_PROVISIONING:
                InquiryData.logicalBlockProvisioning(c, allocation);
                return SenseReason.NONE;
            case InquiryData.PAGE_THIRD_PARTY_COPY:
                ExtendedCopy.thirdPartyCopyPage(c, allocation);
                return SenseReason.NONE;
            default:
                return c.invalidField(2);
        }
    }

    /**
     * REQUEST SENSE, SPC-4 6.39: returns (and so clears) the oldest pending unit attention of
     * this I_T_L nexus, else NO SENSE; for a LUN without a logical unit, ILLEGAL REQUEST /
     * LOGICAL UNIT NOT SUPPORTED as parameter data with GOOD status; in descriptor format when
     * DESC is 1.
     */
    static SenseReason requestSense(CommandContext c) {
        byte[] cdb = c.cdb;
        boolean descriptor = (Cdb.u8(cdb, 1) & DESC) != 0;
        int allocation = Cdb.u8(cdb, 4);
        SenseReason pending;
        if (c.unit == null) {
            pending = SenseReason.LOGICAL_UNIT_NOT_SUPPORTED;
        } else {
            pending = TaskRouter.takeUnitAttention(c);
            if (pending == null) {
                // SBC-4 sanitize operation: a running sanitize, or the failure mode a failed one left behind
                pending = c.unit.sanitizing() ? SenseReason.SANITIZE_IN_PROGRESS
                        : c.unit.sanitizeFailed() ? SenseReason.SANITIZE_COMMAND_FAILED : SenseReason.NONE;
            }
        }
        int n = pending == SenseReason.SANITIZE_IN_PROGRESS   // with a progress indication
                ? SenseBuilder.write(descriptor, c.sense, 0, pending.senseKey(), pending.asc(), pending.ascq(),
                        SenseBuilder.NONE, SenseBuilder.NONE,
                        SenseBuilder.progressIndication(Math.max(0, c.unit.sanitizeProgress())))
                : pending.writeSense(descriptor, c.sense, 0, -1, -1, -1, -1);
        c.putIn(0, c.sense, 0, n);
        c.produce(n, allocation);
        return SenseReason.NONE;
    }

    /**
     * REPORT LUNS, SPC-4 6.33: the target's logical unit inventory in single-level LUN format
     * (peripheral device addressing below 256, flat space addressing above). This daemon has
     * no well-known logical units, so SELECT REPORT 01h lists none.
     */
    static SenseReason reportLuns(CommandContext c) {
        byte[] cdb = c.cdb;
        int select = Cdb.u8(cdb, 2);
        long allocation = Cdb.u32(cdb, 6);
        LogicalUnit[] luns;
        switch (select) {
            case SELECT_ALL_LOGICAL_UNITS:
            case SELECT_ALL:
                luns = c.target.luns();
                break;
            case SELECT_WELL_KNOWN:
                luns = NONE;
                break;
            default:
                return c.invalidField(2);
        }
        if (allocation < REPORT_LUNS_MIN_ALLOCATION) {
            return c.invalidField(6);
        }
        // An initiator with a LUN map sees its own numbers of the LUNs the target has (LunView).
        LunView view = luns == NONE ? null : c.nexus.view();
        int entries = luns.length;
        if (view != null) {
            entries = view.list(c, luns, LUN_LIST_HEADER);
        } else {
            for (int i = 0; i < luns.length; i++) {
                c.putIn64(LUN_LIST_HEADER + i * LUN_ENTRY, LunAddress.encode(luns[i].lun()));
            }
        }
        int listLength = entries * LUN_ENTRY;
        c.putIn32(0, listLength);
        c.putIn32(4, 0);
        c.produce(LUN_LIST_HEADER + listLength, allocation);
        return SenseReason.NONE;
    }
}
