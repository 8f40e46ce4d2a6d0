package org.jtgt.iscsi;

/**
 * What the reader makes of a SCSI Command or Data-Out header before its data is read: the task
 * the data belongs to ({@link ScsiTask} itself, so the common case allocates nothing), or a
 * {@link Refusal} saying what to do instead.
 */
sealed interface Admission permits ScsiTask, Admission.Refusal {

    /** What becomes of a PDU that is not admitted. */
    enum Action {
        /** Outside the CmdSN window: silently ignored (RFC 7143 4.2.2.1). */
        DROP,
        /** Answered with a Reject; the connection goes on. */
        REJECT,
        /** Data for a task that is no longer receiving: discarded (RFC 7143 11.5.1). */
        DISCARD,
        /** A Data-Out that breaks its task's data sequence: Reject, and the task ends. */
        TASK_ERROR,
        /** Nothing after it can be trusted: Reject, and the connection ends. */
        FATAL
    }

    /**
     * A PDU not admitted.
     *
     * @param task         the task a {@link Action#TASK_ERROR} ends, else null
     * @param rejectReason the Reject reason ({@link RejectReason}) where a Reject is sent
     * @param reason       what was wrong, for the log and the connection's close reason
     */
    record Refusal(Action action, ScsiTask task, int rejectReason, String reason) implements Admission {
        static Refusal drop(String reason) {
            return new Refusal(Action.DROP, null, 0, reason);
        }

        static Refusal reject(int rejectReason, String reason) {
            return new Refusal(Action.REJECT, null, rejectReason, reason);
        }

        static Refusal discard(String reason) {
            return new Refusal(Action.DISCARD, null, 0, reason);
        }

        static Refusal taskError(ScsiTask task, String reason) {
            return new Refusal(Action.TASK_ERROR, task, RejectReason.INVALID_PDU_FIELD, reason);
        }

        static Refusal fatal(int rejectReason, String reason) {
            return new Refusal(Action.FATAL, null, rejectReason, reason);
        }
    }
}
