package org.jtgt.api.fc.initiator;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.api.event.TaskAttribute;
import org.jtgt.fc.wire.CtIu;
import org.jtgt.fc.wire.Els;
import org.jtgt.fc.wire.FcFrameHeader;
import org.jtgt.fc.wire.FcipFraming;
import org.jtgt.fc.wire.FcipHeader;
import org.jtgt.fc.wire.Fcp;

/**
 * An emulated FC initiator N_Port on one FCIP link (RFC 3821), for tests, benchmarks and the
 * command line: fabric login (FLOGI), name server discovery (PLOGI to the directory server,
 * RFT_ID, GID_FT), PLOGI/PRLI/PRLO/LOGO with a target port, FCP commands with data
 * (FCP_XFER_RDY answered burst by burst), ABTS and FCP task management.
 *
 * <p>Typical use:
 * <pre>
 * try (FcInitiator fc = FcInitiator.connect("127.0.0.1", 3225, wwpn, wwnn)) {
 *     fc.flogi();
 *     int target = fc.discoverTargets().get(0);
 *     fc.plogi(target); fc.prli(target);
 *     ScsiResult r = fc.command(target, FcInitiator.lun(0), cdb, null, 512);
 * }
 * </pre>
 *
 * <p>Every exchange ends exactly once: with its FCP_RSP ({@link Exchange#result()} completes), with
 * a BA_ACC to an ABTS, or when a task-management function that terminates it (ABORT TASK SET,
 * CLEAR TASK SET, LOGICAL UNIT RESET on its LUN, TARGET RESET) is answered FUNCTION COMPLETE: the
 * target sends nothing more for such an exchange (FCP-4 12.3; the target answers every command
 * it executed before the function's FCP_RSP), so the initiator ends it then with
 * {@link AbortedException}. Frames that belong to no open exchange are counted
 * ({@link #unexpectedFrames()}), so a second answer to one exchange shows. Blocking calls wait at
 * most {@link #timeoutMillis}; one reader thread takes the target's frames apart in arrival order.
 */
public final class FcInitiator implements AutoCloseable {
    /** {@link #abort} answers: the exchange was aborted (BA_ACC) or not (BA_RJT). */
    public static final int BA_ACC = 0x84;
    public static final int BA_RJT = 0x85;

    // Task-management flags of the FCP_CMND (FCP-4 table 22), for taskManagement().
    public static final int TMF_ABORT_TASK_SET = Fcp.TMF_ABORT_TASK_SET;
    public static final int TMF_CLEAR_TASK_SET = Fcp.TMF_CLEAR_TASK_SET;
    public static final int TMF_LUN_RESET = Fcp.TMF_LUN_RESET;
    public static final int TMF_TARGET_RESET = Fcp.TMF_TARGET_RESET;
    public static final int TMF_CLEAR_ACA = Fcp.TMF_CLEAR_ACA;

    // FCP_RSP_INFO RSP_CODEs (FCP-4 table 26) taskManagement() returns.
    public static final int RSP_TMF_COMPLETE = Fcp.RSP_TMF_COMPLETE;
    public static final int RSP_CMND_FIELDS_INVALID = Fcp.RSP_CMND_FIELDS_INVALID;
    public static final int RSP_TMF_NOT_SUPPORTED = Fcp.RSP_TMF_NOT_SUPPORTED;
    public static final int RSP_TMF_FAILED = Fcp.RSP_TMF_FAILED;
    public static final int RSP_TMF_SUCCEEDED = Fcp.RSP_TMF_SUCCEEDED;
    public static final int RSP_TMF_INCORRECT_LUN = Fcp.RSP_TMF_INCORRECT_LUN;

    /** The answer to an ELS or CT request. */
    public record Reply(int rCtl, byte[] payload) {
        /** An ELS LS_ACC, or a CT FS_ACC. */
        public boolean accepted() {
            if (rCtl == FcFrameHeader.R_CTL_SOL_CONTROL) {
                return payload.length >= 10 && ((payload[8] & 0xFF) << 8 | payload[9] & 0xFF) == CtIu.FS_ACC;
            }
            return payload.length > 0 && payload[0] == Els.LS_ACC;
        }

        /** LS_RJT reason code, or -1. */
        public int rejectReason() {
            return payload.length >= 8 && payload[0] == Els.LS_RJT ? payload[5] & 0xFF : -1;
        }

