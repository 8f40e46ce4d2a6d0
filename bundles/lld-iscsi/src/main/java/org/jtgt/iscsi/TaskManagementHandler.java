package org.jtgt.iscsi;

import java.nio.ByteBuffer;

import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Task Management Function Requests (RFC 7143 11.5, 11.6). Tasks still held by the connection
 * (waiting for data or their turn: the daemon has never seen them) are aborted here without a
 * response; the request then goes to the host behind everything the connection submitted. The
 * daemon ends the submitted tasks it covers and answers only when they can no longer answer:
 * each comes back marked aborted ({@code HostCommand.aborted()}) and the sender writes nothing
 * for it, then the host's answer to the request comes back through {@link #completed}, behind
 * them in the same queue. TARGET WARM and COLD RESET are refused
 * with "function authorization failed" unless the initiator is among the target's
 * {@code targetResetInitiators}.
 *
 * <p>Requests arrive on the reader thread; {@link #completed} runs on a transport thread.
 */
final class TaskManagementHandler {
    private static final Logger LOG = LoggerFactory.getLogger(TaskManagementHandler.class);

    private final IscsiConnection connection;
    private final IscsiTarget target;
    private final CommandWindow window;
    private final IttTable tasks;
    private final ScsiCommandHandler commands;
    private final ResponseSender sender;

    TaskManagementHandler(IscsiConnection connection, IscsiTarget target, CommandWindow window, IttTable tasks,
            ScsiCommandHandler commands, ResponseSender sender) {
        this.connection = connection;
        this.target = target;
        this.window = window;
        this.tasks = tasks;
        this.commands = commands;
        this.sender = sender;
    }

    IscsiConnection connection() {
        return connection;
    }

    void request(ByteBuffer h) {
        SessionParameters p = connection.params();
        if (p.discovery) {
            sender.sendReject(h, RejectReason.PROTOCOL_ERROR);
            return;
        }
        int cmdSn = Bhs.cmdSn(h);
        if (!Bhs.immediate(h) && !window.consume(cmdSn)) {
            LOG.debug("{}: TMF with CmdSN {} outside {} dropped", connection, Integer.toUnsignedString(cmdSn),
                    window.describe());
            return;
        }
        int code = Bhs.flags(h) & 0x7F;
        int itt = Bhs.itt(h);
        long lun = Bhs.lun(h);
        int referenced = Bhs.word20(h);
        int refCmdSn = Bhs.word32(h);
        TaskManagementFunction function = code <= 7 ? TaskManagementFunction.fromCode(code) : null;
        if (code == 8) {
            // TASK REASSIGN needs ErrorRecoveryLevel 2 (RFC 7143 11.5.1).
            respond(itt, TmfResponse.REASSIGNMENT_NOT_SUPPORTED);
            return;
        }
        if (function == null) {
            respond(itt, TmfResponse.FUNCTION_NOT_SUPPORTED);
            return;
        }
        LOG.info("{}: {} (LUN 0x{}, referenced ITT 0x{})", connection, function, Long.toHexString(lun),
                Integer.toHexString(referenced));
        if ((function == TaskManagementFunction.TARGET_WARM_RESET || function == TaskManagementFunction.TARGET_COLD_RESET)
                && !target.targetResetAllowed(p.initiatorName)) {
            // RFC 7143 11.6.1: "Function authorization failed"; nothing is aborted or reset.
            LOG.warn("{}: {} refused: {} is not among the initiators allowed to reset the target "
                    + "(targetResetInitiators)", connection, function, p.initiatorName);
            respond(itt, TmfResponse.AUTHORIZATION_FAILED);
            return;
        }
        switch (function) {
            case ABORT_TASK: {
                ScsiTask t = tasks.get(referenced);
                if (t != null && t.state == ScsiTask.State.RECEIVING) {
                    // Still here, waiting for data or for its turn: it never reached the daemon.
                    commands.abortUnsubmitted(t);
                    respond(itt, TmfResponse.FUNCTION_COMPLETE);
                    return;
                }
                if (t == null && window.notYetReceived(refCmdSn, cmdSn)) {
                    // RFC 7143 11.5.1 case b: a command not yet received whose RefCmdSN is in the
                    // window (and before the TMF) is considered received, and so aborted.
                    window.consume(refCmdSn);
                    respond(itt, TmfResponse.FUNCTION_COMPLETE);
                    return;
                }
                break; // submitted or unknown: the daemon ends it (no response) or finds it answered
            }
            case ABORT_TASK_SET:
            case CLEAR_TASK_SET:
            case LOGICAL_UNIT_RESET:
                abortUnsubmittedOnLun(lun);
                break;
            case TARGET_WARM_RESET:
            case TARGET_COLD_RESET:
                abortUnsubmittedOnLun(null);
                break;
            default:
                break;
        }
        target.taskManagement(this, itt, function, lun, referenced);
    }

    /** Answers a request at once (not supported, refused, or done without the host). */
    void respond(int itt, TmfResponse response) {
        ControlPdu rsp = new ControlPdu(Bhs.TASK_MANAGEMENT_RESPONSE, Bhs.FINAL_BIT);
        rsp.view.put(Bhs.BYTE2_OFFSET, (byte) response.code());
        rsp.view.putInt(Bhs.ITT_OFFSET, itt);
        sender.enqueue(rsp);
    }

    /** The host answered a request this connection sent. */
    void completed(int itt, TaskManagementFunction function, TmfResponse response) {
        TmfResponse r = response;
        if (r == TmfResponse.FUNCTION_SUCCEEDED) {
            r = TmfResponse.FUNCTION_COMPLETE;   // no iSCSI QUERY functions reach here
        }
        ControlPdu rsp = new ControlPdu(Bhs.TASK_MANAGEMENT_RESPONSE, Bhs.FINAL_BIT);
        rsp.view.put(Bhs.BYTE2_OFFSET, (byte) r.code());
        rsp.view.putInt(Bhs.ITT_OFFSET, itt);
        if (function == TaskManagementFunction.TARGET_COLD_RESET && r == TmfResponse.FUNCTION_COMPLETE) {
            // RFC 7143 11.5.1: after a cold reset the target closes all connections to it.
            String name = connection.targetName();
            rsp.after = () -> target.closeSessionsOf(name, "TARGET COLD RESET");
        }
        sender.enqueue(rsp);
    }

    /** Aborts the tasks on {@code lun} (null: every LUN) that never reached the host. */
    private void abortUnsubmittedOnLun(Long lun) {
        for (ScsiTask t : tasks.snapshot()) {
            if (t.state == ScsiTask.State.RECEIVING && (lun == null || t.lun == lun)) {
                commands.abortUnsubmitted(t);
            }
        }
    }
}
