package org.jtgt.host;

import java.nio.ByteBuffer;

import org.jtgt.api.transport.DataArea;
import org.jtgt.util.BlockAllocator;

/**
 * Host-local memory for the data of commands accepted while no transport is bound (during a
 * swap, or before the first transport arrives). Such commands are copied into the transport's
 * data area when they are dispatched; in the steady state this area is not used. Its size bounds
 * what an unbound host can hold.
 */
final class StagingArea implements DataArea {
    private final ByteBuffer buffer;
    private final BlockAllocator allocator;

    StagingArea(int size) {
        this.buffer = ByteBuffer.allocateDirect(size);
        this.allocator = new BlockAllocator(size, 4096);
    }

    @Override public ByteBuffer buffer() { return buffer; }
    @Override public long size() { return buffer.capacity(); }
    @Override public long allocate(int length) { return allocator.allocate(length); }
    @Override public void free(long offset, int length) { allocator.free(offset, length); }
}
