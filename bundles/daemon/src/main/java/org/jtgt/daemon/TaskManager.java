package org.jtgt.daemon;

import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;

/**
 * Task management functions (SAM-5 clause 7; events in SAM-5 6.3) for one I_T nexus.
 *
 * <p>Commands execute inline on the delivering thread and the host side queues a TMF behind the
 * commands it concerns, so by the time a TMF is processed every task it could name has already
 * completed and its response is ahead of the TMF response on the same channel. There is
 * therefore nothing left to abort; what remains of a task is its record awaiting
 * {@code KEVENT_CMD_DONE}. The consequences:
 * <ul>
 * <li>ABORT TASK answers TASK DOES NOT EXIST whether or not the record is still there: the task
 *     was not terminated by the abort, its (successful) response reaches the initiator first.
 *     RFC 7143 11.5.1 reserves FUNCTION COMPLETE for "a valid task leading to a successful
 *     termination"; Linux tgt answers TASK DOES NOT EXIST for a task already answered
 *     ({@code abort_cmd} → -EEXIST), and libiscsi's {@code test_async_abort_simple} accepts
 *     exactly two outcomes: WRITE good + TASK DOES NOT EXIST, or no WRITE response + FUNCTION
 *     COMPLETE. (Case b of 11.5.1, a command not yet received, is the iSCSI driver's to handle
 *     with its CmdSN window.)</li>
 * <li>ABORT TASK SET and CLEAR TASK SET complete with nothing aborted; since no other
 *     initiator's command is cleared, no COMMANDS CLEARED BY ANOTHER INITIATOR unit attention is
 *     established (SAM-5 7, CLEAR TASK SET).</li>
 * <li>The resets establish the unit attentions SAM-5 requires: LOGICAL UNIT RESET 29h/03h for
 *     every I_T nexus of the unit (SAM-5 LOGICAL UNIT RESET → the logical unit reset event of
 *     6.3; LIO's {@code core_tmr_lun_reset} does the same), I_T NEXUS RESET 29h/07h on every LUN
 *     of that nexus (SAM-5 I_T NEXUS RESET → the I_T nexus loss event), TARGET WARM/COLD RESET
 *     29h/00h on every LUN of every nexus of the target (RFC 7143 11.5.1 defines them through
 *     SAM's target/hard reset; 29h/00h POWER ON, RESET, OR BUS DEVICE RESET OCCURRED is the
 *     generic code for it). The iSCSI driver closes the connections on a cold reset. LOGICAL
 *     UNIT RESET and the target resets also release SPC-2 reservations and end preventions of
 *     medium removal of the units they reset; I_T NEXUS RESET those of the nexus (SPC-2 5.5.1,
 *     SBC-3 5.15). Persistent reservations and registrations survive every reset (SPC-4 5.13.1);
 *     only PREEMPT AND ABORT, CLEAR and the other PERSISTENT RESERVE OUT actions change them.</li>
 * <li>QUERY TASK, QUERY TASK SET and QUERY ASYNCHRONOUS EVENT answer FUNCTION SUCCEEDED when the
 *     task record, any task record, or a pending unit attention exists for the I_T_L nexus, else
 *     FUNCTION COMPLETE (SAM-5 QUERY TASK, QUERY TASK SET, QUERY ASYNCHRONOUS EVENT).</li>
 * <li>CLEAR ACA is FUNCTION NOT SUPPORTED: NORMACA is 0 and NACA = 1 is refused, so ACA is
 *     never established.</li>
 * </ul>
 */
final class TaskManager {
    private TaskManager() {
    }

    static TmfResponse execute(Nexus nexus, TaskManagementFunction function, long lunField, int referencedTag) {
        Target target = nexus.target();
        int lun = LunAddress.decode(lunField);
        LogicalUnit unit = lun == LunAddress.UNADDRESSABLE ? null : target.lun(lun);
        switch (function) {
            case ABORT_TASK:
                return unit == null ? TmfResponse.LUN_DOES_NOT_EXIST : TmfResponse.TASK_DOES_NOT_EXIST;
            case ABORT_TASK_SET:
            case CLEAR_TASK_SET:
                return unit == null ? TmfResponse.LUN_DOES_NOT_EXIST : TmfResponse.FUNCTION_COMPLETE;
            case CLEAR_ACA:
                return TmfResponse.FUNCTION_NOT_SUPPORTED;
            case LOGICAL_UNIT_RESET:
                if (unit == null) {
                    return TmfResponse.LUN_DOES_NOT_EXIST;
                }
                unit.reset();
                target.unitAttentionForAllNexuses(lun, SenseReason.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
                return TmfResponse.FUNCTION_COMPLETE;
            case I_T_NEXUS_RESET:
                for (LogicalUnit u : target.luns()) {
                    u.nexusLost(nexus);
                    nexus.unitAttentions().establish(u.lun(), SenseReason.I_T_NEXUS_LOSS_OCCURRED);
                }
                return TmfResponse.FUNCTION_COMPLETE;
            case TARGET_WARM_RESET:
            case TARGET_COLD_RESET:
                for (LogicalUnit u : target.luns()) {
                    u.reset();
                    target.unitAttentionForAllNexuses(u.lun(), SenseReason.POWER_ON_RESET_OR_BUS_DEVICE_RESET_OCCURRED);
                }
                return TmfResponse.FUNCTION_COMPLETE;
            case QUERY_TASK:
                if (unit == null) {
                    return TmfResponse.LUN_DOES_NOT_EXIST;
                }
                return nexus.tasks().lunOfTag(nexus, referencedTag) == lun
                        ? TmfResponse.FUNCTION_SUCCEEDED : TmfResponse.FUNCTION_COMPLETE;
            case QUERY_TASK_SET:
                if (unit == null) {
                    return TmfResponse.LUN_DOES_NOT_EXIST;
                }
                return nexus.tasks().count(nexus, lun) > 0 ? TmfResponse.FUNCTION_SUCCEEDED : TmfResponse.FUNCTION_COMPLETE;
            case QUERY_ASYNC_EVENT:
                if (unit == null) {
                    return TmfResponse.LUN_DOES_NOT_EXIST;
                }
                return nexus.unitAttentions().peek(lun) != null ? TmfResponse.FUNCTION_SUCCEEDED : TmfResponse.FUNCTION_COMPLETE;
            default:
                return TmfResponse.FUNCTION_NOT_SUPPORTED;
        }
    }
}
