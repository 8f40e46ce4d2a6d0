package org.jtgt.iscsi;

import org.jtgt.api.host.HostCommand;

/**
 * The iSCSI side of one SCSI command on one connection: its tags and sequence numbers, the
 * progress of its Data-Out (immediate, unsolicited and solicited through R2Ts), and, once the
 * daemon answered, its place in the send queue. Pooled per connection and reused.
 *
 * <p>Threads: the connection's reader owns a task until it is submitted; the transport thread
 * hands the completed task to the sender; the sender owns it from then on until it returns it to
 * the pool. {@link #state} is the hand-over point.
 *
 * <p>A task is what admission answers with when it takes a command or a Data-Out
 * ({@link Admission}), and what the sender is given when the command's response is due
 * ({@link Outbound}): the pooled object itself, so neither allocates.
 */
final class ScsiTask implements Admission, Outbound {
    enum State { FREE, RECEIVING, SUBMITTED, COMPLETED, LOCAL_RESPONSE }

    final IscsiConnection connection;
    volatile State state = State.FREE;
    HostCommand command;

    int itt;
    int cmdSn;
    boolean immediate;
    long lun;
    boolean read;
    boolean write;
    /** Expected Data Transfer Length, at most {@code Integer.MAX_VALUE}. */
    int edtl;
    /** Whether the task is in the CmdSN order (waiting for earlier CmdSNs or for its own data). */
    boolean ordered;

    /**
     * When the task was admitted or last received data (System.nanoTime); written by the reader,
     * read by the watchdog's Data-Out timeout sweep.
     */
    volatile long dataProgressNanos;

    // ---- Data-Out progress (reader thread) ----
    /** Next byte offset expected: data arrives in order (DataPDUInOrder and DataSequenceInOrder Yes). */
    int nextOffset;
    /** End of the unsolicited part (immediate data plus unsolicited Data-Out). */
    int unsolicitedEnd;
    /** DataSN expected next in the current unsolicited sequence. */
    int unsolicitedDataSn;
    /** Next offset not yet asked for with an R2T. */
    int nextR2tOffset;
    int r2tSn;
    /** Outstanding R2Ts in order: a FIFO over the arrays below. */
    final int[] r2tTtt;
    final int[] r2tOffset;
    final int[] r2tEnd;
    final int[] r2tDataSn;
    int r2tHead;
    int r2tCount;
    /** The R2T PDUs, one per outstanding-R2T slot, made on first use and reused by later commands. */
    private final ControlPdu[] r2tPdus;

    // ---- a response made by the driver itself (no host command, or not submitted) ----
    int localStatus;
    int localResidual;
    byte[] localSense;

    ScsiTask(IscsiConnection connection, int maxOutstandingR2T) {
        this.connection = connection;
        this.r2tTtt = new int[maxOutstandingR2T];
        this.r2tOffset = new int[maxOutstandingR2T];
        this.r2tEnd = new int[maxOutstandingR2T];
        this.r2tDataSn = new int[maxOutstandingR2T];
        this.r2tPdus = new ControlPdu[maxOutstandingR2T];
    }

    /**
     * The R2T PDU for slot {@code i} to fill and enqueue: the slot's own unless the sender has not
     * yet written it for an earlier command of this task object (one ended early, by an abort),
     * then a new one that takes its place.
     */
    ControlPdu r2tPdu(int i) {
        ControlPdu r2t = r2tPdus[i];
        if (r2t == null || r2t.queued) {
            r2t = new ControlPdu(Bhs.R2T, Bhs.FINAL_BIT);
            r2t.statSnMode = ControlPdu.CARRY_STAT_SN;
            r2tPdus[i] = r2t;
        }
        r2t.queued = true;
        return r2t;
    }

    void reset() {
        command = null;
        itt = 0;
        cmdSn = 0;
        immediate = false;
        lun = 0;
        read = false;
        write = false;
        edtl = 0;
        ordered = false;
        nextOffset = 0;
        unsolicitedEnd = 0;
        unsolicitedDataSn = 0;
        nextR2tOffset = 0;
        r2tSn = 0;
        r2tHead = 0;
        r2tCount = 0;
        localStatus = 0;
        localResidual = 0;
        localSense = null;
    }

    boolean dataComplete() {
        return !write || nextOffset >= edtl;
    }

    int r2tCapacity() {
        return r2tTtt.length;
    }

    @Override
    public String toString() {
        return "task[ITT 0x" + Integer.toHexString(itt) + " CmdSN " + Integer.toUnsignedString(cmdSn) + " " + state + "]";
    }
}
