package org.jtgt.daemon;

import java.io.IOException;

import org.jtgt.api.scsi.SenseBuilder;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.store.NotAccessibleException;
import org.jtgt.api.store.SpaceAllocationFailedException;

/**
 * Why a command ended the way it did, and the one table that turns each reason into a sense key,
 * additional sense code and qualifier (SPC-4 4.5.6 table 48 for the keys, SPC-4 Annex D table
 * D.1 for ASC/ASCQ). Handlers return a reason; only {@link #writeSense} writes bytes. Unit
 * attention conditions are reasons too, so a unit-attention queue holds nothing but these.
 */
enum SenseReason {
    /** The command succeeded; as sense data (REQUEST SENSE) it is NO SENSE, 00h/00h. */
    NONE(SenseKey.NO_SENSE, 0x00, 0x00),
    /**
     * Not an outcome: the handler's command goes on on another thread (its asynchronous store
     * I/O, a SANITIZE job), which answers it. The thread that ran the handler must not touch the
     * task again: by the time the handler has returned, the task may have been answered and
     * taken by the next command.
     */
    ANSWERED_LATER(SenseKey.NO_SENSE, 0x00, 0x00),

    INVALID_COMMAND_OPERATION_CODE(SenseKey.ILLEGAL_REQUEST, 0x20, 0x00),
    INVALID_FIELD_IN_CDB(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00),
    /** The transport record around the CDB was malformed (length, direction, data reference). */
    INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT(SenseKey.ILLEGAL_REQUEST, 0x0E, 0x03),
    LOGICAL_BLOCK_ADDRESS_OUT_OF_RANGE(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00),
    /** A parameter list (UNMAP's) too short for its header (SPC-4 Annex D, 1Ah/00h). */
    PARAMETER_LIST_LENGTH_ERROR(SenseKey.ILLEGAL_REQUEST, 0x1A, 0x00),
    /** A field of the parameter list (not the CDB) is invalid (SPC-4 Annex D, 26h/00h). */
    INVALID_FIELD_IN_PARAMETER_LIST(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00),
    LOGICAL_UNIT_NOT_SUPPORTED(SenseKey.ILLEGAL_REQUEST, 0x25, 0x00),
    SAVING_PARAMETERS_NOT_SUPPORTED(SenseKey.ILLEGAL_REQUEST, 0x39, 0x00),
    /** START STOP UNIT with LOEJ while PREVENT ALLOW MEDIUM REMOVAL holds the medium (SBC-3 5.25). */
    MEDIUM_REMOVAL_PREVENTED(SenseKey.ILLEGAL_REQUEST, 0x53, 0x02),
    /** PERSISTENT RESERVE OUT RELEASE by the holder with another TYPE or SCOPE (SPC-4 5.13.11.2, 26h/04h). */
    INVALID_RELEASE_OF_PERSISTENT_RESERVATION(SenseKey.ILLEGAL_REQUEST, 0x26, 0x04),
    /**
     * A registration beyond the logical unit's bound, or persistent reservation state that could
     * not be written for APTPL (SPC-4 5.13.7, 55h/04h).
     */
    INSUFFICIENT_REGISTRATION_RESOURCES(SenseKey.ILLEGAL_REQUEST, 0x55, 0x04),

