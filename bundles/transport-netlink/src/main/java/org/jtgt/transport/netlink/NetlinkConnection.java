package org.jtgt.transport.netlink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import org.jtgt.api.event.EventFormatException;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.event.LittleEndian;
import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
import org.jtgt.ring.RingDescriptor;
import org.jtgt.ring.SlotRing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One end of one socket connection, and the endpoint its side uses: a bounded outbound queue
 * drained by a writer thread (the first of the two queues an event passes through; the socket's
 * buffer is the second), and a reader thread that frames, validates and delivers what arrives.
 *
 * <h2>Sending</h2>
 * {@link #offer} copies the record into a slot of the outbound {@link SlotRing} and returns at
 * once. The writer turns each record into one frame ({@link NetlinkFrame}): the header, the record,
 * then every data range the record references that travels in this direction
 * ({@link InlineData}), gathered straight from this side's data area into one socket write. The
 * ranges are read when the frame is written, not when it is offered: they belong to the command
 * until its answer arrives, which cannot happen before the request is on the socket, just as on
 * the shared-memory ring the daemon reads them whenever it executes the command.
 *
 * <h2>Receiving</h2>
 * The reader reads the socket into a reusable buffer, so several small frames cost one read;
 * the state machine is header → record → inline data → deliver. Every limit is checked before
 * bytes are read for it: the header by {@link NetlinkFrame#validate}, then the port id, flags and
 * turn in the conversation by the side, then the record by {@link EventHeader#validate} and its
 * direction, then that the frame carries exactly the bytes the record's references need. Inline
 * bytes already buffered are copied into this side's area; the rest are read from the socket
 * straight into it, at the same offsets the sender used. Only then is the event delivered, in
 * place in the receive buffer. No allocation per frame.
 *
 * <h2>Failure and closing</h2>
 * Anything malformed (and any I/O error) is logged with what was wrong, reported once through
 * {@link EventSink#onTransportFailure} and closes the connection; the stream is never
 * resynchronised (netty's {@code BAD_MESSAGE}: discard until disconnect). {@link #close} is
 * idempotent and joins both threads with a bound.
 */
abstract class NetlinkConnection implements TransportEndpoint {
    private static final Logger LOG = LoggerFactory.getLogger(NetlinkConnection.class);

    /** Receive buffer: many small frames per read; larger inline data bypasses it. */
    static final int RECEIVE_BUFFER = 64 * 1024;
    /** Outbound slots hold one record (at most 144 bytes) behind the ring's 8-byte slot header. */
    static final int SLOT_SIZE = 256;
    /** Records the writer takes from the queue per drain. */
    static final int BATCH = 64;
    /** An outbound queue entry of this length is an ACK to write, not an event record. */
    static final int ACK_ENTRY_LENGTH = 8;
    static final long FLUSH_MILLIS = 1_000;
    static final long JOIN_MILLIS = 5_000;
    private static final long AWAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final int SPIN_TRIES = 100;
    private static final int YIELD_TRIES = 10;
    private static final long MAX_PARK_NANOS = 100_000;

    final NetlinkTransport transport;
    final String name;
    final SocketChannel channel;
    final EventSink sink;
    final NetlinkDataArea area;
    final SlotRing outbound;
    private final long areaSize;
    private final long maxFrameLength;
    /** True on the daemon side: what arrives travels host → daemon. */
    private final boolean inboundToDaemon;

    // ---- reader thread only ----
    private final ByteBuffer rx = ByteBuffer.allocateDirect(RECEIVE_BUFFER);
    private int rxStart;
    private int rxEnd;
    private final ByteBuffer rxArea;
    private final long[] rxOffsets = new long[InlineData.MAX_RANGES];
    private final int[] rxLengths = new int[InlineData.MAX_RANGES];
    /** Sequence of the frame being read, for a refusal; valid when {@link #haveSequence}. */
    int currentSequence;
    boolean haveSequence;

    // ---- writer thread only ----
    private final ByteBuffer txHeader = ByteBuffer.allocateDirect(64);
    private final ByteBuffer txRecord;
    private final ByteBuffer[] txData = new ByteBuffer[InlineData.MAX_RANGES];
    private final ByteBuffer[] gather = new ByteBuffer[2 + InlineData.MAX_RANGES];
    private final long[] txOffsets = new long[InlineData.MAX_RANGES];
    private final int[] txLengths = new int[InlineData.MAX_RANGES];
    private final SlotRing.RecordHandler writeRecord = this::writeRecord;
    private int txSequence;

    final Thread reader;
    final Thread writer;
    /** Offers are admitted; false from the first moment of closing or failing. */
    volatile boolean open = true;
    /** Threads keep going. */
    volatile boolean running = true;
    /** The writer exits once the queue is empty (a flushing close). */
    private volatile boolean flushAndStop;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicBoolean failed = new AtomicBoolean();
    private volatile String failure;

    private volatile long framesSent;
    private volatile long framesReceived;

    NetlinkConnection(NetlinkTransport transport, String name, SocketChannel channel, EventSink sink,
                      NetlinkDataArea area, int queueSlots, boolean inboundToDaemon) {
        this.transport = transport;
        this.name = name;
        this.channel = channel;
        this.sink = sink;
        this.area = area;
        this.areaSize = area.size();
        this.maxFrameLength = NetlinkFrame.maxLength(areaSize);
        this.inboundToDaemon = inboundToDaemon;
        ByteBuffer region = ByteBuffer.allocateDirect(RingDescriptor.regionLength(queueSlots, SLOT_SIZE)
                + RingDescriptor.CACHE_LINE_LENGTH).alignedSlice(RingDescriptor.CACHE_LINE_LENGTH);
        this.outbound = SlotRing.create(region, 0, queueSlots, SLOT_SIZE);
        this.txRecord = region.duplicate();
        this.rxArea = area.buffer().duplicate();
        for (int i = 0; i < txData.length; i++) {
            txData[i] = area.buffer().duplicate();
        }
        gather[0] = txHeader;
        gather[1] = txRecord;
        this.reader = thread(this::read, name + " reader");
        this.writer = thread(this::write, name + " writer");
        outbound.setConsumerThread(writer);
    }

    private static Thread thread(Runnable r, String name) {
        Thread t = new Thread(r, "jtgt-" + name.replace(' ', '-'));
        t.setDaemon(true);
        return t;
    }

    void start() {
        writer.start();
        reader.start();
    }

    // ================================================================ hooks of the two sides

    final boolean flushAndStopRequested() {
        return flushAndStop;
    }

    /** "host" or "daemon", for messages. */
    abstract String side();

    /** Called first on the writer thread; false if the connection stopped before it was ready. */
    abstract boolean writerStart() throws IOException;

    /** Port id this side writes into its frames. */
    abstract int ownPortId();

    /** Flags of an EVENT frame this side sends. */
    abstract int eventFlags();

    /** Checks the port id and the turn in the conversation of a frame about to be read. */
    abstract void checkFrame(int type, int flags, int sequence, int portId);

    /** An ACK or REGISTER frame, whole in {@code b} at {@code o}. */
    abstract void onControlFrame(int type, ByteBuffer b, int o);

    /** An EVENT has been received whole (data copied); runs before it is delivered. */
    void beforeDelivery(int sequence, int flags) {
    }

    /** A sequence number was assigned to an outgoing EVENT and is about to be written. */
    void sending(int sequence) {
    }

    /** The peer closed the connection cleanly between two frames. */
    abstract void onPeerClosed();

    /** The peer broke the protocol: a last word to it before the connection closes, if any. */
    boolean refuse() {
        return false;
    }

    /** A flushing close waits for the peer to close its end too (it has something to answer). */
    boolean peerClosesAfterFlush() {
        return false;
    }

    // ================================================================ TransportEndpoint

    /**
     * Checks that {@code src} holds one event record that travels from this side: anything else is
     * a programming error of the caller, and never goes on the wire.
     */
    final void checkRecord(ByteBuffer src, int offset, int length) {
        EventType type;
        try {
            type = EventHeader.validate(src, offset, length);
        } catch (EventFormatException e) {
            throw new IllegalArgumentException("not an event record: " + e.getMessage(), e);
        }
        if (type.toDaemon() == inboundToDaemon) {
            throw new IllegalArgumentException(type + " does not travel from the " + side() + " side");
        }
        if (length != type.recordLength()) {
            throw new IllegalArgumentException(type + " of " + length + " bytes; the record has " + type.recordLength());
        }
    }

    /** Like {@link #offer} but waits: spins briefly, yields, then parks for up to 100 µs at a time. */
    @Override
    public boolean send(ByteBuffer src, int offset, int length) {
        int tries = 0;
        long park = 1_000;
        while (true) {
            if (!isOpen()) {
                return false;
            }
            if (offer(src, offset, length)) {
                return true;
            }
            if (Thread.currentThread().isInterrupted()) {
                return false;
            }
            if (tries < SPIN_TRIES) {
                tries++;
                Thread.onSpinWait();
            } else if (tries < SPIN_TRIES + YIELD_TRIES) {
                tries++;
                Thread.yield();
            } else {
                LockSupport.parkNanos(this, park);
                park = Math.min(park << 1, MAX_PARK_NANOS);
            }
        }
    }

    @Override
    public DataArea dataArea() {
        return area;
    }

    @Override
    public Transport transport() {
        return transport;
    }

    @Override
    public boolean isOpen() {
        return open && !failed.get();
    }

    boolean hasFailed() {
        return failed.get();
    }

    /** Why the connection failed, or null. */
    String failure() {
        return failure;
    }

    long framesSent() {
        return framesSent;
    }

    long framesReceived() {
        return framesReceived;
    }

    /** Queues an ACK entry for the writer, waiting while the queue is full; false if stopped. */
    final boolean queueAck(ByteBuffer entry, int sequence, int error) {
        LittleEndian.putI32(entry, 0, error);
        LittleEndian.putI32(entry, 4, sequence);
        while (running) {
            if (outbound.offer(entry, 0, ACK_ENTRY_LENGTH)
                    || outbound.send(entry, 0, ACK_ENTRY_LENGTH, TimeUnit.MILLISECONDS.toNanos(10))) {
                return true;
            }
            if (Thread.currentThread().isInterrupted()) {
                return false;
            }
        }
        return false;
    }

    // ================================================================ writer

    private void write() {
        try {
            if (!writerStart()) {
                return;
            }
            while (running) {
                if (outbound.drain(writeRecord, BATCH) == 0) {
                    if (flushAndStop) {
                        return;
                    }
                    outbound.await(AWAIT_NANOS);
                }
            }
        } catch (UncheckedIOException e) {
            writeFailed(e.getCause());
        } catch (IOException e) {
            writeFailed(e);
        } catch (RuntimeException e) {
            LOG.error("{}: writer stopped", name, e);
            fail("writer stopped: " + e, false);
        }
    }

    private void writeFailed(IOException e) {
        if (!closing.get()) {
            ioFailed("write failed: " + e);
        }
    }

    /** The socket failed under a reader or writer: a failure of the connection, by default. */
    void ioFailed(String reason) {
        fail(reason, false);
    }

    /** One queue entry → one frame. */
    private void writeRecord(ByteBuffer b, int o, int length) {
        try {
            if (length == ACK_ENTRY_LENGTH) {
                writeControl(b, o);
                return;
            }
            EventType type = EventType.fromCode(EventHeader.type(b, o)); // validated by offer
            int n = InlineData.ranges(b, o, type, areaSize, txOffsets, txLengths);
            long frameLength = NetlinkFrame.HEADER_LENGTH + length + InlineData.total(txLengths, n);
            int sequence = ++txSequence;
            if (sequence == 0) {
                sequence = txSequence = 1; // 0 is the registration's, also after wrapping
            }
            sending(sequence);
            ByteBuffer h = txHeader;
            h.clear(); // the absolute accessors check against the limit the last frame left
            NetlinkFrame.writeHeader(h, 0, frameLength, NetlinkFrame.TYPE_EVENT, eventFlags(), sequence, ownPortId());
            h.clear().limit(NetlinkFrame.HEADER_LENGTH);
            ByteBuffer r = txRecord;
            r.clear().limit(o + length).position(o);
            for (int i = 0; i < n; i++) {
                ByteBuffer d = txData[i];
                int start = (int) txOffsets[i];
                d.clear().limit(start + txLengths[i]).position(start);
                gather[2 + i] = d;
            }
            writeFully(gather, 2 + n, frameLength);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An ACK entry {error, sequence} from the queue. */
    private void writeControl(ByteBuffer b, int o) throws IOException {
        int error = LittleEndian.getI32(b, o);
        int sequence = LittleEndian.getI32(b, o + 4);
        txHeader.clear();
        NetlinkFrame.writeAck(txHeader, 0, sequence, error, ownPortId());
        writeFrame(NetlinkFrame.ACK_LENGTH);
    }

    /** Writes the first {@code length} bytes of the header buffer as one frame. */
    final void writeFrame(int length) throws IOException {
        txHeader.clear().limit(length);
        gather[0] = txHeader;
        writeFully(gather, 1, length);
    }

    /** The writer's header buffer, cleared, for a side's own control frames. */
    final ByteBuffer txHeader() {
        txHeader.clear();
        return txHeader;
    }

    private void writeFully(ByteBuffer[] buffers, int count, long total) throws IOException {
        long left = total;
        while (left > 0) {
            long n = channel.write(buffers, 0, count);
            left -= n;
        }
        framesSent++;
    }

    // ================================================================ reader

    private void read() {
        try {
            while (running) {
                if (!readFrame()) {
                    if (!closing.get()) {
                        onPeerClosed();
                    }
                    return;
                }
            }
        } catch (EventFormatException e) {
            protocolError(e.getMessage());
        } catch (ClosedChannelException e) {
            if (!closing.get()) {
                ioFailed("connection closed under the reader");
            }
        } catch (IOException e) {
            if (!closing.get()) {
                ioFailed("read failed: " + e);
            }
        } catch (RuntimeException e) {
            LOG.error("{}: event delivery failed; connection closed", name, e);
            fail("event delivery failed: " + e, false);
        }
    }

    /** Reads, checks and handles one frame; false on a clean end of stream before it. */
    private boolean readFrame() throws IOException {
        haveSequence = false;
        if (!fill(NetlinkFrame.HEADER_LENGTH, true)) {
            return false;
        }
        ByteBuffer b = rx;
        int h = rxStart;
        currentSequence = NetlinkFrame.sequence(b, h);
        haveSequence = true;
        int type = NetlinkFrame.validate(b, h, rxEnd - h, maxFrameLength);
        long length = NetlinkFrame.length(b, h);
        int flags = NetlinkFrame.flags(b, h);
        int sequence = currentSequence;
        checkFrame(type, flags, sequence, NetlinkFrame.portId(b, h));
        if (type != NetlinkFrame.TYPE_EVENT) {
            fill((int) length, false);
            onControlFrame(type, b, rxStart);
            rxStart += (int) length;
            framesReceived++;
            return true;
        }

        long payload = length - NetlinkFrame.HEADER_LENGTH;
        int available = (int) Math.min(payload, EventHeader.MAX_RECORD_LENGTH);
        fill(NetlinkFrame.HEADER_LENGTH + available, false);
        int record = rxStart + NetlinkFrame.HEADER_LENGTH;
        EventType event = EventHeader.validate(b, record, available);
        if (event.toDaemon() != inboundToDaemon) {
            throw new FrameFormatException(event + " does not travel to the " + side() + " side");
        }
        int recordLength = event.recordLength();
        int n = InlineData.ranges(b, record, event, areaSize, rxOffsets, rxLengths);
        long inline = InlineData.total(rxLengths, n);
        if (payload != recordLength + inline) {
            throw new FrameFormatException(event + " frame " + Integer.toUnsignedString(sequence) + " carries "
                    + (payload - recordLength) + " bytes after its record, but the record references " + inline
                    + " bytes to carry in " + n + " range(s)");
        }
        int at = record + recordLength;
        for (int i = 0; i < n; i++) {
            at = receiveInline(at, rxOffsets[i], rxLengths[i]);
        }
        rxStart = at;
        framesReceived++;
        beforeDelivery(sequence, flags);
        if (open) {
            sink.onEvent(b, record, recordLength, this);
        }
        return true;
    }

    /**
     * Copies one inline range into this side's area at {@code offset}: what the receive buffer
     * holds from {@code at}, then the rest read from the socket straight into the area.
     *
     * @return the receive-buffer index after the bytes taken from it
     */
    private int receiveInline(int at, long offset, int length) throws IOException {
        int buffered = Math.min(length, rxEnd - at);
        if (buffered > 0) {
            area.buffer().put((int) offset, rx, at, buffered);
        }
        int rest = length - buffered;
        if (rest > 0) {
            ByteBuffer v = rxArea;
            int start = (int) offset + buffered;
            v.clear().limit(start + rest).position(start);
            while (v.hasRemaining()) {
                if (channel.read(v) < 0) {
                    throw new FrameFormatException("connection closed mid-frame: " + v.remaining() + " of "
                            + length + " bytes of inline data missing");
                }
            }
        }
        return at + buffered;
    }

    /**
     * Makes {@code n} bytes from {@link #rxStart} available, compacting and reading as needed.
     *
     * @return false on end of stream with nothing buffered, if {@code atBoundary}
     * @throws FrameFormatException on end of stream inside a frame
     */
    private boolean fill(int n, boolean atBoundary) throws IOException {
        ByteBuffer b = rx;
        while (rxEnd - rxStart < n) {
            if (rxStart + n > b.capacity()) {
                b.limit(rxEnd).position(rxStart);
                b.compact();
                rxEnd = b.position();
                rxStart = 0;
            }
            b.limit(b.capacity()).position(rxEnd);
            int r = channel.read(b);
            if (r < 0) {
                if (atBoundary && rxEnd == rxStart) {
                    return false;
                }
                throw new FrameFormatException("connection closed mid-frame: " + (rxEnd - rxStart) + " of " + n
                        + " bytes");
            }
            rxEnd = b.position();
        }
        return true;
    }

    // ================================================================ failing and closing

    private void protocolError(String message) {
        if (closing.get()) {
            return;
        }
        boolean refused = refuse();
        fail("the " + (side().equals("host") ? "daemon" : "host") + " side broke the protocol: " + message, refused);
    }

    /**
     * Marks the connection failed, reports it once to the sink and closes it; {@code flush} lets
     * the writer send what is queued (a refusal) first, within {@link #FLUSH_MILLIS}.
     */
    final void fail(String reason, boolean flush) {
        if (closing.get() || !failed.compareAndSet(false, true)) {
            return;
        }
        failure = reason;
        open = false;
        LOG.error("{} failed: {}", name, reason);
        try {
            sink.onTransportFailure(this, reason);
        } catch (RuntimeException e) {
            LOG.warn("{}: the sink's failure handler threw", name, e);
        }
        shutdown(flush);
    }

    /**
     * Stops admitting, optionally flushes the queue (and, for {@link #peerClosesAfterFlush}, waits
     * for the peer's end of stream, so its last answers are read), closes the socket and joins
     * both threads with a bound. Idempotent; safe from the connection's own threads.
     */
    final void shutdown(boolean flush) {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        open = false;
        Thread self = Thread.currentThread();
        if (flush && self != writer) {
            flushAndStop = true;
            outbound.wakeConsumer();
            LockSupport.unpark(writer);
            join(writer, FLUSH_MILLIS, false);
            if (!writer.isAlive()) {
                try {
                    channel.shutdownOutput();
                } catch (IOException e) {
                    LOG.debug("{}: shutdown of output failed: {}", name, e.toString());
                }
                if (peerClosesAfterFlush() && self != reader) {
                    join(reader, FLUSH_MILLIS, false);
                }
            }
        }
        running = false;
        outbound.wakeConsumer();
        LockSupport.unpark(writer);
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("{}: close failed: {}", name, e.toString());
        }
        if (self != reader) {
            join(reader, JOIN_MILLIS, true);
        }
        if (self != writer) {
            join(writer, JOIN_MILLIS, true);
        }
        transport.detached(this);
        LOG.info("{} closed: {} frames sent, {} received", name, framesSent, framesReceived);
    }

    private void join(Thread t, long millis, boolean warn) {
        if (!t.isAlive() || t.getState() == Thread.State.NEW) {
            return;
        }
        try {
            t.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (warn && t.isAlive()) {
            LOG.warn("{} did not stop within {} ms (its sink is still busy)", t.getName(), millis);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
