package org.jtgt.iscsi;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.host.BufferView;
import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.target.SessionInfo;
import org.jtgt.api.target.SessionSource;
import org.jtgt.api.target.TargetInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One iSCSI connection, and with MaxConnections=1 its session: login, then the full feature
 * phase (RFC 7143). Two threads: the reader decodes PDUs and acts on them (it owns the CmdSN
 * window, the R2T state and every task until it is submitted); the sender writes everything the
 * target sends, in order, filling StatSN/ExpCmdSN/MaxCmdSN as it goes. Completions from the host
 * arrive on a transport thread and only queue the task for the sender.
 *
 * <h2>CmdSN window (RFC 7143 4.2.2.1)</h2>
 * Non-immediate commands are accepted when ExpCmdSN &lt;= CmdSN &lt;= MaxCmdSN and silently
 * dropped otherwise. One that arrives ahead of ExpCmdSN is held until the gap is filled. Commands
 * enter the host queue in CmdSN order, each once all its data is in. MaxCmdSN starts at
 * ExpCmdSN + window - 1 and grows by one each time a command is finished (its response is
 * written or it is aborted), so a session never has more than {@code window} commands
 * outstanding, and MaxCmdSN never decreases.
 *
 * <h2>Errors</h2>
 * Framing violations (lengths over the limits, header digest errors, garbage) end the connection:
 * nothing after them can be trusted. A Data-Out that breaks the data sequence rules (offset,
 * DataSN, TTT, F bit) or a data digest error on data a command needs is answered with a Reject,
 * and since ErrorRecoveryLevel 0 cannot ask for the data again, the command ends with CHECK
 * CONDITION (RFC 7143 11.17.1: a task terminated because of a Reject gets a SCSI response;
 * sense from the table of RFC 7143 11.4.7.2). Other bad PDUs get a Reject and are ignored.
 */
final class IscsiConnection {
    private static final Logger LOG = LoggerFactory.getLogger(IscsiConnection.class);
    /** A CmdSN received and dealt with outside the SCSI task path (NOP-Out, Text, TMF, Logout). */
    private static final Object RECEIVED = new Object();
    /**
     * Bounds on what waits for the sender besides command responses (which the window bounds):
     * an initiator that keeps sending without reading cannot make the target hold more.
     */
    static final int MAX_QUEUED_CONTROLS = 1024;
    static final int MAX_QUEUED_CONTROL_BYTES = 1 << 20;
    /** Bad PDUs per connection that are logged as warnings; the rest go to DEBUG. */
    static final int BAD_PDU_WARNINGS = 10;
    /** The longest answer to one Text Request, held until the initiator has fetched it. */
    static final int MAX_TEXT_ANSWER = 256 * 1024;

    private enum Verdict { NONE, OK, DROP, REJECT, DISCARD, TASK_ERROR, FATAL }

    /** A protocol violation that ends the connection, optionally after a Reject. */
    private static final class ConnectionFailure extends Exception {
        private static final long serialVersionUID = 1L;
        final int rejectReason;

        ConnectionFailure(String message, int rejectReason) {
            super(message);
            this.rejectReason = rejectReason;
        }
    }

    private final IscsiTarget target;
    private final SocketChannel channel;
    /** The portal, and so the target port, this connection came in on. */
    private final IscsiPortal portal;
    private final TargetSettings settings;
    private final ScsiHost host;
    final int id;
    private final String remote;
    /** The initiator's address, as {@link LoginGuard} counts it; null if the socket did not say. */
    private final InetAddress remoteAddress;
    private final String local;
    private final PduDecoder decoder;
    private final PduWriter writer;
    private final Thread readerThread;
    private final Thread senderThread;
    private final CountDownLatch finished = new CountDownLatch(1);
    private final long acceptedNanos = System.nanoTime();

    // ---- session (written by the reader during login, read-only afterwards) ----
    private volatile SessionParameters params;
    private volatile boolean fullFeature;
    private long isid;
    private int cid;
    private volatile int tsih;
    private volatile long nexusId = -1;
    private volatile String initiatorPort;
    private volatile String sessionKey;

    // ---- CmdSN window (RFC 7143 4.2.2.1) ----
    private volatile int expCmdSn;
    private final AtomicInteger maxCmdSn = new AtomicInteger();
    private Object[] held;
    private final ArrayDeque<ScsiTask> ordered = new ArrayDeque<>();
    private final AtomicInteger immediateOutstanding = new AtomicInteger();

    // ---- tasks ----
    private final IttTable tasks;
    private final ArrayDeque<ScsiTask> pool = new ArrayDeque<>();
    private int nextTtt = 1;

    // ---- the PDU being decoded (reader) ----
    private Verdict verdict;
    private ScsiTask pendingTask;
    private int pendingReject;
    private String pendingReason;
    private int pendingSeqEnd;
    private boolean pendingUnsolicited;
    private final PduDecoder.Placement placement = this::place;
    private final BufferView placeView = new BufferView();
    private final byte[] cdbScratch = new byte[org.jtgt.api.event.CmdReqEvent.MAX_CDB_LENGTH];
    private final List<ScsiTask> readerScratch = new ArrayList<>();

    // ---- text continuation (reader) ----
    private byte[] textPending;
    private int textPendingOffset;
    private int textPendingTtt = Bhs.RESERVED_TAG;

    // ---- sending ----
    private final Object queueLock = new Object();
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    private boolean queueClosed;
    private int queuedControls;
    private int queuedControlBytes;
    private final Object[] batch = new Object[PduWriter.BATCH];
    private final byte[] senseScratch = new byte[PduWriter.SMALL_DATA - 2];
    private final List<Object> afterFlush = new ArrayList<>(PduWriter.BATCH * 2);
    private int statSn = 1;

    // ---- liveness ----
    private volatile long lastReceiveNanos = System.nanoTime();
    private volatile int pingTtt = Bhs.RESERVED_TAG;
    private volatile long pingSentNanos;
    private final AtomicReference<String> closeReason = new AtomicReference<>();
    /** When the last Data-Out PDU was accepted (reader writes, watchdog reads). */
    private volatile long lastDataOutNanos = System.nanoTime();
    /** The watchdog's list for the Data-Out sweep, reused every second. */
    private final List<ScsiTask> sweepScratch = new ArrayList<>();
    /** Bad PDUs refused so far (reader thread). */
    private int badPdus;

    IscsiConnection(IscsiTarget target, SocketChannel channel, IscsiPortal portal, int id) throws IOException {
        this.target = target;
        this.channel = channel;
        this.portal = portal;
        this.settings = target.settings();
        this.host = target.host();
        this.id = id;
        SocketAddress r = channel.getRemoteAddress();
        this.remote = r instanceof InetSocketAddress ? format((InetSocketAddress) r) : String.valueOf(r);
        this.remoteAddress = r instanceof InetSocketAddress ? ((InetSocketAddress) r).getAddress() : null;
        SocketAddress l = channel.getLocalAddress();
        this.local = l instanceof InetSocketAddress ? format((InetSocketAddress) l) : String.valueOf(l);
        this.decoder = new PduDecoder(settings.maxRecvDataSegmentLength(), TargetSettings.LOGIN_DATA_SEGMENT_LENGTH);
        this.writer = new PduWriter(channel);
        for (int i = 0; i < settings.window() + settings.immediateCommands(); i++) {
            pool.add(new ScsiTask(this, settings.maxOutstandingR2T()));
        }
        this.tasks = new IttTable(settings.window() + settings.immediateCommands());
        this.readerThread = new Thread(this::runReader, "jtgt-iscsi-rx-" + id);
        this.senderThread = new Thread(this::runSender, "jtgt-iscsi-tx-" + id);
        readerThread.setDaemon(true);
        senderThread.setDaemon(true);
    }

    void start() {
        senderThread.start();
        readerThread.start();
    }

