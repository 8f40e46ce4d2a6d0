package org.jtgt.transport.netlink;

import java.nio.ByteBuffer;

import org.jtgt.api.transport.DataArea;
import org.jtgt.util.BlockAllocator;

/**
 * One side's own data area: the netlink transport cannot share memory, so each side of a
 * connection has an area of the same size and references mean the same range in both
 * ("offsets are mirrored"). Only the host side reserves ranges, as on the shared-memory ring; the
 * daemon side's area is a mirror the transport fills with the bytes that arrive inline, and it
 * refuses reservations, which would be a programming error (the daemon never allocates).
 */
final class NetlinkDataArea implements DataArea {
    static final int BLOCK_SIZE = 4096;

    private final ByteBuffer buffer;
    private final BlockAllocator allocator;

    private NetlinkDataArea(ByteBuffer buffer, BlockAllocator allocator) {
        this.buffer = buffer;
        this.allocator = allocator;
    }

    /** The host side's area: it reserves command buffers, names and long CDBs here. */
    static NetlinkDataArea forHost(int size) {
        return new NetlinkDataArea(ByteBuffer.allocateDirect(size), new BlockAllocator(size, BLOCK_SIZE));
    }

    /** The daemon side's mirror of one host side's area. */
    static NetlinkDataArea mirror(int size) {
        return new NetlinkDataArea(ByteBuffer.allocateDirect(size), null);
    }

    /** Always the same instance (the daemon caches a duplicate per area). */
    @Override
    public ByteBuffer buffer() {
        return buffer;
    }

    @Override
    public long size() {
        return buffer.capacity();
    }

    @Override
    public long allocate(int length) {
        if (allocator == null) {
            throw new UnsupportedOperationException("the daemon side's data area mirrors the host side's; "
                    + "ranges are reserved by the host side only");
        }
        return allocator.allocate(length);
    }

    @Override
    public void free(long offset, int length) {
        if (allocator == null) {
            throw new UnsupportedOperationException("the daemon side's data area mirrors the host side's; "
                    + "ranges are freed by the host side only");
        }
        allocator.free(offset, length);
    }
}
