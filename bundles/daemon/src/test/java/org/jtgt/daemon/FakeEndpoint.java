package org.jtgt.daemon;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;

/**
 * A transport endpoint for tests: a direct-buffer data area with a bump allocator, and an
 * outbound channel that captures every record sent (or, when {@link #discard} is set, only
 * counts them, so the allocation test measures the daemon and not the capture).
 */
final class FakeEndpoint implements TransportEndpoint, DataArea {
    private final ByteBuffer area;
    private long next;
    /** Synchronized: a command answered later (SANITIZE without IMMED) is sent from another thread. */
    final List<byte[]> sent = Collections.synchronizedList(new ArrayList<>());
    boolean open = true;
    boolean discard;
    volatile long discarded;
    /** Runs on the sending thread after each recorded event (tests of what a sender does next). */
    volatile Runnable onSent;

    FakeEndpoint(int size) {
        area = ByteBuffer.allocateDirect(size);
    }

    // ---- DataArea ----

    @Override
    public ByteBuffer buffer() {
        return area;
    }

    @Override
    public long size() {
        return area.capacity();
    }

    /** Bump allocation, 8-byte aligned; wraps to 0 when the end is reached. */
    @Override
    public long allocate(int length) {
        if (length > area.capacity()) {
            return -1;
        }
        long aligned = (next + 7) & ~7L;
        if (aligned + length > area.capacity()) {
            aligned = 0;
        }
        next = aligned + length;
        return aligned;
    }

    @Override
    public void free(long offset, int length) {
    }

    /** Forgets what was sent and allocated and zeroes the area, for the next run on the same area. */
    void reset() {
        sent.clear();
        next = 0;
        open = true;
        for (int i = 0; i < area.capacity(); i += 8) {
            area.putLong(i, 0L);
        }
    }

    /** Fills a region with a marker so tests notice bytes the daemon did not write. */
    void poison(long offset, int length) {
        for (int i = 0; i < length; i++) {
            area.put((int) offset + i, (byte) 0xEE);
        }
    }

    void put(long offset, byte[] bytes) {
        area.put((int) offset, bytes);
    }

    byte[] get(long offset, int length) {
        byte[] b = new byte[length];
        area.get((int) offset, b);
        return b;
    }

    // ---- TransportEndpoint ----

    @Override
    public boolean offer(ByteBuffer src, int offset, int length) {
        if (!open) {
            return false;
        }
        if (discard) {
            discarded++;
            return true;
        }
        byte[] rec = new byte[length];
        src.get(offset, rec);
        sent.add(rec);
        Runnable hook = onSent;
        if (hook != null) {
            hook.run();
        }
        return true;
    }

    @Override
    public boolean send(ByteBuffer src, int offset, int length) {
        return offer(src, offset, length);
    }

    @Override
    public DataArea dataArea() {
        return this;
    }

    @Override
    public Transport transport() {
        return null;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
    }

    /** The last record sent, as a buffer for the codecs. */
    ByteBuffer last() {
        if (sent.isEmpty()) {
            throw new AssertionError("the daemon sent nothing");
        }
        return ByteBuffer.wrap(sent.get(sent.size() - 1));
    }
}
