package org.jtgt.transport.direct;

import java.nio.ByteBuffer;

import org.jtgt.api.transport.DataArea;
import org.jtgt.util.BlockAllocator;

/**
 * One direct buffer both sides use in place, with the block allocator the shared-memory area
 * uses: only the host side allocates, the daemon reads and writes the ranges events name.
 */
final class DirectDataArea implements DataArea {
    static final int BLOCK_SIZE = 4096;

    private final ByteBuffer buffer;
    private final BlockAllocator allocator;

    DirectDataArea(int size) {
        this.buffer = ByteBuffer.allocateDirect(size);
        this.allocator = new BlockAllocator(size, BLOCK_SIZE);
    }

    @Override public ByteBuffer buffer() { return buffer; }
    @Override public long size() { return buffer.capacity(); }
    @Override public long allocate(int length) { return allocator.allocate(length); }
    @Override public void free(long offset, int length) { allocator.free(offset, length); }

    long freeBytes() {
        return allocator.freeBytes();
    }
}
