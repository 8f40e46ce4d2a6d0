package org.jtgt.transport.shm;

import static org.jtgt.transport.shm.ShmRegionDescriptor.D2H_RING_OFFSET_OFFSET;
import static org.jtgt.transport.shm.ShmRegionDescriptor.DATA_LENGTH_OFFSET;
import static org.jtgt.transport.shm.ShmRegionDescriptor.DATA_OFFSET_OFFSET;
import static org.jtgt.transport.shm.ShmRegionDescriptor.GENERATION_OFFSET;
import static org.jtgt.transport.shm.ShmRegionDescriptor.H2D_RING_OFFSET_OFFSET;
import static org.jtgt.transport.shm.ShmRegionDescriptor.INT;
import static org.jtgt.transport.shm.ShmRegionDescriptor.LONG;
import static org.jtgt.transport.shm.ShmRegionDescriptor.MAGIC;
import static org.jtgt.transport.shm.ShmRegionDescriptor.MAGIC_OFFSET;
import static org.jtgt.transport.shm.ShmRegionDescriptor.REGION_LENGTH_OFFSET;
import static org.jtgt.transport.shm.ShmRegionDescriptor.VERSION;
import static org.jtgt.transport.shm.ShmRegionDescriptor.VERSION_OFFSET;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.jtgt.ring.RingFormatException;
import org.jtgt.ring.SlotRing;
import org.jtgt.util.file.OwnerOnlyFiles;

/**
 * The mapped file: two rings and a data area ({@link ShmRegionDescriptor}). The creator owns
 * the file (mode 0600, in a directory created 0700 if missing) and deletes it on {@link #close};
 * a party in another process running as the same user can {@link #attach}.
 */
final class ShmRegion implements AutoCloseable {
    final Path file;
    final boolean owner;
    final MappedByteBuffer mapping;
    final SlotRing toDaemon;
    final SlotRing toHost;
    final ByteBuffer data;

    private ShmRegion(Path file, boolean owner, MappedByteBuffer mapping, SlotRing toDaemon, SlotRing toHost, ByteBuffer data) {
        this.file = file;
        this.owner = owner;
        this.mapping = mapping;
        this.toDaemon = toDaemon;
        this.toHost = toHost;
        this.data = data;
    }

    /** The generation the region's rings belong to (acquire: the rings are complete when it is seen). */
    long generation() {
        return (long) LONG.getAcquire(mapping, GENERATION_OFFSET);
    }

    /**
     * Creator only: gives both rings a fresh start (every slot and counter zeroed, so nothing of a
     * previous daemon's records is read again) and then publishes {@code generation}. Returns
     * {toDaemon, toHost}. Nothing may produce into or consume from the previous rings any more.
     */
    SlotRing[] renewRings(long generation) {
        if (!owner) {
            throw new IllegalStateException("only the region's creator renews its rings");
        }
        int h2d = (int) (long) LONG.get(mapping, H2D_RING_OFFSET_OFFSET);
        int d2h = (int) (long) LONG.get(mapping, D2H_RING_OFFSET_OFFSET);
        SlotRing down = SlotRing.create(mapping, h2d, toDaemon.slotCount(), toDaemon.slotSize());
        SlotRing up = SlotRing.create(mapping, d2h, toHost.slotCount(), toHost.slotSize());
        LONG.setRelease(mapping, GENERATION_OFFSET, generation);
        return new SlotRing[] {down, up};
    }

    /** Creator only: publishes a generation without renewing the rings, fencing the one before it. */
    void publishGeneration(long generation) {
        LONG.setRelease(mapping, GENERATION_OFFSET, generation);
    }

    static ShmRegion create(Path file, int slotCount, int slotSize, long dataLength) throws IOException {
        long[] layout = ShmRegionDescriptor.layout(slotCount, slotSize, dataLength);
        // Owner-only from the start: the data area holds what initiators read and write.
        OwnerOnlyFiles.createDirectories(file.toAbsolutePath().getParent());
        MappedByteBuffer m;
        try (FileChannel ch = OwnerOnlyFiles.replaceFile(file, StandardOpenOption.READ)) {
            m = ch.map(FileChannel.MapMode.READ_WRITE, 0, layout[3]);
        }
        SlotRing h2d = SlotRing.create(m, (int) layout[0], slotCount, slotSize);
        SlotRing d2h = SlotRing.create(m, (int) layout[1], slotCount, slotSize);
        LONG.set(m, H2D_RING_OFFSET_OFFSET, layout[0]);
        LONG.set(m, D2H_RING_OFFSET_OFFSET, layout[1]);
        LONG.set(m, DATA_OFFSET_OFFSET, layout[2]);
        LONG.set(m, DATA_LENGTH_OFFSET, dataLength);
        LONG.set(m, REGION_LENGTH_OFFSET, layout[3]);
        LONG.set(m, GENERATION_OFFSET, 0L);
        INT.set(m, MAGIC_OFFSET, MAGIC);
        // The version is written last: an attacher that sees it sees a complete header.
        INT.setRelease(m, VERSION_OFFSET, VERSION);
        return new ShmRegion(file, true, m, h2d, d2h, m.slice((int) layout[2], (int) dataLength));
    }

    /** Maps a region another party created, validating every header field before use. */
    static ShmRegion attach(Path file) throws IOException {
        MappedByteBuffer m;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            if (size < ShmRegionDescriptor.PAGE || size > ShmRegionDescriptor.MAX_REGION_LENGTH) {
                throw new IOException(file + ": " + size + " bytes is not a jtgt shared-memory region");
            }
            m = ch.map(FileChannel.MapMode.READ_WRITE, 0, size);
        }
        if ((int) INT.get(m, MAGIC_OFFSET) != MAGIC || (int) INT.getAcquire(m, VERSION_OFFSET) != VERSION) {
            throw new IOException(file + ": not a jtgt shared-memory region of version " + VERSION);
        }
        long h2d = (long) LONG.get(m, H2D_RING_OFFSET_OFFSET);
        long d2h = (long) LONG.get(m, D2H_RING_OFFSET_OFFSET);
        long data = (long) LONG.get(m, DATA_OFFSET_OFFSET);
        long dataLength = (long) LONG.get(m, DATA_LENGTH_OFFSET);
        long total = (long) LONG.get(m, REGION_LENGTH_OFFSET);
        if (total != m.capacity() || h2d < ShmRegionDescriptor.PAGE || d2h <= h2d || data <= d2h
                || dataLength <= 0 || data + dataLength > total) {
            throw new IOException(file + ": inconsistent region header (rings at " + h2d + ", " + d2h + ", data "
                    + data + "+" + dataLength + ", length " + total + ")");
        }
        try {
            SlotRing toDaemon = SlotRing.attach(m, (int) h2d);
            SlotRing toHost = SlotRing.attach(m, (int) d2h);
            if (h2d + org.jtgt.ring.RingDescriptor.regionLength(toDaemon.slotCount(), toDaemon.slotSize()) > d2h
                    || d2h + org.jtgt.ring.RingDescriptor.regionLength(toHost.slotCount(), toHost.slotSize()) > data) {
                throw new IOException(file + ": rings overlap");
            }
            return new ShmRegion(file, false, m, toDaemon, toHost, m.slice((int) data, (int) dataLength));
        } catch (RingFormatException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** The owner removes the file; the mapping itself goes when the last reference does. */
    @Override
    public void close() throws IOException {
        if (owner) {
            Files.deleteIfExists(file);
        }
    }
}
