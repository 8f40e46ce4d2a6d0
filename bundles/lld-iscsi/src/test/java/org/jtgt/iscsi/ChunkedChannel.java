package org.jtgt.iscsi;

import java.nio.ByteBuffer;
import java.nio.channels.ScatteringByteChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Bytes from an array, at most {@code chunk} per read, then end of stream; every read's size and
 * the buffer it went into are recorded.
 */
final class ChunkedChannel implements ScatteringByteChannel {
    /** Bytes handed out by each read, in order. */
    final List<Integer> sizes = new ArrayList<>();
    /** The buffer each read went into. */
    final List<ByteBuffer> into = new ArrayList<>();
    private final byte[] bytes;
    private final int start;
    private final int chunk;
    private int position;

    ChunkedChannel(byte[] bytes, int start, int chunk) {
        this.bytes = bytes;
        this.start = start;
        this.chunk = chunk;
        this.position = start;
    }

    int consumed() {
        return position - start;
    }

    boolean atEnd() {
        return position == bytes.length;
    }

    @Override
    public int read(ByteBuffer dst) {
        if (position == bytes.length) {
            return -1;
        }
        int n = Math.min(Math.min(chunk, dst.remaining()), bytes.length - position);
        dst.put(bytes, position, n);
        position += n;
        sizes.add(n);
        into.add(dst);
        return n;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            if (dsts[i].hasRemaining()) {
                int n = read(dsts[i]);
                if (n < 0) {
                    return total == 0 ? -1 : total;
                }
                total += n;
                if (dsts[i].hasRemaining()) {
                    break;
                }
            }
        }
        return total;
    }

    @Override
    public long read(ByteBuffer[] dsts) {
        return read(dsts, 0, dsts.length);
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {
    }
}
