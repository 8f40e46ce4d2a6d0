package org.jtgt.transport.shm;

import java.nio.ByteBuffer;

import org.jtgt.api.transport.DataArea;
import org.jtgt.util.BlockAllocator;

/**
 * The data area of the mapped region. Both sides see the same bytes; only the host side
 * allocates (reservations live in this process's heap, not in the file).
 */
final class ShmDataArea implements DataArea {
    static final int BLOCK_SIZE = 4096;

    private final ByteBuffer buffer;
    private final BlockAllocator allocator;

    ShmDataArea(ByteBuffer buffer) {
        this.buffer = buffer;
        this.allocator = new BlockAllocator(buffer.capacity(), BLOCK_SIZE);
    }

    @Override public ByteBuffer buffer() { return buffer; }
    @Override public long size() { return buffer.capacity(); }
    @Override public long allocate(int length) { return allocator.allocate(length); }
    @Override public void free(long offset, int length) { allocator.free(offset, length); }

    long freeBytes() {
        return allocator.freeBytes();
    }
}
