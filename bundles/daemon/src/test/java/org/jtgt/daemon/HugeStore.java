package org.jtgt.daemon;

import java.nio.ByteBuffer;

import org.jtgt.api.store.BackingStore;

/** A store that claims a size too large for memory and reads zeros (capacity tests). */
final class HugeStore implements BackingStore {
    private final long size;

    HugeStore(long size) {
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        while (dst.hasRemaining()) {
            dst.put((byte) 0);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) {
        src.position(src.limit());
    }

    @Override
    public void flush() {
    }

    @Override
    public String describe() {
        return "huge";
    }

    @Override
    public void close() {
    }
}
