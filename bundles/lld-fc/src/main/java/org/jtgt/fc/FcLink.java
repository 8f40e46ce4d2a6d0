package org.jtgt.fc;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.host.BufferView;
import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.IntMap;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.target.SessionInfo;
import org.jtgt.api.target.SessionSource;
import org.jtgt.fc.wire.Els;
import org.jtgt.fc.wire.FcFrameHeader;
import org.jtgt.fc.wire.FcipFraming;
import org.jtgt.fc.wire.FcipHeader;
import org.jtgt.fc.wire.Fcp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One FCIP link: the switch's side of it (fabric login server, name server) and the target
 * N_Port's exchanges with every initiator N_Port logged in over it.
 *
 * <p>Threads: the reader decodes frames ({@link FcipFraming}) and handles them in arrival order;
 * every outgoing frame goes through one queue drained by the sender, so a transport thread that
 * completes a command never blocks on the network, and replies keep their order (an FCP_RSP
 * queued before a BA_ACC leaves before it). Bad frames are dropped or rejected and counted; only
 * a stream that can no longer be framed ends the link.
 *
 * <p>The path of a command (FCP_CMND, FCP_XFER_RDY, FCP_DATA both ways, FCP_RSP) allocates
 * nothing once the link has warmed up: the reader decodes into the framing's one buffer, takes
 * an {@link FcExchange} from the link's pool and files it by OX_ID in an {@link IntMap}; the
 * send queue ({@link FcSendQueue}) holds reusable entries; the sender encodes FCP_XFER_RDY,
 * Data-In and FCP_RSP into its one send buffer, Data-In straight from a view of the command's
 * data buffer. Logins, link services, ABTS and errors allocate as they like.
 *
 * <p>Every frame is written (and flushed) on its own, so that on a quiet link each FCIP frame
 * starts a TCP segment: Wireshark's FCIP dissector (4.0) hands only the first frame of a segment
 * to the FC dissector correctly. It costs a system call per frame.
 */
final class FcLink {
    private static final Logger LOG = LoggerFactory.getLogger(FcLink.class);
    /** Frames the reader may have queued before it waits for the sender (bounds memory). */
    private static final int OUTBOUND_LIMIT = 4096;
    /** Send queue entries made when the link comes up; it grows beyond only under a burst. */
    private static final int OUTBOUND_INITIAL = 256;
    private static final int WARNINGS = 10;
    private static final long ALLOCATE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** An initiator N_Port logged in to the fabric over this link. Guarded by the connection lock. */
    static final class NPort {
        final int id;
        final long portName;
        final long nodeName;
        boolean nameServerLogin;
        boolean plogi;
        boolean prli;
        int frameSize;
        long nexusId = -1;
        /** The target of the image pair (PRLI), for management. */
        String targetName;
        /** Open exchanges by OX_ID. */
        final IntMap<FcExchange> exchanges = new IntMap<>(64);

        NPort(int id, long portName, long nodeName) {
            this.id = id;
            this.portName = portName;
            this.nodeName = nodeName;
        }
    }

    final FcTarget target;
    private final Socket socket;
    private final int id;
    private final FcipFraming framing;
    private final OutputStream out;
    private final Object lock = new Object();
    /** By N_Port ID. */
    private final IntMap<NPort> ports = new IntMap<>(8);
    private final FcSendQueue outbound = new FcSendQueue(OUTBOUND_INITIAL);
    /** Ended exchanges for the next FCP_CMNDs; guarded by the lock. */
    private final FcExchange[] pool;
    private int poolSize;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final AtomicInteger seqIds = new AtomicInteger();
    private final AtomicInteger rxIds = new AtomicInteger();
    private final AtomicInteger dropped = new AtomicInteger();
    private final byte[] cdb = new byte[CmdReqEvent.MAX_CDB_LENGTH];
    /** Sender thread only. */
    private final ByteBuffer sendBuffer = ByteBuffer.allocate(FcipHeader.MAX_BYTES);
    private final ByteBuffer rspBuffer = ByteBuffer.allocate(Fcp.RSP_LENGTH + Fcp.RSP_INFO_LENGTH + 260);
    private final byte[] senseScratch = new byte[260];
    /** Sender thread only: the entry being sent and the FCP_XFER_RDY payload. */
    private final FcSendQueue.Entry sending = new FcSendQueue.Entry();
    private final ByteBuffer xferRdyPayload = ByteBuffer.allocate(Fcp.XFER_RDY_LENGTH);
    /** Sender thread only: the view Data-In frames are written from. */
    private final BufferView dataView = new BufferView();
    /** Reader thread only: a view of the receive buffer for copying Data-Out. */
    private ByteBuffer rxView;
    /** Reader thread only: a frame has arrived (an FSF is accepted only as the first). */
    private boolean started;
    private boolean senderRunning = true;
    private Thread reader;
    private Thread sender;

