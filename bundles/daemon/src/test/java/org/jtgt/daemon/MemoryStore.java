package org.jtgt.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jtgt.api.store.BackingStore;

/** A backing store over a byte array, counting FUA writes and flushes. */
class MemoryStore implements BackingStore {
    /** Replaced by a longer copy when the store grows. */
    byte[] bytes;
    boolean writable = true;
    int fuaWrites;
    int flushes;
    boolean closed;

    /** Whether the daemon must treat it as a store that blocks (run it on the unit's workers). */
    private final boolean blocking;

    MemoryStore(int size) {
        this(size, false);
    }

    MemoryStore(int size, boolean blocking) {
        bytes = new byte[size];
        this.blocking = blocking;
    }

    @Override
    public void grow(long newSize) throws IOException {
        if (newSize < bytes.length) {
            throw new IllegalArgumentException("cannot shrink");
        }
        bytes = java.util.Arrays.copyOf(bytes, Math.toIntExact(newSize));
    }

    @Override
    public void allowWrites() {
        writable = true;
    }

    /** Memory: called inline, as the memory store bundle's store is, unless made as a blocking one. */
    @Override
    public boolean blocks() {
        return blocking;
    }

    @Override
    public long size() {
        return bytes.length;
    }

    private void check(long offset, int length) throws IOException {
        if (offset < 0 || offset + length > bytes.length) {
            throw new IOException("access " + offset + "+" + length + " outside " + bytes.length);
        }
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        check(offset, dst.remaining());
        dst.put(bytes, (int) offset, dst.remaining());
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        check(offset, src.remaining());
        src.get(bytes, (int) offset, src.remaining());
        if (fua) {
            fuaWrites++;
        }
    }

    @Override
    public void flush() {
        flushes++;
    }

    @Override
    public String describe() {
        return "test memory, " + bytes.length + " bytes";
    }

    @Override
    public void close() {
        closed = true;
    }
}
