package org.jtgt.backing.memory;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import org.jtgt.api.store.BackingStore;

/**
 * A sparse store in heap memory: a 1 TiB store costs only what has been written.
 *
 * <p>Bytes live in chunks ({@value #DEFAULT_CHUNK_SHIFT}-bit, 64 KiB by default) found through a
 * two-level directory: a top array of pages, created eagerly with one slot per
 * {@code chunkSize * chunksPerPage} bytes (256 MiB by default, so 4 Ki slots per TiB and 4 Mi
 * slots for the largest store of 2^50 bytes), and pages of chunk references created on first
 * use. A chunk is allocated by the first write that touches it; reading an unwritten range
 * returns zeros and allocates nothing.
 *
 * <p>Concurrency: pages and chunks are allocated once and published with a compare-and-set
 * (release), and looked up with acquire reads, so a reader sees either no chunk (zeros) or a
 * fully zeroed chunk, never a torn allocation, and two writers racing to allocate the same chunk
 * end up writing into the same array. The bytes themselves are copied without locks: overlapping
 * commands that run concurrently are unordered with respect to each other, as SAM-5 allows for
 * SIMPLE tasks; the caller's own completion handoff orders non-overlapping ones.
 *
 * <p>{@link #deallocate} (UNMAP) gives memory back: a chunk wholly inside the range is dropped
 * (its slot set back to null, so it reads as zeros and {@link #describe()}'s "used" shrinks),
 * the parts of chunks at either end are zeroed in place and stay allocated. A write racing
 * with the deallocation of the same chunk may land in the dropped array; that is the order
 * "write, then deallocate", which overlapping SIMPLE commands are allowed to take. Whether a
 * range is mapped ({@link #runLength}) is answered per chunk.
 *
 * <p>{@link #grow} (LUN resize) replaces the top array by a longer copy and then publishes the
 * new size. Pages are created under the same lock as that copy, so no page is lost between the
 * old and the new array; chunks are always allocated whole, even past the end of the store, so
 * the chunk that held the old end needs no replacing (its bytes past the old end were never
 * written and read as zeros).
 *
 * <p>{@link #read} and {@link #write} advance the buffer's position by the bytes transferred,
 * as {@link java.nio.channels.FileChannel} does.
 */
public final class MemoryStore implements BackingStore {
    /** The largest store: 1 PiB keeps the eager top array at 4 Mi slots. */
    public static final long MAX_SIZE = 1L << 50;
    static final int DEFAULT_CHUNK_SHIFT = 16;
    static final int DEFAULT_PAGE_SHIFT = 12;

    private static final VarHandle PAGE = MethodHandles.arrayElementVarHandle(byte[][][].class);
    private static final VarHandle CHUNK = MethodHandles.arrayElementVarHandle(byte[][].class);
    /** Source of zeros for buffers without an accessible array. */
    private static final byte[] ZEROS = new byte[8192];

    private volatile long size;
    private final int chunkShift;
    private final int chunkSize;
    private final long chunkMask;
    private final int pageShift;
    private final int pageMask;
    /** Replaced by a longer copy when the store grows; guarded for writes by {@link #directoryLock}. */
    private volatile byte[][][] top;
    private final Object directoryLock = new Object();
    private final AtomicLong allocated = new AtomicLong();
    private volatile boolean closed;

    public MemoryStore(long size) {
        this(size, DEFAULT_CHUNK_SHIFT, DEFAULT_PAGE_SHIFT);
    }

    /**
     * @param chunkShift log2 of the chunk size in bytes
     * @param pageShift log2 of the number of chunks per page
     */
    MemoryStore(long size, int chunkShift, int pageShift) {
        if (size <= 0 || size > MAX_SIZE) {
            throw new IllegalArgumentException("memory store size " + size + " is outside 1.." + MAX_SIZE
                    + " bytes (1 PiB)");
        }
        if (chunkShift < 3 || chunkShift > 30 || pageShift < 1 || pageShift > 20) {
            throw new IllegalArgumentException("chunk shift " + chunkShift + " / page shift " + pageShift);
        }
        long pages = pages(size, chunkShift, pageShift);
        this.size = size;
        this.chunkShift = chunkShift;
        this.chunkSize = 1 << chunkShift;
        this.chunkMask = chunkSize - 1;
        this.pageShift = pageShift;
        this.pageMask = (1 << pageShift) - 1;
        this.top = new byte[(int) pages][][];
    }

