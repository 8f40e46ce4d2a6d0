package org.jtgt.iscsi;

/**
 * What a connection's {@link ResponseSender} writes: a {@link ControlPdu} (login, text, NOP-In,
 * R2T, task management and logout responses, Reject), or a {@link ScsiTask} whose response (with
 * its Data-In) is due. Both are made once and reused where the hot path needs it (a task, its R2T
 * PDUs), so queueing allocates nothing.
 */
sealed interface Outbound permits ControlPdu, ScsiTask {
}
