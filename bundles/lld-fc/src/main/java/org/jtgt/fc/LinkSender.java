package org.jtgt.fc;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.ResponseDelivery;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.fc.wire.FcFrameHeader;
import org.jtgt.fc.wire.FcipFraming;
import org.jtgt.fc.wire.FcipHeader;
import org.jtgt.fc.wire.Fcp;
import org.jtgt.util.BufferView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything a link sends: one queue ({@link FcSendQueue}) that the reader and transport threads
 * fill and the link's sender thread drains ({@link #sendLoop}), so a transport thread that
 * completes a command never blocks on the network, and replies keep their order (an FCP_RSP
 * queued before a BA_ACC leaves before it).
 *
 * <p>The sender encodes FCP_XFER_RDY, Data-In (straight from a view of the command's data
 * buffer) and FCP_RSP into its one send buffer; every other frame arrives encoded. Every frame is
 * written (and flushed) on its own, so that on a quiet link each FCIP frame starts a TCP segment:
 * Wireshark's FCIP dissector (4.0) hands only the first frame of a segment to the FC dissector
 * correctly. It costs a system call per frame.
 */
final class LinkSender {
    private static final Logger LOG = LoggerFactory.getLogger(LinkSender.class);
    /** Frames the reader may have queued before it waits for the sender (bounds memory). */
    private static final int OUTBOUND_LIMIT = 4096;
    /** Send queue entries made when the link comes up; it grows beyond only under a burst. */
    private static final int OUTBOUND_INITIAL = 256;

    private final FcLink link;
    private final OutputStream out;
    private final FcSendQueue outbound = new FcSendQueue(OUTBOUND_INITIAL);
    private final AtomicInteger seqIds = new AtomicInteger();
    private final AtomicInteger rxIds = new AtomicInteger();
    /** Sender thread only. */
    private final ByteBuffer sendBuffer = ByteBuffer.allocate(FcipHeader.MAX_BYTES);
    private final ByteBuffer rspBuffer = ByteBuffer.allocate(Fcp.RSP_LENGTH + Fcp.RSP_INFO_LENGTH + 260);
    private final byte[] senseScratch = new byte[260];
    /** Sender thread only: the entry being sent and the FCP_XFER_RDY payload. */
    private final FcSendQueue.Entry sending = new FcSendQueue.Entry();
    private final ByteBuffer xferRdyPayload = ByteBuffer.allocate(Fcp.XFER_RDY_LENGTH);
    /** Sender thread only: the view Data-In frames are written from. */
    private final BufferView dataView = new BufferView();
    /** Guarded by the link's lock: completions are still queued (else they end undelivered). */
    private boolean senderRunning = true;

    LinkSender(FcLink link, OutputStream out) {
        this.link = link;
        this.out = out;
    }

    // =====================================================================================
    // queueing (reader and transport threads)
    // =====================================================================================

    /** From the reader: waits while the sender is far behind, so a peer that never reads costs bounded memory. */
    void enqueue(byte[] frame) throws InterruptedException {
        awaitRoom();
        outbound.addFrame(frame);
    }

    /** From the reader: an FCP_XFER_RDY for the sender to encode (FCP_DATA_RO, FCP_BURST_LEN). */
    void enqueueXferRdy(int dId, int oxId, int rxId, int offset, int length) throws InterruptedException {
        awaitRoom();
        outbound.addXferRdy(dId, nextSeqId(), oxId, rxId, offset, length);
    }

    private void awaitRoom() throws InterruptedException {
        while (outbound.size() > OUTBOUND_LIMIT && !link.isClosed()) {
            Thread.sleep(1);
        }
    }

    /** From a transport thread: never waits. */
    void enqueueQuietly(byte[] frame) {
        if (!link.isClosed()) {
            outbound.addFrame(frame);
        }
    }

    /** The last entry: the sender stops when it gets there. */
    void stop() {
        outbound.addStop();
    }

    /** An ELS reply (LS_ACC, LS_RJT) from {@code source} to the originator of {@code f}. */
    void elsReply(FcipFraming.Frame f, int source, byte[] payload) throws InterruptedException {
        enqueue(FcipFraming.encode(FcFrameHeader.R_CTL_ELS_REPLY, f.sId(), source, FcFrameHeader.TYPE_ELS,
                FcFrameHeader.F_CTL_REPLY, nextSeqId(), f.oxId(), nextRxId(), 0, payload));
    }

    int nextSeqId() {
        return seqIds.getAndIncrement() & 0xFF;
    }

    int nextRxId() {
        int id;
        do {
            id = rxIds.getAndIncrement() & 0xFFFF;
        } while (id == FcFrameHeader.UNASSIGNED_ID);
        return id;
    }

    // =====================================================================================
    // completions (transport thread) and the sender thread
    // =====================================================================================

    void commandCompleted(FcExchange x) {
        synchronized (link.lock) {
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
        synchronized (link.lock) {
            x.port.exchanges.remove(x.oxId, x);
        }
        try {
            link.target.host().done(cmd, ResponseDelivery.NEXUS_LOST);
        } finally {
            synchronized (link.lock) {
                link.exchanges.recycle(x);
            }
        }
    }

    void sendLoop() {
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
            if (!link.isClosed()) {
                LOG.debug("{}: write failed: {}", link, e.toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("{}: sender failed", link, e);
        } finally {
            link.close("sender stopped");
            List<FcExchange> left = new ArrayList<>();
            synchronized (link.lock) {
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
        synchronized (link.lock) {
            // ABTS ended it here, or the daemon ended it as aborted (task management, nexus
            // loss): either way no FCP_RSP goes out for it (FCP-4 12.3, SAM-5 7)
            aborted = x.state == FcExchange.State.ABORTED || cmd.aborted();
            p.exchanges.remove(x.oxId, x);
            frameSize = p.frameSize;
        }
        ScsiHost host = link.target.host();
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
                host.done(cmd, delivered ? ResponseDelivery.DELIVERED
                        : aborted ? ResponseDelivery.ABANDONED : ResponseDelivery.NEXUS_LOST);
            } finally {
                synchronized (link.lock) {
                    link.exchanges.recycle(x);
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