    /** Ends the connection from outside (reinstatement, deactivation, watchdog); does not wait. */
    void abort(String reason) {
        closeReason.compareAndSet(null, reason);
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("connection {}: close failed", id, e);
        }
        synchronized (queueLock) {
            queueClosed = true;
            queueLock.notifyAll();
        }
    }

    boolean awaitFinished(long millis) throws InterruptedException {
        return finished.await(millis, TimeUnit.MILLISECONDS);
    }

    boolean isFullFeature() {
        return fullFeature;
    }

    boolean isDiscovery() {
        SessionParameters p = params;
        return p != null && p.discovery;
    }

    String initiatorName() {
        SessionParameters p = params;
        return p == null ? null : p.initiatorName;
    }

    String targetName() {
        SessionParameters p = params;
        return p == null ? null : p.targetName;
    }

    int tsih() {
        return tsih;
    }

    long isid() {
        return isid;
    }

    String sessionKey() {
        return sessionKey;
    }

    long nexusId() {
        return nexusId;
    }

    /** The session as management shows it, or null before the full feature phase and for discovery. */
    SessionInfo sessionInfo(int hostNo) {
        SessionParameters p = params;
        long n = nexusId;
        if (!fullFeature || p == null || p.discovery || n < 0) {
            return null;
        }
        return new SessionInfo(SessionSource.ISCSI, p.targetName, p.initiatorName,
                String.format("ISID 0x%012x TSIH %d", isid, tsih), hostNo, n,
                List.of(new SessionInfo.ConnectionInfo(cid, remote, local)));
    }

    @Override
    public String toString() {
        String port = initiatorPort;
        return "connection " + id + " from " + remote + (port == null ? "" : " (" + port + ")");
    }

    // =====================================================================================
    // reader
    // =====================================================================================

    private void runReader() {
        String reason = "closed by the initiator";
        try {
            if (login()) {
                fullFeature = true;
                fullFeaturePhase();
            } else {
                reason = "login failed";
            }
        } catch (EOFException e) {
            reason = e.getMessage() == null ? "closed by the initiator" : e.getMessage();
        } catch (PduDecoder.FramingException e) {
            reason = "framing error: " + e.getMessage();
            if (e.rejectReason != 0 && e.headerValid) {
                rejectAndClose(e.rejectReason, reason);
            }
        } catch (ConnectionFailure e) {
            reason = "protocol error: " + e.getMessage();
            if (e.rejectReason != 0) {
                rejectAndClose(e.rejectReason, reason);
            }
        } catch (ClosedChannelException e) {
            reason = "closed";
        } catch (IOException e) {
            reason = e.getMessage() == null ? e.toString() : e.getMessage();
        } catch (InterruptedException e) {
            reason = "interrupted";
        } catch (RuntimeException e) {
            LOG.error("{}: internal error", this, e);
            reason = "internal error: " + e;
        } finally {
            shutdown(reason);
        }
    }

    /** Queues a Reject quoting the current header, and waits briefly for it to be written. */
    private void rejectAndClose(int reason, String why) {
        ControlPdu reject = reject(decoder.header(), reason);
        reject.after = () -> abort(why);
        enqueue(reject);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (channel.isOpen() && System.nanoTime() - deadline < 0) {
            synchronized (queueLock) {
                if (queueClosed) {
                    break;
                }
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Everything the connection holds goes back: tasks, the nexus, the session registration. */
    private void shutdown(String reason) {
        fullFeature = false;
        abort(reason);
        try {
            senderThread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int released = 0;
        for (ScsiTask t : tasks.snapshot()) {
            // Not handed to the host, not queued for the sender (it has stopped and dropped its queue).
            if (t.state == ScsiTask.State.RECEIVING || t.state == ScsiTask.State.LOCAL_RESPONSE) {
                tasks.remove(t.itt, t);
                if (t.command != null) {
                    host.release(t.command);
                    t.command = null;
                    released++;
                }
            }
        }
        ordered.clear();
        long n = nexusId;
        if (n >= 0) {
            target.destroyNexus(n);
        }
        target.connectionClosed(this);
        String why = closeReason.get();
        SessionParameters p = params;
        if (badPdus > BAD_PDU_WARNINGS) {
            LOG.warn("{}: {} bad PDUs in all, {} of them logged at DEBUG only", this, badPdus, badPdus - BAD_PDU_WARNINGS);
        }
        if (p != null && initiatorPort != null) {
            LOG.info("logout {} from {} ({}): {}{}", initiatorPort, p.targetName, remote, why,
                    released > 0 ? ", " + released + " unsubmitted commands dropped" : "");
        } else if (p != null && p.discovery) {
            LOG.info("discovery session of {} from {} ended: {}", p.initiatorName, remote, why);
        } else if (why != null && why.startsWith("login failed")) {
            LOG.debug("{} ended: {}", this, why);   // the failure itself was logged (rate-limited)
        } else {
            LOG.info("{} ended before login completed: {}", this, why);
        }
        finished.countDown();
    }

    // ---------------------------------------------------------------- login (RFC 7143 6.3)

    private boolean login() throws IOException, ConnectionFailure, InterruptedException {
        LoginNegotiator negotiator = new LoginNegotiator(settings, portal.portalGroupTag(), target.directory());
        boolean first = true;
        while (true) {
            decoder.read(channel, null);
            lastReceiveNanos = System.nanoTime();
            ByteBuffer h = decoder.header();   // a Login Request: the decoder lets nothing else through
            int flags = Bhs.flags(h);
            long requestIsid = Bhs.isid(h);
            int requestTsih = Bhs.tsih(h);
            int itt = Bhs.itt(h);
            int requestCid = h.getShort(Bhs.WORD20_OFFSET) & 0xFFFF;
            if (first) {
                first = false;
                isid = requestIsid;
                cid = requestCid;
                int cmdSn = Bhs.cmdSn(h);
                expCmdSn = cmdSn;
                maxCmdSn.set(cmdSn + settings.window() - 1);
                held = new Object[2 * settings.window()];
                if (requestTsih != 0) {
                    // Adding a connection to a session: with MaxConnections=1 there is no room.
                    int status = target.sessionExists(requestTsih) ? LoginStatus.TOO_MANY_CONNECTIONS
                            : LoginStatus.SESSION_DOES_NOT_EXIST;
                    loginFailed(h, itt, status, "TSIH " + requestTsih);
                    return false;
                }
            } else if (requestIsid != isid || requestTsih != 0 || requestCid != cid) {
                loginFailed(h, itt, LoginStatus.INITIATOR_ERROR, "ISID, TSIH or CID changed during login");
                return false;
            }
            LoginNegotiator.Request request = new LoginNegotiator.Request((flags & Bhs.LOGIN_TRANSIT) != 0,
                    (flags & Bhs.LOGIN_CONTINUE) != 0, (flags >> 2) & 3, flags & 3, h.get(Bhs.BYTE2_OFFSET) & 0xFF,
                    h.get(Bhs.BYTE3_OFFSET) & 0xFF, decoder.dataBytes());
            LoginNegotiator.Reply reply = negotiator.process(request);
            if (reply.failed()) {
                SessionParameters p = negotiator.parameters();
                target.loginFailures().warn(LOG, "{}: login of {} to {} failed: {} ({})", this, p.initiatorName,
                        p.targetName != null ? p.targetName : "a target it did not name or that does not exist",
                        LoginStatus.describe(reply.status()), reply.reason());
                if (reply.status() == LoginStatus.AUTHENTICATION_FAILURE && remoteAddress != null) {
                    // A growing delay per initiator name and source makes guessing secrets slow.
                    long delay = target.loginGuard().authenticationFailed(p.initiatorName, remoteAddress,
                            System.nanoTime());
                    sleepBeforeAnswering(delay);
                }
                loginFailed(h, itt, reply.status(), reply.reason());
                return false;
            }
            int responseTsih = 0;
            if (reply.enterFullFeature()) {
                SessionParameters p = negotiator.parameters();
                params = p;
                int status = enterFullFeature(p);
                if (status != LoginStatus.SUCCESS) {
                    loginFailed(h, itt, status, LoginStatus.describe(status));
                    return false;
                }
                if (remoteAddress != null) {
                    target.loginGuard().authenticated(p.initiatorName, remoteAddress);
                }
                responseTsih = tsih;
            }
            ControlPdu rsp = new ControlPdu(Bhs.LOGIN_RESPONSE,
                    (reply.transit() ? Bhs.LOGIN_TRANSIT : 0) | reply.csg() << 2 | reply.nsg());
            rsp.view.put(Bhs.BYTE2_OFFSET, (byte) 0);      // Version-max
            rsp.view.put(Bhs.BYTE3_OFFSET, (byte) 0);      // Version-active
            Bhs.putIsid(rsp.view, isid);
            rsp.view.putShort(Bhs.TSIH_OFFSET, (short) responseTsih);
            rsp.view.putInt(Bhs.ITT_OFFSET, itt);
            rsp.data = reply.text();
            if (reply.enterFullFeature()) {
                SessionParameters p = params;
                // Digests and the negotiated limits apply from the first PDU after this response
                // (RFC 7143 13.1, 13.12): on our side from the next decode, on the sender's after
                // this response is written.
                rsp.after = () -> writer.digests(p.headerDigest, p.dataDigest);
                enqueue(rsp);
                decoder.digests(p.headerDigest, p.dataDigest);
                decoder.limit(p.targetMaxRecvDataSegmentLength);
                decoder.fullFeaturePhase();
                if (p.discovery) {
                    LOG.info("discovery session of {} from {} ({})", p.initiatorName, remote, p);
                } else {
                    LOG.info("login {} to {} from {}: TSIH {}, nexus {} ({})", initiatorPort, p.targetName, remote, tsih,
                            nexusId, p);
                }
                return true;
            }
            enqueue(rsp);
        }
    }

    /** Session reinstatement, TSIH, and for a Normal session the I_T nexus. */
    private int enterFullFeature(SessionParameters p) throws InterruptedException {
        if (p.discovery) {
            tsih = target.registerSession(this, null);
            return tsih == 0 ? LoginStatus.OUT_OF_RESOURCES : LoginStatus.SUCCESS;
        }
        String port = p.initiatorName + ",i,0x" + String.format("%012x", isid);
        initiatorPort = port;
        // RFC 7143 6.3.5: a leading login with the ISID of an existing session (TSIH 0) reinstates
        // it: the old session is closed first. Its nexus destroy is queued before our create.
        // The session is the I_T nexus, so the target port (target name and TPGT) is part of the
        // key: the same ISID through another portal group is another session (multipath).
        String key = p.initiatorName.toLowerCase(java.util.Locale.ROOT) + "|" + Long.toHexString(isid) + "|" + p.targetName
                + "|" + portal.portalGroupTag();
        sessionKey = key;
        tsih = target.registerSession(this, key);
        if (tsih == 0) {
            return LoginStatus.OUT_OF_RESOURCES;
        }
        int result;
        long id;
        try {
            id = host.createNexus(port, p.targetName, portal.relativePortId());
        } catch (RuntimeException e) {
            LOG.warn("{}: creating the nexus failed: {}", this, e.toString());
            return LoginStatus.SERVICE_UNAVAILABLE;
        }
        result = target.awaitNexus(id, settings.loginTimeoutMillis());
        if (result == ItNexusRspEvent.RESULT_OK) {
            nexusId = id;
            return LoginStatus.SUCCESS;
        }
        LOG.warn("{}: nexus {} -> {} refused ({})", this, port, p.targetName, result);
        switch (result) {
            case ItNexusRspEvent.RESULT_NO_SUCH_TARGET:
                return LoginStatus.NOT_FOUND;
            case ItNexusRspEvent.RESULT_ACCESS_DENIED:
                return LoginStatus.AUTHORIZATION_FAILURE;
            case IscsiTarget.NEXUS_TIMEOUT:
                return LoginStatus.SERVICE_UNAVAILABLE;
            default:
                return LoginStatus.TARGET_ERROR;
        }
    }

    /** Holds this connection's reader for {@code millis} before a failed login is answered. */
    private void sleepBeforeAnswering(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (millis > 0 && channel.isOpen()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                Thread.sleep(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 100));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The initiator's address, or null. */
    InetAddress remoteAddress() {
        return remoteAddress;
    }

    private void loginFailed(ByteBuffer h, int itt, int status, String reason) {
        ControlPdu rsp = new ControlPdu(Bhs.LOGIN_RESPONSE, Bhs.flags(h) & 0x0C);
        Bhs.putIsid(rsp.view, isid);
        rsp.view.putInt(Bhs.ITT_OFFSET, itt);
        rsp.view.put(Bhs.WORD36_OFFSET, (byte) (status >> 8));
        rsp.view.put(Bhs.WORD36_OFFSET + 1, (byte) status);
        String why = "login failed: " + LoginStatus.describe(status) + (reason == null ? "" : " (" + reason + ")");
        rsp.after = () -> abort(why);
        enqueue(rsp);
        closeReason.compareAndSet(null, why);
        // Let the sender write it before the connection goes (RFC 7143 6.3.6: the target closes).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (channel.isOpen() && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    // ---------------------------------------------------------------- full feature phase

    private void fullFeaturePhase() throws IOException, ConnectionFailure {
        while (true) {
            verdict = Verdict.NONE;
            pendingTask = null;
            decoder.read(channel, placement);
            lastReceiveNanos = System.nanoTime();
            ByteBuffer h = decoder.header();
            int opcode = Bhs.opcode(h);
            if (!decoder.dataDigestOk()) {
                dataDigestError(h, opcode);
                continue;
            }
            switch (opcode) {
                case Bhs.SCSI_COMMAND:
                    scsiCommand(h);
                    break;
                case Bhs.DATA_OUT:
                    dataOut(h);
                    break;
                case Bhs.NOP_OUT:
                    nopOut(h);
                    break;
                case Bhs.TASK_MANAGEMENT_REQUEST:
                    taskManagement(h);
                    break;
                case Bhs.TEXT_REQUEST:
                    text(h);
                    break;
                case Bhs.LOGOUT_REQUEST:
                    logout(h);
                    break;
                case Bhs.LOGIN_REQUEST:
                    // RFC 7143 6.3: login PDUs are invalid once the full feature phase is reached.
                    enqueue(reject(h, RejectReason.PROTOCOL_ERROR));
                    break;
                case Bhs.SNACK_REQUEST:
                    // SNACK needs ErrorRecoveryLevel > 0 (RFC 7143 11.16); this target runs level 0.
                    enqueue(reject(h, RejectReason.COMMAND_NOT_SUPPORTED));
                    break;
                default:
                    if (opcode >= 0x1C && opcode <= 0x1E) {
                        // Vendor-specific initiator opcodes (RFC 7143 11.2.1.2): none supported.
                        enqueue(reject(h, RejectReason.COMMAND_NOT_SUPPORTED));
                    } else {
                        enqueue(reject(h, RejectReason.PROTOCOL_ERROR));
                    }
            }
        }
    }

    /**
     * RFC 7143 7.8: a data digest error. Data a command needs cannot be re-requested at
     * ErrorRecoveryLevel 0, so for SCSI Command and Data-Out the connection ends after the
     * Reject; for other PDUs the Reject is enough and the PDU is ignored.
     */
    private void dataDigestError(ByteBuffer h, int opcode) throws ConnectionFailure {
        warnBadPdu("data digest error on " + Bhs.opcodeName(opcode));
        enqueue(reject(h, RejectReason.DATA_DIGEST_ERROR));
        if (opcode == Bhs.SCSI_COMMAND && verdict == Verdict.OK) {
            // The command is received (its CmdSN consumed) but its immediate data is not usable:
            // scsiCommand sees the digest error and ends it.
            scsiCommand(h);
        } else if (opcode == Bhs.DATA_OUT && verdict == Verdict.OK) {
            terminate(pendingTask, LocalSense.PROTOCOL_SERVICE_CRC_ERROR);
        }
    }

    /**
     * Ends a task that has not reached the host because its data cannot be completed: CHECK
     * CONDITION with {@code sense}; Data-Out still arriving for it is discarded.
     */
    private void terminate(ScsiTask t, LocalSense sense) {
        ordered.remove(t);
        if (held != null) {
            for (int i = 0; i < held.length; i++) {
                if (held[i] == t) {
                    held[i] = RECEIVED;
                }
            }
        }
        if (t.command != null) {
            host.release(t.command);
            t.command = null;
        }
        local(t, ScsiStatus.CHECK_CONDITION, sense);
        t.state = ScsiTask.State.LOCAL_RESPONSE;
        LOG.info("{}: ITT 0x{} terminated: {}", this, Integer.toHexString(t.itt), sense);
        enqueue(t);
        pumpSubmissions();
    }

    /** The decoder's placement: validates SCSI Command and Data-Out headers before their data is read. */
    private ByteBuffer place(ByteBuffer h, int dataLength) {
        int opcode = Bhs.opcode(h);
        if (opcode == Bhs.SCSI_COMMAND && fullFeature) {
            admit(h, dataLength);
            // A command answered by the driver itself (too long, task set full, ...) has no
            // buffer: its immediate data goes to the decoder's own (bounded) buffer and is dropped.
            if (verdict == Verdict.OK && dataLength > 0 && pendingTask.command != null) {
                return placeInto(pendingTask.command, 0, dataLength);
            }
        } else if (opcode == Bhs.DATA_OUT && fullFeature) {
            checkDataOut(h, dataLength);
            if (verdict == Verdict.OK && pendingTask.command != null) {
                return placeInto(pendingTask.command, Bhs.bufferOffset(h), dataLength);
            }
        }
        return null;
    }

    /**
     * The reader's view of a command's buffer for one data segment. One view serves every PDU:
     * the decoder is done with a segment before it asks for the next.
     */
    private ByteBuffer placeInto(HostCommand cmd, int offset, int length) {
        return placeView.of(cmd.dataBuffer(), cmd.dataPosition() + offset, length);
    }

    // ---------------------------------------------------------------- SCSI Command (RFC 7143 11.3)

    /** Checks window, tags and lengths, and reserves a host command; sets {@link #verdict}. */
    private void admit(ByteBuffer h, int dataLength) {
        SessionParameters p = params;
        if (p.discovery) {
            // RFC 7143 4.3: a Discovery session carries only Text, NOP and Logout.
            rejectPending(RejectReason.PROTOCOL_ERROR, "SCSI Command in a discovery session");
            return;
        }
        boolean immediate = Bhs.immediate(h);
        int cmdSn = Bhs.cmdSn(h);
        int itt = Bhs.itt(h);
        if (!immediate && !inWindow(cmdSn)) {
            verdict = Verdict.DROP;
            pendingReason = "CmdSN " + Integer.toUnsignedString(cmdSn) + " outside " + window();
            return;
        }
        if (immediate && immediateOutstanding.get() >= settings.immediateCommands()) {
            rejectPending(RejectReason.IMMEDIATE_COMMAND_REJECT, "too many immediate commands");
            return;
        }
        if (itt == Bhs.RESERVED_TAG || tasks.containsKey(itt)) {
            verdict = Verdict.FATAL;
            pendingReject = RejectReason.INVALID_PDU_FIELD;
            pendingReason = "ITT 0x" + Integer.toHexString(itt) + " is in use";
            return;
        }
        int flags = Bhs.flags(h);
        boolean read = (flags & Bhs.CMD_READ) != 0;
        boolean write = (flags & Bhs.CMD_WRITE) != 0;
        long edtlField = Integer.toUnsignedLong(Bhs.word20(h));
        if (dataLength > 0 && (!write || !p.immediateData || dataLength > edtlField
                || dataLength > p.effectiveFirstBurstLength())) {
            // RFC 7143 11.3.3 / 13.11: immediate data only with W, only if negotiated, and
            // never beyond EDTL or FirstBurstLength.
            verdict = Verdict.FATAL;
            pendingReject = RejectReason.PROTOCOL_ERROR;
            pendingReason = "immediate data of " + dataLength + " bytes not allowed (EDTL " + edtlField + ")";
            return;
        }
        int cdbLength = cdb(h);
        if (cdbLength < 0) {
            verdict = Verdict.FATAL;
            pendingReject = RejectReason.INVALID_PDU_FIELD;
            pendingReason = "malformed AHS";
            return;
        }
        ScsiTask t = takeTask();
        t.itt = itt;
        t.cmdSn = cmdSn;
        t.immediate = immediate;
        t.lun = Bhs.lun(h);
        t.read = read;
        t.write = write;
        t.edtl = (int) Math.min(edtlField, Integer.MAX_VALUE);
        pendingTask = t;
        verdict = Verdict.OK;
        if (read && write) {
            local(t, ScsiStatus.CHECK_CONDITION, LocalSense.BIDIRECTIONAL_NOT_SUPPORTED);
        } else if (cdbLength > org.jtgt.api.event.CmdReqEvent.MAX_CDB_LENGTH) {
            local(t, ScsiStatus.CHECK_CONDITION, LocalSense.CDB_TOO_LONG);
        } else if ((read || write) && edtlField > host.maxDataLength()) {
            local(t, ScsiStatus.CHECK_CONDITION, LocalSense.TRANSFER_TOO_LONG);
        } else {
            HostCommand cmd = allocateCommand(read || write ? t.edtl : 0);
            if (cmd == null) {
                // Exhaustion is never a failure: the initiator retries. SAM-5 5.3.1: TASK SET FULL
                // when the initiator has other commands in the task set, BUSY when it has none.
                // The host's shares refuse a session with nothing outstanding only when there is
                // no room at all.
                local(t, tasks.size() > 0 ? ScsiStatus.TASK_SET_FULL : ScsiStatus.BUSY, null);
            } else {
                t.command = cmd;
                cmd.setLun(t.lun)
                        .setCdb(cdbScratch, 0, cdbLength)
                        .setTag(itt)
                        .setDirection(read ? DataDirection.READ : write ? DataDirection.WRITE : DataDirection.NONE)
                        .setExpectedLength(read || write ? t.edtl : 0)
                        .setTaskAttribute(attribute(flags & Bhs.CMD_ATTR_MASK));
                cmd.setContext(t);
            }
        }
        t.dataProgressNanos = System.nanoTime();
        t.state = t.command != null ? ScsiTask.State.RECEIVING : ScsiTask.State.LOCAL_RESPONSE;
        tasks.put(itt, t);
        if (immediate) {
            immediateOutstanding.incrementAndGet();
        }
    }

    /**
     * Reserves a host command for a new task, within this session's share of the host. The reader
     * waits for room (up to the allocate timeout) only while none of this session's tasks waits
     * for the reader itself, for its data or its turn: their room comes back only after the
     * reader has read on, so waiting would stall the session for nothing.
     */
    private HostCommand allocateCommand(int dataLength) {
        try {
            HostCommand cmd = host.allocate(nexusId, dataLength, 0);
            if (cmd != null || holdsUnsubmittedTasks()) {
                return cmd;
            }
            return host.allocate(nexusId, dataLength, TimeUnit.MILLISECONDS.toNanos(settings.allocateTimeoutMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (RuntimeException e) {
            LOG.debug("{}: allocate failed: {}", this, e.toString());
            return null;
        }
    }

    /** Whether a task of this session holds a host command it has not submitted (reader; only when refused). */
    private boolean holdsUnsubmittedTasks() {
        tasks.snapshot(readerScratch);
        boolean any = false;
        for (ScsiTask t : readerScratch) {
            any |= t.state == ScsiTask.State.RECEIVING;
        }
        readerScratch.clear();
        return any;
    }

    private void local(ScsiTask t, int status, LocalSense sense) {
        t.localStatus = status;
        t.localSense = sense == null ? null : sense.bytes();
        t.localResidual = t.read || t.write ? t.edtl : 0;
    }

    private void scsiCommand(ByteBuffer h) throws ConnectionFailure {
        if (verdict == Verdict.NONE) {
            admit(h, 0);
        }
        switch (verdict) {
            case DROP:
                // RFC 7143 4.2.2.1: outside the window, silently ignored.
                LOG.debug("{}: SCSI Command dropped: {}", this, pendingReason);
                return;
            case REJECT:
                enqueue(reject(h, pendingReject));
                return;
            case FATAL:
                throw new ConnectionFailure(pendingReason, pendingReject);
            default:
                break;
        }
        ScsiTask t = pendingTask;
        int dataLength = decoder.dataLength();
        if (t.state == ScsiTask.State.LOCAL_RESPONSE) {
            if (!t.immediate) {
                received(t.cmdSn, RECEIVED);
            }
            enqueue(t);
            return;
        }
        t.nextOffset = dataLength;
        if (!decoder.dataDigestOk()) {
            if (!t.immediate) {
                received(t.cmdSn, t);
            }
            terminate(t, LocalSense.PROTOCOL_SERVICE_CRC_ERROR);
            return;
        }
        if (t.write) {
            SessionParameters p = params;
            int unsolicitedLimit = Math.min(p.effectiveFirstBurstLength(), t.edtl);
            boolean unsolicitedFollows = !Bhs.finalBit(h) && !p.initialR2T && dataLength < unsolicitedLimit;
            t.unsolicitedEnd = unsolicitedFollows ? unsolicitedLimit : dataLength;
            t.nextR2tOffset = t.unsolicitedEnd;
            if (!unsolicitedFollows) {
                issueR2Ts(t);
            }
        }
        if (t.immediate) {
            if (t.dataComplete()) {
                submit(t);
            }
        } else {
            received(t.cmdSn, t);
            pumpSubmissions();
        }
    }

    /** The task's unsolicited data is still open: R2Ts wait until its last PDU (F bit) arrives. */
    private static boolean unsolicitedOpen(ScsiTask t) {
        return t.nextOffset < t.unsolicitedEnd;
    }

    /** Copies the CDB (BHS plus extended CDB AHS) into {@link #cdbScratch}; its length, or -1 if the AHS is malformed. */
    private int cdb(ByteBuffer h) {
        int ahs = decoder.ahsLength();
        int extended = 0;
        int extOffset = 0;
        int at = Bhs.LENGTH;
        int end = Bhs.LENGTH + ahs;
        while (at < end) {
            if (end - at < 4) {
                return -1;
            }
            int length = h.getShort(at) & 0xFFFF;
            int type = h.get(at + 2) & 0xFF;
            int total = (3 + length + 3) & ~3;
            if (length == 0 || at + total > end) {
                return -1;
            }
            if (type == Bhs.AHS_EXTENDED_CDB) {
                // RFC 7143 11.2.2.3: AHSLength = CDB length - 15 (the reserved byte counts).
                extended = length - 1;
                extOffset = at + 4;
            } else if (type != Bhs.AHS_BIDI_READ_LENGTH) {
                return -1;
            }
            at += total;
        }
        int length = Bhs.CDB_LENGTH + extended;
        if (length > cdbScratch.length) {
            return length;   // too long for the host: answered with CHECK CONDITION
        }
        h.get(Bhs.CDB_OFFSET, cdbScratch, 0, Bhs.CDB_LENGTH);
        if (extended > 0) {
            h.get(extOffset, cdbScratch, Bhs.CDB_LENGTH, extended);
        }
        return length;
    }

    private static TaskAttribute attribute(int attr) {
        // RFC 7143 11.3.1.1: 0 untagged and 1 simple are SIMPLE; 2 ordered, 3 head of queue, 4 ACA.
        switch (attr) {
            case 2:
                return TaskAttribute.ORDERED;
            case 3:
                return TaskAttribute.HEAD_OF_QUEUE;
            case 4:
                return TaskAttribute.ACA;
            default:
                return TaskAttribute.SIMPLE;
        }
    }

    // ---------------------------------------------------------------- CmdSN ordering

    private boolean inWindow(int cmdSn) {
        int exp = expCmdSn;
        int max = maxCmdSn.get();
        if (SerialNumber.lt(cmdSn, exp) || SerialNumber.gt(cmdSn, max)) {
            return false;
        }
        int distance = cmdSn - exp;
        return distance < held.length && (distance == 0 || held[index(cmdSn)] == null);
    }

    private int index(int cmdSn) {
        return Integer.remainderUnsigned(cmdSn, held.length);
    }

    private String window() {
        return "[" + Integer.toUnsignedString(expCmdSn) + ", " + Integer.toUnsignedString(maxCmdSn.get()) + "]";
    }

    /** A non-immediate CmdSN arrived (in the window): advance ExpCmdSN over everything now contiguous. */
    private void received(int cmdSn, Object what) {
        int exp = expCmdSn;
        if (cmdSn != exp) {
            held[index(cmdSn)] = what;
            return;
        }
        enterOrder(what);
        exp++;
        while (true) {
            int i = index(exp);
            Object next = held[i];
            if (next == null) {
                break;
            }
            held[i] = null;
            enterOrder(next);
            exp++;
        }
        expCmdSn = exp;
    }

    private void enterOrder(Object what) {
        if (what instanceof ScsiTask) {
            ScsiTask t = (ScsiTask) what;
            if (t.state == ScsiTask.State.RECEIVING) {
                t.ordered = true;
                ordered.add(t);
            }
        }
    }

    /** Submits tasks in CmdSN order, each once its data is complete. */
    private void pumpSubmissions() {
        while (!ordered.isEmpty()) {
            ScsiTask t = ordered.peek();
            if (!t.dataComplete()) {
                return;
            }
            ordered.poll();
            submit(t);
        }
    }

    private void submit(ScsiTask t) {
        int itt = t.itt;   // the task may be answered, and recycled, before submit() returns
        int cmdSn = t.cmdSn;
        t.state = ScsiTask.State.SUBMITTED;
        try {
            host.submit(t.command);
        } catch (RuntimeException e) {
            LOG.warn("{}: submitting ITT 0x{} failed: {}", this, Integer.toHexString(itt), e.toString());
            host.release(t.command);
            t.command = null;
            local(t, ScsiStatus.CHECK_CONDITION, LocalSense.HOST_UNAVAILABLE);
            t.state = ScsiTask.State.LOCAL_RESPONSE;
            enqueue(t);
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: ITT 0x{} CmdSN {} submitted", this, Integer.toHexString(itt), Integer.toUnsignedString(cmdSn));
        }
    }

    /** A non-immediate command that will get no response: its window slot comes back. */
    private void finishedWithoutResponse(ScsiTask t) {
        if (t.immediate) {
            immediateOutstanding.decrementAndGet();
        } else {
            maxCmdSn.incrementAndGet();
        }
    }

    // ---------------------------------------------------------------- Data-Out and R2T (RFC 7143 11.7, 11.8)

    private void checkDataOut(ByteBuffer h, int dataLength) {
        int itt = Bhs.itt(h);
        ScsiTask t = tasks.get(itt);
        if (t == null && !tasks.recentlyRemoved(itt)) {
            // RFC 7143 11.17.1: an ITT that describes no task is an invalid PDU field. The
            // connection goes on: nothing of any task was lost.
            rejectPending(RejectReason.INVALID_PDU_FIELD, "Data-Out for ITT 0x" + Integer.toHexString(itt)
                    + ", which names no task");
            return;
        }
        if (t == null || t.state != ScsiTask.State.RECEIVING || !t.write) {
            // Data for a task already answered or aborted (RFC 7143 11.5.1: discarded).
            verdict = Verdict.DISCARD;
            pendingReason = "Data-Out for ITT 0x" + Integer.toHexString(itt) + ", a task no longer receiving data";
            return;
        }
        int ttt = Bhs.word20(h);
        int dataSn = Bhs.word36(h);
        int offset = Bhs.bufferOffset(h);
        pendingTask = t;
        verdict = Verdict.TASK_ERROR;
        pendingReject = RejectReason.INVALID_PDU_FIELD;
        if (offset != t.nextOffset) {
            // DataPDUInOrder and DataSequenceInOrder are Yes (RFC 7143 13.19, 13.20).
            pendingReason = "Data-Out offset " + Integer.toUnsignedString(offset) + ", expected " + t.nextOffset;
            return;
        }
        int seqEnd;
        int expectedSn;
        if (offset < t.unsolicitedEnd) {
            if (ttt != Bhs.RESERVED_TAG) {
                pendingReason = "unsolicited Data-Out with TTT 0x" + Integer.toHexString(ttt);
                return;
            }
            seqEnd = t.unsolicitedEnd;
            expectedSn = t.unsolicitedDataSn;
            pendingUnsolicited = true;
        } else {
            int i = t.r2tHead;
            if (t.r2tCount == 0 || ttt != t.r2tTtt[i]) {
                pendingReason = "Data-Out with TTT 0x" + Integer.toHexString(ttt) + " matches no R2T";
                return;
            }
            seqEnd = t.r2tEnd[i];
            expectedSn = t.r2tDataSn[i];
            pendingUnsolicited = false;
        }
        if (dataSn != expectedSn) {
            // RFC 7143 7.2.2: an unexpected DataSN implies a lost PDU; at ErrorRecoveryLevel 0
            // that ends the connection.
            pendingReason = "DataSN " + Integer.toUnsignedString(dataSn) + ", expected " + expectedSn;
            return;
        }
        if (dataLength > seqEnd - offset) {
            pendingReason = "Data-Out beyond the end of its sequence (" + seqEnd + ")";
            return;
        }
        pendingSeqEnd = seqEnd;
        verdict = Verdict.OK;
    }

    private void dataOut(ByteBuffer h) throws ConnectionFailure {
        int length = decoder.dataLength();
        if (verdict == Verdict.NONE) {
            checkDataOut(h, length);
        }
        if (verdict == Verdict.DISCARD) {
            LOG.debug("{}: {}", this, pendingReason);
            return;
        }
        if (verdict == Verdict.REJECT) {
            warnBadPdu(pendingReason + "; rejected");
            enqueue(reject(h, pendingReject));
            return;
        }
        if (verdict == Verdict.TASK_ERROR) {
            dataSequenceError(h, pendingTask, pendingReason);
            return;
        }
        ScsiTask t = pendingTask;
        long now = System.nanoTime();
        t.dataProgressNanos = now;
        lastDataOutNanos = now;
        boolean fin = Bhs.finalBit(h);
        int end = t.nextOffset + length;
        t.nextOffset = end;
        boolean sequenceDone = end == pendingSeqEnd;
        if (pendingUnsolicited && fin && !sequenceDone) {
            // The initiator sent less unsolicited data than FirstBurstLength allows: the rest is
            // solicited from here (RFC 7143 13.14: the initiator "may" send up to it).
            t.unsolicitedEnd = end;
            t.nextR2tOffset = end;
            sequenceDone = true;
        }
        if (fin != sequenceDone) {
            // RFC 7143 11.7.1: F marks the last PDU of a sequence, and only it.
            dataSequenceError(h, t, "F bit missing at the end of a Data-Out sequence");
            return;
        }
        if (pendingUnsolicited) {
            t.unsolicitedDataSn++;
        } else {
            int i = t.r2tHead;
            t.r2tDataSn[i]++;
            if (sequenceDone) {
                t.r2tHead = (i + 1) % t.r2tCapacity();
                t.r2tCount--;
            }
        }
        if (sequenceDone) {
            issueR2Ts(t);
        }
        if (t.dataComplete()) {
            if (t.immediate) {
                submit(t);
            } else if (t.ordered) {
                pumpSubmissions();
            }
        }
    }

    /**
     * A Data-Out broke the sequence rules: Reject it and end its task (ErrorRecoveryLevel 0 has
     * no recovery R2T), with "incorrect amount of data" sense (RFC 7143 11.4.7.2).
     */
    private void dataSequenceError(ByteBuffer h, ScsiTask t, String reason) {
        warnBadPdu("ITT 0x" + Integer.toHexString(t.itt) + ": " + reason);
        enqueue(reject(h, RejectReason.INVALID_PDU_FIELD));
        terminate(t, LocalSense.DATA_SEQUENCE_ERROR);
    }

    private void issueR2Ts(ScsiTask t) {
        SessionParameters p = params;
        int limit = Math.min(p.maxOutstandingR2T, t.r2tCapacity());
        while (t.r2tCount < limit && t.nextR2tOffset < t.edtl && !unsolicitedOpen(t)) {
            int length = Math.min(p.maxBurstLength, t.edtl - t.nextR2tOffset);
            int ttt = nextTtt++;
            if (nextTtt == Bhs.RESERVED_TAG) {
                nextTtt = 1;
            }
            int i = (t.r2tHead + t.r2tCount) % t.r2tCapacity();
            t.r2tTtt[i] = ttt;
            t.r2tOffset[i] = t.nextR2tOffset;
            t.r2tEnd[i] = t.nextR2tOffset + length;
            t.r2tDataSn[i] = 0;
            t.r2tCount++;
            ControlPdu r2t = t.r2tPdu(i);
            r2t.view.putLong(Bhs.LUN_OFFSET, t.lun);
            r2t.view.putInt(Bhs.ITT_OFFSET, t.itt);
            r2t.view.putInt(Bhs.WORD20_OFFSET, ttt);
            r2t.view.putInt(Bhs.WORD36_OFFSET, t.r2tSn++);
            r2t.view.putInt(Bhs.BUFFER_OFFSET_OFFSET, t.nextR2tOffset);
            r2t.view.putInt(Bhs.WORD44_OFFSET, length);
            enqueue(r2t);
            t.nextR2tOffset += length;
        }
    }

    // ---------------------------------------------------------------- NOP-Out (RFC 7143 11.18)

    private void nopOut(ByteBuffer h) {
        int itt = Bhs.itt(h);
        int ttt = Bhs.word20(h);
        if (!Bhs.immediate(h)) {
            int cmdSn = Bhs.cmdSn(h);
            if (!inWindow(cmdSn)) {
                LOG.debug("{}: NOP-Out with CmdSN {} outside {} dropped", this, Integer.toUnsignedString(cmdSn), window());
                return;
            }
            received(cmdSn, RECEIVED);
            maxCmdSn.incrementAndGet();
        }
        if (itt == Bhs.RESERVED_TAG) {
            if (ttt != Bhs.RESERVED_TAG && ttt == pingTtt) {
                pingTtt = Bhs.RESERVED_TAG;   // the answer to our ping
            }
            return;
        }
        // A ping: echo ITT, LUN and data (RFC 7143 11.19).
        ControlPdu nop = new ControlPdu(Bhs.NOP_IN, Bhs.FINAL_BIT);
        nop.view.putLong(Bhs.LUN_OFFSET, Bhs.lun(h));
        nop.view.putInt(Bhs.ITT_OFFSET, itt);
        nop.view.putInt(Bhs.WORD20_OFFSET, Bhs.RESERVED_TAG);
        int length = Math.min(decoder.dataLength(), params.initiatorMaxRecvDataSegmentLength);
        if (length > 0) {
            byte[] data = new byte[length];
            decoder.data().get(decoder.dataOffset(), data, 0, length);
            nop.data = data;
        }
        enqueue(nop);
    }

    /** A target ping of an idle connection (RFC 7143 11.19: ITT reserved, TTT ours). */
    void ping() {
        if (!fullFeature || pingTtt != Bhs.RESERVED_TAG) {
            return;
        }
        int ttt = 0x4E4F5000 | (int) (System.nanoTime() & 0xFFF);
        pingTtt = ttt;
        pingSentNanos = System.nanoTime();
        ControlPdu nop = new ControlPdu(Bhs.NOP_IN, Bhs.FINAL_BIT);
        nop.statSnMode = ControlPdu.CARRY_STAT_SN;
        nop.view.putInt(Bhs.ITT_OFFSET, Bhs.RESERVED_TAG);
        nop.view.putInt(Bhs.WORD20_OFFSET, ttt);
        enqueue(nop);
    }

    /** Called by the watchdog once a second. */
    void checkLiveness(long now) {
        if (!fullFeature) {
            if (now - acceptedNanos > TimeUnit.MILLISECONDS.toNanos(settings.loginTimeoutMillis()) && closeReason.get() == null) {
                LOG.warn("{}: login not complete after {} ms; closing", this, settings.loginTimeoutMillis());
                abort("login timeout");
            }
            return;
        }
        long started = writer.writeStartedNanos();
        if (started >= 0 && now - started > TimeUnit.MILLISECONDS.toNanos(settings.stalledWriteMillis())) {
            LOG.warn("{}: the initiator has not read for {} ms; closing", this, settings.stalledWriteMillis());
            abort("initiator stopped reading");
            return;
        }
        if (dataOutStalled(now)) {
            return;
        }
        if (pingTtt != Bhs.RESERVED_TAG) {
            if (now - pingSentNanos > TimeUnit.MILLISECONDS.toNanos(settings.nopInTimeoutMillis())) {
                LOG.warn("{}: no answer to NOP-In within {} ms; closing", this, settings.nopInTimeoutMillis());
                abort("NOP-In timeout");
            }
        } else if (settings.nopInIntervalMillis() > 0
                && now - lastReceiveNanos > TimeUnit.MILLISECONDS.toNanos(settings.nopInIntervalMillis())) {
            ping();
        }
    }

    /**
     * The Data-Out timeout: a task still held here (not yet handed to the host) whose data has
     * not moved for {@link IscsiTarget#dataOutTimeoutMillis()} ends the connection. At
     * ErrorRecoveryLevel 0 the only recovery is session recovery (RFC 7143 7.1.5, 7.1.4.4); asking
     * for the data again (a recovery R2T, 7.1.4.1) needs level 1. Ending the connection releases
     * the stalled task's slot and data exactly once, with every other task it held
     * ({@link #shutdown}); the daemon has seen none of them. A task whose data is complete but
     * which waits for an earlier CmdSN counts as moving while any Data-Out arrives.
     *
     * @return true if it closed the connection
     */
    private boolean dataOutStalled(long now) {
        long timeout = target.dataOutTimeoutMillis();
        if (timeout <= 0) {
            return false;
        }
        long limit = TimeUnit.MILLISECONDS.toNanos(timeout);
        long lastDataOut = lastDataOutNanos;
        ScsiTask stalled = null;
        tasks.snapshot(sweepScratch);
        for (ScsiTask t : sweepScratch) {
            if (t.state != ScsiTask.State.RECEIVING) {
                continue;
            }
            long progress = t.dataProgressNanos;
            if (t.dataComplete() && lastDataOut - progress > 0) {
                progress = lastDataOut;
            }
            if (now - progress > limit) {
                stalled = t;
                break;
            }
        }
        sweepScratch.clear();
        if (stalled == null || closeReason.get() != null) {
            return false;
        }
        LOG.warn("{}: no Data-Out for ITT 0x{} ({} of {} bytes received) within {} ms; closing the connection "
                + "(ErrorRecoveryLevel 0)", this, Integer.toHexString(stalled.itt), stalled.nextOffset, stalled.edtl, timeout);
        abort("Data-Out timeout");
        return true;
    }

    // ---------------------------------------------------------------- Task Management (RFC 7143 11.5)

    private void taskManagement(ByteBuffer h) {
        if (params.discovery) {
            enqueue(reject(h, RejectReason.PROTOCOL_ERROR));
            return;
        }
        int cmdSn = Bhs.cmdSn(h);
        if (!Bhs.immediate(h)) {
            if (!inWindow(cmdSn)) {
                LOG.debug("{}: TMF with CmdSN {} outside {} dropped", this, Integer.toUnsignedString(cmdSn), window());
                return;
            }
            received(cmdSn, RECEIVED);
            maxCmdSn.incrementAndGet();
        }
        int code = Bhs.flags(h) & 0x7F;
        int itt = Bhs.itt(h);
        long lun = Bhs.lun(h);
        int referenced = Bhs.word20(h);
        int refCmdSn = Bhs.word32(h);
        TaskManagementFunction function = code <= 7 ? TaskManagementFunction.fromCode(code) : null;
        if (code == 8) {
            // TASK REASSIGN needs ErrorRecoveryLevel 2 (RFC 7143 11.5.1).
            tmfResponse(itt, TmfResponse.REASSIGNMENT_NOT_SUPPORTED);
            return;
        }
        if (function == null) {
            tmfResponse(itt, TmfResponse.FUNCTION_NOT_SUPPORTED);
            return;
        }
        LOG.info("{}: {} (LUN 0x{}, referenced ITT 0x{})", this, function, Long.toHexString(lun), Integer.toHexString(referenced));
        if ((function == TaskManagementFunction.TARGET_WARM_RESET || function == TaskManagementFunction.TARGET_COLD_RESET)
                && !target.targetResetAllowed(params.initiatorName)) {
            // RFC 7143 11.6.1: "Function authorization failed"; nothing is aborted or reset.
            LOG.warn("{}: {} refused: {} is not among the initiators allowed to reset the target "
                    + "(targetResetInitiators)", this, function, params.initiatorName);
            tmfResponse(itt, TmfResponse.AUTHORIZATION_FAILED);
            return;
        }
        switch (function) {
            case ABORT_TASK: {
                ScsiTask t = tasks.get(referenced);
                if (t != null && t.state == ScsiTask.State.RECEIVING) {
                    // Still here, waiting for data or for its turn: it never reached the daemon.
                    abortLocal(t);
                    tmfResponse(itt, TmfResponse.FUNCTION_COMPLETE);
                    return;
                }
                if (t == null && refCmdSnNotYetReceived(refCmdSn, cmdSn)) {
                    // RFC 7143 11.5.1 case b: a command not yet received whose RefCmdSN is in the
                    // window (and before the TMF) is considered received, and so aborted.
                    received(refCmdSn, RECEIVED);
                    maxCmdSn.incrementAndGet();
                    tmfResponse(itt, TmfResponse.FUNCTION_COMPLETE);
                    return;
                }
                break; // submitted or unknown: the daemon answers after the task's own response
            }
            case ABORT_TASK_SET:
            case CLEAR_TASK_SET:
            case LOGICAL_UNIT_RESET:
                abortLocalOnLun(lun);
                break;
            case TARGET_WARM_RESET:
            case TARGET_COLD_RESET:
                abortLocalOnLun(null);
                break;
            default:
                break;
        }
        target.taskManagement(this, itt, function, lun, referenced);
    }

    private boolean refCmdSnNotYetReceived(int refCmdSn, int tmfCmdSn) {
        if (!SerialNumber.lt(refCmdSn, tmfCmdSn)) {
            return false;
        }
        int exp = expCmdSn;
        if (SerialNumber.lt(refCmdSn, exp) || SerialNumber.gt(refCmdSn, maxCmdSn.get())) {
            return false;
        }
        return refCmdSn - exp < held.length && held[index(refCmdSn)] == null;
    }

    void tmfResponse(int itt, TmfResponse response) {
        ControlPdu rsp = new ControlPdu(Bhs.TASK_MANAGEMENT_RESPONSE, Bhs.FINAL_BIT);
        rsp.view.put(Bhs.BYTE2_OFFSET, (byte) response.code());
        rsp.view.putInt(Bhs.ITT_OFFSET, itt);
        enqueue(rsp);
    }

    /** Called by the target when the host answered a TMF this connection sent. */
    void tmfCompleted(int itt, TaskManagementFunction function, TmfResponse response) {
        TmfResponse r = response;
        if (r == TmfResponse.FUNCTION_SUCCEEDED) {
            r = TmfResponse.FUNCTION_COMPLETE;   // no iSCSI QUERY functions reach here
        }
        ControlPdu rsp = new ControlPdu(Bhs.TASK_MANAGEMENT_RESPONSE, Bhs.FINAL_BIT);
        rsp.view.put(Bhs.BYTE2_OFFSET, (byte) r.code());
        rsp.view.putInt(Bhs.ITT_OFFSET, itt);
        if (function == TaskManagementFunction.TARGET_COLD_RESET && r == TmfResponse.FUNCTION_COMPLETE) {
            // RFC 7143 11.5.1: after a cold reset the target closes all connections to it.
            String name = targetName();
            rsp.after = () -> target.closeSessionsOf(name, "TARGET COLD RESET");
        }
        enqueue(rsp);
    }

    private void abortLocalOnLun(Long lun) {
        for (ScsiTask t : tasks.snapshot()) {
            if (t.state == ScsiTask.State.RECEIVING && (lun == null || t.lun == lun)) {
                abortLocal(t);
            }
        }
    }

    /** Aborts a task that never reached the host: no response (RFC 7143 11.5.1), its slot back. */
    private void abortLocal(ScsiTask t) {
        tasks.remove(t.itt, t);
        ordered.remove(t);
        if (held != null) {
            for (int i = 0; i < held.length; i++) {
                if (held[i] == t) {
                    held[i] = RECEIVED;
                }
            }
        }
        if (t.command != null) {
            host.release(t.command);
            t.command = null;
        }
        LOG.debug("{}: ITT 0x{} aborted before submission", this, Integer.toHexString(t.itt));
        finishedWithoutResponse(t);
        recycle(t);
    }

    // ---------------------------------------------------------------- Text (RFC 7143 11.10, 11.11)

    private void text(ByteBuffer h) {
        int itt = Bhs.itt(h);
        int ttt = Bhs.word20(h);
        if (!Bhs.immediate(h)) {
            int cmdSn = Bhs.cmdSn(h);
            if (!inWindow(cmdSn)) {
                LOG.debug("{}: Text with CmdSN {} outside {} dropped", this, Integer.toUnsignedString(cmdSn), window());
                return;
            }
            received(cmdSn, RECEIVED);
            maxCmdSn.incrementAndGet();
        }
        if (ttt != Bhs.RESERVED_TAG) {
            if (ttt != textPendingTtt || textPending == null) {
                enqueue(reject(h, RejectReason.INVALID_PDU_FIELD));
                return;
            }
            sendTextChunk(itt, Bhs.lun(h));
            return;
        }
        textPending = null;
        textPendingTtt = Bhs.RESERVED_TAG;
        if ((Bhs.flags(h) & Bhs.TEXT_CONTINUE) != 0) {
            // A request text split over PDUs: the few keys this target answers fit in one.
            enqueue(reject(h, RejectReason.COMMAND_NOT_SUPPORTED));
            return;
        }
        List<TextParameters.Pair> keys;
        try {
            byte[] raw = decoder.dataBytes();
            keys = TextParameters.parse(raw, raw.length);
        } catch (TextParameters.FormatException e) {
            LOG.debug("{}: malformed Text Request: {}", this, e.getMessage());
            enqueue(reject(h, RejectReason.PROTOCOL_ERROR));
            return;
        }
        String repeated = TextParameters.firstRepeated(keys);
        if (repeated != null) {
            // RFC 7143 6.4: a key sent twice in one negotiation is answered with a Reject
            // (protocol error), which ends the negotiation (6.10); the initiator starts over.
            warnBadPdu("Text Request with " + repeated + " twice: rejected");
            enqueue(reject(h, RejectReason.PROTOCOL_ERROR));
            return;
        }
        TextParameters answer = new TextParameters();
        for (TextParameters.Pair p : keys) {
            if (p.key().equals("SendTargets")) {
                sendTargets(p.value(), answer);
            } else if (p.key().startsWith("X-") || p.key().startsWith("X#")) {
                answer.add(p.key(), Negotiation.NOT_UNDERSTOOD);
            } else {
                // Operational keys are negotiated at login only (RFC 7143 13: "LO" keys).
                answer.add(p.key(), Negotiation.isOperationalKey(p.key()) ? Negotiation.REJECT : Negotiation.NOT_UNDERSTOOD);
            }
            if (answer.length() > MAX_TEXT_ANSWER) {
                // Held until the initiator has fetched it all: bounded per connection.
                warnBadPdu("Text Request whose answer exceeds " + MAX_TEXT_ANSWER + " bytes: rejected");
                enqueue(reject(h, RejectReason.LONG_OPERATION_REJECT));
                return;
            }
        }
        textPending = answer.toBytes();
        textPendingOffset = 0;
        sendTextChunk(itt, Bhs.lun(h));
    }

    /**
     * SendTargets (RFC 7143 appendix C): the targets this initiator may see, each with every
     * portal it is reachable through ({@code address:port,TPGT}), in portal order. The portal this
     * connection came in on is given by the address the initiator reached; a portal bound to a
     * wildcard address by this connection's local address and its own port. The answer stops at
     * the last whole target that fits in {@link #MAX_TEXT_ANSWER}, with a warning: the list is
     * then incomplete, but one request can never make the target hold more.
     */
    private void sendTargets(String value, TextParameters answer) {
        SessionParameters p = params;
        List<IscsiPortal> all = target.portals();
        String[] addresses = new String[all.size()];
        for (int i = 0; i < addresses.length; i++) {
            addresses[i] = portalAddress(all.get(i)) + "," + all.get(i).portalGroupTag();
        }
        for (TargetInfo t : target.targets()) {
            boolean wanted = value.equals("All") ? true
                    : value.isEmpty() ? !p.discovery && t.name().equals(p.targetName)
                    : t.name().equalsIgnoreCase(value);
            if (wanted && LoginNegotiator.admits(t, p.initiatorName)) {
                int size = TextParameters.size("TargetName", t.name());
                for (String a : addresses) {
                    size += TextParameters.size("TargetAddress", a);
                }
                if (answer.length() + size > MAX_TEXT_ANSWER) {
                    LOG.warn("{}: SendTargets answer cut at {} bytes; further targets not listed", this, answer.length());
                    return;
                }
                answer.add("TargetName", t.name());
                for (String a : addresses) {
                    answer.add("TargetAddress", a);
                }
            }
        }
    }

    /** How an initiator reaches {@code other}, seen from this connection. */
    private String portalAddress(IscsiPortal other) {
        if (other.equals(portal)) {
            return portalAddress();
        }
        InetSocketAddress a = other.address();
        if (a.getAddress() != null && a.getAddress().isAnyLocalAddress()) {
            try {
                SocketAddress local = channel.getLocalAddress();
                if (local instanceof InetSocketAddress l && l.getAddress() != null) {
                    return format(new InetSocketAddress(l.getAddress(), a.getPort()));
                }
            } catch (IOException e) {
                LOG.debug("{}: no local address", this, e);
            }
        }
        return format(a);
    }

    private String portalAddress() {
        try {
            SocketAddress a = channel.getLocalAddress();
            if (a instanceof InetSocketAddress) {
                return format((InetSocketAddress) a);
            }
        } catch (IOException e) {
            LOG.debug("{}: no local address", this, e);
        }
        return "127.0.0.1:3260";
    }

    static String format(InetSocketAddress a) {
        String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        if (host.indexOf(':') >= 0) {
            int percent = host.indexOf('%');
            host = "[" + (percent >= 0 ? host.substring(0, percent) : host) + "]";
        }
        return host + ":" + a.getPort();
    }

    private void sendTextChunk(int itt, long lun) {
        byte[] all = textPending;
        int max = params.initiatorMaxRecvDataSegmentLength;
        int length = Math.min(max, all.length - textPendingOffset);
        boolean more = textPendingOffset + length < all.length;
        ControlPdu rsp = new ControlPdu(Bhs.TEXT_RESPONSE, more ? Bhs.TEXT_CONTINUE : Bhs.FINAL_BIT);
        rsp.view.putLong(Bhs.LUN_OFFSET, lun);
        rsp.view.putInt(Bhs.ITT_OFFSET, itt);
        int ttt = Bhs.RESERVED_TAG;
        if (more) {
            ttt = nextTtt++;
            if (nextTtt == Bhs.RESERVED_TAG) {
                nextTtt = 1;
            }
        }
        rsp.view.putInt(Bhs.WORD20_OFFSET, ttt);
        byte[] chunk = new byte[length];
        System.arraycopy(all, textPendingOffset, chunk, 0, length);
        rsp.data = chunk;
        textPendingOffset += length;
        if (more) {
            textPendingTtt = ttt;
        } else {
            textPending = null;
            textPendingTtt = Bhs.RESERVED_TAG;
        }
        enqueue(rsp);
    }

    // ---------------------------------------------------------------- Logout (RFC 7143 11.14, 11.15)

    private void logout(ByteBuffer h) {
        if (!Bhs.immediate(h)) {
            int cmdSn = Bhs.cmdSn(h);
            if (!inWindow(cmdSn)) {
                LOG.debug("{}: Logout with CmdSN {} outside {} dropped", this, Integer.toUnsignedString(cmdSn), window());
                return;
            }
            received(cmdSn, RECEIVED);
            maxCmdSn.incrementAndGet();
        }
        int reason = Bhs.flags(h) & 0x7F;
        int logoutCid = h.getShort(Bhs.WORD20_OFFSET) & 0xFFFF;
        int response;
        switch (reason) {
            case 0:  // close the session
                response = 0;
                break;
            case 1:  // close the connection
                response = logoutCid == cid ? 0 : 1;  // 1: CID not found
                break;
            case 2:  // remove the connection for recovery: needs ErrorRecoveryLevel 2
                response = 2;
                break;
            default:
                enqueue(reject(h, RejectReason.PROTOCOL_ERROR));
                return;
        }
        ControlPdu rsp = new ControlPdu(Bhs.LOGOUT_RESPONSE, Bhs.FINAL_BIT);
        rsp.view.put(Bhs.BYTE2_OFFSET, (byte) response);
        rsp.view.putInt(Bhs.ITT_OFFSET, Bhs.itt(h));
        if (response == 0) {
            rsp.after = () -> abort("logout");
        }
        enqueue(rsp);
    }

    // ---------------------------------------------------------------- Reject (RFC 7143 11.17)

    private ControlPdu reject(ByteBuffer h, int reason) {
        ControlPdu rsp = new ControlPdu(Bhs.REJECT, Bhs.FINAL_BIT);
        rsp.view.put(Bhs.BYTE2_OFFSET, (byte) reason);
        rsp.view.putInt(Bhs.ITT_OFFSET, Bhs.RESERVED_TAG);
        byte[] bad = new byte[Bhs.LENGTH];
        h.get(0, bad, 0, Bhs.LENGTH);
        rsp.data = bad;
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: Reject 0x{} of {}", this, Integer.toHexString(reason), Bhs.opcodeName(bad[0] & Bhs.OPCODE_MASK));
        }
        return rsp;
    }

    /**
     * A PDU the connection refused (and goes on after): the first {@value #BAD_PDU_WARNINGS} of a
     * connection are warnings, the rest DEBUG, so an initiator that keeps sending bad PDUs cannot
     * fill the log; the count is logged when the connection ends.
     */
    private void warnBadPdu(String what) {
        if (++badPdus <= BAD_PDU_WARNINGS) {
            LOG.warn("{}: {}", this, what);
        } else {
            LOG.debug("{}: {}", this, what);
        }
    }

    private void rejectPending(int reason, String why) {
        verdict = Verdict.REJECT;
        pendingReject = reason;
        pendingReason = why;
    }

    // =====================================================================================
    // completions (transport thread) and the sender
    // =====================================================================================

    /** The host answered a command: hand it to the sender. Never blocks. */
    void commandCompleted(ScsiTask t) {
        t.state = ScsiTask.State.COMPLETED;
        synchronized (queueLock) {
            if (!queueClosed) {
                queue.add(t);
                queueLock.notify();
                return;
            }
        }
        host.done(t.command, CmdDoneEvent.NEXUS_LOST);
    }

    private void enqueue(Object item) {
        boolean overflow = false;
        synchronized (queueLock) {
            if (!queueClosed) {
                if (item instanceof ControlPdu) {
                    ControlPdu c = (ControlPdu) item;
                    int bytes = c.data == null ? 0 : c.data.length;
                    if (queuedControls >= MAX_QUEUED_CONTROLS || queuedControlBytes + bytes > MAX_QUEUED_CONTROL_BYTES) {
                        overflow = true;
                    } else {
                        queuedControls++;
                        queuedControlBytes += bytes;
                    }
                }
                if (!overflow) {
                    queue.add(item);
                    queueLock.notify();
                    return;
                }
            }
        }
        if (overflow) {
            LOG.warn("{}: {} responses wait for an initiator that does not read them; closing", this, MAX_QUEUED_CONTROLS);
            abort("initiator not reading its responses");
        }
        dropQueued(item);
    }

    private void enqueue(ScsiTask t) {
        enqueue((Object) t);
    }

    private void runSender() {
        String failure = null;
        try {
            while (true) {
                int n = 0;
                synchronized (queueLock) {
                    while (queue.isEmpty() && !queueClosed) {
                        queueLock.wait();
                    }
                    if (queueClosed) {
                        break;
                    }
                    while (n < batch.length && !queue.isEmpty()) {
                        Object o = queue.poll();
                        if (o instanceof ControlPdu) {
                            ControlPdu c = (ControlPdu) o;
                            queuedControls--;
                            queuedControlBytes -= c.data == null ? 0 : c.data.length;
                        }
                        batch[n++] = o;
                    }
                }
                for (int i = 0; i < n; i++) {
                    Object item = batch[i];
                    batch[i] = null;
                    render(item);
                }
                flush();
            }
        } catch (IOException e) {
            failure = e.getMessage() == null ? e.toString() : e.getMessage();
        } catch (InterruptedException e) {
            failure = "interrupted";
        } catch (RuntimeException e) {
            LOG.error("{}: sender failed", this, e);
            failure = "internal error: " + e;
        } finally {
            if (failure != null) {
                abort("send failed: " + failure);
            }
            // Nothing more will be written: what was rendered and not written, and everything
            // still queued, is not delivered.
            for (Object o : afterFlush) {
                afterFailed(o);
            }
            afterFlush.clear();
            for (int i = 0; i < batch.length; i++) {
                if (batch[i] != null) {
                    dropQueued(batch[i]);
                    batch[i] = null;
                }
            }
            List<Object> rest;
            synchronized (queueLock) {
                queueClosed = true;
                rest = new ArrayList<>(queue);
                queue.clear();
            }
            for (Object o : rest) {
                dropQueued(o);
            }
        }
    }

    private void dropQueued(Object o) {
        if (o instanceof ScsiTask) {
            afterFailed(o);
        } else if (o instanceof ControlPdu) {
            ControlPdu c = (ControlPdu) o;
            if (c.after != null) {
                c.after.run();
            }
        }
    }

    private void render(Object item) throws IOException {
        if (item instanceof ScsiTask) {
            renderTask((ScsiTask) item);
        } else {
            renderControl((ControlPdu) item);
        }
    }

    private ByteBuffer begin(int opcode, int flags) throws IOException {
        if (writer.full()) {
            flush();
        }
        return writer.begin(opcode, flags);
    }

    private void sequenceNumbers(ByteBuffer h, boolean advanceStatSn) {
        sequenceNumbers(h, advanceStatSn, true);
    }

    /** Fills StatSN (if it has one), ExpCmdSN and MaxCmdSN of a PDU being written. */
    private void sequenceNumbers(ByteBuffer h, boolean advanceStatSn, boolean hasStatSn) {
        if (hasStatSn) {
            h.putInt(Bhs.STAT_SN_OFFSET, statSn);
            if (advanceStatSn) {
                statSn++;
            }
        }
        int exp = expCmdSn;           // read ExpCmdSN before MaxCmdSN: see the class comment
        h.putInt(Bhs.EXP_CMD_SN_OFFSET, exp);
        h.putInt(Bhs.MAX_CMD_SN_OFFSET, maxCmdSn.get());
    }

    private void renderControl(ControlPdu c) throws IOException {
        ByteBuffer h = begin(c.opcode(), c.header[1] & 0xFF);
        h.put(0, c.header, 0, Bhs.LENGTH);
        c.queued = false;
        sequenceNumbers(h, c.statSnMode == ControlPdu.ADVANCE_STAT_SN);
        writer.commit(c.data == null || c.data.length == 0 ? null : ByteBuffer.wrap(c.data));
        if (c.after != null) {
            afterFlush.add(c);
            // Whatever follows must see the effect (digests switched on, connection closed).
            flush();
        }
    }

    private void renderTask(ScsiTask t) throws IOException {
        tasks.remove(t.itt, t);   // before the response: the initiator may reuse the ITT at once
        if (t.immediate) {
            immediateOutstanding.decrementAndGet();
        } else {
            maxCmdSn.incrementAndGet();   // the window slot comes back with this response
        }
        HostCommand cmd = t.command;
        boolean local = t.state == ScsiTask.State.LOCAL_RESPONSE;
        int status = local ? t.localStatus : cmd.status();
        int residual = local ? t.localResidual : cmd.residual();
        int senseLength = local ? (t.localSense == null ? 0 : t.localSense.length) : cmd.senseLength();
        int dataIn = !local && t.read ? Math.max(0, Math.min(cmd.dataInLength(), t.edtl)) : 0;
        int residualFlags = residual > 0 ? Bhs.RSP_UNDERFLOW : residual < 0 ? Bhs.RSP_OVERFLOW : 0;
        int residualCount = residual >= 0 ? residual : -residual;
        // Status phase collapse (RFC 7143 11.7.4): GOOD without sense rides on the last Data-In.
        boolean collapse = status == ScsiStatus.GOOD && senseLength == 0 && dataIn > 0;
        SessionParameters p = params;
        int segment = p.initiatorMaxRecvDataSegmentLength;
        int burst = p.maxBurstLength;
        int dataSn = 0;
        int offset = 0;
        int burstLeft = burst;
        while (offset < dataIn) {
            int length = Math.min(Math.min(segment, dataIn - offset), burstLeft);
            boolean last = offset + length == dataIn;
            boolean burstEnd = last || length == burstLeft;
            int flags = burstEnd ? Bhs.FINAL_BIT : 0;
            if (last && collapse) {
                flags |= Bhs.DATA_IN_STATUS | residualFlags;
            }
            ByteBuffer h = begin(Bhs.DATA_IN, flags);
            if (last && collapse) {
                h.put(Bhs.BYTE3_OFFSET, (byte) status);
                h.putInt(Bhs.WORD44_OFFSET, residualCount);
            }
            h.putInt(Bhs.ITT_OFFSET, t.itt);
            h.putInt(Bhs.WORD20_OFFSET, Bhs.RESERVED_TAG);
            // StatSN only with the S bit (RFC 7143 11.7.9): it is reserved otherwise.
            sequenceNumbers(h, true, last && collapse);
            h.putInt(Bhs.WORD36_OFFSET, dataSn++);
            h.putInt(Bhs.BUFFER_OFFSET_OFFSET, offset);
            writer.commit(cmd.dataBuffer(), cmd.dataPosition() + offset, length);
            offset += length;
            burstLeft = burstEnd ? burst : burstLeft - length;
        }
        if (!collapse) {
            ByteBuffer h = begin(Bhs.SCSI_RESPONSE, Bhs.FINAL_BIT | residualFlags);
            h.put(Bhs.BYTE2_OFFSET, (byte) 0x00);   // Command Completed at Target
            h.put(Bhs.BYTE3_OFFSET, (byte) status);
            h.putInt(Bhs.ITT_OFFSET, t.itt);
            sequenceNumbers(h, true);
            // ExpDataSN: the Data-In PDUs (reads) or R2Ts (writes) sent for it (RFC 7143 11.4.8).
            h.putInt(Bhs.WORD36_OFFSET, t.read ? dataSn : t.r2tSn);
            h.putInt(Bhs.WORD44_OFFSET, residualCount);
            ByteBuffer sense = null;
            if (senseLength > 0) {
                // RFC 7143 11.4.7.2: SenseLength (2 bytes), then the sense data.
                int length = Math.min(senseLength, PduWriter.SMALL_DATA - 2);
                sense = writer.smallData(2 + length);
                byte[] s = sense.array();
                s[0] = (byte) (length >> 8);
                s[1] = (byte) length;
                if (local) {
                    System.arraycopy(t.localSense, 0, s, 2, length);
                } else {
                    System.arraycopy(senseScratch, 0, s, 2, cmd.sense(senseScratch));
                }
            }
            writer.commit(sense);
        }
        afterFlush.add(t);
    }

    private void flush() throws IOException {
        writer.flush();
        for (Object o : afterFlush) {
            afterWritten(o);
        }
        afterFlush.clear();
    }

    private void afterWritten(Object o) {
        if (o instanceof ScsiTask) {
            ScsiTask t = (ScsiTask) o;
            if (t.command != null) {
                if (t.state == ScsiTask.State.LOCAL_RESPONSE) {
                    host.release(t.command);
                } else {
                    host.done(t.command, CmdDoneEvent.DELIVERED);
                }
                t.command = null;
            }
            recycle(t);
        } else {
            ControlPdu c = (ControlPdu) o;
            if (c.after != null) {
                c.after.run();
            }
        }
    }

    private void afterFailed(Object o) {
        if (o instanceof ScsiTask) {
            ScsiTask t = (ScsiTask) o;
            tasks.remove(t.itt, t);
            if (t.command != null) {
                if (t.state == ScsiTask.State.LOCAL_RESPONSE) {
                    host.release(t.command);
                } else {
                    host.done(t.command, CmdDoneEvent.NEXUS_LOST);
                }
                t.command = null;
            }
        } else {
            ControlPdu c = (ControlPdu) o;
            if (c.after != null) {
                c.after.run();
            }
        }
    }

    // ---------------------------------------------------------------- task pool

    private ScsiTask takeTask() {
        ScsiTask t;
        synchronized (pool) {
            t = pool.poll();
        }
        if (t == null) {
            // The pool covers the window; more can only be a burst of local answers in flight.
            t = new ScsiTask(this, settings.maxOutstandingR2T());
        }
        t.reset();
        return t;
    }

    private void recycle(ScsiTask t) {
        t.reset();
        t.state = ScsiTask.State.FREE;
        synchronized (pool) {
            if (pool.size() < settings.window() + settings.immediateCommands()) {
                pool.add(t);
            }
        }
    }

    /** Tasks this connection holds (received and not yet answered): for tests and diagnostics. */
    int taskCount() {
        return tasks.size();
    }
}