    FcLink(FcTarget target, Socket socket, int id) throws IOException {
        this.target = target;
        this.socket = socket;
        this.id = id;
        this.framing = new FcipFraming(socket.getInputStream());
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        this.pool = new FcExchange[target.settings().maxExchanges()];
    }

    void start() throws IOException {
        // A link with no N_Port logged in holds a connection slot for nothing: it gets the login
        // timeout as its read timeout until a fabric login succeeds (see loginsChanged).
        socket.setSoTimeout(target.settings().loginTimeoutMillis());
        reader = new Thread(this::readLoop, "jtgt-fc-rx-" + id);
        sender = new Thread(this::sendLoop, "jtgt-fc-tx-" + id);
        reader.setDaemon(true);
        sender.setDaemon(true);
        LOG.info("{}: FCIP link up from {}", this, socket.getRemoteSocketAddress());
        sender.start();
        reader.start();
    }

    /** Ends the link; the reader tears down its ports and nexuses. */
    void close(String reason) {
        if (closed.compareAndSet(false, true)) {
            LOG.info("{}: closing ({})", this, reason);
            try {
                socket.close();
            } catch (IOException e) {
                LOG.debug("close failed", e);
            }
            outbound.addStop();
        }
    }

    boolean awaitFinished(long millis) throws InterruptedException {
        return finished.await(millis, TimeUnit.MILLISECONDS);
    }

    /** The image pairs (PRLI) over this link, as management shows them; each is one session. */
    List<SessionInfo> sessions(int hostNo) {
        List<SessionInfo> out = new ArrayList<>();
        List<SessionInfo.ConnectionInfo> link = List.of(new SessionInfo.ConnectionInfo(id,
                String.valueOf(socket.getRemoteSocketAddress()).replaceFirst("^/", ""),
                String.valueOf(socket.getLocalSocketAddress()).replaceFirst("^/", "")));
        synchronized (lock) {
            for (NPort p : portList()) {
                if (p.prli && p.nexusId >= 0) {
                    out.add(new SessionInfo(SessionSource.FC, p.targetName, initiatorPortName(p.portName),
                            "N_Port " + FcFrameHeader.portId(p.id), hostNo, p.nexusId, link));
                }
            }
        }
        return out;
    }

