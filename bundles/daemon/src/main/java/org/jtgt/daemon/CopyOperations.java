package org.jtgt.daemon;

import org.jtgt.api.scsi.SenseBuilder;

/**
 * The copy operations one I_T nexus has identified by LIST IDENTIFIER (SPC-4 EXTENDED COPY(LID1), RECEIVE COPY RESULTS):
 * those running, so that a second EXTENDED COPY with the same identifier is refused with
 * OPERATION IN PROGRESS, and the results of those completed, for RECEIVE COPY RESULTS. The table
 * is bounded ({@value #CAPACITY} entries, reported as MAXIMUM CONCURRENT COPIES); a new operation
 * replaces the completed one with its identifier, else the oldest completed one, and is refused
 * with INSUFFICIENT RESOURCES only while every entry is running. Entries are preallocated; a
 * failed operation keeps a copy of its sense data for FAILED SEGMENT DETAILS.
 */
final class CopyOperations {
    /** Copy operations tracked per I_T nexus. */
    static final int CAPACITY = 16;

    /** COPY MANAGER STATUS of COPY STATUS (SPC-4). */
    static final int STATUS_IN_PROGRESS = 0x00;
    static final int STATUS_COMPLETED = 0x01;
    static final int STATUS_FAILED = 0x02;

    /** One identified copy operation. Fields are guarded by the table's monitor. */
    static final class Operation {
        int listId = -1;
        int status;
        int segmentsProcessed;
        long bytesTransferred;
        /** Completion order, to evict the oldest completed operation first. */
        long completedAt;
        /** SCSI status and sense of a failed operation. */
        int commandStatus;
        final byte[] sense = new byte[SenseBuilder.MAX_LENGTH];
        int senseLength;
    }

    private final Operation[] operations = new Operation[CAPACITY];
    private long completions;

    CopyOperations() {
        for (int i = 0; i < CAPACITY; i++) {
            operations[i] = new Operation();
        }
    }

    /**
     * Starts tracking {@code listId} as running.
     *
     * @return the operation, or {@code null} with {@code refusal[0]} set to the reason
     */
    synchronized Operation begin(int listId, SenseReason[] refusal) {
        Operation free = null;
        Operation oldest = null;
        for (Operation o : operations) {
            if (o.listId == listId) {
                if (o.status == STATUS_IN_PROGRESS) {
                    refusal[0] = SenseReason.OPERATION_IN_PROGRESS;
                    return null;
                }
                free = o;
                break;
            }
            if (o.listId < 0) {
                if (free == null) {
                    free = o;
                }
            } else if (o.status != STATUS_IN_PROGRESS && (oldest == null || o.completedAt < oldest.completedAt)) {
                oldest = o;
            }
        }
        Operation o = free != null ? free : oldest;
        if (o == null) {
            refusal[0] = SenseReason.INSUFFICIENT_RESOURCES;
            return null;
        }
        o.listId = listId;
        o.status = STATUS_IN_PROGRESS;
        o.segmentsProcessed = 0;
        o.bytesTransferred = 0;
        o.commandStatus = 0;
        o.senseLength = 0;
        return o;
    }

    /** Records how far the operation has come. */
    synchronized void progress(Operation o, int segments, long bytes) {
        o.segmentsProcessed = segments;
        o.bytesTransferred = bytes;
    }

    /** Ends the operation; {@code sense} is the failure's sense data, or {@code null}. */
    synchronized void end(Operation o, int commandStatus, byte[] sense, int senseLength) {
        o.status = sense == null ? STATUS_COMPLETED : STATUS_FAILED;
        o.commandStatus = commandStatus;
        if (sense != null) {
            System.arraycopy(sense, 0, o.sense, 0, senseLength);
            o.senseLength = senseLength;
        }
        o.completedAt = ++completions;
    }

    /** A snapshot of operation {@code listId} into {@code into}; false if none is known. */
    synchronized boolean find(int listId, Operation into) {
        for (Operation o : operations) {
            if (o.listId == listId) {
                into.listId = o.listId;
                into.status = o.status;
                into.segmentsProcessed = o.segmentsProcessed;
                into.bytesTransferred = o.bytesTransferred;
                into.commandStatus = o.commandStatus;
                System.arraycopy(o.sense, 0, into.sense, 0, o.senseLength);
                into.senseLength = o.senseLength;
                return true;
            }
        }
        return false;
    }
}
