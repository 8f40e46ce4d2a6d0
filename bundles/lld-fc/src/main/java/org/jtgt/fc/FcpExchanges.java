package org.jtgt.fc;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.fc.wire.FcFrameHeader;
import org.jtgt.fc.wire.FcipFraming;
import org.jtgt.fc.wire.FcipHeader;
import org.jtgt.fc.wire.Fcp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FCP exchanges of one link's target port (FCP-4): FCP_CMND in, FCP_XFER_RDY out and FCP_DATA
 * in for a write, the command to the host; ABTS (FC-LS-3 5.3.2) and the task-management flags
 * of FCP_CMND (FCP-4 9.2). The completion's Data-In and FCP_RSP are the {@link LinkSender}'s.
 *
 * <p>The path of a command allocates nothing once the link has warmed up: the reader decodes
 * into the framing's one buffer, takes an {@link FcExchange} from this pool (at most
 * {@code maxExchanges} kept) and files it by OX_ID in the port's {@code IntMap}; Data-Out is
 * copied into the command's buffer through one view of the receive buffer. Task management,
 * ABTS and answers the LLD makes up itself allocate as they like.
 *
 * <p>Reader thread, except {@link #recycle} (whoever ends an exchange) and
 * {@link #abortExchanges}; the pool and exchange states are guarded by the link's lock.
 */
final class FcpExchanges {
    private static final Logger LOG = LoggerFactory.getLogger(FcpExchanges.class);
    private static final long ALLOCATE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final FcLink link;
    private final FcTarget target;
    private final LinkSender sender;
    /** Ended exchanges for the next FCP_CMNDs; guarded by the link's lock. */
    private final FcExchange[] pool;
    private int poolSize;
    private final byte[] cdb = new byte[CmdReqEvent.MAX_CDB_LENGTH];
    /** Reader thread only: a view of the receive buffer for copying Data-Out. */
    private ByteBuffer rxView;

    FcpExchanges(FcLink link, LinkSender sender) {
        this.link = link;
        this.target = link.target;
        this.sender = sender;
        this.pool = new FcExchange[target.settings().maxExchanges()];
    }

    void command(NPort p, FcipFraming.Frame f) throws InterruptedException {
        int oxId = f.oxId();
        long nexus;
        synchronized (link.lock) {
            nexus = p.prli ? p.nexusId : -1;
            if (nexus >= 0 && p.exchanges.containsKey(oxId)) {
                link.bad("FCP_CMND on OX_ID " + Integer.toHexString(oxId) + " that is still open");
                return;
            }
        }
        if (nexus < 0) {
            link.bad("FCP_CMND from " + FcFrameHeader.portId(p.id) + " without PRLI");
            return;
        }
        int len = f.payloadLength();
        int additional = f.payloadByte(Fcp.ADDITIONAL_OFFSET) >>> 2;
        int cdbLength = 16 + additional * 4;
        if (len < Fcp.CDB_OFFSET + cdbLength + 4) {
            localResponse(p, f, 0, 0, Fcp.RSP_CMND_FIELDS_INVALID);
            return;
        }
        long lun = f.payloadLong(Fcp.LUN_OFFSET);
        int tmf = f.payloadByte(Fcp.TMF_OFFSET);
        if (tmf != 0) {
            taskManagement(p, f, nexus, lun, tmf);
            return;
        }
        boolean read = (f.payloadByte(Fcp.ADDITIONAL_OFFSET) & Fcp.RDDATA) != 0;
        boolean write = (f.payloadByte(Fcp.ADDITIONAL_OFFSET) & Fcp.WRDATA) != 0;
        int dl = f.payloadInt(Fcp.CDB_OFFSET + cdbLength);
        TaskAttribute attribute = Fcp.attribute(f.payloadByte(Fcp.ATTRIBUTE_OFFSET));
        ScsiHost host = target.host();
        if (attribute == null || read && write || cdbLength > CmdReqEvent.MAX_CDB_LENGTH || dl < 0
                || (read || write) && dl > host.maxDataLength()) {
            localResponse(p, f, 0, 0, Fcp.RSP_CMND_FIELDS_INVALID);
            return;
        }
        int open;
        synchronized (link.lock) {
            open = p.exchanges.size();
        }
        int expected = read || write ? dl : 0;
        if (open >= target.settings().maxExchanges()) {
            localResponse(p, f, ScsiStatus.TASK_SET_FULL, expected, -1);
            return;
        }
        HostCommand cmd;
        try {
            cmd = host.allocate(nexus, expected, ALLOCATE_TIMEOUT_NANOS);
        } catch (RuntimeException e) {
            LOG.debug("{}: allocate failed: {}", link, e.toString());
            cmd = null;
        }
        if (cmd == null) {
            localResponse(p, f, ScsiStatus.TASK_SET_FULL, expected, -1);
            return;
        }
        f.buffer.get(f.payloadOffset() + Fcp.CDB_OFFSET, cdb, 0, cdbLength);
        cmd.setLun(lun)
                .setCdb(cdb, 0, cdbLength)
                .setTag(oxId)
                .setDirection(read ? DataDirection.READ : write ? DataDirection.WRITE : DataDirection.NONE)
                .setExpectedLength(expected)
                .setTaskAttribute(attribute);
        boolean receive = write && dl > 0;
        int rxId = sender.nextRxId();
        FcExchange x;
        synchronized (link.lock) {
            x = takeExchange();
            x.open(p, oxId, rxId, lun, read, write, dl, cmd,
                    receive ? FcExchange.State.RECEIVING : FcExchange.State.SUBMITTED);
            p.exchanges.put(oxId, x);
        }
        cmd.setContext(x);
        if (receive) {
            xferRdy(p, x);
        } else {
            host.submit(cmd);
        }
    }

    /**
     * Asks for the next burst of write data: from what has arrived, at most the configured
     * burst length (FCP-4 9.3: FCP_DATA_RO and FCP_BURST_LEN), so a long write takes several
     * FCP_XFER_RDYs, each answered by one sequence of data frames.
     */
    private void xferRdy(NPort p, FcExchange x) throws InterruptedException {
        int burst = Math.min(target.settings().maxBurstLength(), x.dataLength - x.received);
        x.burstEnd = x.received + burst;
        sender.enqueueXferRdy(p.id, x.oxId, x.rxId, x.received, burst);
    }

    void data(NPort p, FcipFraming.Frame f) throws InterruptedException {
        FcExchange x;
        synchronized (link.lock) {
            x = p.exchanges.get(f.oxId());
        }
        if (x == null || x.state != FcExchange.State.RECEIVING) {
            link.bad("FCP_DATA for no exchange waiting for data: " + f);
            return;
        }
        int len = f.payloadLength();
        int offset = (f.fCtl() & FcFrameHeader.F_CTL_RELATIVE_OFFSET) != 0 ? f.parameter() : x.received;
        if (offset != x.received || len > x.burstEnd - x.received) {
            link.bad("FCP_DATA at offset " + offset + " length " + len + " does not continue " + x.received + " of "
                    + x.dataLength + " (burst ends at " + x.burstEnd + ")");
            return;
        }
        if (rxView == null) {
            rxView = f.buffer.duplicate();   // the reader's one buffer: one view for the link's life
        }
        ByteBuffer view = rxView;
        view.limit(f.payloadOffset() + len).position(f.payloadOffset());
        x.command.putData(offset, view);
        x.received += len;
        if (x.received == x.burstEnd && x.received < x.dataLength) {
            xferRdy(p, x);
            return;
        }
        if (x.received == x.dataLength) {
            synchronized (link.lock) {
                if (x.state != FcExchange.State.RECEIVING) {
                    return;
                }
                x.state = FcExchange.State.SUBMITTED;
            }
            target.host().submit(x.command);
        }
    }

    void abts(NPort p, FcipFraming.Frame f) throws InterruptedException {
        int oxId = f.oxId();
        FcExchange x;
        FcExchange.State was;
        ScsiHost host = target.host();
        long nexus;
        int rxId = 0;
        long lun = 0;
        synchronized (link.lock) {
            x = p.exchanges.get(oxId);
            was = x == null ? null : x.state;
            nexus = p.nexusId;
            if (x != null) {
                rxId = x.rxId;
                lun = x.lun;
                x.state = FcExchange.State.ABORTED;
            }
            if (x != null && was == FcExchange.State.RECEIVING) {
                p.exchanges.remove(oxId);
                host.release(x.command);
                recycle(x);
            }
        }
        if (x == null) {
            link.bad("ABTS for unknown exchange OX_ID " + Integer.toHexString(oxId));
            sender.enqueue(bls(p, f, FcFrameHeader.R_CTL_BLS_BA_RJT,
                    Fcp.baRjt(Fcp.BA_RJT_LOGICAL_ERROR, Fcp.BA_RJT_EXPL_INVALID_OX_RX)));
            return;
        }
        LOG.debug("{}: ABTS for OX_ID {} ({})", link, Integer.toHexString(oxId), was);
        byte[] acc = bls(p, f, FcFrameHeader.R_CTL_BLS_BA_ACC, Fcp.baAcc(oxId, rxId));
        if (was == FcExchange.State.SUBMITTED && nexus >= 0) {
            // The daemon may still hold the task: abort it there, answer once it is gone.
            target.taskManagement(nexus, TaskManagementFunction.ABORT_TASK, lun, oxId,
                    r -> sender.enqueueQuietly(acc));
        } else {
            sender.enqueue(acc);
        }
    }

    private byte[] bls(NPort p, FcipFraming.Frame f, int rCtl, byte[] payload) {
        return FcipFraming.encode(rCtl, p.id, FcFabric.TARGET_PORT_ID, FcFrameHeader.TYPE_BLS, FcFrameHeader.F_CTL_REPLY,
                sender.nextSeqId(), f.oxId(), f.rxId(), 0, payload);
    }

    private void taskManagement(NPort p, FcipFraming.Frame f, long nexus, long lun, int flags)
            throws InterruptedException {
        TaskManagementFunction function = Fcp.function(flags);
        if (function == null) {
            localResponse(p, f, 0, 0, Fcp.RSP_TMF_NOT_SUPPORTED);
            return;
        }
        if (function == TaskManagementFunction.TARGET_WARM_RESET && !target.targetResetAllowed(p.portName)) {
            // Resets every LUN for every initiator: only ports the administrator named may.
            LOG.warn("{}: TARGET RESET from WWPN {} refused: not among targetResetInitiators", link,
                    Long.toHexString(p.portName));
            localResponse(p, f, 0, 0, Fcp.RSP_TMF_FAILED);
            return;
        }
        if (function != TaskManagementFunction.CLEAR_ACA) {
            synchronized (link.lock) {
                abortExchanges(p, function == TaskManagementFunction.TARGET_WARM_RESET ? null : lun, false);
            }
        }
        int oxId = f.oxId();
        int rxId = sender.nextRxId();
        int portId = p.id;
        LOG.info("{}: {} from {} for LUN {}", link, function, FcFrameHeader.portId(p.id), Long.toHexString(lun));
        target.taskManagement(nexus, function, lun, 0, r -> {
            int code;
            switch (r) {
                case FUNCTION_COMPLETE: code = Fcp.RSP_TMF_COMPLETE; break;
                case FUNCTION_SUCCEEDED: code = Fcp.RSP_TMF_SUCCEEDED; break;
                case LUN_DOES_NOT_EXIST: code = Fcp.RSP_TMF_INCORRECT_LUN; break;
                case FUNCTION_NOT_SUPPORTED: code = Fcp.RSP_TMF_NOT_SUPPORTED; break;
                default: code = Fcp.RSP_TMF_FAILED;
            }
            ByteBuffer b = ByteBuffer.allocate(Fcp.RSP_LENGTH + Fcp.RSP_INFO_LENGTH);
            int n = Fcp.response(b, ScsiStatus.GOOD, 0, null, 0, code);
            b.limit(n);
            sender.enqueueQuietly(rspFrame(portId, oxId, rxId, b));
        });
    }

    private static byte[] rspFrame(int portId, int oxId, int rxId, ByteBuffer payload) {
        ByteBuffer out = ByteBuffer.allocate(FcipFraming.encodedLength(payload.remaining()));
        FcipFraming.encode(out, FcipHeader.SOF_I3, FcipHeader.EOF_T, FcFrameHeader.R_CTL_COMMAND_STATUS, portId,
                FcFabric.TARGET_PORT_ID, FcFrameHeader.TYPE_FCP, FcFrameHeader.F_CTL_REPLY, 0, 0, oxId, rxId, 0,
                payload);
        return out.array();
    }

    /** An FCP_RSP the LLD makes up itself (the command never reached the host). */
    private void localResponse(NPort p, FcipFraming.Frame f, int status, int residual, int rspCode)
            throws InterruptedException {
        ByteBuffer b = ByteBuffer.allocate(Fcp.RSP_LENGTH + Fcp.RSP_INFO_LENGTH);
        int n = Fcp.response(b, status, residual, null, 0, rspCode);
        b.limit(n);
        sender.enqueue(rspFrame(p.id, f.oxId(), sender.nextRxId(), b));
    }

    /**
     * Lock held. Releases the exchanges (of {@code lun}, or all) the LLD still holds, waiting for
     * data; with {@code submitted}, also marks those the daemon holds aborted, so their completions
     * are not delivered (the nexus is going away). Without it the daemon decides: it answers or
     * aborts them ahead of the TMF's own answer.
     */
    void abortExchanges(NPort p, Long lun, boolean submitted) {
        ScsiHost host = target.host();
        List<FcExchange> open = new ArrayList<>(p.exchanges.size());
        p.exchanges.values(open);
        for (FcExchange x : open) {
            if (lun != null && x.lun != lun) {
                continue;
            }
            if (x.state == FcExchange.State.RECEIVING) {
                p.exchanges.remove(x.oxId);
                if (host != null) {
                    host.release(x.command);
                }
                x.state = FcExchange.State.ABORTED;
                recycle(x);
            } else if (submitted) {
                x.state = FcExchange.State.ABORTED;
            }
        }
    }

    /**
     * Lock held: an exchange for a new FCP_CMND, from the pool while it has one. Only the
     * reader takes exchanges, so one the reader still looks at is not handed out again before
     * it is done with it.
     */
    private FcExchange takeExchange() {
        if (poolSize == 0) {
            return new FcExchange(link);
        }
        FcExchange x = pool[--poolSize];
        pool[poolSize] = null;
        x.pooled = false;
        return x;
    }

    /**
     * Lock held: an exchange has ended (every exchange ends once: the {@link FcExchange#pooled}
     * mark makes a second end a programming error rather than a shared exchange); it goes back
     * to the pool while the pool has room.
     */
    void recycle(FcExchange x) {
        if (x.pooled) {
            throw new IllegalStateException("exchange OX_ID " + Integer.toHexString(x.oxId) + " ended twice");
        }
        x.pooled = true;
        x.clear();
        if (poolSize < pool.length) {
            pool[poolSize++] = x;
        }
    }
}