    /** EXTENDED COPY: more CSCD descriptors than MAXIMUM CSCD DESCRIPTOR COUNT (SPC-4 Annex D, 26h/06h). */
    TOO_MANY_TARGET_DESCRIPTORS(SenseKey.ILLEGAL_REQUEST, 0x26, 0x06),
    /** EXTENDED COPY: a CSCD descriptor type the copy manager does not implement (26h/07h). */
    UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE(SenseKey.ILLEGAL_REQUEST, 0x26, 0x07),
    /** EXTENDED COPY: more segment descriptors than MAXIMUM SEGMENT DESCRIPTOR COUNT (26h/08h). */
    TOO_MANY_SEGMENT_DESCRIPTORS(SenseKey.ILLEGAL_REQUEST, 0x26, 0x08),
    /** EXTENDED COPY: a segment descriptor type the copy manager does not implement (26h/09h). */
    UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE(SenseKey.ILLEGAL_REQUEST, 0x26, 0x09),
    /** EXTENDED COPY: the list identifier names a copy of this I_T nexus still running (SPC-4 Annex D, 00h/16h). */
    OPERATION_IN_PROGRESS(SenseKey.ILLEGAL_REQUEST, 0x00, 0x16),
    /** The copy manager holds as many copy operations for the I_T nexus as it can track (55h/03h). */
    INSUFFICIENT_RESOURCES(SenseKey.ILLEGAL_REQUEST, 0x55, 0x03),

    // ---- ROD tokens (POPULATE TOKEN, WRITE USING TOKEN; SPC-4 Annex D, 23h INVALID TOKEN OPERATION) ----

    /** The token names blocks of a unit whose block length differs from the destination's (23h/00h). */
    INVALID_TOKEN_OPERATION_CAUSE_NOT_REPORTABLE(SenseKey.ILLEGAL_REQUEST, 0x23, 0x00),
    /** A ROD type this copy manager does not make or accept (23h/01h). */
    UNSUPPORTED_TOKEN_TYPE(SenseKey.ILLEGAL_REQUEST, 0x23, 0x01),
    /** A token made by another target's copy manager (23h/02h). */
    REMOTE_TOKEN_USAGE_NOT_SUPPORTED(SenseKey.ILLEGAL_REQUEST, 0x23, 0x02),
    /** A token this copy manager did not make, or no longer holds (23h/04h). */
    TOKEN_UNKNOWN(SenseKey.ILLEGAL_REQUEST, 0x23, 0x04),
    /** Its inactivity timeout passed (23h/07h). */
    TOKEN_EXPIRED(SenseKey.ILLEGAL_REQUEST, 0x23, 0x07),
    /** A change to its source blocks cancelled it: the type is change vulnerable (23h/08h). */
    TOKEN_CANCELLED(SenseKey.ILLEGAL_REQUEST, 0x23, 0x08),
    /** WRITE USING TOKEN with DEL_TKN deleted it (23h/09h). */
    TOKEN_DELETED(SenseKey.ILLEGAL_REQUEST, 0x23, 0x09),
    /** ROD TOKEN LENGTH is not that of a 512-byte token (23h/0Ah). */
    INVALID_TOKEN_LENGTH(SenseKey.ILLEGAL_REQUEST, 0x23, 0x0A),
    /** Every token slot of the target holds a live token (SPC-4 Annex D, 55h/0Dh). */
    INSUFFICIENT_RESOURCES_TO_CREATE_ROD_TOKEN(SenseKey.ILLEGAL_REQUEST, 0x55, 0x0D),

    /** A removable unit whose medium START STOP UNIT ejected (SBC-3 5.25; SPC-4 Annex D, 3Ah/00h). */
    MEDIUM_NOT_PRESENT(SenseKey.NOT_READY, 0x3A, 0x00),

    /** A SANITIZE is running on the unit: every medium access waits for it (SBC-4 sanitize operation, 04h/1Bh). */
    SANITIZE_IN_PROGRESS(SenseKey.NOT_READY, 0x04, 0x1B),
    /** The command came through a target port group in the transitioning state (SPC-4 5.16.2.5, 04h/0Ah). */
    ASYMMETRIC_ACCESS_STATE_TRANSITION(SenseKey.NOT_READY, 0x04, 0x0A),
    /** ... in the standby state and is not among those it processes (SPC-4 5.16.2.4.4, 04h/0Bh). */
    TARGET_PORT_IN_STANDBY_STATE(SenseKey.NOT_READY, 0x04, 0x0B),
    /** ... in the unavailable state and is not among those it processes (SPC-4 5.16.2.4.5, 04h/0Ch). */
    TARGET_PORT_IN_UNAVAILABLE_STATE(SenseKey.NOT_READY, 0x04, 0x0C),