    /** Whether an image pair over this link serves {@code targetName}. */
    boolean serves(String targetName) {
        synchronized (lock) {
            for (NPort p : portList()) {
                if (p.prli && targetName.equals(p.targetName)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Frames dropped or rejected as bad since the link came up. */
    int droppedFrames() {
        return dropped.get();
    }

    /** Open FCP exchanges over all ports (for tests). */
    int openExchanges() {
        synchronized (lock) {
            int n = 0;
            for (NPort p : portList()) {
                n += p.exchanges.size();
            }
            return n;
        }
    }

    /** Lock held: the ports logged in over this link, a copy. */
    private List<NPort> portList() {
        List<NPort> all = new ArrayList<>(ports.size());
        ports.values(all);
        return all;
    }

    @Override
    public String toString() {
        return "fc-link-" + id;
    }

    // =====================================================================================
    // reader
    // =====================================================================================

    private void readLoop() {
        try {
            while (!closed.get()) {
                FcipFraming.Frame f;
                try {
                    f = framing.read();
                } catch (FcipFraming.BadFrameException e) {
                    bad(e.getMessage());
                    if (e.streamLost()) {
                        close("unframeable input: " + e.getMessage());
                        break;
                    }
                    continue;
                }
                if (f == null) {
                    break;
                }
                handle(f);
            }
        } catch (SocketTimeoutException e) {
            close("no N_Port logged in to the fabric within " + target.settings().loginTimeoutMillis() / 1000 + " s");
        } catch (IOException e) {
            if (!closed.get()) {
                LOG.debug("{}: read failed: {}", this, e.toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("{}: failed", this, e);
        } finally {
            close("link down");
            teardown();
        }
    }

    private void teardown() {
        try {
            sender.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<NPort> all;
        synchronized (lock) {
            all = portList();
            ports.clear();
        }
        for (NPort p : all) {
            endImage(p);
            target.fabric().logout(p.id, this);
        }
        target.connectionClosed(this);
        finished.countDown();
    }

    private void bad(String reason) {
        int n = dropped.incrementAndGet();
        if (n <= WARNINGS) {
            LOG.warn("{}: bad frame dropped or rejected: {}", this, reason);
        } else {
            LOG.debug("{}: bad frame dropped or rejected: {}", this, reason);
        }
    }

    private void handle(FcipFraming.Frame f) throws InterruptedException {
        boolean first = !started;
        started = true;
        if (f.special()) {
            if (first) {
                // RFC 3821 6.6.2: the accepting side echoes the FSF; nothing in it is changed (Ch clear)
                LOG.info("{}: FCIP special frame received, echoed", this);
                enqueue(f.specialFrameCopy());
            } else {
                bad("FCIP special frame after the first frame of the link");
            }
            return;
        }
        int d = f.dId();
        if (d == FcFrameHeader.FABRIC_LOGIN_SERVER) {
            fabricFrame(f);
            return;
        }
        NPort p;
        synchronized (lock) {
            p = ports.get(f.sId());
        }
        if (p == null) {
            bad("frame from " + FcFrameHeader.portId(f.sId()) + " without a fabric login: " + f);
            return;
        }
        if (d == FcFrameHeader.DIRECTORY_SERVER) {
            directoryFrame(p, f);
        } else if (d == FcFabric.TARGET_PORT_ID) {
            targetFrame(p, f);
        } else {
            bad("frame for unknown D_ID: " + f);
        }
    }

    // ---- fabric login server -------------------------------------------------------

    private void fabricFrame(FcipFraming.Frame f) throws InterruptedException {
        if (f.rCtl() != FcFrameHeader.R_CTL_ELS_REQUEST || f.type() != FcFrameHeader.TYPE_ELS) {
            bad("non-ELS frame for the fabric login server: " + f);
            return;
        }
        int command = f.payloadByte(0);
        switch (command) {
            case Els.FLOGI:
            case Els.FDISC: {
                if (f.payloadLength() < Els.LOGIN_LENGTH) {
                    elsReply(f, FcFrameHeader.FABRIC_LOGIN_SERVER, Els.lsRjt(Els.RJT_PROTOCOL_ERROR, Els.EXPL_NONE));
                    return;
                }
                long wwpn = f.payloadLong(Els.PORT_NAME_OFFSET);
                long wwnn = f.payloadLong(Els.NODE_NAME_OFFSET);
                boolean known;
                int count;
                synchronized (lock) {
                    known = portOf(wwpn) != null;
                    count = ports.size();
                }
                if (!known && count >= target.settings().maxPortsPerLink()) {
                    LOG.info("{}: {} from WWPN {} refused: {} N_Ports logged in over this link", this,
                            command == Els.FLOGI ? "FLOGI" : "FDISC", Long.toHexString(wwpn), count);
                    elsReply(f, FcFrameHeader.FABRIC_LOGIN_SERVER, Els.lsRjt(Els.RJT_UNABLE,
                            Els.EXPL_INSUFFICIENT_RESOURCES));
                    return;
                }
                int portId = target.fabric().login(wwpn, wwnn, this);
                if (portId == FcFabric.DUPLICATE_PORT_NAME) {
                    LOG.warn("{}: {} from WWPN {} refused: that port name is logged in over another link", this,
                            command == Els.FLOGI ? "FLOGI" : "FDISC", Long.toHexString(wwpn));
                    elsReply(f, FcFrameHeader.FABRIC_LOGIN_SERVER, Els.lsRjt(Els.RJT_UNABLE,
                            Els.EXPL_INVALID_PORT_NAME));
                    return;
                }
                if (portId < 0) {
                    elsReply(f, FcFrameHeader.FABRIC_LOGIN_SERVER, Els.lsRjt(Els.RJT_UNABLE,
                            Els.EXPL_INSUFFICIENT_RESOURCES));
                    return;
                }
                NPort p = new NPort(portId, wwpn, wwnn);
                p.frameSize = negotiate(Els.rxSize(f));
                NPort old;
                synchronized (lock) {
                    old = ports.put(portId, p);
                }
                if (old != null) {
                    endImage(old);   // a new fabric login ends the old one's sessions (FC-LS-3 4.2)
                }
                loginsChanged();
                FcTarget.Settings s = target.settings();
                byte[] acc = Els.login(Els.LS_ACC, s.nodeName() ^ 0x0000_0000_0000_FFFEL, s.nodeName(), s.frameSize(),
                        Els.FEATURE_F_PORT, 10_000, 2_000);
                LOG.info("{}: {} from WWPN {} -> N_Port ID {}", this, command == Els.FLOGI ? "FLOGI" : "FDISC",
                        Long.toHexString(wwpn), FcFrameHeader.portId(portId));
                enqueue(FcipFraming.encode(FcFrameHeader.R_CTL_ELS_REPLY, portId, FcFrameHeader.FABRIC_LOGIN_SERVER,
                        FcFrameHeader.TYPE_ELS, FcFrameHeader.F_CTL_REPLY, nextSeqId(), f.oxId(), nextRxId(), 0, acc));
                return;
            }
            case Els.LOGO: {
                NPort p;
                synchronized (lock) {
                    p = ports.remove(f.sId());
                }
                if (p == null) {
                    bad("fabric LOGO from a port without a fabric login");
                    return;
                }
                endImage(p);
                target.fabric().logout(p.id, this);
                loginsChanged();
                elsReply(f, FcFrameHeader.FABRIC_LOGIN_SERVER, Els.lsAcc());
                return;
            }
            default:
                elsReply(f, FcFrameHeader.FABRIC_LOGIN_SERVER, Els.lsRjt(Els.RJT_NOT_SUPPORTED, Els.EXPL_NONE));
        }
    }

    /** Lock held: the port logged in over this link with port name {@code wwpn}, or null. */
    private NPort portOf(long wwpn) {
        for (NPort p : portList()) {
            if (p.portName == wwpn) {
                return p;
            }
        }
        return null;
    }

    /** Reader thread: the login timeout applies while no N_Port is logged in over this link. */
    private void loginsChanged() {
        int count;
        synchronized (lock) {
            count = ports.size();
        }
        try {
            socket.setSoTimeout(count == 0 ? target.settings().loginTimeoutMillis() : 0);
        } catch (IOException e) {
            LOG.debug("{}: setting the read timeout failed: {}", this, e.toString());
        }
    }

    // ---- directory (name server) -----------------------------------------------------

    private void directoryFrame(NPort p, FcipFraming.Frame f) throws InterruptedException {
        if (f.rCtl() == FcFrameHeader.R_CTL_ELS_REQUEST && f.type() == FcFrameHeader.TYPE_ELS) {
            int command = f.payloadByte(0);
            if (command == Els.PLOGI) {
                synchronized (lock) {
                    p.nameServerLogin = true;
                }
                FcTarget.Settings s = target.settings();
                elsReply(f, FcFrameHeader.DIRECTORY_SERVER, Els.login(Els.LS_ACC, s.nodeName() ^ 0xFFFCL,
                        s.nodeName(), s.frameSize(), 0, 0x00FF0000, 2_000));
            } else if (command == Els.LOGO) {
                synchronized (lock) {
                    p.nameServerLogin = false;
                }
                elsReply(f, FcFrameHeader.DIRECTORY_SERVER, Els.lsAcc());
            } else {
                elsReply(f, FcFrameHeader.DIRECTORY_SERVER, Els.lsRjt(Els.RJT_NOT_SUPPORTED, Els.EXPL_NONE));
            }
            return;
        }
        if (f.rCtl() == FcFrameHeader.R_CTL_UNSOL_CONTROL && f.type() == FcFrameHeader.TYPE_CT) {
            boolean loggedIn;
            synchronized (lock) {
                loggedIn = p.nameServerLogin;
            }
            if (!loggedIn) {
                bad("name server request without PLOGI to the directory server");
                return;
            }
            byte[] reply = target.fabric().nameServer(p.id, f);
            enqueue(FcipFraming.encode(FcFrameHeader.R_CTL_SOL_CONTROL, p.id, FcFrameHeader.DIRECTORY_SERVER,
                    FcFrameHeader.TYPE_CT, FcFrameHeader.F_CTL_REPLY, nextSeqId(), f.oxId(), nextRxId(), 0, reply));
            return;
        }
        bad("unexpected frame for the directory server: " + f);
    }

    // ---- target N_Port -------------------------------------------------------------------

    private void targetFrame(NPort p, FcipFraming.Frame f) throws InterruptedException {
        int r = f.rCtl();
        int type = f.type();
        if (r == FcFrameHeader.R_CTL_ELS_REQUEST && type == FcFrameHeader.TYPE_ELS) {
            els(p, f);
        } else if (r == FcFrameHeader.R_CTL_UNSOL_COMMAND && type == FcFrameHeader.TYPE_FCP) {
            fcpCommand(p, f);
        } else if (r == FcFrameHeader.R_CTL_DATA && type == FcFrameHeader.TYPE_FCP) {
            fcpData(p, f);
        } else if (r == FcFrameHeader.R_CTL_BLS_ABTS && type == FcFrameHeader.TYPE_BLS) {
            abts(p, f);
        } else {
            bad("unknown R_CTL/TYPE for the target port: " + f);
        }
    }

    private void els(NPort p, FcipFraming.Frame f) throws InterruptedException {
        int command = f.payloadByte(0);
        int src = FcFabric.TARGET_PORT_ID;
        switch (command) {
            case Els.PLOGI: {
                if (f.payloadLength() < Els.LOGIN_LENGTH) {
                    elsReply(f, src, Els.lsRjt(Els.RJT_PROTOCOL_ERROR, Els.EXPL_NONE));
                    return;
                }
                boolean relogin;
                synchronized (lock) {
                    relogin = p.plogi;
                }
                if (relogin) {
                    endImage(p);   // PLOGI while logged in: implicit logout first (FC-LS-3 6.6.3)
                }
                synchronized (lock) {
                    p.plogi = true;
                    p.frameSize = negotiate(Els.rxSize(f));
                }
                FcTarget.Settings s = target.settings();
                LOG.info("{}: PLOGI from {} (WWPN {}), frame size {}", this, FcFrameHeader.portId(p.id),
                        Long.toHexString(p.portName), p.frameSize);
                elsReply(f, src, Els.login(Els.LS_ACC, s.portName(), s.nodeName(), s.frameSize(), Els.FEATURE_CIRO,
                        0x00FF0000, 2_000));
                return;
            }
            case Els.PRLI: {
                boolean loggedIn;
                boolean imagePair;
                synchronized (lock) {
                    loggedIn = p.plogi;
                    imagePair = p.prli;
                }
                if (!loggedIn) {
                    elsReply(f, src, Els.lsRjt(Els.RJT_UNABLE, Els.EXPL_LOGIN_REQUIRED));
                    return;
                }
                if (f.payloadLength() < Els.PRLI_LENGTH || f.payloadByte(1) != 0x10
                        || f.payloadByte(Els.PRLI_TYPE_OFFSET) != FcFrameHeader.TYPE_FCP) {
                    elsReply(f, src, Els.lsRjt(Els.RJT_PROTOCOL_ERROR, Els.EXPL_NONE));
                    return;
                }
                if (!imagePair) {
                    String targetName = target.targetName();
                    if (targetName == null) {
                        LOG.warn("{}: PRLI from {}: no target to serve", this, FcFrameHeader.portId(p.id));
                        elsReply(f, src, Els.lsRjt(Els.RJT_UNABLE, Els.EXPL_NONE));
                        return;
                    }
                    String initiator = initiatorPortName(p.portName);
                    long[] nexus;
                    try {
                        nexus = target.createNexus(initiator, targetName);
                    } catch (RuntimeException e) {
                        LOG.warn("{}: creating the nexus failed: {}", this, e.toString());
                        elsReply(f, src, Els.lsRjt(Els.RJT_UNABLE, Els.EXPL_NONE));
                        return;
                    }
                    if (nexus[1] != ItNexusRspEvent.RESULT_OK) {
                        LOG.warn("{}: nexus {} -> {} refused ({})", this, initiator, targetName, nexus[1]);
                        elsReply(f, src, Els.lsRjt(Els.RJT_UNABLE, Els.EXPL_NONE));
                        return;
                    }
                    synchronized (lock) {
                        p.nexusId = nexus[0];
                        p.targetName = targetName;
                        p.prli = true;
                    }
                    LOG.info("{}: PRLI from {}: I_T nexus {} {} -> {}", this, FcFrameHeader.portId(p.id), nexus[0],
                            initiator, targetName);
                }
                elsReply(f, src, Els.prli(Els.LS_ACC, Els.PRLI_ESTABLISH_IMAGE_PAIR | Els.PRLI_REQUEST_EXECUTED,
                        Els.FCP_TARGET_FUNCTION | Els.FCP_READ_XFER_RDY_DISABLED));
                return;
            }
            case Els.PRLO: {
                endImage(p);
                elsReply(f, src, Els.prli(Els.LS_ACC, Els.PRLI_REQUEST_EXECUTED, 0));
                return;
            }
            case Els.LOGO: {
                endImage(p);
                synchronized (lock) {
                    p.plogi = false;
                }
                LOG.info("{}: LOGO from {}", this, FcFrameHeader.portId(p.id));
                elsReply(f, src, Els.lsAcc());
                return;
            }
            default:
                elsReply(f, src, Els.lsRjt(Els.RJT_NOT_SUPPORTED, Els.EXPL_NONE));
        }
    }

    static String initiatorPortName(long wwpn) {
        return String.format("naa.%016x", wwpn);
    }

    /** Ends the image pair: LLD-held exchanges released, submitted ones left to complete unseen, nexus destroyed. */
    private void endImage(NPort p) {
        long nexus;
        synchronized (lock) {
            abortExchanges(p, null, true);
            nexus = p.nexusId;
            p.nexusId = -1;
            p.prli = false;
        }
        if (nexus >= 0) {
            target.destroyNexus(nexus);
            LOG.info("{}: I_T nexus {} of {} ended", this, nexus, FcFrameHeader.portId(p.id));
        }
    }

    /**
     * Lock held. Releases the exchanges (of {@code lun}, or all) the LLD still holds, waiting for
     * data; with {@code submitted}, also marks those the daemon holds aborted, so their completions
     * are not delivered (the nexus is going away). Without it the daemon decides: it answers or
     * aborts them ahead of the TMF's own answer.
     */
    private void abortExchanges(NPort p, Long lun, boolean submitted) {
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
            return new FcExchange(this);
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
    private void recycle(FcExchange x) {
        if (x.pooled) {
            throw new IllegalStateException("exchange OX_ID " + Integer.toHexString(x.oxId) + " ended twice");
        }
        x.pooled = true;
        x.clear();
        if (poolSize < pool.length) {
            pool[poolSize++] = x;
        }
    }

    private void fcpCommand(NPort p, FcipFraming.Frame f) throws InterruptedException {
        int oxId = f.oxId();
        long nexus;
        synchronized (lock) {
            nexus = p.prli ? p.nexusId : -1;
            if (nexus >= 0 && p.exchanges.containsKey(oxId)) {
                bad("FCP_CMND on OX_ID " + Integer.toHexString(oxId) + " that is still open");
                return;
            }
        }
        if (nexus < 0) {
            bad("FCP_CMND from " + FcFrameHeader.portId(p.id) + " without PRLI");
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
        synchronized (lock) {
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
            LOG.debug("{}: allocate failed: {}", this, e.toString());
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
        int rxId = nextRxId();
        FcExchange x;
        synchronized (lock) {
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
        awaitRoom();
        outbound.addXferRdy(p.id, nextSeqId(), x.oxId, x.rxId, x.received, burst);
    }

    private void fcpData(NPort p, FcipFraming.Frame f) throws InterruptedException {
        FcExchange x;
        synchronized (lock) {
            x = p.exchanges.get(f.oxId());
        }
        if (x == null || x.state != FcExchange.State.RECEIVING) {
            bad("FCP_DATA for no exchange waiting for data: " + f);
            return;
        }
        int len = f.payloadLength();
        int offset = (f.fCtl() & FcFrameHeader.F_CTL_RELATIVE_OFFSET) != 0 ? f.parameter() : x.received;
        if (offset != x.received || len > x.burstEnd - x.received) {
            bad("FCP_DATA at offset " + offset + " length " + len + " does not continue " + x.received + " of "
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
            synchronized (lock) {
                if (x.state != FcExchange.State.RECEIVING) {
                    return;
                }
                x.state = FcExchange.State.SUBMITTED;
            }
            target.host().submit(x.command);
        }
    }

    private void abts(NPort p, FcipFraming.Frame f) throws InterruptedException {
        int oxId = f.oxId();
        FcExchange x;
        FcExchange.State was;
        ScsiHost host = target.host();
        long nexus;
        int rxId = 0;
        long lun = 0;
        synchronized (lock) {
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
            bad("ABTS for unknown exchange OX_ID " + Integer.toHexString(oxId));
            enqueue(bls(p, f, FcFrameHeader.R_CTL_BLS_BA_RJT,
                    Fcp.baRjt(Fcp.BA_RJT_LOGICAL_ERROR, Fcp.BA_RJT_EXPL_INVALID_OX_RX)));
            return;
        }
        LOG.debug("{}: ABTS for OX_ID {} ({})", this, Integer.toHexString(oxId), was);
        byte[] acc = bls(p, f, FcFrameHeader.R_CTL_BLS_BA_ACC, Fcp.baAcc(oxId, rxId));
        if (was == FcExchange.State.SUBMITTED && nexus >= 0) {
            // The daemon may still hold the task: abort it there, answer once it is gone.
            target.taskManagement(nexus, TaskManagementFunction.ABORT_TASK, lun, oxId, r -> enqueueQuietly(acc));
        } else {
            enqueue(acc);
        }
    }

    private byte[] bls(NPort p, FcipFraming.Frame f, int rCtl, byte[] payload) {
        return FcipFraming.encode(rCtl, p.id, FcFabric.TARGET_PORT_ID, FcFrameHeader.TYPE_BLS, FcFrameHeader.F_CTL_REPLY,
                nextSeqId(), f.oxId(), f.rxId(), 0, payload);
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
            LOG.warn("{}: TARGET RESET from WWPN {} refused: not among targetResetInitiators", this,
                    Long.toHexString(p.portName));
            localResponse(p, f, 0, 0, Fcp.RSP_TMF_FAILED);
            return;
        }
        if (function != TaskManagementFunction.CLEAR_ACA) {
            synchronized (lock) {
                abortExchanges(p, function == TaskManagementFunction.TARGET_WARM_RESET ? null : lun, false);
            }
        }
        int oxId = f.oxId();
        int rxId = nextRxId();
        int portId = p.id;
        LOG.info("{}: {} from {} for LUN {}", this, function, FcFrameHeader.portId(p.id), Long.toHexString(lun));
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
            enqueueQuietly(rspFrame(portId, oxId, rxId, b));
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
        enqueue(rspFrame(p.id, f.oxId(), nextRxId(), b));
    }

    private void elsReply(FcipFraming.Frame f, int source, byte[] payload) throws InterruptedException {
        enqueue(FcipFraming.encode(FcFrameHeader.R_CTL_ELS_REPLY, f.sId(), source, FcFrameHeader.TYPE_ELS,
                FcFrameHeader.F_CTL_REPLY, nextSeqId(), f.oxId(), nextRxId(), 0, payload));
    }

    private int negotiate(int offered) {
        int mine = target.settings().frameSize();
        int size = offered <= 0 ? mine : Math.min(mine, offered);
        return Math.max(128, size & ~3);
    }

    private int nextSeqId() {
        return seqIds.getAndIncrement() & 0xFF;
    }

    private int nextRxId() {
        int id;
        do {
            id = rxIds.getAndIncrement() & 0xFFFF;
        } while (id == FcFrameHeader.UNASSIGNED_ID);
        return id;
    }

    /** From the reader: waits while the sender is far behind, so a peer that never reads costs bounded memory. */
    private void enqueue(byte[] frame) throws InterruptedException {
        awaitRoom();
        outbound.addFrame(frame);
    }

    private void awaitRoom() throws InterruptedException {
        while (outbound.size() > OUTBOUND_LIMIT && !closed.get()) {
            Thread.sleep(1);
        }
    }

    /** From a transport thread: never waits. */
    private void enqueueQuietly(byte[] frame) {
        if (!closed.get()) {
            outbound.addFrame(frame);
        }
    }

    // =====================================================================================
    // completions (transport thread) and the sender
    // =====================================================================================

    void commandCompleted(FcExchange x) {
        synchronized (lock) {
            if (senderRunning) {
                outbound.addCompletion(x);
                return;
            }
        }
        undelivered(x);
    }

    /** A completion that is not sent: the exchange ends, the command is given back as lost. */
    private void undelivered(FcExchange x) {
        HostCommand cmd = x.command;
        synchronized (lock) {
            x.port.exchanges.remove(x.oxId, x);
        }
        try {
            target.host().done(cmd, CmdDoneEvent.NEXUS_LOST);
        } finally {
            synchronized (lock) {
                recycle(x);
            }
        }
    }

    private void sendLoop() {
        FcSendQueue.Entry next = sending;
        try {
            loop:
            while (true) {
                outbound.take(next);
                switch (next.kind) {
                    case FcSendQueue.STOP:
                        break loop;
                    case FcSendQueue.FRAME:
                        out.write(next.frame);
                        out.flush();
                        next.frame = null;
                        break;
                    case FcSendQueue.XFER_RDY:
                        sendXferRdy(next);
                        break;
                    case FcSendQueue.COMPLETION:
                        FcExchange x = next.exchange;
                        next.exchange = null;
                        sendCompletion(x);
                        break;
                    default:
                        throw new IllegalStateException("send queue entry of kind " + next.kind);
                }
            }
        } catch (IOException e) {
            if (!closed.get()) {
                LOG.debug("{}: write failed: {}", this, e.toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("{}: sender failed", this, e);
        } finally {
            close("sender stopped");
            List<FcExchange> left = new ArrayList<>();
            synchronized (lock) {
                senderRunning = false;
                outbound.drainCompletions(left);
            }
            for (FcExchange x : left) {
                undelivered(x);
            }
        }
    }

    /** Asks for a burst of write data (FCP-4 9.3), encoded from the entry the reader queued. */
    private void sendXferRdy(FcSendQueue.Entry e) throws IOException {
        ByteBuffer payload = xferRdyPayload;
        payload.clear().limit(Fcp.xferRdy(payload, e.offset, e.length));
        int total = FcipFraming.encode(sendBuffer, FcipHeader.SOF_I3, FcipHeader.EOF_T,
                FcFrameHeader.R_CTL_DATA_DESCRIPTOR, e.dId, FcFabric.TARGET_PORT_ID, FcFrameHeader.TYPE_FCP,
                FcFrameHeader.F_CTL_EXCHANGE_CONTEXT | FcFrameHeader.F_CTL_END_SEQUENCE
                        | FcFrameHeader.F_CTL_SEQUENCE_INITIATIVE,
                e.seqId, 0, e.oxId, e.rxId, 0, payload);
        out.write(sendBuffer.array(), 0, total);
        out.flush();
    }

    private void sendCompletion(FcExchange x) throws IOException {
        HostCommand cmd = x.command;
        NPort p = x.port;
        boolean aborted;
        int frameSize;
        synchronized (lock) {
            aborted = x.state == FcExchange.State.ABORTED;
            p.exchanges.remove(x.oxId, x);
            frameSize = p.frameSize;
        }
        ScsiHost host = target.host();
        boolean delivered = false;
        try {
            if (aborted) {
                return;
            }
            if (x.read) {
                int n = Math.max(0, Math.min(cmd.dataInLength(), x.dataLength));
                if (n > 0) {
                    sendData(x, cmd, n, frameSize);
                }
            }
            int senseLength = Math.min(cmd.senseLength(), senseScratch.length);
            if (senseLength > 0) {
                cmd.sense(senseScratch);
            }
            rspBuffer.clear();
            int len = Fcp.response(rspBuffer, cmd.status(), cmd.residual(), senseScratch, senseLength, -1);
            rspBuffer.limit(len).position(0);
            int total = FcipFraming.encode(sendBuffer, FcipHeader.SOF_I3, FcipHeader.EOF_T,
                    FcFrameHeader.R_CTL_COMMAND_STATUS, p.id, FcFabric.TARGET_PORT_ID, FcFrameHeader.TYPE_FCP,
                    FcFrameHeader.F_CTL_REPLY, nextSeqId(), 0, x.oxId, x.rxId, 0, rspBuffer);
            out.write(sendBuffer.array(), 0, total);
            out.flush();
            delivered = true;
        } finally {
            try {
                host.done(cmd, delivered ? CmdDoneEvent.DELIVERED : CmdDoneEvent.NEXUS_LOST);
            } finally {
                synchronized (lock) {
                    recycle(x);
                }
            }
        }
    }

    /** One Data-In sequence split at the negotiated frame size; relative offsets continuously increasing. */
    private void sendData(FcExchange x, HostCommand cmd, int n, int frameSize) throws IOException {
        ByteBuffer shared = cmd.dataBuffer();
        int base = cmd.dataPosition();
        int seqId = nextSeqId();
        int seqCnt = 0;
        for (int off = 0; off < n; off += frameSize) {
            int len = Math.min(frameSize, n - off);
            boolean last = off + len == n;
            ByteBuffer data = dataView.of(shared, base + off, len);
            int fCtl = FcFrameHeader.F_CTL_EXCHANGE_CONTEXT | FcFrameHeader.F_CTL_RELATIVE_OFFSET
                    | (last ? FcFrameHeader.F_CTL_END_SEQUENCE : 0);
            int total = FcipFraming.encode(sendBuffer, off == 0 ? FcipHeader.SOF_I3 : FcipHeader.SOF_N3,
                    last ? FcipHeader.EOF_T : FcipHeader.EOF_N, FcFrameHeader.R_CTL_DATA, x.port.id,
                    FcFabric.TARGET_PORT_ID, FcFrameHeader.TYPE_FCP, fCtl, seqId, seqCnt++, x.oxId, x.rxId, off, data);
            out.write(sendBuffer.array(), 0, total);
            out.flush();
        }
    }
}
