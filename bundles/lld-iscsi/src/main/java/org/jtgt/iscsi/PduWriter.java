package org.jtgt.iscsi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.GatheringByteChannel;
import java.util.zip.CRC32C;

import org.jtgt.util.BufferView;

/**
 * Writes outbound PDUs in batches with one gathering write: each PDU is its header (from a
 * preallocated slot, with header digest), its data (a view of wherever the bytes already are,
 * such as a command's buffer in the shared data area) and a trailer of padding and data digest.
 * Memory is fixed: {@value #BATCH} header and trailer slots per connection.
 *
 * <p>One thread at a time uses a writer (the connection's sender, or a thread writing a response
 * itself: {@link ResponseSender} hands the writer over under its lock); {@link #writeStartedNanos()}
 * may be read by a watchdog to find a peer that stopped reading. {@link #committed()} counts what
 * was ever committed, for the sender's estimate of what the socket still holds.
 */
final class PduWriter {
    static final int BATCH = 32;
    /** The most {@link #smallData} holds: SenseLength and the longest sense the daemon sends, rounded up. */
    static final int SMALL_DATA = 256;
    private static final int HEADER_SLOT = Bhs.LENGTH + Bhs.DIGEST_LENGTH;
    private static final int TRAILER_SLOT = Bhs.PAD + Bhs.DIGEST_LENGTH;
    private static final ByteBuffer NO_DATA = ByteBuffer.allocate(0);

    private final GatheringByteChannel channel;
    private final ByteBuffer[] headers = new ByteBuffer[BATCH];
    private final ByteBuffer[] trailers = new ByteBuffer[BATCH];
    private final ByteBuffer[] iov = new ByteBuffer[BATCH * 3];
    /** Per slot, the view its data is written through until the batch is flushed. */
    private final BufferView[] dataViews = new BufferView[BATCH];
    /** Per slot, room for a small data segment made when sending (a response's sense data). */
    private final ByteBuffer[] smallData = new ByteBuffer[BATCH];
    private final CRC32C crc = new CRC32C();
    private int pdus;
    private int iovCount;
    /** Bytes ever committed, each PDU charged {@value #PDU_CHARGE} more (see {@link #committed}). */
    private long committed;
    /**
     * What each PDU is charged beyond its bytes: the kernel accounts a socket buffer by its
     * packets' memory, which for small PDUs is several times their length.
     */
    static final int PDU_CHARGE = 1024;
    private boolean headerDigest;
    private boolean dataDigest;
    private volatile long writeStartedNanos;
    private volatile boolean writing;

    PduWriter(GatheringByteChannel channel) {
        this.channel = channel;
        ByteBuffer h = ByteBuffer.allocateDirect(HEADER_SLOT * BATCH).order(ByteOrder.BIG_ENDIAN);
        ByteBuffer t = ByteBuffer.allocateDirect(TRAILER_SLOT * BATCH).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < BATCH; i++) {
            headers[i] = h.slice(i * HEADER_SLOT, HEADER_SLOT).order(ByteOrder.BIG_ENDIAN);
            trailers[i] = t.slice(i * TRAILER_SLOT, TRAILER_SLOT).order(ByteOrder.BIG_ENDIAN);
            smallData[i] = ByteBuffer.allocate(SMALL_DATA);
            dataViews[i] = new BufferView();
        }
    }

    void digests(boolean header, boolean data) {
        this.headerDigest = header;
        this.dataDigest = data;
    }

    boolean full() {
        return pdus == BATCH;
    }

    boolean isEmpty() {
        return pdus == 0;
    }

    /** The header slot of the next PDU, zeroed and started with opcode and flags. Call {@link #commit} next. */
    ByteBuffer begin(int opcode, int flags) {
        if (full()) {
            throw new IllegalStateException("batch full: flush first");
        }
        ByteBuffer h = headers[pdus];
        h.clear();
        Bhs.start(h, opcode, flags);
        return h;
    }

    /**
     * The next PDU's own buffer for a data segment of at most {@value #SMALL_DATA} bytes, with
     * position 0 and limit {@code length}; fill it (absolute or through {@code array()}) and pass
     * it to {@link #commit(ByteBuffer)}. It is the writer's until the batch is flushed.
     */
    ByteBuffer smallData(int length) {
        return smallData[pdus].clear().limit(length);
    }

    /**
     * Adds the PDU begun last with {@code length} bytes of {@code source} from {@code offset} as
     * its data, through the slot's own view of {@code source}: the command's buffer in the shared
     * data area is written from where it is, and {@code source}'s position and limit are not
     * touched (other threads use it).
     */
    void commit(ByteBuffer source, int offset, int length) {
        commit(dataViews[pdus].of(source, offset, length));
    }

    /**
     * Adds the PDU begun last: sets DataSegmentLength from {@code data} (its position to limit,
     * or none) and appends header, data and trailer to the batch.
     */
    void commit(ByteBuffer data) {
        ByteBuffer h = headers[pdus];
        int length = data == null ? 0 : data.remaining();
        Bhs.setDataSegmentLength(h, length);
        int hlen = Bhs.LENGTH;
        if (headerDigest) {
            Digests.put(h, Bhs.LENGTH, Digests.crc32c(crc, h, 0, Bhs.LENGTH));
            hlen += Bhs.DIGEST_LENGTH;
        }
        h.clear().limit(hlen);
        iov[iovCount++] = h;
        if (length > 0) {
            iov[iovCount++] = data;
            ByteBuffer t = trailers[pdus];
            int padding = Digests.padding(length);
            t.clear();
            for (int i = 0; i < padding; i++) {
                t.put(i, (byte) 0);
            }
            int tlen = padding;
            if (dataDigest) {
                crc.reset();
                Digests.update(crc, data, data.position(), length);
                Digests.update(crc, t, 0, padding);
                Digests.put(t, padding, (int) crc.getValue());
                tlen += Bhs.DIGEST_LENGTH;
            }
            if (tlen > 0) {
                t.limit(tlen);
                iov[iovCount++] = t;
            }
        }
        committed += PDU_CHARGE + hlen + length + (length > 0 ? Digests.padding(length) + (dataDigest ? Bhs.DIGEST_LENGTH : 0) : 0);
        pdus++;
    }

    /**
     * Bytes committed since the writer was made, with {@value #PDU_CHARGE} per PDU: the
     * difference between two readings bounds what was written in between, as the socket's
     * send buffer accounts it.
     */
    long committed() {
        return committed;
    }

    /** Writes the batch; blocks until all of it is in the socket. */
    void flush() throws IOException {
        if (iovCount == 0) {
            return;
        }
        writeStartedNanos = System.nanoTime();
        writing = true;
        try {
            int from = 0;
            while (from < iovCount) {
                channel.write(iov, from, iovCount - from);
                while (from < iovCount && !iov[from].hasRemaining()) {
                    from++;
                }
            }
        } finally {
            writing = false;
            for (int i = 0; i < iovCount; i++) {
                iov[i] = NO_DATA;
            }
            iovCount = 0;
            pdus = 0;
        }
    }

    /** When the write in progress started, or -1 if none is in progress. */
    long writeStartedNanos() {
        return writing ? writeStartedNanos : -1;
    }
}
