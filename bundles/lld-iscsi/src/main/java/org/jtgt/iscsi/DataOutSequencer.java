package org.jtgt.iscsi;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A connection's write data (RFC 7143 11.7, 11.8): checks each Data-Out against its task's
 * sequence (offset, DataSN, Target Transfer Tag, F bit), moves the task's progress on, and asks
 * for the rest with R2Ts, at most MaxOutstandingR2T at a time and MaxBurstLength each.
 * DataPDUInOrder and DataSequenceInOrder are Yes (RFC 7143 13.19, 13.20), so data arrives in
 * offset order: first the unsolicited part (immediate data, then unsolicited Data-Out up to
 * FirstBurstLength), then one sequence per R2T.
 *
 * <p>The reader thread uses it, except for {@link #stalledTask}, which the watchdog calls.
 */
final class DataOutSequencer {
    private final IscsiConnection connection;
    private final IttTable tasks;
    private final ResponseSender sender;
    /** When the last Data-Out PDU was accepted (reader writes, watchdog reads). */
    private volatile long lastDataOutNanos = System.nanoTime();
    /** The watchdog's list for the Data-Out sweep, reused every second. */
    private final List<ScsiTask> sweepScratch = new ArrayList<>();

    DataOutSequencer(IscsiConnection connection, IttTable tasks, ResponseSender sender) {
        this.connection = connection;
        this.tasks = tasks;
        this.sender = sender;
    }

    /**
     * A write's command PDU has arrived with {@code dataLength} bytes of immediate data: where its
     * unsolicited data ends, and the first R2Ts unless unsolicited Data-Out is still to come.
     */
    void commandArrived(ScsiTask t, ByteBuffer h, int dataLength) {
        SessionParameters p = connection.params();
        int unsolicitedLimit = Math.min(p.effectiveFirstBurstLength(), t.edtl);
        boolean unsolicitedFollows = !Bhs.finalBit(h) && !p.initialR2T && dataLength < unsolicitedLimit;
        t.unsolicitedEnd = unsolicitedFollows ? unsolicitedLimit : dataLength;
        t.nextR2tOffset = t.unsolicitedEnd;
        if (!unsolicitedFollows) {
            issueR2Ts(t);
        }
    }

    /** Checks a Data-Out header before its data is read: the task it feeds, or why not. */
    Admission check(ByteBuffer h, int dataLength) {
        int itt = Bhs.itt(h);
        ScsiTask t = tasks.get(itt);
        if (t == null && !tasks.recentlyRemoved(itt)) {
            // RFC 7143 11.17.1: an ITT that describes no task is an invalid PDU field. The
            // connection goes on: nothing of any task was lost.
            return Admission.Refusal.reject(RejectReason.INVALID_PDU_FIELD, "Data-Out for ITT 0x"
                    + Integer.toHexString(itt) + ", which names no task");
        }
        if (t == null || t.state != ScsiTask.State.RECEIVING || !t.write) {
            // Data for a task already answered or aborted (RFC 7143 11.5.1: discarded).
            return Admission.Refusal.discard("Data-Out for ITT 0x" + Integer.toHexString(itt)
                    + ", a task no longer receiving data");
        }
        int ttt = Bhs.word20(h);
        int dataSn = Bhs.word36(h);
        int offset = Bhs.bufferOffset(h);
        if (offset != t.nextOffset) {
            // DataPDUInOrder and DataSequenceInOrder are Yes (RFC 7143 13.19, 13.20).
            return Admission.Refusal.taskError(t, "Data-Out offset " + Integer.toUnsignedString(offset)
                    + ", expected " + t.nextOffset);
        }
        int expectedSn;
        if (offset < t.unsolicitedEnd) {
            if (ttt != Bhs.RESERVED_TAG) {
                return Admission.Refusal.taskError(t, "unsolicited Data-Out with TTT 0x" + Integer.toHexString(ttt));
            }
            expectedSn = t.unsolicitedDataSn;
        } else {
            int i = t.r2tHead;
            if (t.r2tCount == 0 || ttt != t.r2tTtt[i]) {
                return Admission.Refusal.taskError(t, "Data-Out with TTT 0x" + Integer.toHexString(ttt)
                        + " matches no R2T");
            }
            expectedSn = t.r2tDataSn[i];
        }
        if (dataSn != expectedSn) {
            // RFC 7143 7.2.2: an unexpected DataSN implies a lost PDU; at ErrorRecoveryLevel 0
            // that ends the connection.
            return Admission.Refusal.taskError(t, "DataSN " + Integer.toUnsignedString(dataSn) + ", expected "
                    + expectedSn);
        }
        int seqEnd = sequenceEnd(t);
        if (dataLength > seqEnd - offset) {
            return Admission.Refusal.taskError(t, "Data-Out beyond the end of its sequence (" + seqEnd + ")");
        }
        return t;
    }

    /** Whether the task's next data is unsolicited (else it answers its oldest outstanding R2T). */
    private static boolean unsolicited(ScsiTask t) {
        return t.nextOffset < t.unsolicitedEnd;
    }

    /** Where the sequence the task's next data belongs to ends. */
    private static int sequenceEnd(ScsiTask t) {
        return unsolicited(t) ? t.unsolicitedEnd : t.r2tEnd[t.r2tHead];
    }

    /**
     * Takes the {@code length} bytes of a Data-Out that {@link #check} admitted (now in the
     * task's buffer), and issues the next R2Ts when a sequence is done.
     *
     * @return false if the F bit is wrong (RFC 7143 11.7.1: it marks the last PDU of a sequence,
     *         and only it): a sequence error that ends the task
     */
    boolean accept(ScsiTask t, ByteBuffer h, int length) {
        boolean unsolicited = unsolicited(t);
        int seqEnd = sequenceEnd(t);
        long now = System.nanoTime();
        t.dataProgressNanos = now;
        lastDataOutNanos = now;
        boolean fin = Bhs.finalBit(h);
        int end = t.nextOffset + length;
        t.nextOffset = end;
        boolean sequenceDone = end == seqEnd;
        if (unsolicited && fin && !sequenceDone) {
            // The initiator sent less unsolicited data than FirstBurstLength allows: the rest is
            // solicited from here (RFC 7143 13.14: the initiator "may" send up to it).
            t.unsolicitedEnd = end;
            t.nextR2tOffset = end;
            sequenceDone = true;
        }
        if (fin != sequenceDone) {
            return false;
        }
        if (unsolicited) {
            t.unsolicitedDataSn++;
        } else {
            int i = t.r2tHead;
            t.r2tDataSn[i]++;
            if (sequenceDone) {
                t.r2tHead = (i + 1) % t.r2tCapacity();
                t.r2tCount--;
            }
        }
        if (sequenceDone) {
            issueR2Ts(t);
        }
        return true;
    }

    /** Asks for more of the task's data, up to MaxOutstandingR2T R2Ts, once its unsolicited data is in. */
    private void issueR2Ts(ScsiTask t) {
        SessionParameters p = connection.params();
        int limit = Math.min(p.maxOutstandingR2T, t.r2tCapacity());
        while (t.r2tCount < limit && t.nextR2tOffset < t.edtl && !unsolicited(t)) {
            int length = Math.min(p.maxBurstLength, t.edtl - t.nextR2tOffset);
            int ttt = connection.nextTargetTransferTag();
            int i = (t.r2tHead + t.r2tCount) % t.r2tCapacity();
            t.r2tTtt[i] = ttt;
            t.r2tOffset[i] = t.nextR2tOffset;
            t.r2tEnd[i] = t.nextR2tOffset + length;
            t.r2tDataSn[i] = 0;
            t.r2tCount++;
            ControlPdu r2t = t.r2tPdu(i);
            r2t.view.putLong(Bhs.LUN_OFFSET, t.lun);
            r2t.view.putInt(Bhs.ITT_OFFSET, t.itt);
            r2t.view.putInt(Bhs.WORD20_OFFSET, ttt);
            r2t.view.putInt(Bhs.WORD36_OFFSET, t.r2tSn++);
            r2t.view.putInt(Bhs.BUFFER_OFFSET_OFFSET, t.nextR2tOffset);
            r2t.view.putInt(Bhs.WORD44_OFFSET, length);
            sender.enqueue(r2t);
            t.nextR2tOffset += length;
        }
    }

    /**
     * The Data-Out timeout sweep (watchdog): a task still held here (not yet handed to the host)
     * whose data has not moved for {@code limitNanos}, or null. A task whose data is complete but
     * which waits for an earlier CmdSN counts as moving while any Data-Out arrives.
     */
    ScsiTask stalledTask(long now, long limitNanos) {
        long lastDataOut = lastDataOutNanos;
        ScsiTask stalled = null;
        tasks.snapshot(sweepScratch);
        for (ScsiTask t : sweepScratch) {
            if (t.state != ScsiTask.State.RECEIVING) {
                continue;
            }
            long progress = t.dataProgressNanos;
            if (t.dataComplete() && lastDataOut - progress > 0) {
                progress = lastDataOut;
            }
            if (now - progress > limitNanos) {
                stalled = t;
                break;
            }
        }
        sweepScratch.clear();
        return stalled;
    }
}
