package org.jtgt.api.loopback;

import org.jtgt.api.scsi.SenseData;

/**
 * The outcome of one command.
 *
 * @param status SCSI status byte
 * @param sense sense data (empty unless CHECK CONDITION)
 * @param residual positive underflow, negative overflow
 * @param dataInLength bytes of Data-In delivered
 * @param tag the initiator task tag the command carried
 */
public record ScsiResult(int status, byte[] sense, int residual, int dataInLength, int tag) {
    public boolean good() {
        return status == 0;
    }

    /** Sense key, ASC and ASCQ of {@link #sense}, or {@code null} if there is none. */
    public SenseData senseData() {
        return SenseData.parse(sense, sense.length);
    }

    @Override
    public String toString() {
        return "ScsiResult[status=0x" + Integer.toHexString(status)
                + (sense.length > 0 ? ", " + senseData() : "") + ", residual=" + residual
                + ", dataIn=" + dataInLength + "]";
    }
}
