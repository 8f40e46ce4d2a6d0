package org.jtgt.fc;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.api.target.SessionInfo;
import org.jtgt.api.target.SessionSource;
import org.jtgt.fc.wire.FcFrameHeader;
import org.jtgt.fc.wire.FcipFraming;
import org.jtgt.util.IntMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One FCIP link: its socket, its reader and sender threads, the initiator N_Ports logged in over
 * it, and its end. The reader decodes frames ({@link FcipFraming}) and hands each, in arrival
 * order, to the one that it is addressed to:
 *
 * <ul>
 * <li>the fabric login server and the directory server (well-known addresses): the
 *     {@link SwitchPort};</li>
 * <li>the target N_Port: link services to {@link TargetLogins}, FCP_CMND, FCP_DATA and ABTS to
 *     {@link FcpExchanges}.</li>
 * </ul>
 *
 * Every outgoing frame goes through the {@link LinkSender}. Bad frames are dropped or rejected
 * and counted; only a stream that can no longer be framed ends the link. A link with no N_Port
 * logged in to the fabric has the login timeout as its read timeout ({@link #loginsChanged}).
 *
 * <p>One lock per link ({@link #lock}) guards the ports, their exchanges and the exchange pool;
 * nothing calls out while holding it.
 */
final class FcLink {
    private static final Logger LOG = LoggerFactory.getLogger(FcLink.class);
    private static final int WARNINGS = 10;

    final FcTarget target;
    final Object lock = new Object();
    /** The N_Ports logged in over this link, by N_Port ID; guarded by {@link #lock}. */
    final IntMap<NPort> ports = new IntMap<>(8);
    final LinkSender sender;
    final FcpExchanges exchanges;
    private final SwitchPort switchPort;
    private final TargetLogins logins;
    private final Socket socket;
    private final int id;
    private final FcipFraming framing;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final AtomicInteger dropped = new AtomicInteger();
    /** Reader thread only: a frame has arrived (an FSF is accepted only as the first). */
    private boolean started;
    private Thread reader;
    private Thread senderThread;

    FcLink(FcTarget target, Socket socket, int id) throws IOException {
        this.target = target;
        this.socket = socket;
        this.id = id;
        this.framing = new FcipFraming(socket.getInputStream());
        this.sender = new LinkSender(this, new BufferedOutputStream(socket.getOutputStream(), 64 * 1024));
        this.exchanges = new FcpExchanges(this, sender);
        this.switchPort = new SwitchPort(this, sender);
        this.logins = new TargetLogins(this, sender);
    }

    void start() throws IOException {
        // A link with no N_Port logged in holds a connection slot for nothing: it gets the login
        // timeout as its read timeout until a fabric login succeeds (see loginsChanged).
        socket.setSoTimeout(target.settings().loginTimeoutMillis());
        reader = new Thread(this::readLoop, "jtgt-fc-rx-" + id);
        senderThread = new Thread(sender::sendLoop, "jtgt-fc-tx-" + id);
        reader.setDaemon(true);
        senderThread.setDaemon(true);
        LOG.info("{}: FCIP link up from {}", this, socket.getRemoteSocketAddress());
        senderThread.start();
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
            sender.stop();
        }
    }

    boolean isClosed() {
        return closed.get();
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
                    out.add(new SessionInfo(SessionSource.FC, p.targetName, TargetLogins.initiatorPortName(p.portName),
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
    List<NPort> portList() {
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
            senderThread.join(10_000);
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

    /** A frame dropped or rejected: counted, the first {@value #WARNINGS} logged as warnings. */
    void bad(String reason) {
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
                sender.enqueue(f.specialFrameCopy());
            } else {
                bad("FCIP special frame after the first frame of the link");
            }
            return;
        }
        int d = f.dId();
        if (d == FcFrameHeader.FABRIC_LOGIN_SERVER) {
            switchPort.fabricFrame(f);
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
            switchPort.directoryFrame(p, f);
        } else if (d == FcFabric.TARGET_PORT_ID) {
            targetFrame(p, f);
        } else {
            bad("frame for unknown D_ID: " + f);
        }
    }

    private void targetFrame(NPort p, FcipFraming.Frame f) throws InterruptedException {
        int r = f.rCtl();
        int type = f.type();
        if (r == FcFrameHeader.R_CTL_ELS_REQUEST && type == FcFrameHeader.TYPE_ELS) {
            logins.els(p, f);
        } else if (r == FcFrameHeader.R_CTL_UNSOL_COMMAND && type == FcFrameHeader.TYPE_FCP) {
            exchanges.command(p, f);
        } else if (r == FcFrameHeader.R_CTL_DATA && type == FcFrameHeader.TYPE_FCP) {
            exchanges.data(p, f);
        } else if (r == FcFrameHeader.R_CTL_BLS_ABTS && type == FcFrameHeader.TYPE_BLS) {
            exchanges.abts(p, f);
        } else {
            bad("unknown R_CTL/TYPE for the target port: " + f);
        }
    }

    // =====================================================================================
    // what the switch port and the target port share
    // =====================================================================================

    /** Reader thread: the login timeout applies while no N_Port is logged in over this link. */
    void loginsChanged() {
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

    /** Ends the image pair: LLD-held exchanges released, submitted ones left to complete unseen, nexus destroyed. */
    void endImage(NPort p) {
        long nexus;
        synchronized (lock) {
            exchanges.abortExchanges(p, null, true);
            nexus = p.nexusId;
            p.nexusId = -1;
            p.prli = false;
        }
        if (nexus >= 0) {
            target.destroyNexus(nexus);
            LOG.info("{}: I_T nexus {} of {} ended", this, nexus, FcFrameHeader.portId(p.id));
        }
    }

    /** The data field size for frames to a port that offered {@code offered}: the smaller offer, whole words. */
    int negotiate(int offered) {
        int mine = target.settings().frameSize();
        int size = offered <= 0 ? mine : Math.min(mine, offered);
        return Math.max(128, size & ~3);
    }

    /** A transport thread completed the command of {@code x}: the sender delivers it. */
    void commandCompleted(FcExchange x) {
        sender.commandCompleted(x);
    }
}
