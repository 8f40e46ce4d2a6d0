package org.jtgt.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jtgt.api.store.BackingStore;

/** A backing store whose every I/O fails, as a dying disk would. */
class FailingStore implements BackingStore {
    private final long size;

    FailingStore(long size) {
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        throw new IOException("read failed at " + offset);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        throw new IOException("write failed at " + offset);
    }

    @Override
    public void flush() throws IOException {
        throw new IOException("flush failed");
    }

    @Override
    public String describe() {
        return "failing";
    }

    @Override
    public void close() {
    }
}