    WRITE_PROTECTED(SenseKey.DATA_PROTECT, 0x27, 0x00),
    /** The Control mode page's SWP bit is set (SPC-4 Control mode page; SPC-4 Annex D, 27h/02h). */
    SOFTWARE_WRITE_PROTECTED(SenseKey.DATA_PROTECT, 0x27, 0x02),
    /**
     * A thin unit's store could not get the space a write needs (SBC-4 4.7.3.6, 27h/07h SPACE
     * ALLOCATION FAILED WRITE PROTECT): nothing of the write was stored, what the unit held stays
     * readable, and writes to blocks that are mapped go on succeeding.
     */
    SPACE_ALLOCATION_FAILED_WRITE_PROTECT(SenseKey.DATA_PROTECT, 0x27, 0x07),

    UNRECOVERED_READ_ERROR(SenseKey.MEDIUM_ERROR, 0x11, 0x00),
    WRITE_ERROR(SenseKey.MEDIUM_ERROR, 0x0C, 0x00),
    /** The last SANITIZE failed; medium access fails until one succeeds or failure mode is exited (SBC-4 sanitize operation, 31h/03h). */
    SANITIZE_COMMAND_FAILED(SenseKey.MEDIUM_ERROR, 0x31, 0x03),

    // ---- EXTENDED COPY segment processing (SPC-4: sense key COPY ABORTED) ----

    /** A segment names a CSCD descriptor index the parameter list does not hold (08h/04h). */
    UNREACHABLE_COPY_TARGET(SenseKey.COPY_ABORTED, 0x08, 0x04),
    /** A CSCD descriptor names a logical unit this target does not have (0Dh/02h). */
    COPY_TARGET_DEVICE_NOT_REACHABLE(SenseKey.COPY_ABORTED, 0x0D, 0x02),
    /** The copy target device failed a read or write of a segment (0Dh/01h THIRD PARTY DEVICE FAILURE). */
    THIRD_PARTY_DEVICE_FAILURE(SenseKey.COPY_ABORTED, 0x0D, 0x01),
    /**
     * A segment the copy target device refuses as it stands (its blocks lie beyond the
     * device's capacity): the copy is aborted at that segment; COPY ABORTED says so and no
     * more specific additional sense code exists for it (00h/00h).
     */
    COPY_SEGMENT_REFUSED(SenseKey.COPY_ABORTED, 0x00, 0x00),

    /** VERIFY, WRITE AND VERIFY and COMPARE AND WRITE found a difference (SBC-3 5.2, 5.29). */
    MISCOMPARE_DURING_VERIFY_OPERATION(SenseKey.MISCOMPARE, 0x1D, 0x00),

    /**
     * The command names an I_T nexus the daemon does not know (never created, destroyed, or its
     * target force-deleted). ABORTED COMMAND tells the application client it may retry once a
     * nexus exists again (SPC-4 4.5.6); 08h/00h LOGICAL UNIT COMMUNICATION FAILURE says the
     * command never reached a logical unit.
     */
    NEXUS_NOT_FOUND(SenseKey.ABORTED_COMMAND, 0x08, 0x00),

    /**
     * Not sense at all: the command ends with status RESERVATION CONFLICT and no sense data,
     * because another I_T nexus holds a reservation of the unit (SPC-2 5.5.1; SAM-5 5.3.1).
     */
    RESERVATION_CONFLICT(SenseKey.NO_SENSE, 0x00, 0x00),

    /** A programming error inside the daemon; never expected, always logged. */
    INTERNAL_TARGET_FAILURE(SenseKey.HARDWARE_ERROR, 0x44, 0x00),

    // ---- unit attention conditions (SAM-5 5.14, SPC-4 Annex D) ----

