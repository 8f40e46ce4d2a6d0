package org.jtgt.daemon;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.EventFormatException;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.event.ItNexusReqEvent;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.event.TskMgmtReqEvent;
import org.jtgt.api.event.TskMgmtRspEvent;
import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.TransportEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data plane: every event a transport delivers comes in here on the transport's thread and
 * is answered through the endpoint it came from. {@code KEVENT_CMD_REQ} goes to the
 * {@link TaskRouter}, {@code KEVENT_CMD_DONE} ends a task record, {@code KEVENT_TSK_MGMT_REQ}
 * goes to the {@link TaskManager} and {@code KEVENT_IT_NEXUS_REQ} creates or destroys an I_T
 * nexus, each answered with its response record.
 *
 * <p>Each delivering thread owns one preallocated {@link CommandContext}; commands take no lock
 * (the {@link DaemonState} snapshots are read as published). Nexus login and logout change the
 * shared state under its admin lock, as administration does.
 */
final class EventDispatcher {
    /** Logs as the daemon: nexus logins and task management are known by that name. */
    private static final Logger LOG = LoggerFactory.getLogger(TargetDaemon.class);

    private final DaemonState state;
    private final ThreadLocal<CommandContext> contexts = ThreadLocal.withInitial(CommandContext::new);
    private final WarningThrottle warnings = new WarningThrottle(10, TimeUnit.SECONDS.toNanos(10));
    private final TaskRouter router;

    EventDispatcher(DaemonState state) {
        this.state = state;
        this.router = new TaskRouter(state.nexuses, CommandTable.blockDevice(), warnings, state.ports);
    }

    /** Runs one event record (validated by the transport's framing) and answers it. */
    void onEvent(ByteBuffer buffer, int offset, int length, TransportEndpoint from) {
        CommandContext c = contexts.get();
        try {
            EventType type = EventType.fromCode(EventHeader.type(buffer, offset));
            if (type == null) {
                return;   // the transport validated the header; nothing else can get here
            }
            switch (type) {
                case KEVENT_CMD_REQ:
                    router.execute(buffer, offset, from);
                    break;
                case KEVENT_CMD_DONE:
                    commandDone(buffer, offset);
                    break;
                case KEVENT_TSK_MGMT_REQ:
                    taskManagement(buffer, offset, from, c);
                    break;
                case KEVENT_IT_NEXUS_REQ:
                    nexusRequest(buffer, offset, from, c);
                    break;
                default:
                    if (warnings.admit()) {
                        LOG.warn("Ignoring {}: it travels from the daemon, not to it", type);
                    }
            }
        } catch (RuntimeException e) {
            if (warnings.admit()) {
                LOG.warn("Event at offset {} dropped after an internal error", offset, e);
            }
        }
    }

    private void commandDone(ByteBuffer b, int o) {
        int hostNo = EventHeader.hostNo(b, o);
        long cid = CmdDoneEvent.cid(b, o);
        TaskTable tasks = state.host(hostNo);
        Nexus nexus = tasks == null ? null : tasks.take(cid);
        if (nexus != null) {
            nexus.unitAttentions().answered(cid);
        } else if (LOG.isDebugEnabled()) {
            LOG.debug("KEVENT_CMD_DONE for unknown cid {} on host {}", cid, hostNo);
        }
    }

    private void taskManagement(ByteBuffer b, int o, TransportEndpoint from, CommandContext c) {
        int hostNo = EventHeader.hostNo(b, o);
        long mid = TskMgmtReqEvent.mid(b, o);
        long nexusId = TskMgmtReqEvent.nexusId(b, o);
        TaskManagementFunction function = null;
        try {
            TskMgmtReqEvent.validate(b, o);
            function = TaskManagementFunction.fromCode(TskMgmtReqEvent.function(b, o));
        } catch (EventFormatException e) {
            if (warnings.admit()) {
                LOG.warn("host {}: task management mid {} refused: {}", hostNo, mid, e.getMessage());
            }
            new TaskManager.Wait(hostNo, mid, nexusId, null, from).arm(TmfResponse.FUNCTION_NOT_SUPPORTED);
            return;
        }
        TaskManager.Wait answer = new TaskManager.Wait(hostNo, mid, nexusId, function, from);
        Nexus nexus = state.nexuses.get(hostNo, nexusId);
        if (nexus == null) {
            answer.arm(TmfResponse.FUNCTION_REJECTED);
            return;
        }
        TaskManager.execute(nexus, function, TskMgmtReqEvent.lun(b, o), TskMgmtReqEvent.referencedTag(b, o), router,
                answer);
    }

    private void nexusRequest(ByteBuffer b, int o, TransportEndpoint from, CommandContext c) {
        int hostNo = EventHeader.hostNo(b, o);
        long nexusId = ItNexusReqEvent.nexusId(b, o);
        int op = ItNexusReqEvent.op(b, o);
        int result;
        try {
            ItNexusReqEvent.validate(b, o, from.dataArea().size());
            result = op == ItNexusReqEvent.OP_CREATE
                    ? createNexus(hostNo, nexusId, ItNexusReqEvent.relativePort(b, o), b, o, from.dataArea(), c)
                    : destroyNexus(hostNo, nexusId, from);
        } catch (EventFormatException e) {
            if (warnings.admit()) {
                LOG.warn("host {}: nexus request {} refused: {}", hostNo, nexusId, e.getMessage());
            }
            result = op == ItNexusReqEvent.OP_DESTROY ? ItNexusRspEvent.RESULT_NO_SUCH_NEXUS : ItNexusRspEvent.RESULT_NO_SUCH_TARGET;
        }
        ItNexusRspEvent.write(c.record, 0, hostNo, nexusId, result, op);
        if (!from.send(c.record, 0, ItNexusRspEvent.LENGTH)) {
            LOG.debug("host {}: nexus response {} not sent, the endpoint is closed", hostNo, nexusId);
        }
    }