        public int rejectExplanation() {
            return payload.length >= 8 && payload[0] == Els.LS_RJT ? payload[6] & 0xFF : -1;
        }
    }

    /** The outcome of an FCP command. */
    public record ScsiResult(int status, byte[] data, int dataLength, byte[] sense, int residual, int flags,
            int rspCode) {
        public boolean underflow() {
            return (flags & Fcp.RESID_UNDER) != 0;
        }

        public boolean overflow() {
            return (flags & Fcp.RESID_OVER) != 0;
        }
    }

    /**
     * The command's exchange ended without FCP_RSP: a BA_ACC answered an ABTS for it, or a
     * task-management function that terminates it completed.
     */
    public static final class AbortedException extends Exception {
        private static final long serialVersionUID = 1L;
        private final boolean byAbts;

        AbortedException(int oxId, String how, boolean byAbts) {
            super("exchange " + Integer.toHexString(oxId) + " aborted by " + how);
            this.byAbts = byAbts;
        }

        /** True for BA_ACC, false for a task-management function. */
        public boolean byAbts() {
            return byAbts;
        }
    }

    /** An FCP command in flight. */
    public static final class Exchange {
        final int oxId;
        final int did;
        final long lun;
        /** Task-management flags of a TMF exchange; 0 for a command. */
        final int tmfFlags;
        final byte[] dataOut;
        final byte[] dataIn;
        volatile int dataInLength;
        /** Hold the write data until {@link #releaseWriteData}. */
        volatile boolean holdData;
        /** A held FCP_XFER_RDY: offset, burst, RX_ID. */
        volatile int[] heldXferRdy;
        /** FCP_XFER_RDYs received (reader thread only writes). */
        volatile int xferRdys;
        /** Place of its FCP_CMND among the commands sent on the link; MAX_VALUE until sent. */
        volatile long order = Long.MAX_VALUE;
        final CompletableFuture<ScsiResult> result = new CompletableFuture<>();

        Exchange(int oxId, int did, long lun, int tmfFlags, byte[] dataOut, int readLength) {
            this.oxId = oxId;
            this.did = did;
            this.lun = lun;
            this.tmfFlags = tmfFlags;
            this.dataOut = dataOut;
            this.dataIn = readLength > 0 ? new byte[readLength] : null;
        }

        public int oxId() {
            return oxId;
        }

        public long lun() {
            return lun;
        }

        /** How many FCP_XFER_RDYs the target sent for this exchange (one per burst). */
        public int xferRdys() {
            return xferRdys;
        }

        /**
         * Completes with the FCP_RSP, or exceptionally with {@link AbortedException} (aborted) or
         * an {@link IOException} (the link closed).
         */
        public CompletableFuture<ScsiResult> result() {
            return result;
        }
    }

    /** How long blocking calls wait for an answer. */
    public volatile long timeoutMillis = 10_000;
    private final Socket socket;
    private final OutputStream out;
    private final FcipFraming framing;
    private final long portName;
    private final long nodeName;
    private volatile int portId;
    private volatile int frameSize = 2048;
    /** An FDISC is waiting for its reply: its LS_ACC does not change {@link #portId}. */
    private volatile boolean fdiscInFlight;
    private final AtomicInteger oxIds = new AtomicInteger(1);
    private final AtomicInteger seqIds = new AtomicInteger();
    private final ConcurrentHashMap<Integer, CompletableFuture<Reply>> replies = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, Exchange> exchanges = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, CompletableFuture<Integer>> aborts = new ConcurrentHashMap<>();
    private volatile CompletableFuture<byte[]> specialFrameEcho;
    private final AtomicInteger badFrames = new AtomicInteger();
    private final AtomicInteger unexpectedFrames = new AtomicInteger();
    private final AtomicInteger terminatedByTmf = new AtomicInteger();
    private final Thread reader;
    private volatile boolean closed;
    /** FCP_CMNDs written so far; guarded by {@code out}. */
    private long commandsSent;

    private FcInitiator(Socket socket, long portName, long nodeName) throws IOException {
        this.socket = socket;
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        this.framing = new FcipFraming(socket.getInputStream());
        this.portName = portName;
        this.nodeName = nodeName;
        this.reader = new Thread(this::readLoop, "fc-initiator-rx");
        reader.setDaemon(true);
        reader.start();
    }