    /** Target warm/cold reset: SAM-5 6.3, hard reset. */
    POWER_ON_RESET_OR_BUS_DEVICE_RESET_OCCURRED(SenseKey.UNIT_ATTENTION, 0x29, 0x00),
    /** LOGICAL UNIT RESET: SAM-5 6.3, logical unit reset. */
    BUS_DEVICE_RESET_FUNCTION_OCCURRED(SenseKey.UNIT_ATTENTION, 0x29, 0x03),
    /** I_T NEXUS RESET: SAM-5 6.3, I_T nexus loss. */
    I_T_NEXUS_LOSS_OCCURRED(SenseKey.UNIT_ATTENTION, 0x29, 0x07),
    /**
     * CLEAR TASK SET, LOGICAL UNIT RESET or a target reset through another I_T nexus aborted
     * tasks of this one (SAM-5 5.6; TAS is 0, so the tasks themselves end without status).
     */
    COMMANDS_CLEARED_BY_ANOTHER_INITIATOR(SenseKey.UNIT_ATTENTION, 0x2F, 0x00),
    /** The target's LUN inventory changed: SPC-4 6.33. */
    REPORTED_LUNS_DATA_HAS_CHANGED(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E),
    /** PERSISTENT RESERVE OUT CLEAR by another I_T nexus (SPC-4 5.13.11.2.6). */
    RESERVATIONS_PREEMPTED(SenseKey.UNIT_ATTENTION, 0x2A, 0x03),
    /** A registrants-only or all-registrants reservation was released (SPC-4 5.13.11.2.2). */
    RESERVATIONS_RELEASED(SenseKey.UNIT_ATTENTION, 0x2A, 0x04),
    /** PREEMPT or PREEMPT AND ABORT removed this I_T nexus's registration (SPC-4 5.13.11.2.4). */
    REGISTRATIONS_PREEMPTED(SenseKey.UNIT_ATTENTION, 0x2A, 0x05),
    /** A target port group's access state changed (SPC-4 5.16.2.2, 2Ah/06h). */
    ASYMMETRIC_ACCESS_STATE_CHANGED(SenseKey.UNIT_ATTENTION, 0x2A, 0x06),
    /** The unit's capacity (or its READ CAPACITY (16) data) changed: SBC-4 4.7, resize. */
    CAPACITY_DATA_HAS_CHANGED(SenseKey.UNIT_ATTENTION, 0x2A, 0x09),
    /**
     * The logical unit's mode parameters changed: by MODE SELECT from another I_T nexus (SPC-4
     * 6.11), or by management (write protection).
     */
    MODE_PARAMETERS_CHANGED(SenseKey.UNIT_ATTENTION, 0x2A, 0x01),
    /**
     * A thin unit's used space crossed the soft threshold of its Logical Block Provisioning mode
     * page (SBC-4 4.7.3.7.6, 38h/07h); INFORMATION names the threshold descriptor.
     */
    THIN_PROVISIONING_SOFT_THRESHOLD_REACHED(SenseKey.UNIT_ATTENTION, 0x38, 0x07),
    /** Standard INQUIRY or VPD data changed (RMB, thin provisioning pages): SPC-4 6.6.1. */
    INQUIRY_DATA_HAS_CHANGED(SenseKey.UNIT_ATTENTION, 0x3F, 0x03);

    private final int senseKey;
    private final int asc;
    private final int ascq;

    SenseReason(int senseKey, int asc, int ascq) {
        this.senseKey = senseKey;
        this.asc = asc;
        this.ascq = ascq;
    }

    int senseKey() {
        return senseKey;
    }

    int asc() {
        return asc;
    }

    int ascq() {
        return ascq;
    }