    /**
     * Reads {@code initiator-port-name NUL target-name} (UTF-8; trailing NULs ignored) and admits
     * the nexus if the target exists, its ACL admits the initiator and the id is new. No unit
     * attention is established for a new nexus (as Linux tgt and LIO do; initiators handle both).
     * In the split shape's daemon a nexus the front gives again after a daemon restart gets back
     * the conditions the previous daemon process had pending for it ({@link KeptState}), and no
     * POWER ON or RESET condition: a daemon restart is not a power cycle, the target lived on.
     */
    private int createNexus(int hostNo, long nexusId, int relativePort, ByteBuffer b, int o, DataArea area, CommandContext c) {
        int length = ItNexusReqEvent.namesLength(b, o);
        long offset = ItNexusReqEvent.namesOffset(b, o);
        ByteBuffer data = c.data(area);
        if (offset + length > data.capacity()) {
            throw new EventFormatException("KEVENT_IT_NEXUS_REQ: names beyond the data area buffer");
        }
        data.get((int) offset, c.names, 0, length);
        String[] names = parseNames(c.names, length);
        if (names == null) {
            if (warnings.admit()) {
                LOG.warn("host {}: nexus {} refused: the names are not 'initiator NUL target' in UTF-8", hostNo, nexusId);
            }
            return ItNexusRspEvent.RESULT_NO_SUCH_TARGET;
        }
        String initiator = names[0];
        String targetName = names[1];
        int result;
        synchronized (state.lock) {
            Target target = state.targets.get(targetName);
            if (target == null || target.closed()) {
                result = ItNexusRspEvent.RESULT_NO_SUCH_TARGET;
            } else if (!target.admits(initiator)) {
                result = ItNexusRspEvent.RESULT_ACCESS_DENIED;
            } else if (state.nexuses.get(hostNo, nexusId) != null) {
                result = ItNexusRspEvent.RESULT_EXISTS;
            } else {
                TaskTable tasks = state.host(hostNo);
                if (tasks == null) {
                    tasks = new TaskTable(hostNo);
                    TaskTable[] next = Arrays.copyOf(state.hosts, state.hosts.length + 1);
                    next[state.hosts.length] = tasks;
                    state.hosts = next;
                }
                Nexus nexus = new Nexus(hostNo, nexusId, target, initiator, relativePort, tasks);
                nexus.view(target.viewOf(initiator));
                state.nexuses.add(nexus);
                target.addNexus(nexus);
                KeptState kept = state.kept;
                if (kept != null) {
                    kept.attach(nexus);   // the unit attentions a previous daemon process had pending for it
                }
                result = ItNexusRspEvent.RESULT_OK;
            }
        }
        if (result == ItNexusRspEvent.RESULT_OK) {
            LOG.info("I_T nexus {}:{} created: {} -> {} (relative port {})", hostNo, nexusId, initiator, targetName, relativePort);
        } else {
            LOG.info("I_T nexus {}:{} refused ({}): {} -> {}", hostNo, nexusId, result, initiator, targetName);
        }
        return result;
    }

    /** The two names, or {@code null} if the blob is not two non-empty UTF-8 names split by NUL. */
    static String[] parseNames(byte[] blob, int length) {
        int end = length;
        while (end > 0 && blob[end - 1] == 0) {
            end--;
        }
        int nul = -1;
        for (int i = 0; i < end; i++) {
            if (blob[i] == 0) {
                nul = i;
                break;
            }
        }
        if (nul <= 0 || nul == end - 1) {
            return null;
        }
        try {
            var decoder = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            CharBuffer initiator = decoder.decode(ByteBuffer.wrap(blob, 0, nul));
            decoder.reset();
            CharBuffer target = decoder.decode(ByteBuffer.wrap(blob, nul + 1, end - nul - 1));
            String t = target.toString();
            if (t.indexOf(0) >= 0) {
                return null;
            }
            return new String[] {initiator.toString(), t};
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /**
     * Ends an I_T nexus (logout, connection loss): its tasks still in task sets are aborted
     * (answered as aborted, the running ones when their stores give them back; nothing waits for
     * them), as SAM-5 6.3's I_T nexus loss aborts them. In the split shape's daemon its kept unit
     * attentions end with it when the front asked ({@code from} open); a request that comes
     * through an endpoint already closed is the transport ending under the nexus (this daemon
     * leaving, or the front gone), and the nexus lives on in the front for the next daemon
     * process, so its file stays.
     */
    private int destroyNexus(int hostNo, long nexusId, TransportEndpoint from) {
        Nexus nexus;
        synchronized (state.lock) {
            nexus = state.nexuses.get(hostNo, nexusId);
            if (nexus == null) {
                return ItNexusRspEvent.RESULT_NO_SUCH_NEXUS;
            }
            boolean livesOn = !from.isOpen();
            state.dropNexus(nexus, livesOn);
            KeptState kept = state.kept;
            if (kept != null) {
                kept.detach(nexus, livesOn);
            }
        }
        for (LogicalUnit u : nexus.target().luns()) {
            TaskManager.end(u, nexus, true, 0, router, null);
        }
        LOG.info("I_T nexus {}:{} destroyed: {} -> {}", hostNo, nexusId, nexus.initiatorPortName(), nexus.target().name());
        return ItNexusRspEvent.RESULT_OK;
    }

}
