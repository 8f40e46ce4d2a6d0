package org.jtgt.iscsi;

import org.jtgt.api.scsi.SenseBuilder;
import org.jtgt.api.scsi.SenseKey;

/**
 * The few sense data the driver answers itself, for commands it cannot hand to the daemon, in
 * fixed format (SPC-4 4.5.3) from {@link SenseBuilder}; each reason names its key, ASC and ASCQ once.
 */
enum LocalSense {
    /**
     * The transfer exceeds what one command may carry: SBC-4 (READ/WRITE) requires CHECK
     * CONDITION, ILLEGAL REQUEST, INVALID FIELD IN CDB when the transfer length exceeds the
     * Block Limits VPD page's MAXIMUM TRANSFER LENGTH, which is what the host's limit is.
     */
    TRANSFER_TOO_LONG(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00),
    /** Bidirectional commands are not supported (ILLEGAL REQUEST, INVALID FIELD IN CDB). */
    BIDIRECTIONAL_NOT_SUPPORTED(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00),
    /** A CDB longer than the host accepts (ILLEGAL REQUEST, INVALID FIELD IN CDB). */
    CDB_TOO_LONG(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00),
    /**
     * A Data-Out out of sequence (offset, DataSN, TTT, length or F bit): RFC 7143 11.4.7.2
     * "Incorrect amount of data", ABORTED COMMAND, 0Ch/0Dh.
     */
    DATA_SEQUENCE_ERROR(SenseKey.ABORTED_COMMAND, 0x0C, 0x0D),
    /** A data digest error: RFC 7143 11.4.7.2 "Protocol Service CRC error", ABORTED COMMAND, 47h/05h. */
    PROTOCOL_SERVICE_CRC_ERROR(SenseKey.ABORTED_COMMAND, 0x47, 0x05),
    /**
     * The host refused the command after accepting its data (it is closing):
     * ABORTED COMMAND, LOGICAL UNIT COMMUNICATION FAILURE (08h/00h), which invites a retry.
     */
    HOST_UNAVAILABLE(SenseKey.ABORTED_COMMAND, 0x08, 0x00);

    /** Fixed format sense data length with ADDITIONAL SENSE LENGTH 10 (SPC-4 4.5.3). */
    static final int LENGTH = SenseBuilder.FIXED_LENGTH;

    private final int key;
    private final int asc;
    private final int ascq;

    LocalSense(int key, int asc, int ascq) {
        this.key = key;
        this.asc = asc;
        this.ascq = ascq;
    }

    byte[] bytes() {
        byte[] s = new byte[LENGTH];
        SenseBuilder.fixed(s, 0, key, asc, ascq);   // current error, VALID = 0 (no INFORMATION)
        return s;
    }
}