    private static long pages(long size, int chunkShift, int pageShift) {
        long pages = ((size - 1) >>> (chunkShift + pageShift)) + 1;
        if (pages > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("memory store of " + size + " bytes needs " + pages
                    + " directory pages with chunk shift " + chunkShift + " and page shift " + pageShift);
        }
        return pages;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void grow(long newSize) throws IOException {
        synchronized (directoryLock) {
            if (closed) {
                throw new IOException("memory store is closed");
            }
            long old = size;
            if (newSize < old) {
                throw new IllegalArgumentException("memory store of " + old + " bytes cannot shrink to " + newSize);
            }
            if (newSize > MAX_SIZE) {
                throw new IllegalArgumentException("memory store size " + newSize + " is above " + MAX_SIZE
                        + " bytes (1 PiB)");
            }
            int pages = (int) pages(newSize, chunkShift, pageShift);
            if (pages > top.length) {
                top = Arrays.copyOf(top, pages);
            }
            size = newSize;
        }
    }

    /** Bytes of chunk memory allocated so far (directory pages not counted). */
    public long allocatedBytes() {
        return allocated.get();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        int left = dst.remaining();
        check("read", offset, left);
        long pos = offset;
        while (left > 0) {
            long index = pos >>> chunkShift;
            int within = (int) (pos & chunkMask);
            int n = Math.min(left, chunkSize - within);
            byte[] chunk = lookup(index);
            if (chunk == null) {
                putZeros(dst, n);
            } else {
                dst.put(chunk, within, n);
            }
            pos += n;
            left -= n;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        // fua needs nothing: memory is as stable as this store gets.
        int left = src.remaining();
        check("write", offset, left);
        long pos = offset;
        while (left > 0) {
            long index = pos >>> chunkShift;
            int within = (int) (pos & chunkMask);
            int n = Math.min(left, chunkSize - within);
            src.get(chunkFor(index), within, n);
            pos += n;
            left -= n;
        }
    }

    @Override
    public void deallocate(long offset, long length) throws IOException {
        check("deallocate", offset, length);
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            long index = pos >>> chunkShift;
            int within = (int) (pos & chunkMask);
            long chunkEnd = Math.min((index + 1) << chunkShift, size);
            int n = (int) (Math.min(end, chunkEnd) - pos);
            byte[][] page = (byte[][]) PAGE.getAcquire(top, (int) (index >>> pageShift));
            if (page == null) {
                // A whole page never written: skip to its end.
                long pageEnd = ((index >>> pageShift) + 1) << (chunkShift + pageShift);
                pos = Math.min(end, pageEnd);
                continue;
            }
            int c = (int) index & pageMask;
            if (within == 0 && pos + n == chunkEnd) {
                byte[] old = (byte[]) CHUNK.getAndSetRelease(page, c, (byte[]) null);
                if (old != null) {
                    allocated.addAndGet(-old.length);
                }
            } else {
                byte[] chunk = (byte[]) CHUNK.getAcquire(page, c);
                if (chunk != null) {
                    Arrays.fill(chunk, within, within + n, (byte) 0);
                }
            }
            pos += n;
        }
    }

    @Override
    public long runLength(long offset, long maxLength, boolean mapped) {
        long end = Math.min(size, offset + maxLength);
        long pos = offset;
        while (pos < end) {
            long index = pos >>> chunkShift;
            byte[][] page = (byte[][]) PAGE.getAcquire(top, (int) (index >>> pageShift));
            if (page == null) {
                if (mapped) {
                    break;
                }
                pos = ((index >>> pageShift) + 1) << (chunkShift + pageShift);
                continue;
            }
            if ((CHUNK.getAcquire(page, (int) index & pageMask) != null) != mapped) {
                break;
            }
            pos = (index + 1) << chunkShift;
        }
        return Math.max(0, Math.min(pos, end) - offset);
    }

    @Override
    public int deallocationGranularity() {
        return chunkSize;
    }

    @Override
    public void flush() throws IOException {
        if (closed) {
            throw new IOException("memory store is closed");
        }
    }

    @Override
    public String describe() {
        return "memory, " + ByteSize.format(size) + " (used " + ByteSize.format(allocated.get()) + ")";
    }

    /** Drops every chunk; later calls fail with an IOException. */
    @Override
    public void close() {
        byte[][][] t;
        synchronized (directoryLock) {
            closed = true;
            t = top;
        }
        for (int i = 0; i < t.length; i++) {
            PAGE.setRelease(t, i, null);
        }
        allocated.set(0);
    }

    private void check(String op, long offset, long length) throws IOException {
        if (closed) {
            throw new IOException("memory store is closed");
        }
        if (offset < 0 || length < 0 || offset > size - length) {
            throw new IOException(op + " of " + length + " bytes at offset " + offset
                    + " lies outside the memory store of " + size + " bytes");
        }
    }

    /** The chunk, or null if it was never written. */
    private byte[] lookup(long index) {
        byte[][] page = (byte[][]) PAGE.getAcquire(top, (int) (index >>> pageShift));
        return page == null ? null : (byte[]) CHUNK.getAcquire(page, (int) index & pageMask);
    }

    /** The chunk, allocating it (and its page) on first touch; all racers get the same array. */
    private byte[] chunkFor(long index) {
        int p = (int) (index >>> pageShift);
        byte[][] page = (byte[][]) PAGE.getAcquire(top, p);
        if (page == null) {
            // Rare (once per page); under the lock that grow() copies the directory with.
            synchronized (directoryLock) {
                byte[][][] t = top;
                page = t[p];
                if (page == null) {
                    page = new byte[1 << pageShift][];
                    PAGE.setRelease(t, p, page);
                }
            }
        }
        int c = (int) index & pageMask;
        byte[] chunk = (byte[]) CHUNK.getAcquire(page, c);
        if (chunk == null) {
            // Whole even at the end of the store, so that growing never has to replace a chunk.
            byte[] fresh = new byte[chunkSize];
            byte[] witness = (byte[]) CHUNK.compareAndExchangeRelease(page, c, (byte[]) null, fresh);
            if (witness == null) {
                allocated.addAndGet(fresh.length);
                chunk = fresh;
            } else {
                chunk = witness;
            }
        }
        return chunk;
    }

    private static void putZeros(ByteBuffer dst, int n) {
        if (dst.hasArray()) {
            int from = dst.arrayOffset() + dst.position();
            Arrays.fill(dst.array(), from, from + n, (byte) 0);
            dst.position(dst.position() + n);
            return;
        }
        while (n > 0) {
            int k = Math.min(n, ZEROS.length);
            dst.put(ZEROS, 0, k);
            n -= k;
        }
    }
}
