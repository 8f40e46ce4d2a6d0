package org.jtgt.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.BitSet;

/**
 * A test store that tracks allocation in units of {@link #UNIT} bytes, as a thin store does:
 * a write maps the units it touches, a deallocation zeroes its range and unmaps the units it
 * covers whole.
 */
class ThinStore extends MemoryStore {
    static final int UNIT = 4096;
    final BitSet mapped = new BitSet();
    int deallocations;

    ThinStore(int size) {
        super(size);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        int n = src.remaining();
        super.write(offset, src, fua);
        if (n > 0) {
            mapped.set((int) (offset / UNIT), (int) ((offset + n - 1) / UNIT) + 1);
        }
    }

    @Override
    public void deallocate(long offset, long length) throws IOException {
        if (offset < 0 || offset + length > bytes.length) {
            throw new IOException("deallocate " + offset + "+" + length + " outside " + bytes.length);
        }
        deallocations++;
        Arrays.fill(bytes, (int) offset, (int) (offset + length), (byte) 0);
        int first = (int) ((offset + UNIT - 1) / UNIT);
        int end = (int) ((offset + length) / UNIT);
        if (first < end) {
            mapped.clear(first, end);
        }
    }

    @Override
    public long runLength(long offset, long maxLength, boolean state) {
        long end = Math.min(bytes.length, offset + maxLength);
        long pos = offset;
        while (pos < end && mapped.get((int) (pos / UNIT)) == state) {
            pos = (pos / UNIT + 1) * UNIT;
        }
        return Math.min(pos, end) - offset;
    }

    @Override
    public int deallocationGranularity() {
        return UNIT;
    }

    /** It unmaps what it deallocates, as a store that gives space back does. */
    @Override
    public boolean freesSpace() {
        return true;
    }
}