    /**
     * Writes this reason's sense at {@code at}: fixed format (SPC-4 4.5.3, current error), the
     * only format this daemon returns; the control mode page reports D_SENSE = 0 to match.
     *
     * @param information the INFORMATION field, or a negative value if there is none (VALID = 0);
     *        values that do not fit its four bytes are left out too
     * @param fieldPointer for INVALID FIELD IN CDB or IN PARAMETER LIST: the byte in error, or -1
     *        if unknown; for EXTENDED COPY, the byte in error in segment {@code copySegment}
     * @param bitPointer the bit within that byte (0..7), or -1 if the whole byte is in error
     * @param copySegment the EXTENDED COPY segment descriptor that failed (its index goes in
     *        bytes 10..11 of COMMAND-SPECIFIC INFORMATION, SPC-4 4.5.2.4.5), or -1
     * @return the length written, {@link SenseBuilder#FIXED_LENGTH}
     */
    int writeSense(byte[] dst, int at, long information, int fieldPointer, int bitPointer, int copySegment) {
        return writeSense(false, dst, at, information, fieldPointer, bitPointer, copySegment);
    }

    /**
     * Writes this reason's sense data in descriptor format when {@code descriptor} (the unit's
     * D_SENSE, REQUEST SENSE's DESC) or when the INFORMATION value does not fit the fixed
     * format's four bytes (an LBA at or beyond 2^32: SPC-4 4.5.1 lets fixed format report it
     * only as not valid, and the LBA is what the initiator needs); fixed format otherwise.
     */
    int writeSense(boolean descriptor, byte[] dst, int at, long information, int fieldPointer, int bitPointer,
                   int copySegment) {
        int senseKeySpecific = SenseBuilder.NONE;
        if (copySegment >= 0) {
            if (fieldPointer >= 0) {
                senseKeySpecific = SenseBuilder.segmentPointer(fieldPointer);
            }
        } else if ((this == INVALID_FIELD_IN_CDB || this == INVALID_FIELD_IN_PARAMETER_LIST) && fieldPointer >= 0) {
            senseKeySpecific = SenseBuilder.fieldPointer(this == INVALID_FIELD_IN_CDB, fieldPointer, bitPointer);
        }
        if (this == THIN_PROVISIONING_SOFT_THRESHOLD_REACHED) {
            // SBC-4 4.7.3.7.6: the byte offset of the threshold descriptor in the mode page
            information = ProvisioningThreshold.DESCRIPTOR_OFFSET;
        }
        boolean wide = information > SenseBuilder.FIXED_MAX_INFORMATION;
        return SenseBuilder.write(descriptor || wide, dst, at, senseKey, asc, ascq, information,
                copySegment >= 0 ? copySegment & 0xFFFF : SenseBuilder.NONE, senseKeySpecific);
    }

    /**
     * The reason a medium write answers when the store refused it: SPACE ALLOCATION FAILED WRITE
     * PROTECT when it had no space for it ({@link SpaceAllocationFailedException}), else WRITE ERROR.
     */
    static SenseReason ofWriteFailure(IOException e) {
        if (e instanceof NotAccessibleException n) {
            return notAccessible(n);
        }
        return e instanceof SpaceAllocationFailedException ? SPACE_ALLOCATION_FAILED_WRITE_PROTECT : WRITE_ERROR;
    }

    /**
     * The reason a medium read answers when the store failed it: UNRECOVERED READ ERROR, unless
     * the store cannot be reached through this target any more ({@link NotAccessibleException}).
     */
    static SenseReason ofReadFailure(IOException e) {
        return e instanceof NotAccessibleException n ? notAccessible(n) : UNRECOVERED_READ_ERROR;
    }

    /**
     * A shared store's access lost: standby (another client owns it now), unavailable (fenced), or
     * transitioning (moving now: try again).
     */
    private static SenseReason notAccessible(NotAccessibleException e) {
        if (e.transitioning()) {
            return ASYMMETRIC_ACCESS_STATE_TRANSITION;
        }
        return e.fenced() ? TARGET_PORT_IN_UNAVAILABLE_STATE : TARGET_PORT_IN_STANDBY_STATE;
    }

    /** The reason is answered by a status without sense data (RESERVATION CONFLICT). */
    boolean isStatusOnly() {
        return this == RESERVATION_CONFLICT;
    }

    boolean isUnitAttention() {
        return senseKey == SenseKey.UNIT_ATTENTION;
    }
}
