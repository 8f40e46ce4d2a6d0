package org.jtgt.iscsi;

import java.nio.ByteBuffer;

/**
 * A target PDU other than a command's Data-In and response: login, text, NOP-In, R2T, TMF and
 * logout responses, Reject. The reader builds the header; the sender fills StatSN, ExpCmdSN and
 * MaxCmdSN when it writes it, so those are always current and in order.
 */
final class ControlPdu implements Outbound {
    /** Carries StatSN and advances it (a status-bearing PDU: RFC 7143 4.2.2.2). */
    static final int ADVANCE_STAT_SN = 1;
    /** Carries the next StatSN without advancing it (R2T, unsolicited NOP-In). */
    static final int CARRY_STAT_SN = 2;

    final byte[] header = new byte[Bhs.LENGTH];
    final ByteBuffer view = ByteBuffer.wrap(header);
    byte[] data;
    int statSnMode = ADVANCE_STAT_SN;
    /** Runs on the sender thread after the PDU was written (or the connection failed). */
    Runnable after;
    /**
     * Set by whoever enqueues a reused PDU (a task's R2T), cleared by the sender once it has
     * copied the header out: until then the object must not be filled again.
     */
    volatile boolean queued;

    ControlPdu(int opcode, int flags) {
        view.put(Bhs.OPCODE_OFFSET, (byte) opcode);
        view.put(Bhs.FLAGS_OFFSET, (byte) flags);
    }

    int opcode() {
        return header[0] & Bhs.OPCODE_MASK;
    }
}
