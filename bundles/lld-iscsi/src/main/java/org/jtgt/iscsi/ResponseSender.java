package org.jtgt.iscsi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.ResponseDelivery;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.scsi.ScsiStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection's sender thread: writes everything the target sends, in order, filling StatSN,
 * ExpCmdSN and MaxCmdSN as it goes, so those are always current. The reader queues
 * {@link ControlPdu}s; the thread that completes a command hands its {@link ScsiTask} over when
 * the host has answered it (never blocking). Each batch of up to {@value PduWriter#BATCH} PDUs
 * goes out with one gathering write through the {@link PduWriter}; a task's Data-In is written
 * straight from its command's buffer.
 *
 * <p>Inline responses. When the command is the connection's only one, nothing is queued and
 * nobody holds the writer, the completing thread writes the response itself
 * ({@link #commandCompleted}): it takes the writer under the queue's lock (so StatSN order and
 * the batch are the owner's alone, as for the sender thread), renders and writes it, and the
 * command is done on that thread: no hand-off, no wake-up. That is the queue depth 1 case, where
 * the wake-up is most of the latency. While other commands of the connection are in flight their
 * answers are near, and the sender writes them together: one system call and one TCP segment
 * for many responses, where each completing thread writing its own paid a segment each, and the
 * initiator a wake-up each (4 KiB random reads from 4 sessions at QD16 over a file LUN went from
 * 53,000 to 124,000 I/Os per second with this, on 2 cores). It must never
 * wait for a peer that does not read, and the socket is a blocking one (a selector would box
 * the descriptor per wake-up on this JDK), so a response is written inline only if the socket
 * can take it at once: what was written since the last response the initiator acknowledged
 * (ExpStatSN: it has read everything up to there, so none of it is in our send buffer) plus
 * this response, each PDU charged {@value PduWriter#PDU_CHARGE} bytes more for the kernel's
 * accounting, must stay within half the socket's send buffer. Otherwise, while the writer is
 * busy or anything is queued, and for responses that would not fit one batch, the task is
 * queued and the sender batches. An initiator that acknowledges what it has not read can make
 * an inline write wait; the stalled-write watchdog ends such a connection.
 *
 * <p>After a batch is written, each task's host command is done (or released) and the task
 * goes back to the pool, and each control PDU's {@link ControlPdu#after} runs (digests switched
 * on, the connection closed). If the connection fails first, whatever was not written is not
 * delivered: commands go back as {@link ResponseDelivery#NEXUS_LOST}.
 */
final class ResponseSender {
    private static final Logger LOG = LoggerFactory.getLogger(ResponseSender.class);
    /**
     * Bounds on what waits for the sender besides command responses (which the window bounds):
     * an initiator that keeps sending without reading cannot make the target hold more.
     */
    static final int MAX_QUEUED_CONTROLS = 1024;
    static final int MAX_QUEUED_CONTROL_BYTES = 1 << 20;

    private final IscsiConnection connection;
    private final PduWriter writer;
    private final CommandWindow window;
    private final IttTable tasks;
    private final TaskPool pool;
    private final ScsiHost host;

    private final Object queueLock = new Object();
    private final ArrayDeque<Outbound> queue = new ArrayDeque<>();
    private boolean queueClosed;
    /** Some thread holds the writer (and statSn, afterFlush, senseScratch). Guarded by queueLock. */
    private boolean writerOwned;
    /** Responses written by completing threads. Guarded by queueLock. */
    private long inlineWrites;

    // ---- what the socket may still hold (the writer owner's) ----
    private static final int MARKS = 1024;
    /** {@link PduWriter#committed()} after the PDU with StatSN {@code n}, at {@code n % MARKS}. */
    private final long[] statSnMarks = new long[MARKS];
    /** The last StatSN the initiator acknowledged (its ExpStatSN - 1); written by the reader. */
    private volatile int acknowledged;
    private volatile boolean acknowledgedYet;
    /** Half the socket's send buffer, read again now and then (the kernel grows it). */
    private long budget;
    private int budgetChecks;
    private int queuedControls;
    private int queuedControlBytes;
    private final Outbound[] batch = new Outbound[PduWriter.BATCH];
    private final byte[] senseScratch = new byte[PduWriter.SMALL_DATA - 2];
    private final List<Outbound> afterFlush = new ArrayList<>(PduWriter.BATCH * 2);
    private int statSn = 1;

    ResponseSender(IscsiConnection connection, PduWriter writer, CommandWindow window, IttTable tasks, TaskPool pool,
            ScsiHost host) {
        this.connection = connection;
        this.writer = writer;
        this.window = window;
        this.tasks = tasks;
        this.pool = pool;
        this.host = host;
    }

    /** When the current write started (System.nanoTime), or -1 if none is under way: see {@link PduWriter}. */
    long writeStartedNanos() {
        return writer.writeStartedNanos();
    }

    /**
     * The host answered a command: write its response now on this thread if the writer is free,
     * nothing is queued and the socket can take it at once, else hand it to the sender. Never
     * waits for the peer.
     */
    void commandCompleted(ScsiTask t) {
        t.state = ScsiTask.State.COMPLETED;
        boolean closed;
        synchronized (queueLock) {
            closed = queueClosed;
            if (!closed) {
                if (writerOwned || !queue.isEmpty() || tasks.size() > 1 || !fitsAtOnce(t)) {
                    queue.add(t);
                    queueLock.notify();
                    return;
                }
                writerOwned = true;
            }
        }
        if (closed) {
            host.done(t.command, ResponseDelivery.NEXUS_LOST);
            return;
        }
        writeInline(t);
    }

    /**
     * The initiator's ExpStatSN (any PDU of the full feature phase carries one): it has read
     * every response before it. Called by the reader; only ever moves forward.
     */
    void acknowledge(int expStatSn) {
        int a = expStatSn - 1;
        if (!acknowledgedYet || SerialNumber.gt(a, acknowledged)) {
            acknowledged = a;
            acknowledgedYet = true;
        }
    }

    /**
     * Whether {@code t}'s response fits one batch and the socket's send buffer now (see the class
     * comment). Called holding queueLock with the writer free, so the owner's state is current.
     */
    private boolean fitsAtOnce(ScsiTask t) {
        SessionParameters p = connection.params();
        if (p == null || !acknowledgedYet) {
            return false;
        }
        int acked = acknowledged;
        int behind = statSn - 1 - acked;   // responses written and not acknowledged
        if (behind < 0 || behind >= MARKS) {
            return false;                  // acknowledged more than was sent, or too far behind
        }
        int dataIn = t.read && t.command != null ? Math.max(0, Math.min(t.command.dataInLength(), t.edtl)) : 0;
        // Each Data-In ends at a segment or a burst: at most one per segment plus one per burst.
        long pdus = 1 + (dataIn + (long) p.initiatorMaxRecvDataSegmentLength - 1) / p.initiatorMaxRecvDataSegmentLength
                + (dataIn + (long) p.maxBurstLength - 1) / p.maxBurstLength;
        if (pdus > PduWriter.BATCH) {
            return false;
        }
        long need = writer.committed() - statSnMarks[acked & (MARKS - 1)] + dataIn
                + pdus * (PduWriter.PDU_CHARGE + Bhs.LENGTH + 2L * Bhs.DIGEST_LENGTH + Bhs.PAD) + PduWriter.SMALL_DATA;
        if (need <= budget) {
            return true;
        }
        if (budgetChecks-- <= 0) {
            budgetChecks = 4096;
            budget = connection.sendBufferSize() / 2;
            return need <= budget;
        }
        return false;
    }

    /** Renders and writes {@code t}'s response on this thread, which holds the writer. */
    private void writeInline(ScsiTask t) {
        String failure = null;
        try {
            renderResponse(t);
            writer.flush();
        } catch (IOException e) {
            failure = e.getMessage() == null ? e.toString() : e.getMessage();
        } catch (RuntimeException e) {
            LOG.error("{}: writing a response failed", connection, e);
            failure = "internal error: " + e;
        }
        afterFlush.clear();   // t only: done or failed below, once the writer is free again
        synchronized (queueLock) {
            writerOwned = false;
            inlineWrites++;
            if (!queue.isEmpty() || queueClosed) {
                queueLock.notifyAll();
            }
        }
        if (failure != null) {
            afterFailed(t);
            connection.abort("send failed: " + failure);
        } else {
            afterWritten(t);
        }
    }

    /** Responses written by the threads that completed them. */
    long inlineWrites() {
        synchronized (queueLock) {
            return inlineWrites;
        }
    }

    /**
     * Queues {@code item} for writing. Control PDUs are bounded ({@value #MAX_QUEUED_CONTROLS},
     * {@value #MAX_QUEUED_CONTROL_BYTES} bytes of data): one more closes the connection. Once the
     * sender has stopped, the item is not delivered.
     */
    void enqueue(Outbound item) {
        boolean overflow = false;
        synchronized (queueLock) {
            if (!queueClosed) {
                if (item instanceof ControlPdu c) {
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
            LOG.warn("{}: {} responses wait for an initiator that does not read them; closing", connection,
                    MAX_QUEUED_CONTROLS);
            connection.abort("initiator not reading its responses");
        }
        dropQueued(item);
    }

    /** A Reject (RFC 7143 11.17) quoting the header {@code h}, with {@code reason} ({@link RejectReason}). */
    ControlPdu reject(ByteBuffer h, int reason) {
        ControlPdu rsp = new ControlPdu(Bhs.REJECT, Bhs.FINAL_BIT);
        rsp.view.put(Bhs.BYTE2_OFFSET, (byte) reason);
        rsp.view.putInt(Bhs.ITT_OFFSET, Bhs.RESERVED_TAG);
        byte[] bad = new byte[Bhs.LENGTH];
        h.get(0, bad, 0, Bhs.LENGTH);
        rsp.data = bad;
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: Reject 0x{} of {}", connection, Integer.toHexString(reason),
                    Bhs.opcodeName(bad[0] & Bhs.OPCODE_MASK));
        }
        return rsp;
    }

    /** Queues a Reject of the PDU with header {@code h}. */
    void sendReject(ByteBuffer h, int reason) {
        enqueue(reject(h, reason));
    }

    /** Stops the sender: nothing queued from now on is written. */
    void close() {
        synchronized (queueLock) {
            queueClosed = true;
            queueLock.notifyAll();
        }
    }

    boolean isClosed() {
        synchronized (queueLock) {
            return queueClosed;
        }
    }

    /** The sender thread's loop, until the connection closes or a write fails. */
    void run() {
        String failure = null;
        boolean mine = false;
        try {
            while (true) {
                int n = 0;
                synchronized (queueLock) {
                    if (mine) {
                        writerOwned = false;
                        mine = false;
                    }
                    while ((queue.isEmpty() || writerOwned) && !queueClosed) {
                        queueLock.wait();
                    }
                    if (queueClosed) {
                        break;
                    }
                    writerOwned = true;
                    mine = true;
                    while (n < batch.length && !queue.isEmpty()) {
                        Outbound o = queue.poll();
                        if (o instanceof ControlPdu c) {
                            queuedControls--;
                            queuedControlBytes -= c.data == null ? 0 : c.data.length;
                        }
                        batch[n++] = o;
                    }
                }
                for (int i = 0; i < n; i++) {
                    Outbound item = batch[i];
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
            LOG.error("{}: sender failed", connection, e);
            failure = "internal error: " + e;
        } finally {
            if (failure != null) {
                connection.abort("send failed: " + failure);
            }
            // Nothing more will be written: what was rendered and not written, and everything
            // still queued, is not delivered. An inline writer still at work finishes first;
            // once the queue is closed, no other one starts.
            List<Outbound> rest;
            synchronized (queueLock) {
                queueClosed = true;
                if (mine) {
                    writerOwned = false;
                }
                boolean interrupted = false;
                while (writerOwned) {
                    try {
                        queueLock.wait(10);
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                writerOwned = true;
                rest = new ArrayList<>(queue);
                queue.clear();
            }
            for (Outbound o : afterFlush) {
                afterFailed(o);
            }
            afterFlush.clear();
            for (int i = 0; i < batch.length; i++) {
                if (batch[i] != null) {
                    dropQueued(batch[i]);
                    batch[i] = null;
                }
            }
            for (Outbound o : rest) {
                dropQueued(o);
            }
        }
    }

    // ---------------------------------------------------------------- the two kinds of Outbound

    private void render(Outbound item) throws IOException {
        if (item instanceof ScsiTask t) {
            renderResponse(t);
        } else if (item instanceof ControlPdu c) {
            renderControl(c);
        }
    }

    /** Written: the task's command is done and the task goes back to the pool; a control PDU's after-action runs. */
    private void afterWritten(Outbound o) {
        if (o instanceof ScsiTask t) {
            if (t.command != null) {
                if (t.state == ScsiTask.State.LOCAL_RESPONSE) {
                    host.release(t.command);
                } else {
                    host.done(t.command, ResponseDelivery.DELIVERED);
                }
                t.command = null;
            }
            pool.recycle(t);
        } else if (o instanceof ControlPdu c) {
            if (c.after != null) {
                c.after.run();
            }
        }
    }

    /** Rendered but never written: the command is not delivered. */
    private void afterFailed(Outbound o) {
        if (o instanceof ScsiTask t) {
            tasks.remove(t.itt, t);
            if (t.command != null) {
                if (t.state == ScsiTask.State.LOCAL_RESPONSE) {
                    host.release(t.command);
                } else {
                    host.done(t.command, ResponseDelivery.NEXUS_LOST);
                }
                t.command = null;
            }
        } else if (o instanceof ControlPdu c) {
            if (c.after != null) {
                c.after.run();
            }
        }
    }

    /** Never rendered: a task is not delivered; a control PDU's after-action still runs. */
    private void dropQueued(Outbound o) {
        if (o instanceof ScsiTask) {
            afterFailed(o);
        } else if (o instanceof ControlPdu c) {
            if (c.after != null) {
                c.after.run();
            }
        }
    }

    // ---------------------------------------------------------------- rendering

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
        int exp = window.expCmdSn();      // read ExpCmdSN before MaxCmdSN: see CommandWindow
        h.putInt(Bhs.EXP_CMD_SN_OFFSET, exp);
        h.putInt(Bhs.MAX_CMD_SN_OFFSET, window.maxCmdSn());
    }

    private void renderControl(ControlPdu c) throws IOException {
        ByteBuffer h = begin(c.opcode(), c.header[1] & 0xFF);
        h.put(0, c.header, 0, Bhs.LENGTH);
        c.queued = false;
        sequenceNumbers(h, c.statSnMode == ControlPdu.ADVANCE_STAT_SN);
        writer.commit(c.data == null || c.data.length == 0 ? null : ByteBuffer.wrap(c.data));
        if (c.statSnMode == ControlPdu.ADVANCE_STAT_SN) {
            statSnMarks[(statSn - 1) & (MARKS - 1)] = writer.committed();
        }
        if (c.after != null) {
            afterFlush.add(c);
            // Whatever follows must see the effect (digests switched on, connection closed).
            flush();
        }
    }

    /** A command's Data-In (RFC 7143 11.7) and SCSI Response (11.4), or the status on the last Data-In. */
    private void renderResponse(ScsiTask t) throws IOException {
        tasks.remove(t.itt, t);   // before the response: the initiator may reuse the ITT at once
        window.release(t);        // the window slot comes back with this response
        HostCommand cmd = t.command;
        boolean local = t.state == ScsiTask.State.LOCAL_RESPONSE;
        if (!local && cmd.aborted()) {
            // Ended by task management or the loss of its nexus: no response goes out for it
            // (RFC 7143 11.5.1); the TMF's own response follows in this queue.
            host.done(cmd, ResponseDelivery.ABANDONED);
            t.command = null;
            pool.recycle(t);
            return;
        }
        int status = local ? t.localStatus : cmd.status();
        int residual = local ? t.localResidual : cmd.residual();
        int senseLength = local ? (t.localSense == null ? 0 : t.localSense.length) : cmd.senseLength();
        int dataIn = !local && t.read ? Math.max(0, Math.min(cmd.dataInLength(), t.edtl)) : 0;
        int residualFlags = residual > 0 ? Bhs.RSP_UNDERFLOW : residual < 0 ? Bhs.RSP_OVERFLOW : 0;
        int residualCount = residual >= 0 ? residual : -residual;
        // Status phase collapse (RFC 7143 11.7.4): GOOD without sense rides on the last Data-In.
        boolean collapse = status == ScsiStatus.GOOD && senseLength == 0 && dataIn > 0;
        SessionParameters p = connection.params();
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
        statSnMarks[(statSn - 1) & (MARKS - 1)] = writer.committed();
        afterFlush.add(t);
    }

    private void flush() throws IOException {
        writer.flush();
        // By index: an iterator here is an object per batch wherever escape analysis gives up.
        for (int i = 0; i < afterFlush.size(); i++) {
            afterWritten(afterFlush.get(i));
        }
        afterFlush.clear();
    }
}