    /** Opens the FCIP link; nothing is logged in yet. */
    public static FcInitiator connect(String host, int port, long portName, long nodeName) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(host, port), 5_000);
        return new FcInitiator(s, portName, nodeName);
    }

    /** The 8-byte FCP_LUN of a LUN below 256 (SAM-5 peripheral device addressing). */
    public static long lun(int lun) {
        return (long) (lun & 0xFF) << 48;
    }

    public int portId() {
        return portId;
    }

    public long portName() {
        return portName;
    }

    /** Frames from the target that failed a check. */
    public int badFrames() {
        return badFrames.get();
    }

    /**
     * Frames for no open exchange: an FCP_RSP, data or BA_ACC after the exchange ended (a second
     * answer), or for an OX_ID never used. Zero on a well-behaved link.
     */
    public int unexpectedFrames() {
        return unexpectedFrames.get();
    }

    /** Exchanges ended because a task-management function that terminates them completed. */
    public int terminatedByTaskManagement() {
        return terminatedByTmf.get();
    }

    /** Exchanges (commands and task-management functions) still open. */
    public int openExchanges() {
        return exchanges.size();
    }

    public boolean isOpen() {
        return !closed && !socket.isClosed() && reader.isAlive();
    }

    // ---------------------------------------------------------------- logins

    /**
     * Sends an FCIP Special Frame (RFC 3821 6.6.2: the first bytes on a new connection, before
     * any FC frame) and waits for the other side to echo it.
     *
     * @return whether the echo came back unchanged (the Ch flag clear and every field the same)
     */
    public boolean specialFrame(long sourceFabricWwn, long nonce) throws IOException {
        byte[] fsf = FcipHeader.specialFrame(sourceFabricWwn, portName, nonce, FcipHeader.FSF_USAGE_CLASS3, 0, 0,
                10_000);
        CompletableFuture<byte[]> echo = new CompletableFuture<>();
        specialFrameEcho = echo;
        send(fsf);
        try {
            return Arrays.equals(fsf, echo.get(timeoutMillis, TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("no echo of the FCIP special frame: " + e, e);
        }
    }

    /** FLOGI: returns the N_Port ID the fabric assigned. */
    public int flogi() throws IOException {
        Reply r = request(FcFrameHeader.R_CTL_ELS_REQUEST, FcFrameHeader.FABRIC_LOGIN_SERVER, FcFrameHeader.TYPE_ELS,
                Els.login(Els.FLOGI, portName, nodeName, frameSize, 0, 0, 2_000), 0);
        if (!r.accepted()) {
            throw new IOException("FLOGI rejected: reason " + r.rejectReason());
        }
        // The assigned ID is the D_ID of the LS_ACC; the reader stored it.
        return portId;
    }

    /**
     * FDISC (NPIV): logs in one more port name over this link. The link's own N_Port ID stays
     * what FLOGI assigned; the reply says whether the fabric accepted or why it refused.
     */
    public Reply fdisc(long virtualPortName, long virtualNodeName) throws IOException {
        fdiscInFlight = true;
        try {
            return request(FcFrameHeader.R_CTL_ELS_REQUEST, FcFrameHeader.FABRIC_LOGIN_SERVER, FcFrameHeader.TYPE_ELS,
                    Els.login(Els.FDISC, virtualPortName, virtualNodeName, frameSize, 0, 0, 2_000), 0);
        } finally {
            fdiscInFlight = false;
        }
    }

    public Reply plogi(int did) throws IOException {
        Reply r = els(did, Els.login(Els.PLOGI, portName, nodeName, frameSize, Els.FEATURE_CIRO, 0x00FF0000, 2_000));
        if (r.accepted() && r.payload().length >= Els.LOGIN_LENGTH) {
            int offered = ByteBuffer.wrap(r.payload()).getShort(Els.RX_SIZE_OFFSET) & 0xFFF;
            if (offered >= 128) {
                frameSize = Math.min(frameSize, offered & ~3);
            }
        }
        return r;
    }

    public Reply prli(int did) throws IOException {
        return els(did, Els.prli(Els.PRLI, Els.PRLI_ESTABLISH_IMAGE_PAIR,
                Els.FCP_INITIATOR_FUNCTION | Els.FCP_READ_XFER_RDY_DISABLED));
    }

    public Reply prlo(int did) throws IOException {
        return els(did, Els.prli(Els.PRLO, 0, 0));
    }

    public Reply logo(int did) throws IOException {
        return els(did, Els.logo(portId, portName));
    }

    public Reply els(int did, byte[] payload) throws IOException {
        return request(FcFrameHeader.R_CTL_ELS_REQUEST, did, FcFrameHeader.TYPE_ELS, payload, portId);
    }

    /**
     * PLOGI to the name server, RFT_ID (FCP), GID_FT (FCP): the FCP ports other than this one.
     */
    public List<Integer> discoverTargets() throws IOException {
        Reply login = els(FcFrameHeader.DIRECTORY_SERVER, Els.login(Els.PLOGI, portName, nodeName, frameSize, 0,
                0x00FF0000, 2_000));
        if (!login.accepted()) {
            throw new IOException("PLOGI to the name server rejected");
        }
        byte[] rft = new byte[4 + CtIu.FT_BITMAP_LENGTH];
        ByteBuffer.wrap(rft).putInt(0, portId).putInt(4 + FcFrameHeader.TYPE_FCP / 32 * 4, 1 << FcFrameHeader.TYPE_FCP % 32);
        Reply reg = nameServer(CtIu.RFT_ID, rft);
        if (!reg.accepted()) {
            throw new IOException("RFT_ID rejected");
        }
        Reply gid = nameServer(CtIu.GID_FT, new byte[] {0, 0, 0, (byte) FcFrameHeader.TYPE_FCP});
        List<Integer> found = new ArrayList<>();
        if (!gid.accepted()) {
            return found;
        }
        ByteBuffer b = ByteBuffer.wrap(gid.payload());
        for (int o = CtIu.PREAMBLE_LENGTH; o + 4 <= b.limit(); o += 4) {
            int w = b.getInt(o);
            int id = w & 0xFFFFFF;
            if (id != portId) {
                found.add(id);
            }
            if ((w & 0x80000000) != 0) {
                break;
            }
        }
        return found;
    }

    public Reply nameServer(int command, byte[] payload) throws IOException {
        return request(FcFrameHeader.R_CTL_UNSOL_CONTROL, FcFrameHeader.DIRECTORY_SERVER, FcFrameHeader.TYPE_CT,
                CtIu.request(command, payload), portId);
    }

    private Reply request(int rCtl, int did, int type, byte[] payload, int sid) throws IOException {
        int ox = nextOxId();
        CompletableFuture<Reply> f = new CompletableFuture<>();
        replies.put(ox, f);
        send(FcipFraming.encode(rCtl, did, sid, type, FcFrameHeader.F_CTL_REQUEST, nextSeqId(), ox,
                FcFrameHeader.UNASSIGNED_ID, 0, payload));
        try {
            return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("no reply to R_CTL " + Integer.toHexString(rCtl) + " for " + FcFrameHeader.portId(did)
                    + ": " + e, e);
        } finally {
            replies.remove(ox);
        }
    }

    // ---------------------------------------------------------------- FCP

    /**
     * Starts a command; write data goes out burst by burst as the target asks for it
     * (FCP_XFER_RDY).
     *
     * @param dataOut the write data (FCP_DL is its length), or null
     * @param readLength bytes expected in (FCP_DL for a read), or 0
     */
    public Exchange submit(int did, long lun, byte[] cdb, byte[] dataOut, int readLength, TaskAttribute attribute)
            throws IOException {
        return submit(did, lun, cdb, dataOut, readLength, attribute, false);
    }

    /**
     * As {@link #submit(int, long, byte[], byte[], int, TaskAttribute)}; with {@code holdData} the
     * write data is not sent until {@link #releaseWriteData}, so the exchange stays waiting for
     * data at the target (for tests of aborts and resets).
     */
    public Exchange submit(int did, long lun, byte[] cdb, byte[] dataOut, int readLength, TaskAttribute attribute,
            boolean holdData) throws IOException {
        int ox = nextOxId();
        boolean write = dataOut != null && dataOut.length > 0;
        Exchange x = new Exchange(ox, did, lun, 0, dataOut, readLength);
        x.holdData = holdData;
        exchanges.put(ox, x);
        sendCommand(x, FcipFraming.encode(FcFrameHeader.R_CTL_UNSOL_COMMAND, did, portId, FcFrameHeader.TYPE_FCP,
                FcFrameHeader.F_CTL_REQUEST, nextSeqId(), ox, FcFrameHeader.UNASSIGNED_ID, 0,
                Fcp.command(lun, attribute, 0, cdb, readLength > 0, write, write ? dataOut.length : readLength)));
        return x;
    }

    /** Runs one SIMPLE command and waits for its FCP_RSP. */
    public ScsiResult command(int did, long lun, byte[] cdb, byte[] dataOut, int readLength)
            throws IOException, AbortedException {
        return await(submit(did, lun, cdb, dataOut, readLength, TaskAttribute.SIMPLE));
    }

    /** Waits at most {@link #timeoutMillis} for the exchange to end. */
    public ScsiResult await(Exchange x) throws IOException, AbortedException {
        try {
            return x.result.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AbortedException a) {
                throw a;
            }
            throw new IOException(e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("no FCP_RSP for OX_ID " + Integer.toHexString(x.oxId) + " in " + timeoutMillis + " ms");
        }
    }

    /**
     * ABTS for an exchange (FCP's ABORT TASK, FCP-4 12.3.1): BA_ACC when the target ended it
     * without FCP_RSP, BA_RJT when the exchange is unknown there (it had completed: its FCP_RSP
     * arrives before the BA_RJT).
     *
     * @return {@link #BA_ACC} or {@link #BA_RJT}
     */
    public int abort(int did, int oxId) throws IOException {
        CompletableFuture<Integer> f = new CompletableFuture<>();
        aborts.put(oxId, f);
        send(FcipFraming.encode(FcFrameHeader.R_CTL_BLS_ABTS, did, portId, FcFrameHeader.TYPE_BLS,
                FcFrameHeader.F_CTL_END_SEQUENCE | FcFrameHeader.F_CTL_SEQUENCE_INITIATIVE, nextSeqId(), oxId,
                FcFrameHeader.UNASSIGNED_ID, 0, null));
        try {
            return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("no BA_ACC/BA_RJT for OX_ID " + Integer.toHexString(oxId), e);
        } finally {
            aborts.remove(oxId);
        }
    }

    /**
     * A task-management FCP_CMND ({@code flags}: one of the TMF_ constants); returns the
     * FCP_RSP_INFO RSP_CODE. When the function terminates tasks and completes, the exchanges it
     * terminated end with {@link AbortedException} before this returns.
     */
    public int taskManagement(int did, long lun, int flags) throws IOException, AbortedException {
        int ox = nextOxId();
        Exchange x = new Exchange(ox, did, lun, flags, null, 0);
        exchanges.put(ox, x);
        sendCommand(x, FcipFraming.encode(FcFrameHeader.R_CTL_UNSOL_COMMAND, did, portId, FcFrameHeader.TYPE_FCP,
                FcFrameHeader.F_CTL_REQUEST, nextSeqId(), ox, FcFrameHeader.UNASSIGNED_ID, 0,
                Fcp.command(lun, TaskAttribute.SIMPLE, flags, null, false, false, 0)));
        return await(x).rspCode();
    }

    /** Whether the target asked for the write data of an exchange submitted with {@code holdData}. */
    public boolean xferRdyHeld(Exchange x) {
        return x.heldXferRdy != null;
    }

    /** Sends the write data of a held FCP_XFER_RDY and stops holding the exchange's data. */
    public void releaseWriteData(Exchange x) throws IOException {
        x.holdData = false;
        int[] h = x.heldXferRdy;
        if (h != null) {
            x.heldXferRdy = null;
            sendData(x, h[0], h[1], h[2]);
        }
    }

    /** Sends bytes as they are (for tests of bad input: whole encapsulated frames, or not). */
    public void sendRaw(byte[] bytes) throws IOException {
        send(bytes);
    }

    /** An OX_ID no open exchange uses (for hand-made frames). */
    public int nextOxId() {
        int id;
        do {
            id = oxIds.getAndIncrement() & 0xFFFF;
        } while (id == FcFrameHeader.UNASSIGNED_ID || id == 0 || exchanges.containsKey(id) || replies.containsKey(id));
        return id;
    }

    private int nextSeqId() {
        return seqIds.getAndIncrement() & 0xFF;
    }

    private void send(byte[] frame) throws IOException {
        synchronized (out) {
            out.write(frame);
            out.flush();
        }
    }

    /** Sends an FCP_CMND and records its place in the link's order (what a TMF can terminate). */
    private void sendCommand(Exchange x, byte[] frame) throws IOException {
        synchronized (out) {
            x.order = commandsSent++;
            out.write(frame);
            out.flush();
        }
    }

    // ---------------------------------------------------------------- reader

    private void readLoop() {
        try {
            while (!closed) {
                FcipFraming.Frame f;
                try {
                    f = framing.read();
                } catch (FcipFraming.BadFrameException e) {
                    badFrames.incrementAndGet();
                    if (e.streamLost()) {
                        break;
                    }
                    continue;
                }
                if (f == null) {
                    break;
                }
                dispatch(f);
            }
        } catch (IOException | RuntimeException e) {
            // the link is gone; waiting callers time out or see the failure below
        } finally {
            closed = true;
            IOException gone = new IOException("link closed");
            for (Exchange x : exchanges.values()) {
                x.result.completeExceptionally(gone);
            }
            for (CompletableFuture<Reply> r : replies.values()) {
                r.completeExceptionally(gone);
            }
        }
    }

    private void dispatch(FcipFraming.Frame f) throws IOException {
        if (f.special()) {
            CompletableFuture<byte[]> echo = specialFrameEcho;
            if (echo == null || !echo.complete(f.specialFrameCopy())) {
                unexpectedFrames.incrementAndGet();
            }
            return;
        }
        int ox = f.oxId();
        switch (f.rCtl()) {
            case FcFrameHeader.R_CTL_ELS_REPLY:
            case FcFrameHeader.R_CTL_SOL_CONTROL: {
                CompletableFuture<Reply> r = replies.get(ox);
                if (r == null) {
                    unexpectedFrames.incrementAndGet();
                    return;
                }
                if (f.sId() == FcFrameHeader.FABRIC_LOGIN_SERVER && f.payloadByte(0) == Els.LS_ACC && !fdiscInFlight) {
                    portId = f.dId();
                    int offered = (f.payloadByte(Els.RX_SIZE_OFFSET) << 8 | f.payloadByte(Els.RX_SIZE_OFFSET + 1)) & 0xFFF;
                    if (offered >= 128) {
                        frameSize = Math.min(frameSize, offered & ~3);
                    }
                }
                r.complete(new Reply(f.rCtl(), f.payloadCopy()));
                return;
            }
            case FcFrameHeader.R_CTL_DATA_DESCRIPTOR: {
                Exchange x = exchanges.get(ox);
                if (x == null || x.dataOut == null) {
                    unexpectedFrames.incrementAndGet();
                    return;
                }
                x.xferRdys++;
                if (x.holdData) {
                    x.heldXferRdy = new int[] {f.payloadInt(0), f.payloadInt(4), f.rxId()};
                } else {
                    sendData(x, f.payloadInt(0), f.payloadInt(4), f.rxId());
                }
                return;
            }
            case FcFrameHeader.R_CTL_DATA: {
                Exchange x = exchanges.get(ox);
                int off = f.parameter();
                int len = f.payloadLength();
                if (x == null || x.dataIn == null || off < 0 || off + len > x.dataIn.length) {
                    unexpectedFrames.incrementAndGet();
                    return;
                }
                f.buffer.get(f.payloadOffset(), x.dataIn, off, len);
                x.dataInLength = Math.max(x.dataInLength, off + len);
                return;
            }
            case FcFrameHeader.R_CTL_COMMAND_STATUS: {
                Exchange x = exchanges.remove(ox);
                if (x == null) {
                    unexpectedFrames.incrementAndGet();
                    return;
                }
                ByteBuffer p = ByteBuffer.wrap(f.payloadCopy());
                int flags = p.get(Fcp.RSP_FLAGS_OFFSET) & 0xFF;
                int status = p.get(Fcp.RSP_STATUS_OFFSET) & 0xFF;
                int resid = p.getInt(Fcp.RSP_RESID_OFFSET);
                int snsLen = (flags & Fcp.SNS_LEN_VALID) != 0 ? p.getInt(Fcp.RSP_SNS_LEN_OFFSET) : 0;
                int rspLen = (flags & Fcp.RSP_LEN_VALID) != 0 ? p.getInt(Fcp.RSP_RSP_LEN_OFFSET) : 0;
                int rspCode = rspLen >= 4 ? p.get(Fcp.RSP_LENGTH + 3) & 0xFF : -1;
                byte[] sense = new byte[Math.max(0, Math.min(snsLen, p.limit() - Fcp.RSP_LENGTH - rspLen))];
                p.get(Fcp.RSP_LENGTH + rspLen, sense);
                int residual = (flags & Fcp.RESID_UNDER) != 0 ? resid : (flags & Fcp.RESID_OVER) != 0 ? -resid : 0;
                if (x.tmfFlags != 0 && rspCode == Fcp.RSP_TMF_COMPLETE) {
                    terminate(x);
                }
                x.result.complete(new ScsiResult(status, x.dataIn, x.dataInLength, sense, residual, flags, rspCode));
                return;
            }
            case FcFrameHeader.R_CTL_BLS_BA_ACC:
            case FcFrameHeader.R_CTL_BLS_BA_RJT: {
                CompletableFuture<Integer> a = aborts.get(ox);
                if (f.rCtl() == FcFrameHeader.R_CTL_BLS_BA_ACC) {
                    Exchange x = exchanges.remove(ox);
                    if (x != null) {
                        x.result.completeExceptionally(new AbortedException(ox, "ABTS", true));
                    } else {
                        unexpectedFrames.incrementAndGet();   // BA_ACC for an exchange that had ended
                    }
                }
                if (a == null) {
                    unexpectedFrames.incrementAndGet();
                    return;
                }
                a.complete(f.rCtl());
                return;
            }
            default:
                unexpectedFrames.incrementAndGet();
        }
    }

    /**
     * Reader thread: ends the exchanges a completed task-management function terminated (the
     * target sends nothing more for them): every open command sent before it on its LUN, on all
     * LUNs for TARGET RESET. Commands sent after it are the target's to answer.
     */
    private void terminate(Exchange tmf) {
        int flags = tmf.tmfFlags;
        String how;
        switch (flags) {
            case Fcp.TMF_ABORT_TASK_SET: how = "ABORT TASK SET"; break;
            case Fcp.TMF_CLEAR_TASK_SET: how = "CLEAR TASK SET"; break;
            case Fcp.TMF_LUN_RESET: how = "LOGICAL UNIT RESET"; break;
            case Fcp.TMF_TARGET_RESET: how = "TARGET RESET"; break;
            default: return;   // CLEAR ACA terminates nothing
        }
        boolean allLuns = flags == Fcp.TMF_TARGET_RESET;
        for (Exchange x : exchanges.values()) {
            if (x == tmf || x.tmfFlags != 0 || x.order > tmf.order || x.did != tmf.did
                    || !allLuns && x.lun != tmf.lun) {
                continue;
            }
            if (exchanges.remove(x.oxId, x)) {
                terminatedByTmf.incrementAndGet();
                x.result.completeExceptionally(new AbortedException(x.oxId, how, false));
            }
        }
    }

    private void sendData(Exchange x, int offset, int burst, int rxId) throws IOException {
        int end = Math.min(x.dataOut.length, offset + burst);
        int seqId = nextSeqId();
        int seqCnt = 0;
        ByteBuffer frame = ByteBuffer.allocate(FcipHeader.MAX_BYTES);
        synchronized (out) {
            for (int off = offset; off < end; off += frameSize) {
                int len = Math.min(frameSize, end - off);
                boolean last = off + len == end;
                int fCtl = FcFrameHeader.F_CTL_RELATIVE_OFFSET
                        | (last ? FcFrameHeader.F_CTL_END_SEQUENCE | FcFrameHeader.F_CTL_SEQUENCE_INITIATIVE : 0);
                int n = FcipFraming.encode(frame, off == offset ? FcipHeader.SOF_I3 : FcipHeader.SOF_N3,
                        last ? FcipHeader.EOF_T : FcipHeader.EOF_N, FcFrameHeader.R_CTL_DATA, x.did, portId,
                        FcFrameHeader.TYPE_FCP, fCtl, seqId, seqCnt++, x.oxId, rxId, off,
                        ByteBuffer.wrap(x.dataOut, off, len));
                out.write(frame.array(), 0, n);
                out.flush();   // one frame per TCP segment where possible, as the target writes them
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
        try {
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
