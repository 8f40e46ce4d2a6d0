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

    /** COPY OPERATION STATUS of RECEIVE ROD TOKEN INFORMATION (SPC-4). */
    static final int OPERATION_COMPLETED = 0x01;
    static final int OPERATION_FAILED = 0x02;
    /** Completed, the ROD not used to its end (WRITE USING TOKEN wrote all it was asked to). */
    static final int OPERATION_COMPLETED_PARTIAL_ROD_USAGE = 0x03;
    /** Completed, fewer blocks written than asked: the ROD ended first. */
    static final int OPERATION_COMPLETED_RESIDUAL_DATA = 0x04;
    static final int OPERATION_IN_PROGRESS_FOREGROUND = 0x11;

    /** One identified copy operation. Fields are guarded by the table's monitor. */
    static final class Operation {
        /** LIST IDENTIFIER: 8 bits for EXTENDED COPY(LID1), 32 for the token commands; -1 when the entry is free. */
        long listId = -1;
        int status;
        /** The service action that started it (RESPONSE TO SERVICE ACTION). */
        int serviceAction;
        /** COPY OPERATION STATUS for RECEIVE ROD TOKEN INFORMATION, once completed. */
        int operationStatus;
        /** Logical blocks written or represented (token commands). */
        long transferCount;
        /** POPULATE TOKEN: the token made, for RECEIVE ROD TOKEN INFORMATION. */
        final byte[] rodToken = new byte[RodTokens.TOKEN_LENGTH];
        boolean hasRodToken;
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
    synchronized Operation begin(long listId, SenseReason[] refusal) {
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
        o.serviceAction = 0;
        o.operationStatus = 0;
        o.transferCount = 0;
        o.hasRodToken = false;
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

    /**
     * Ends a token command's operation (POPULATE TOKEN, WRITE USING TOKEN): as {@link #end}, with
     * its COPY OPERATION STATUS, the blocks it moved or represents and the token it made.
     */
    synchronized void endRod(Operation o, int serviceAction, int operationStatus, long transferCount, byte[] token,
                             int commandStatus, byte[] sense, int senseLength) {
        o.serviceAction = serviceAction;
        o.operationStatus = operationStatus;
        o.transferCount = transferCount;
        if (token != null) {
            System.arraycopy(token, 0, o.rodToken, 0, token.length);
            o.hasRodToken = true;
        }
        end(o, commandStatus, sense, senseLength);
    }

    /** A snapshot of operation {@code listId} into {@code into}; false if none is known. */
    synchronized boolean find(long listId, Operation into) {
        for (Operation o : operations) {
            if (o.listId == listId) {
                into.listId = o.listId;
                into.status = o.status;
                into.segmentsProcessed = o.segmentsProcessed;
                into.bytesTransferred = o.bytesTransferred;
                into.commandStatus = o.commandStatus;
                System.arraycopy(o.sense, 0, into.sense, 0, o.senseLength);
                into.senseLength = o.senseLength;
                into.serviceAction = o.serviceAction;
                into.operationStatus = o.operationStatus;
                into.transferCount = o.transferCount;
                into.hasRodToken = o.hasRodToken;
                if (o.hasRodToken) {
                    System.arraycopy(o.rodToken, 0, into.rodToken, 0, o.rodToken.length);
                }
                return true;
            }
        }
        return false;
    }
}
