package org.jtgt.iscsi;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.target.SessionInfo;
import org.jtgt.api.target.SessionSource;
import org.jtgt.api.transport.DeferredDelivery;
import org.jtgt.api.transport.HandOff;
import org.jtgt.util.BufferView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One iSCSI connection, and with MaxConnections=1 its session (RFC 7143): its lifecycle, its two
 * threads and the dispatch of every PDU it reads. The parts follow the protocol's own seams:
 *
 * <ul>
 * <li>{@link LoginPhase}: login, and the session identity and parameters it settles;</li>
 * <li>{@link CommandWindow}: the CmdSN window and command order;</li>
 * <li>{@link ScsiCommandHandler}: SCSI Command and Data-Out PDUs, a task's way to the host;</li>
 * <li>{@link DataOutSequencer}: Data-Out checks and R2Ts;</li>
 * <li>{@link TaskManagementHandler}, {@link TextHandler}, {@link Liveness} (NOP-Out/NOP-In and
 * the watchdog's checks), Logout here;</li>
 * <li>{@link ResponseSender}: everything the target sends, over the sealed {@link Outbound}.</li>
 * </ul>
 *
 * <p>Two threads: the reader decodes PDUs and acts on them (it owns the CmdSN window, the R2T
 * state and every task until it is submitted); the sender writes everything the target sends, in
 * order. Completions from the host arrive on a transport thread and only queue the task for the
 * sender (or write it themselves while the sender is idle).
 *
 * <p>A second reader thread may join: with the in-process transport the daemon runs a command on
 * the reader's thread, and when that command waits for a blocking store and is the connection's
 * only one, the reader hands the reading over to the second thread ({@link HandOff}) and runs it
 * itself instead of waking a store worker for it; afterwards it stands by until the other thread
 * hands the reading back. One thread reads at a time ({@link #leader}), and reader state passes
 * between them under {@link #readers}.
 *
 * <h2>Errors</h2>
 * Framing violations (lengths over the limits, header digest errors, garbage) end the connection:
 * nothing after them can be trusted. Errors in a command's data end the command
 * ({@link ScsiCommandHandler}). Other bad PDUs get a Reject and are ignored.
 */
final class IscsiConnection {
    private static final Logger LOG = LoggerFactory.getLogger(IscsiConnection.class);
    /** Bad PDUs per connection that are logged as warnings; the rest go to DEBUG. */
    static final int BAD_PDU_WARNINGS = 10;

    private final IscsiTarget target;
    private final SocketChannel channel;
    private final ScsiHost host;
    final int id;
    private final String remote;
    /** The initiator's address, as {@link LoginGuard} counts it; null if the socket did not say. */
    private final InetAddress remoteAddress;
    private final String local;
    private final PduDecoder decoder;
    private final Thread readerThread;
    private final Thread senderThread;
    private final CountDownLatch finished = new CountDownLatch(1);
    private final AtomicReference<String> closeReason = new AtomicReference<>();
    private volatile boolean fullFeature;

    private final IttTable tasks;
    private final CommandWindow window;
    private final ResponseSender sender;
    private final LoginPhase login;
    private final DataOutSequencer dataOut;
    private final ScsiCommandHandler commands;
    private final TaskManagementHandler taskManagement;
    private final TextHandler text;
    private final Liveness liveness;

    // ---- reader thread ----
    /**
     * What the decoder's placement made of the PDU being read (a SCSI Command or Data-Out with
     * data), handed to its handler once the data is in; null if the decoder did not ask.
     */
    private Admission placed;
    private final PduDecoder.Placement placement = this::place;
    private final BufferView placeView = new BufferView();
    private int nextTtt = 1;
    /** Bad PDUs refused so far. */
    private int badPdus;

    // ---- the reading, handed between two threads (see the class comment) ----
    private final Object readers = new Object();
    /** The thread reading the connection; set once the full feature phase begins. */
    private volatile Thread leader;
    /** The second reader thread, started by the first hand-off (guarded by {@link #readers}). */
    private volatile Thread secondReader;
    /** The reader thread waiting to read again, or null (guarded by {@link #readers}). */
    private Thread standing;
    /** The connection has ended: a standing thread ends too (guarded by {@link #readers}). */
    private boolean readersStopped;

    IscsiConnection(IscsiTarget target, SocketChannel channel, IscsiPortal portal, int id) throws IOException {
        this.target = target;
        this.channel = channel;
        TargetSettings settings = target.settings();
        this.host = target.host();
        this.id = id;
        SocketAddress r = channel.getRemoteAddress();
        this.remote = r instanceof InetSocketAddress ? IscsiPortal.format((InetSocketAddress) r) : String.valueOf(r);
        this.remoteAddress = r instanceof InetSocketAddress ? ((InetSocketAddress) r).getAddress() : null;
        SocketAddress l = channel.getLocalAddress();
        this.local = l instanceof InetSocketAddress ? IscsiPortal.format((InetSocketAddress) l) : String.valueOf(l);
        this.decoder = new PduDecoder(settings.maxRecvDataSegmentLength(), TargetSettings.LOGIN_DATA_SEGMENT_LENGTH);
        PduWriter writer = new PduWriter(channel);
        TaskPool pool = new TaskPool(this, settings);
        this.tasks = new IttTable(settings.window() + settings.immediateCommands());
        this.window = new CommandWindow(settings.window(), settings.immediateCommands());
        this.sender = new ResponseSender(this, writer, window, tasks, pool, host);
        this.dataOut = new DataOutSequencer(this, tasks, sender);
        this.liveness = new Liveness(this, target, settings, decoder, window, dataOut, sender);
        this.login = new LoginPhase(this, target, portal, settings, host, channel, decoder, writer, window, sender,
                liveness);
        this.commands = new ScsiCommandHandler(this, settings, host, decoder, window, tasks, pool, dataOut, sender);
        this.taskManagement = new TaskManagementHandler(this, target, window, tasks, commands, sender);
        this.text = new TextHandler(this, target, portal, channel, decoder, window, sender);
        this.readerThread = new Thread(this::runReader, "jtgt-iscsi-rx-" + id);
        this.senderThread = new Thread(sender::run, "jtgt-iscsi-tx-" + id);
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
        sender.close();
    }

    /** Why the connection is closing, or null while it is not. */
    String closeReason() {
        return closeReason.get();
    }

    /** Records why the connection is about to close, unless a reason is already known. */
    void closeReasonIfNone(String reason) {
        closeReason.compareAndSet(null, reason);
    }

    boolean awaitFinished(long millis) throws InterruptedException {
        return finished.await(millis, TimeUnit.MILLISECONDS);
    }

    boolean isFullFeature() {
        return fullFeature;
    }

    /** The negotiated parameters (set when the login enters the full feature phase). */
    SessionParameters params() {
        return login.params();
    }

    boolean isDiscovery() {
        SessionParameters p = login.params();
        return p != null && p.discovery;
    }

    String initiatorName() {
        SessionParameters p = login.params();
        return p == null ? null : p.initiatorName;
    }

    String targetName() {
        SessionParameters p = login.params();
        return p == null ? null : p.targetName;
    }

    int tsih() {
        return login.tsih();
    }

    long isid() {
        return login.isid();
    }

    String sessionKey() {
        return login.sessionKey();
    }

    long nexusId() {
        return login.nexusId();
    }

    /** The initiator's address, or null. */
    InetAddress remoteAddress() {
        return remoteAddress;
    }

    /** The initiator's address and port, for log messages. */
    String remote() {
        return remote;
    }

    /** The session as management shows it, or null before the full feature phase and for discovery. */
    SessionInfo sessionInfo(int hostNo) {
        SessionParameters p = login.params();
        long n = login.nexusId();
        if (!fullFeature || p == null || p.discovery || n < 0) {
            return null;
        }
        return new SessionInfo(SessionSource.ISCSI, p.targetName, p.initiatorName,
                String.format("ISID 0x%012x TSIH %d", login.isid(), login.tsih()), hostNo, n,
                List.of(new SessionInfo.ConnectionInfo(login.cid(), remote, local)));
    }

    /** The host answered a command: its response is written at once on this thread when the sender is idle (see {@link ResponseSender}), else queued. Never waits for a peer that does not read. */
    void commandCompleted(ScsiTask t) {
        sender.commandCompleted(t);
    }

    /** The socket's send buffer in bytes (the kernel grows it as the connection runs); 0 if unknown. */
    int sendBufferSize() {
        try {
            return channel.getOption(java.net.StandardSocketOptions.SO_SNDBUF);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Responses written by the threads that completed their commands (see {@link ResponseSender}). */
    long inlineResponses() {
        return sender.inlineWrites();
    }

    /** The task management requests of this connection, and their answers. */
    TaskManagementHandler taskManagement() {
        return taskManagement;
    }

    /** Called by the watchdog once a second. */
    void checkLiveness(long now) {
        liveness.check(now);
    }

    /** Tasks this connection holds (received and not yet answered): for tests and diagnostics. */
    int taskCount() {
        return tasks.size();
    }

    /** The next Target Transfer Tag (R2T, Text continuation); never the reserved one. Reader thread. */
    int nextTargetTransferTag() {
        int ttt = nextTtt++;
        if (nextTtt == Bhs.RESERVED_TAG) {
            nextTtt = 1;
        }
        return ttt;
    }

    /**
     * A PDU the connection refused (and goes on after): the first {@value #BAD_PDU_WARNINGS} of a
     * connection are warnings, the rest DEBUG, so an initiator that keeps sending bad PDUs cannot
     * fill the log; the count is logged when the connection ends. Reader thread.
     */
    void warnBadPdu(String what) {
        if (++badPdus <= BAD_PDU_WARNINGS) {
            LOG.warn("{}: {}", this, what);
        } else {
            LOG.debug("{}: {}", this, what);
        }
    }

    @Override
    public String toString() {
        String port = login.initiatorPort();
        return "connection " + id + " from " + remote + (port == null ? "" : " (" + port + ")");
    }

    // =====================================================================================
    // reader
    // =====================================================================================

    private void runReader() {
        readerLoop(true);
    }

    /**
     * A reader thread: the first logs in, then each reads while it leads and stands by while the
     * other does. The thread whose reading fails ends the connection.
     */
    private void readerLoop(boolean logsIn) {
        String reason = "closed by the initiator";
        boolean ends = true;
        try {
            if (logsIn) {
                if (!login.run()) {
                    reason = "login failed";
                    return;
                }
                leader = Thread.currentThread();
                fullFeature = true;
            }
            ReaderRole role = new ReaderRole();   // this thread's: it alone reads its flag
            while (fullFeaturePhase(role)) {
                if (!standBy()) {
                    ends = false;
                    return;
                }
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
            if (ends) {
                shutdown(reason);
            }
        }
    }

    /**
     * After this thread handed the reading over: delivers what the task it ran left to it, then
     * waits until the other thread hands the reading back.
     *
     * @return false if the connection ended meanwhile
     */
    private boolean standBy() throws InterruptedException {
        DeferredDelivery.owedHere(false);
        Thread me = Thread.currentThread();
        synchronized (readers) {
            while (leader != me) {
                if (readersStopped) {
                    if (standing == me) {
                        standing = null;
                    }
                    return false;
                }
                standing = me;
                readers.wait();
            }
            if (standing == me) {
                standing = null;
            }
            return true;
        }
    }

    /**
     * Whether the current thread is one of this connection's readers that has handed the reading
     * over (inside the command it kept): it must leave the reader's state alone from then on.
     */
    boolean handedOff() {
        Thread me = Thread.currentThread();
        Thread l = leader;
        return l != null && l != me && (me == readerThread || me == secondReader);
    }

    /**
     * A reader thread's role ({@link HandOff}): given to the standing thread (started the first
     * time) while the command being submitted is the connection's only one, so that nothing the
     * initiator sent waits behind the command this thread keeps. One per reader thread.
     */
    private final class ReaderRole implements HandOff.Role {
        /** This thread handed the reading over; written and read by the role's thread only. */
        boolean released;

        @Override
        public boolean mayRelease() {
            if (tasks.size() != 1) {
                return false;
            }
            synchronized (readers) {
                return free();
            }
        }

        private boolean free() {
            return leader == Thread.currentThread() && !readersStopped && (standing != null || secondReader == null);
        }

        @Override
        public boolean release() {
            if (tasks.size() != 1) {
                return false;
            }
            synchronized (readers) {
                if (!free()) {
                    return false;
                }
                if (standing != null) {
                    leader = standing;
                    standing = null;
                    readers.notifyAll();
                } else {
                    Thread t = new Thread(() -> readerLoop(false), "jtgt-iscsi-rx-" + id + "-2");
                    t.setDaemon(true);
                    secondReader = t;
                    leader = t;
                    t.start();
                }
            }
            released = true;
            // The command's KEVENT_CMD_DONE, sent from inside the daemon, is this thread's to
            // deliver once it is back out (standBy, or the reading loop if it leads again by
            // then) instead of a transport thread's.
            DeferredDelivery.owedHere(true);
            return true;
        }

        /**
         * The command this thread kept is answered and the thread is on its way back: it may
         * take the reading again before it arrives (the next command often comes that soon), and
         * then goes on reading instead of standing by.
         */
        @Override
        public void returned() {
            Thread me = Thread.currentThread();
            synchronized (readers) {
                if (leader != me && !readersStopped && standing == null) {
                    standing = me;
                }
            }
        }
    }

    /** Queues a Reject quoting the current header, and waits briefly for it to be written. */
    private void rejectAndClose(int reason, String why) {
        ControlPdu reject = sender.reject(decoder.header(), reason);
        reject.after = () -> abort(why);
        sender.enqueue(reject);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (channel.isOpen() && System.nanoTime() - deadline < 0) {
            if (sender.isClosed()) {
                break;
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
        synchronized (readers) {
            readersStopped = true;
            readers.notifyAll();
        }
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
        window.clear();
        long n = login.nexusId();
        if (n >= 0) {
            target.destroyNexus(n);
        }
        target.connectionClosed(this);
        String why = closeReason.get();
        SessionParameters p = login.params();
        String port = login.initiatorPort();
        if (badPdus > BAD_PDU_WARNINGS) {
            LOG.warn("{}: {} bad PDUs in all, {} of them logged at DEBUG only", this, badPdus, badPdus - BAD_PDU_WARNINGS);
        }
        if (p != null && port != null) {
            LOG.info("logout {} from {} ({}): {}{}", port, p.targetName, remote, why,
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

    // ---------------------------------------------------------------- full feature phase

    /**
     * Reads and acts on PDUs while this thread leads. The reader that takes over first submits
     * what its predecessor left ready.
     *
     * @return true when this thread handed the reading over (it returns once the command it kept
     *         is done); otherwise only an exception ends it
     */
    private boolean fullFeaturePhase(ReaderRole role) throws IOException, ConnectionFailure {
        Thread me = Thread.currentThread();
        role.released = false;
        commands.submitReady();
        HandOff.offer(role);
        try {
            while (true) {
                if (leader != me) {
                    return true;
                }
                readOne();
                if (role.released && leader == me) {
                    // Handed off inside and given the reading back before it came out: what it
                    // owes from the command it kept is delivered here, before it waits for the
                    // socket, and the role (released) is offered again.
                    role.released = false;
                    DeferredDelivery.owedHere(false);
                    HandOff.offer(role);
                }
            }
        } finally {
            HandOff.drop(role);
        }
    }

    /** Reads one PDU and acts on it. */
    private void readOne() throws IOException, ConnectionFailure {
        placed = null;
        decoder.read(channel, placement);
        liveness.received();
        ByteBuffer h = decoder.header();
        sender.acknowledge(Bhs.expStatSn(h));
        int opcode = Bhs.opcode(h);
        if (!decoder.dataDigestOk()) {
            dataDigestError(h, opcode);
            return;
        }
        switch (opcode) {
            case Bhs.SCSI_COMMAND:
                commands.command(h, placed);
                break;
            case Bhs.DATA_OUT:
                commands.dataOut(h, placed);
                break;
            case Bhs.NOP_OUT:
                liveness.nopOut(h);
                break;
            case Bhs.TASK_MANAGEMENT_REQUEST:
                taskManagement.request(h);
                break;
            case Bhs.TEXT_REQUEST:
                text.request(h);
                break;
            case Bhs.LOGOUT_REQUEST:
                logout(h);
                break;
            case Bhs.LOGIN_REQUEST:
                // RFC 7143 6.3: login PDUs are invalid once the full feature phase is reached.
                sender.sendReject(h, RejectReason.PROTOCOL_ERROR);
                break;
            case Bhs.SNACK_REQUEST:
                // SNACK needs ErrorRecoveryLevel > 0 (RFC 7143 11.16); this target runs level 0.
                sender.sendReject(h, RejectReason.COMMAND_NOT_SUPPORTED);
                break;
            default:
                if (opcode >= 0x1C && opcode <= 0x1E) {
                    // Vendor-specific initiator opcodes (RFC 7143 11.2.1.2): none supported.
                    sender.sendReject(h, RejectReason.COMMAND_NOT_SUPPORTED);
                } else {
                    sender.sendReject(h, RejectReason.PROTOCOL_ERROR);
                }
        }
    }

    /**
     * RFC 7143 7.8: a data digest error. Data a command needs cannot be re-requested at
     * ErrorRecoveryLevel 0, so for SCSI Command and Data-Out the command ends after the Reject;
     * for other PDUs the Reject is enough and the PDU is ignored.
     */
    private void dataDigestError(ByteBuffer h, int opcode) throws ConnectionFailure {
        warnBadPdu("data digest error on " + Bhs.opcodeName(opcode));
        sender.sendReject(h, RejectReason.DATA_DIGEST_ERROR);
        if (placed instanceof ScsiTask t) {
            if (opcode == Bhs.SCSI_COMMAND) {
                // The command is received (its CmdSN consumed) but its immediate data is not
                // usable: the handler sees the digest error and ends it.
                commands.command(h, t);
            } else {
                commands.terminate(t, LocalSense.PROTOCOL_SERVICE_CRC_ERROR);
            }
        }
    }

    /** The decoder's placement: admits SCSI Command and Data-Out headers before their data is read. */
    private ByteBuffer place(ByteBuffer h, int dataLength) {
        int opcode = Bhs.opcode(h);
        if (opcode == Bhs.SCSI_COMMAND && fullFeature) {
            placed = commands.admit(h, dataLength);
            // A command answered by the driver itself (too long, task set full, ...) has no
            // buffer: its immediate data goes to the decoder's own (bounded) buffer and is dropped.
            if (placed instanceof ScsiTask t && t.command != null) {
                return placeInto(t.command, 0, dataLength);
            }
        } else if (opcode == Bhs.DATA_OUT && fullFeature) {
            placed = dataOut.check(h, dataLength);
            if (placed instanceof ScsiTask t && t.command != null) {
                return placeInto(t.command, Bhs.bufferOffset(h), dataLength);
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

    // ---------------------------------------------------------------- Logout (RFC 7143 11.14, 11.15)

    private void logout(ByteBuffer h) {
        if (!Bhs.immediate(h)) {
            int cmdSn = Bhs.cmdSn(h);
            if (!window.consume(cmdSn)) {
                LOG.debug("{}: Logout with CmdSN {} outside {} dropped", this, Integer.toUnsignedString(cmdSn),
                        window.describe());
                return;
            }
        }
        int reason = Bhs.flags(h) & 0x7F;
        int logoutCid = h.getShort(Bhs.WORD20_OFFSET) & 0xFFFF;
        int response;
        switch (reason) {
            case 0:  // close the session
                response = 0;
                break;
            case 1:  // close the connection
                response = logoutCid == login.cid() ? 0 : 1;  // 1: CID not found
                break;
            case 2:  // remove the connection for recovery: needs ErrorRecoveryLevel 2
                response = 2;
                break;
            default:
                sender.sendReject(h, RejectReason.PROTOCOL_ERROR);
                return;
        }
        ControlPdu rsp = new ControlPdu(Bhs.LOGOUT_RESPONSE, Bhs.FINAL_BIT);
        rsp.view.put(Bhs.BYTE2_OFFSET, (byte) response);
        rsp.view.putInt(Bhs.ITT_OFFSET, Bhs.itt(h));
        if (response == 0) {
            rsp.after = () -> abort("logout");
        }
        sender.enqueue(rsp);
    }
}
