package org.jtgt.backing.memory;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import org.jtgt.api.store.AsyncBackingStore;
import org.jtgt.api.store.IoCompletion;
import org.jtgt.api.store.SpaceAllocationFailedException;
import org.jtgt.util.ByteSize;

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
 * <p>Space: every store draws on a {@link MemoryBudget} (the provider's, shared by all its
 * stores): its directory when it opens, and then, while it is thin (the default), each page and
 * chunk before it allocates it. A write first makes sure every chunk it touches exists, taking
 * what is missing from the budget in one step; if the budget cannot give it, the write fails
 * with {@link SpaceAllocationFailedException} before it has stored anything, and everything
 * written before stays readable. {@link #provision provision(true)} (a fully provisioned LUN)
 * takes the whole capacity (all pages and chunks, allocated still as they are first written)
 * at once, so its writes never fail for want of space; {@link #deallocate} and {@link #close}
 * give back what they free. Chunks are counted at their size and directory slots at
 * {@value #REFERENCE_BYTES} bytes, an estimate of what the heap holds for them.
 *
 * <p>Concurrency: pages and chunks are created, dropped and counted under one lock, which
 * {@link #grow} and {@link #provision} hold too, and published with release stores; lookups
 * are acquire reads without the lock, so a reader sees either no chunk (zeros) or a fully
 * zeroed chunk, never a torn allocation. Only writes that allocate take the lock; writes into
 * chunks that exist and every read do not. The bytes themselves are copied without locks:
 * overlapping commands that run concurrently are unordered with respect to each other, as SAM-5
 * allows for SIMPLE tasks; the caller's own completion handoff orders non-overlapping ones.
 *
 * <p>{@link #deallocate} (UNMAP) gives memory back: a chunk wholly inside the range is dropped
 * (its slot set back to null, so it reads as zeros and {@link #describe()}'s "used" shrinks),
 * the parts of chunks at either end are zeroed in place and stay allocated. A write racing
 * with the deallocation of the same chunk may land in the dropped array; that is the order
 * "write, then deallocate", which overlapping SIMPLE commands are allowed to take. Whether a
 * range is mapped ({@link #runLength}) is answered per chunk.
 *
 * <p>{@link #grow} (LUN resize) replaces the top array by a longer copy and then publishes the
 * new size, under the lock pages are created with, so no page is lost between the old and the
 * new array; chunks are always allocated whole, even past the end of the store, so the chunk
 * that held the old end needs no replacing (its bytes past the old end were never written and
 * read as zeros).
 *
 * <p>{@link #read} and {@link #write} advance the buffer's position by the bytes transferred,
 * as {@link java.nio.channels.FileChannel} does.
 *
 * <p>Asynchronously ({@link AsyncBackingStore}) every operation runs inline: the submit method
 * does the work on the submitting thread and calls the completion once before it returns, with
 * the failure (out of range, closed, {@link SpaceAllocationFailedException} when the budget
 * cannot give a write its chunks) as its argument, never thrown. Nothing here waits on a device,
 * so {@link #blocks()} is false, and a submit allocates nothing beyond what the synchronous
 * operation does (chunks a write creates).
 */
public final class MemoryStore implements AsyncBackingStore {
    /** The largest store: 1 PiB keeps the eager top array at 4 Mi slots. */
    public static final long MAX_SIZE = 1L << 50;
    static final int DEFAULT_CHUNK_SHIFT = 16;
    static final int DEFAULT_PAGE_SHIFT = 12;
    /** What one directory slot is counted as: a reference without compressed oops. */
    static final int REFERENCE_BYTES = 8;

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
    /** Replaced by a longer copy when the store grows; changed under {@link #lock}. */
    private volatile byte[][][] top;
    /** Guards creating and dropping pages and chunks, the directory, and the accounting below. */
    private final Object lock = new Object();
    private final MemoryBudget budget;
    /** Bytes of directory, pages and chunks this store has allocated (as counted). Under lock. */
    private long charged;
    /** Bytes this store holds from the budget: {@link #charged} while thin, all of it while full. Under lock. */
    private long held;
    /** Fully provisioned: {@link #held} covers the whole capacity. Written under lock. */
    private volatile boolean full;
    private final AtomicLong allocated = new AtomicLong();
    private volatile boolean closed;

    /** A store without a budget (no limit). */
    public MemoryStore(long size) {
        this(size, DEFAULT_CHUNK_SHIFT, DEFAULT_PAGE_SHIFT);
    }

    /**
     * A store without a budget (no limit).
     *
     * @param chunkShift log2 of the chunk size in bytes
     * @param pageShift log2 of the number of chunks per page
     */
    MemoryStore(long size, int chunkShift, int pageShift) {
        this(size, chunkShift, pageShift, MemoryBudget.UNLIMITED);
        synchronized (lock) {
            take(directoryBytes(top.length));   // cannot be refused without a limit
        }
    }

    private MemoryStore(long size, int chunkShift, int pageShift, MemoryBudget budget) {
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
        this.budget = budget;
        this.top = new byte[(int) pages][][];
    }

    /**
     * A thin store that draws on {@code budget}, which must hold its directory.
     *
     * @throws SpaceAllocationFailedException if the budget cannot hold the directory
     */
    static MemoryStore open(long size, int chunkShift, int pageShift, MemoryBudget budget)
            throws SpaceAllocationFailedException {
        MemoryStore s = new MemoryStore(size, chunkShift, pageShift, budget);
        synchronized (s.lock) {
            long directory = s.directoryBytes(s.top.length);
            if (!s.take(directory)) {
                throw new SpaceAllocationFailedException("a memory store of " + ByteSize.format(size) + " needs "
                        + ByteSize.format(directory) + " for its directory; " + budget.state());
            }
        }
        return s;
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
        synchronized (lock) {
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
            long directory = pages > top.length ? directoryBytes(pages) - directoryBytes(top.length) : 0;
            if (full) {
                long more = fullBytes(newSize) - fullBytes(old);
                if (!budget.tryTake(more)) {
                    throw new SpaceAllocationFailedException("a fully provisioned memory store cannot grow from "
                            + ByteSize.format(old) + " to " + ByteSize.format(newSize) + ": it needs "
                            + ByteSize.format(more) + " more; " + budget.state());
                }
                held += more;
                charged += directory;
            } else if (!take(directory)) {
                throw new SpaceAllocationFailedException("a memory store cannot grow from " + ByteSize.format(old)
                        + " to " + ByteSize.format(newSize) + ": its directory needs " + ByteSize.format(directory)
                        + " more; " + budget.state());
            }
            if (pages > top.length) {
                top = Arrays.copyOf(top, pages);
            }
            size = newSize;
        }
    }

    /**
     * Full: takes from the budget all the capacity this store does not hold yet (refused, with
     * nothing changed, if the budget has not got it). Thin: gives back all it holds beyond what
     * it has allocated.
     */
    @Override
    public void provision(boolean fullyProvisioned) throws IOException {
        synchronized (lock) {
            if (closed) {
                throw new IOException("memory store is closed");
            }
            if (fullyProvisioned == full) {
                return;
            }
            if (fullyProvisioned) {
                long all = fullBytes(size);
                long more = all - held;
                if (more > 0 && !budget.tryTake(more)) {
                    throw new SpaceAllocationFailedException("a fully provisioned memory LUN of " + ByteSize.format(size)
                            + " needs " + ByteSize.format(more) + " more of the memory budget than it holds; "
                            + budget.state() + " (make the LUN thin, or raise the budget)");
                }
                held = Math.max(all, held);
                full = true;
            } else {
                budget.give(held - charged);
                held = charged;
                full = false;
            }
        }
    }

    /** Bytes of chunk memory allocated so far (directory pages not counted). */
    @Override
    public long allocatedBytes() {
        return allocated.get();
    }

    /**
     * The capacity not allocated yet, as far as the memory budget can still hold it; all of it
     * when the store is fully provisioned (its capacity is reserved in the budget already).
     */
    @Override
    public long availableBytes() {
        long notYet = Math.max(0, size - allocated.get());
        if (full) {
            return notYet;
        }
        return Math.max(0, Math.min(notYet, budget.limit() - budget.used()));
    }

    /** Bytes this store holds from its budget: what it has allocated, or all its capacity when fully provisioned. */
    long heldBytes() {
        synchronized (lock) {
            return held;
        }
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

    /**
     * Makes sure every chunk the range touches exists, then copies. A write that needs chunks
     * the budget cannot give stores nothing and throws {@link SpaceAllocationFailedException}.
     */
    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        // fua needs nothing: memory is as stable as this store gets.
        int left = src.remaining();
        check("write", offset, left);
        if (left > 0 && missing(offset, left)) {
            provide(offset, left);
        }
        long pos = offset;
        while (left > 0) {
            long index = pos >>> chunkShift;
            int within = (int) (pos & chunkMask);
            int n = Math.min(left, chunkSize - within);
            byte[] chunk = lookup(index);
            while (chunk == null) {
                // A deallocation of this chunk ran since provide(); a closed store throws.
                provide(pos, n);
                chunk = lookup(index);
            }
            src.get(chunk, within, n);
            pos += n;
            left -= n;
        }
    }

    @Override
    public void submitRead(long offset, ByteBuffer dst, IoCompletion done) {
        IOException failure = null;
        try {
            read(offset, dst);
        } catch (IOException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = unexpected("read", e);
        }
        done.ioDone(failure);
    }

    @Override
    public void submitWrite(long offset, ByteBuffer src, boolean fua, IoCompletion done) {
        IOException failure = null;
        try {
            write(offset, src, fua);
        } catch (IOException e) {
            failure = e;   // SpaceAllocationFailedException included: the daemon maps it to its sense
        } catch (RuntimeException e) {
            failure = unexpected("write", e);
        }
        done.ioDone(failure);
    }

    @Override
    public void submitFlush(IoCompletion done) {
        IOException failure = null;
        try {
            flush();
        } catch (IOException e) {
            failure = e;
        }
        done.ioDone(failure);
    }

    @Override
    public void submitDeallocate(long offset, long length, IoCompletion done) {
        IOException failure = null;
        try {
            deallocate(offset, length);
        } catch (IOException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = unexpected("deallocate", e);
        }
        done.ioDone(failure);
    }

    /** Runs {@code work} inline: this store never blocks, so its blocking work is its caller's. */
    @Override
    public void submitWork(StoreWork work, IoCompletion done) {
        IOException failure = null;
        try {
            work.run();
        } catch (IOException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = unexpected("work", e);
        }
        done.ioDone(failure);
    }

    /** Never waits on a device: the daemon calls it inline. */
    @Override
    public boolean blocks() {
        return false;
    }

    /** {@link #deallocate} drops whole chunks, giving their memory (and budget) back. */
    @Override
    public boolean freesSpace() {
        return true;
    }

    /**
     * A programming error (a read-only buffer to read into, say) still completes the operation,
     * so that its task ends with an error instead of waiting for ever.
     */
    private static IOException unexpected(String op, RuntimeException e) {
        return new IOException("memory store " + op + " failed: " + e, e);
    }

    @Override
    public void deallocate(long offset, long length) throws IOException {
        check("deallocate", offset, length);
        long pos = offset;
        long end = offset + length;
        synchronized (lock) {
            byte[][][] t = top;
            while (pos < end) {
                long index = pos >>> chunkShift;
                int within = (int) (pos & chunkMask);
                long chunkEnd = Math.min((index + 1) << chunkShift, size);
                int n = (int) (Math.min(end, chunkEnd) - pos);
                byte[][] page = t[(int) (index >>> pageShift)];
                if (page == null) {
                    // A whole page never written: skip to its end.
                    long pageEnd = ((index >>> pageShift) + 1) << (chunkShift + pageShift);
                    pos = Math.min(end, pageEnd);
                    continue;
                }
                int c = (int) index & pageMask;
                byte[] chunk = page[c];
                if (chunk != null) {
                    if (within == 0 && pos + n == chunkEnd) {
                        CHUNK.setRelease(page, c, (byte[]) null);
                        allocated.addAndGet(-chunk.length);
                        give(chunk.length);
                    } else {
                        Arrays.fill(chunk, within, within + n, (byte) 0);
                    }
                }
                pos += n;
            }
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
        return "memory, " + ByteSize.format(size) + " (used " + ByteSize.format(allocated.get())
                + (full ? ", all reserved" : "") + ")";
    }

    /** Drops every chunk and gives back all the store holds; later calls fail with an IOException. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            byte[][][] t = top;
            for (int i = 0; i < t.length; i++) {
                PAGE.setRelease(t, i, null);
            }
            allocated.set(0);
            budget.give(held);
            held = 0;
            charged = 0;
        }
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

    /** True if a chunk of {@code [offset, offset + length)} does not exist (length > 0). */
    private boolean missing(long offset, long length) {
        long last = (offset + length - 1) >>> chunkShift;
        for (long i = offset >>> chunkShift; i <= last; i++) {
            if (lookup(i) == null) {
                return true;
            }
        }
        return false;
    }

    /**
     * Creates every page and chunk {@code [offset, offset + length)} lacks, having taken what
     * they need from the budget in one step; refused as a whole, before anything is created.
     */
    private void provide(long offset, long length) throws IOException {
        long first = offset >>> chunkShift;
        long last = (offset + length - 1) >>> chunkShift;
        synchronized (lock) {
            if (closed) {
                throw new IOException("memory store is closed");
            }
            byte[][][] t = top;
            long need = 0;
            int counted = -1;
            for (long i = first; i <= last; i++) {
                int p = (int) (i >>> pageShift);
                byte[][] page = t[p];
                if (page == null) {
                    if (p != counted) {
                        need += pageBytes();
                        counted = p;
                    }
                    need += chunkSize;
                } else if (page[(int) i & pageMask] == null) {
                    need += chunkSize;
                }
            }
            if (need == 0) {
                return;
            }
            if (!take(need)) {
                throw new SpaceAllocationFailedException("thin memory store of " + ByteSize.format(size)
                        + ": a write of " + length + " bytes at offset " + offset + " needs " + ByteSize.format(need)
                        + " more; " + budget.state());
            }
            long unused = need;
            try {
                for (long i = first; i <= last; i++) {
                    int p = (int) (i >>> pageShift);
                    byte[][] page = t[p];
                    if (page == null) {
                        page = new byte[1 << pageShift][];
                        PAGE.setRelease(t, p, page);
                        unused -= pageBytes();
                    }
                    int c = (int) i & pageMask;
                    if (page[c] == null) {
                        // Whole even at the end of the store, so that growing never has to replace a chunk.
                        CHUNK.setRelease(page, c, new byte[chunkSize]);
                        allocated.addAndGet(chunkSize);
                        unused -= chunkSize;
                    }
                }
            } finally {
                if (unused > 0) {
                    give(unused);   // only if an allocation failed (OutOfMemoryError) on the way
                }
            }
        }
    }

    /** Lock held. Counts {@code bytes} as allocated, taking them from the budget while thin; false if refused. */
    private boolean take(long bytes) {
        if (!full) {
            if (!budget.tryTake(bytes)) {
                return false;
            }
            held += bytes;
        }
        charged += bytes;
        return true;
    }

    /** Lock held. Counts {@code bytes} as freed, giving them back to the budget while thin. */
    private void give(long bytes) {
        charged -= bytes;
        if (!full) {
            held -= bytes;
            budget.give(bytes);
        }
    }

    private long pageBytes() {
        return (long) REFERENCE_BYTES << pageShift;
    }

    private static long directoryBytes(int pages) {
        return (long) REFERENCE_BYTES * pages;
    }

    /** Everything a store of {@code bytes} can allocate: its directory, all its pages and chunks. */
    private long fullBytes(long bytes) {
        int pages = (int) pages(bytes, chunkShift, pageShift);
        long chunks = ((bytes - 1) >>> chunkShift) + 1;
        return directoryBytes(pages) + pages * pageBytes() + (chunks << chunkShift);
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
