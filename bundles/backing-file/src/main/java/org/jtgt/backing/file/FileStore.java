package org.jtgt.backing.file;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.StampedLock;


import org.jtgt.api.store.BackingStore;
import org.jtgt.api.store.SpaceAllocationFailedException;
import org.jtgt.util.ByteSize;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A logical unit backed by a regular file, with positional I/O on one {@link FileChannel} shared
 * by all threads (pread/pwrite: concurrent commands do not serialize on a file position).
 *
 * <p>The file is at least as long as the store when it is opened (it may be sparse) and is never
 * read or written outside {@code [0, size)}. FUA writes and {@link #flush} use
 * {@link FileChannel#force force(false)} (fdatasync).
 *
 * <p>The file is locked while the store is open (exclusive, or shared when read-only; POSIX
 * record locks, so another jtgt process is refused as well as a second LUN of this one, whatever
 * path names the file). Whoever else changes the file underneath is found out: a read that meets
 * the end of the file inside the store (truncated), and a check at most once every
 * {@link #CHECK_INTERVAL_NANOS} on the I/O path that the path still names the opened file
 * (deleted or replaced) and that it is not shorter than the store. From then on every
 * operation fails with an {@link IOException} that says what happened (the daemon answers
 * MEDIUM ERROR), and the failure is logged once. Writes made before the check saw it went to the
 * file as it was; a truncated file is never grown back by a write.
 *
 * <p>A thread interrupted during channel I/O makes the JDK close the channel for every thread
 * ({@link ClosedByInterruptException}). One cancelled command must not take the LUN down, so
 * the store reopens the file: the interrupted operation fails with an
 * {@link InterruptedIOException}, operations of other threads caught by the close are retried.
 *
 * <p>Deallocation (UNMAP) punches holes where the platform can ({@code fallocate(2)} with
 * {@code FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE} through {@link NativeFiles}, Linux): the
 * file-system blocks wholly inside the range are given back, the partial blocks at either end
 * are zeroed by writes, and the file keeps its length. GET LBA STATUS then tells the holes
 * ({@link #runLength} through {@code lseek(SEEK_DATA / SEEK_HOLE)}), and the unit is the file
 * system's block ({@link #deallocationGranularity}). The native calls use a descriptor of the
 * store's own, opened with the channel and closed only together with it: POSIX record locks
 * belong to the process and the file, and closing ANY descriptor of the file drops them, so a
 * descriptor opened per call would silently give up the lock below. Where the native calls are
 * missing (not Linux, no JNA) or the file system cannot punch ({@code EOPNOTSUPP}), the store
 * writes zeros over the range instead, as the SPI's default does, says so once at INFO, and
 * {@link #freesSpace()} answers false (every block then stays "mapped").
 *
 * <p>{@code direct}: the file is opened with {@code O_DIRECT}
 * ({@link com.sun.nio.file.ExtendedOpenOption#DIRECT}), bypassing the page cache. O_DIRECT needs
 * the buffer address, the file offset and the length aligned to the file system's block size
 * ({@link #alignment()}); I/O that is aligned goes straight through, anything else through a
 * per-thread aligned bounce buffer, read-modify-write for the partial blocks of a write. Those
 * writes exclude each other, aligned writes and punched holes on the same file-system blocks
 * (striped locks: writes that only share such a block with an unaligned one must not be lost
 * by its read-modify-write). The size of a direct store is a multiple of the alignment, so no
 * write reaches past its end. Flush and FUA are unchanged ({@code fdatasync}).
 *
 * <p>{@link #grow} (LUN resize) extends the file, sparse, to the new size before the store
 * answers it, so the file keeps the length of the LUN (as jtgtadm expects of an existing file) and
 * a full file system is found now rather than by a later write. A read-only store grows only
 * within the file's length (it cannot extend the file). {@link #allowWrites} reopens a read-only
 * store for reading and writing; operations caught on the old channel retry on the new one.
 *
 * <p>{@link #read} and {@link #write} advance the buffer's position by the bytes transferred.
 */
public final class FileStore implements BackingStore {
    private static final Logger LOG = LoggerFactory.getLogger(FileStore.class);
    /** Attempts per operation when the channel was closed under it by another thread's interrupt. */
    private static final int ATTEMPTS = 3;
    /** How often the I/O path checks that the file is still the one opened, at its length. */
    static final long CHECK_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Stripes of locks over file-system blocks for direct writes (a power of two, at most 64). */
    private static final int STRIPES = 64;
    /** Logged once per JVM: deallocation writes zeros (no native calls). */
    private static volatile boolean fallbackLogged;
    /** Per thread: the aligned bounce buffer of direct I/O, grown as needed. */
    private static final ThreadLocal<ByteBuffer> BOUNCE = new ThreadLocal<>();

    private final Path path;
    /** Identity (device, inode) of the opened file, or null where the file system has none. */
    private final Object fileKey;
    /** Why the store stopped serving I/O (file truncated, deleted or replaced); null while healthy. */
    private volatile String failure;
    private volatile long nextCheck = System.nanoTime() + CHECK_INTERVAL_NANOS;
    /** The lock on {@link #channel}; replaced with it. */
    private FileLock lock;
    private volatile long size;
    private volatile boolean readOnly;
    private final Object reopenLock = new Object();
    private volatile FileChannel channel;
    private volatile boolean closed;
    /** Opened with O_DIRECT: I/O goes through {@link #alignment} checks and the bounce buffer. */
    private final boolean direct;
    /** The file system's block size: O_DIRECT's alignment and the unit of holes. */
    private final int alignment;
    /** The native calls, or null: deallocation writes zeros. */
    private final NativeFiles natives;
    /** The store's own descriptor for the native calls (-1 without them); replaced with the channel's mode. */
    private volatile int fd = -1;
    /**
     * Counts replacements of {@link #fd}, raised before the old one is closed: a read on the
     * delivering thread ({@link #readNow}) that saw it change may have used a number the system
     * had already given to another file, and discards what it read.
     */
    private volatile int fdChanges;
    /** Deallocation punches holes; false when the platform or the file system cannot. */
    private volatile boolean punching;
    private final StampedLock[] stripes;
    /**
     * The file lives in memory (tmpfs, ramfs): no call waits for a device, so the store does not
     * {@link #blocks()} and the daemon calls it inline, as it does the memory store.
     */
    private final boolean inMemory;
    /** {@link #readNow} may ask for cached bytes ({@code preadv2} with {@code RWF_NOWAIT}); false once the system said it cannot. */
    private volatile boolean readsNow;

    /**
     * Takes over {@code channel} and locks the file; on failure the caller closes the channel.
     *
     * @throws IOException if another store, here or in another process, has the file open
     */
    FileStore(Path path, FileChannel channel, long size, boolean readOnly) throws IOException {
        this(path, channel, size, readOnly, false, blockSize(path), NativeFiles.get());
    }

    /**
     * @param direct {@code channel} was opened with O_DIRECT
     * @param alignment the file system's block size
     * @param natives the native calls, or null to write zeros for deallocation
     */
    FileStore(Path path, FileChannel channel, long size, boolean readOnly, boolean direct, int alignment,
            NativeFiles natives) throws IOException {
        this.path = path;
        this.channel = channel;
        this.size = size;
        this.readOnly = readOnly;
        this.direct = direct;
        this.alignment = alignment;
        this.natives = natives;
        this.stripes = direct ? newStripes() : null;
        this.inMemory = inMemory(path);
        this.fileKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        if (direct && size % alignment != 0) {
            throw new IOException("direct=1 needs a size that is a multiple of the file system block size "
                    + alignment + "; " + path + " has " + size + " bytes");
        }
        this.lock = lock(path, channel, readOnly);
        if (natives != null) {
            try {
                fd = natives.open(path, readOnly);
                if (!Objects.equals(fileKey, Files.readAttributes(path, BasicFileAttributes.class).fileKey())) {
                    throw new IOException(path + " was replaced while it was being opened");
                }
            } catch (IOException e) {
                if (fd >= 0) {
                    natives.close(fd);   // the caller closes the channel: the lock goes with it
                }
                throw e;
            }
            punching = true;
            readsNow = !direct && !inMemory;
        } else {
            logFallback(NativeFiles.unavailableReason());
        }
    }

    /** File systems whose files are memory: nothing written to them waits for a device. */
    private static final List<String> MEMORY_FILE_SYSTEMS = List.of("tmpfs", "ramfs");

    private static boolean inMemory(Path path) {
        try {
            return MEMORY_FILE_SYSTEMS.contains(Files.getFileStore(path).type());
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static StampedLock[] newStripes() {
        StampedLock[] s = new StampedLock[STRIPES];
        for (int i = 0; i < s.length; i++) {
            s[i] = new StampedLock();
        }
        return s;
    }

    /** The block size of the file system holding {@code path} (O_DIRECT's alignment), 4096 if it does not say. */
    static int blockSize(Path path) throws IOException {
        long b;
        try {
            b = Files.getFileStore(path).getBlockSize();
        } catch (UnsupportedOperationException e) {
            return 4096;
        }
        if (b <= 0 || b > 1 << 20 || Long.bitCount(b) != 1) {
            return 4096;
        }
        return (int) b;
    }

    private void logFallback(String why) {
        if (!fallbackLogged) {
            fallbackLogged = true;
            LOG.info("file stores deallocate (UNMAP) by writing zeros, which frees no space: {}", why);
        }
    }

    /** Locks the whole file through {@code ch}: exclusive for writing, shared for reading. */
    static FileLock lock(Path path, FileChannel ch, boolean shared) throws IOException {
        FileLock l;
        try {
            l = ch.tryLock(0, Long.MAX_VALUE, shared);
        } catch (OverlappingFileLockException e) {
            throw new IOException(path + " is already in use by another logical unit", e);
        }
        if (l == null) {
            throw new IOException(path + " is locked by another process (another jtgt?)");
        }
        return l;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void grow(long newSize) throws IOException {
        synchronized (reopenLock) {
            if (closed) {
                throw new IOException("file store " + path + " is closed");
            }
            long old = size;
            if (newSize < old) {
                throw new IllegalArgumentException("file store " + path + " of " + old + " bytes cannot shrink to "
                        + newSize);
            }
            if (newSize == old) {
                return;
            }
            if (direct && newSize % alignment != 0) {
                throw new IOException("file store " + path + " is direct (O_DIRECT): it grows only to multiples of "
                        + "the file system block size " + alignment + ", not to " + newSize + " bytes");
            }
            long fileSize = channel.size();
            if (fileSize < newSize) {
                if (readOnly) {
                    throw new IOException("file store " + path + " is read-only and the file has " + fileSize
                            + " bytes; it cannot grow to " + newSize);
                }
                if (direct) {
                    // O_DIRECT writes whole blocks: the new last one, as the file has it (zeros past its end).
                    rewriteBlock(channel, newSize - alignment);
                } else {
                    // One zero byte at the new end: the file system allocates nothing in between.
                    channel.write(ByteBuffer.allocate(1), newSize - 1);
                }
                channel.force(true);
            }
            size = newSize;
        }
        LOG.info("file store {} grown to {}", path, ByteSize.format(newSize));
    }

    @Override
    public void allowWrites() throws IOException {
        synchronized (reopenLock) {
            if (closed) {
                throw new IOException("file store " + path + " is closed");
            }
            if (!readOnly) {
                return;
            }
            FileChannel writable;
            try {
                writable = FileChannel.open(path, options(false, direct));
            } catch (IOException e) {
                throw new IOException("cannot open " + path + " for writing: " + e.getMessage(), e);
            }
            FileChannel old = channel;
            // POSIX locks belong to the process and file: closing any descriptor of the file drops
            // them, so the old channel (and the store's read-only native descriptor) go first and
            // the new one is locked after.
            old.close();   // operations on it see ClosedChannelException and retry on the new one
            reopenNative(false);
            channel = writable;
            try {
                lock = lock(path, writable, false);
            } catch (IOException e) {
                channel = FileChannel.open(path, options(true, direct));
                writable.close();
                reopenNative(true);
                lock = lock(path, channel, true);
                throw new IOException("cannot open " + path + " for writing: " + e.getMessage(), e);
            }
            readOnly = false;
        }
        LOG.info("file store {} reopened for writing", path);
    }

    public Path path() {
        return path;
    }

    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        int length = dst.remaining();
        check("read", offset, length);
        int start = dst.position();
        for (int attempt = 1; ; attempt++) {
            FileChannel ch = channel;
            try {
                if (direct) {
                    if (aligned(offset, dst)) {
                        int start0 = dst.position();
                        if (fill(ch, offset, dst) < length) {
                            throw truncated(offset + dst.position() - start0);
                        }
                    } else {
                        bounceRead(ch, offset, dst);
                    }
                } else {
                    long pos = offset;
                    while (dst.hasRemaining()) {
                        int n = ch.read(dst, pos);
                        if (n < 0) {
                            throw truncated(pos);
                        }
                        pos += n;
                    }
                }
                return;
            } catch (ClosedChannelException e) {
                recover(ch, e, attempt, "read");
                dst.position(start);
            }
        }
    }

    /**
     * Reads only what the page cache holds, on the caller's thread ({@code preadv2} with
     * {@code RWF_NOWAIT}; the whole range or nothing counts). Not for O_DIRECT stores, whose
     * reads always go to the device, nor without the native calls; false too when the periodic
     * check of the file is due, so that a worker makes it.
     */
    @Override
    public boolean readNow(long offset, ByteBuffer dst) throws IOException {
        if (!readsNow || System.nanoTime() - nextCheck >= 0) {
            return false;
        }
        int length = dst.remaining();
        checkServing("read", offset, length);
        int changes = fdChanges;
        int descriptor = fd;
        if (descriptor < 0) {
            return false;
        }
        long n = natives.readNoWait(descriptor, dst, offset);
        if (fdChanges != changes) {
            return false;   // the descriptor was replaced meanwhile: the bytes may be another file's
        }
        if (n == length) {
            dst.position(dst.limit());
            return true;
        }
        if (n == NativeFiles.NEVER && readsNow) {
            readsNow = false;
            LOG.info("file store {}: reads of cached data cannot be made without waiting here (preadv2 RWF_NOWAIT);"
                    + " every read goes to the store's workers", path);
        }
        return false;
    }

    /** False for a file in memory (tmpfs, ramfs), whose calls never wait for a device. */
    @Override
    public boolean blocks() {
        return !inMemory;
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        int length = src.remaining();
        check("write", offset, length);
        if (readOnly) {
            throw new IOException("file store " + path + " is read-only");
        }
        int start = src.position();
        for (int attempt = 1; ; attempt++) {
            FileChannel ch = channel;
            try {
                if (direct) {
                    directWrite(ch, offset, src);
                } else {
                    long pos = offset;
                    while (src.hasRemaining()) {
                        pos += ch.write(src, pos);
                    }
                }
                if (fua) {
                    ch.force(false);
                }
                return;
            } catch (ClosedChannelException e) {
                recover(ch, e, attempt, "write");
                src.position(start); // rewriting the same bytes at the same place is harmless
            } catch (IOException e) {
                throw noSpace(e) ? spaceAllocationFailed(e, offset, length) : e;
            }
        }
    }

    @Override
    public void deallocate(long offset, long length) throws IOException {
        if (closed) {
            throw new IOException("file store " + path + " is closed");
        }
        if (offset < 0 || length < 0 || offset > size - length) {
            throw new IOException("deallocate of " + length + " bytes at offset " + offset
                    + " lies outside the file store " + path + " of " + size + " bytes");
        }
        if (readOnly) {
            throw new IOException("file store " + path + " is read-only");
        }
        long end = offset + length;
        if (end <= offset) {
            return;
        }
        long first = alignUp(offset);
        long last = end & -alignment;
        if (punching && first < last) {
            int err = punch(first, last - first);
            if (err == 0) {
                zero(offset, first);
                zero(last, end);
                return;
            }
            if (err != NativeFiles.EOPNOTSUPP && err != NativeFiles.ENOSYS) {
                throw new IOException("punching a hole of " + (last - first) + " bytes at " + first + " in " + path
                        + " failed: errno " + err);
            }
            punching = false;
            LOG.info("file store {}: the file system cannot punch holes (fallocate: errno {}); deallocation (UNMAP) "
                    + "writes zeros from now on, which frees no space", path, err);
        }
        zero(offset, end);
    }

    /** fallocate(PUNCH_HOLE) of whole file-system blocks, excluding direct writes to them. */
    private int punch(long from, long length) throws IOException {
        long mask = direct ? stripeMask(from, from + length) : 0;
        lockStripes(mask, true);
        try {
            int d = fd;
            if (closed || d < 0) {
                throw new IOException("file store " + path + " is closed");
            }
            return natives.punchHole(d, from, length);
        } finally {
            unlockStripes(mask, true);
        }
    }

    /** Writes zeros over {@code [from, to)} (nothing if empty). */
    private void zero(long from, long to) throws IOException {
        if (to <= from) {
            return;
        }
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(to - from, DEALLOCATE_CHUNK));
        for (long pos = from; pos < to; pos += zeros.limit()) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), to - pos));
            write(pos, zeros, false);
        }
    }

    /**
     * ENOSPC and EDQUOT as the JDK words them in an {@link IOException}: {@code strerror}'s text,
     * asked of the C library where it can be (the process's locale), else glibc's English.
     */
    private static final List<String> NO_SPACE = noSpaceMessages();

    private static List<String> noSpaceMessages() {
        List<String> m = new ArrayList<>(List.of("No space left on device", "Disk quota exceeded"));
        NativeFiles n = NativeFiles.get();
        if (n != null) {
            for (int errno : new int[] {NativeFiles.ENOSPC, NativeFiles.EDQUOT}) {
                String s = n.strerror(errno);
                if (s != null && !s.isEmpty() && !m.contains(s)) {
                    m.add(s);
                }
            }
        }
        return List.copyOf(m);
    }

    /** The file system had no room for a write (ENOSPC) or the owner's quota none (EDQUOT). */
    static boolean noSpace(IOException e) {
        String m = e.getMessage();
        return m != null && !(e instanceof SpaceAllocationFailedException) && NO_SPACE.contains(m);
    }

    /**
     * A write the file system had no room for: {@link SpaceAllocationFailedException}, which the
     * daemon answers with SPACE ALLOCATION FAILED WRITE PROTECT (a thin unit out of space) rather
     * than MEDIUM ERROR; the store stays usable, and writes succeed again once there is room.
     */
    private SpaceAllocationFailedException spaceAllocationFailed(IOException e, long offset, int length) {
        SpaceAllocationFailedException s = new SpaceAllocationFailedException("the file system of " + path
                + " has no room for " + length + " bytes at offset " + offset + " (" + e.getMessage() + ")");
        s.initCause(e);
        return s;
    }

    /** Whether deallocation punches holes (true) or writes zeros (false). */
    @Override
    public boolean freesSpace() {
        return punching;
    }

    /** The file's allocated blocks in bytes ({@code fstat}'s st_blocks), or -1 without native access. */
    @Override
    public long allocatedBytes() {
        int f = fd;
        return natives == null || f < 0 ? -1 : natives.allocatedBytes(f);
    }

    /**
     * What the file system can still give the file: its usable space, at most the part of the
     * LUN not allocated yet; -1 if the file system cannot be asked.
     */
    @Override
    public long availableBytes() {
        try {
            long free = Files.getFileStore(path).getUsableSpace();
            long allocated = allocatedBytes();
            return allocated < 0 ? Math.min(free, size) : Math.max(0, Math.min(free, size - allocated));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The file system's block while holes are punched (the unit they come in), 0 otherwise. */
    @Override
    public int deallocationGranularity() {
        return punching ? alignment : 0;
    }

    /**
     * Holes as {@code lseek(SEEK_DATA / SEEK_HOLE)} finds them, while holes are punched;
     * otherwise (and if the call fails) everything is mapped, as the SPI's default says.
     */
    @Override
    public long runLength(long offset, long maxLength, boolean mapped) {
        long end = Math.min(size, offset + maxLength);
        int d = fd;
        if (offset >= end) {
            return 0;
        }
        if (!punching || d < 0) {
            return mapped ? end - offset : 0;
        }
        long data = natives.seek(d, offset, NativeFiles.SEEK_DATA);
        if (data == -NativeFiles.ENXIO) {
            data = Long.MAX_VALUE;   // no data at or after offset: a hole to the end of the file
        } else if (data < 0) {
            LOG.debug("file store {}: lseek(SEEK_DATA) failed: errno {}", path, -data);
            return mapped ? end - offset : 0;
        }
        if (!mapped) {
            return Math.min(data, end) - offset;
        }
        if (data != offset) {
            return 0;
        }
        long hole = natives.seek(d, offset, NativeFiles.SEEK_HOLE);
        if (hole < 0) {
            LOG.debug("file store {}: lseek(SEEK_HOLE) failed: errno {}", path, -hole);
            return end - offset;
        }
        return Math.min(hole, end) - offset;
    }

    /** Package-private switch for tests: deallocate by writing zeros from now on, as without the native calls. */
    void stopPunchingHoles() {
        punching = false;
    }

    /** The file system's block size: O_DIRECT's alignment, and the unit of holes. */
    int alignment() {
        return alignment;
    }

    boolean direct() {
        return direct;
    }

    // ------------------------------ direct I/O ------------------------------

    private long alignUp(long v) {
        return (v + alignment - 1) & -alignment;
    }

    /** O_DIRECT can take this as it is: offset, length and (for a direct buffer) address aligned. */
    private boolean aligned(long offset, ByteBuffer b) {
        int mask = alignment - 1;
        return ((offset | b.remaining()) & mask) == 0 && b.isDirect() && b.alignmentOffset(b.position(), alignment) == 0;
    }

    /** This thread's bounce buffer, at least {@code bytes} long, aligned; position 0, limit {@code bytes}. */
    private ByteBuffer bounce(int bytes) {
        ByteBuffer b = BOUNCE.get();
        if (b == null || b.capacity() < bytes || b.alignmentOffset(0, alignment) != 0) {
            int capacity = Math.max(bytes, 64 * 1024);
            b = ByteBuffer.allocateDirect(capacity + alignment).alignedSlice(alignment);
            BOUNCE.set(b);
        }
        return b.clear().limit(bytes);
    }

    /** Reads {@code [offset, offset + dst.remaining())} through the bounce buffer: whole blocks around it. */
    private void bounceRead(FileChannel ch, long offset, ByteBuffer dst) throws IOException {
        int length = dst.remaining();
        long start = offset & -alignment;
        ByteBuffer b = bounce((int) (alignUp(offset + length) - start));
        int need = (int) (offset + length - start);
        if (fill(ch, start, b) < need) {
            throw truncated(start + b.position());
        }
        int from = (int) (offset - start);
        dst.put(b.limit(from + length).position(from));
    }

    /**
     * Reads from {@code pos} (aligned) until {@code b} is full or the file ends; the bytes read.
     * A read that stops inside a block met the end of the file (O_DIRECT reads whole blocks).
     */
    private int fill(FileChannel ch, long pos, ByteBuffer b) throws IOException {
        int start = b.position();
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position() - start) < 0 || ((b.position() - start) & (alignment - 1)) != 0) {
                break;
            }
        }
        return b.position() - start;
    }

    /**
     * Writes {@code src} at {@code offset} on an O_DIRECT channel: straight through if aligned
     * (sharing the stripes of its blocks), else read-modify-write of the whole blocks around it
     * through the bounce buffer (owning the stripes of its partial blocks).
     */
    private void directWrite(FileChannel ch, long offset, ByteBuffer src) throws IOException {
        int length = src.remaining();
        if (length == 0) {
            return;
        }
        long end = offset + length;
        if (aligned(offset, src)) {
            long mask = stripeMask(offset, end);
            lockStripes(mask, false);
            try {
                long pos = offset;
                while (src.hasRemaining()) {
                    pos += ch.write(src, pos);
                }
            } finally {
                unlockStripes(mask, false);
            }
            return;
        }
        long start = offset & -alignment;
        long stop = alignUp(end);
        boolean headPartial = offset != start;
        boolean tailPartial = end != stop;
        long mask = (headPartial ? stripeMask(start, start + 1) : 0) | (tailPartial ? stripeMask(stop - 1, stop) : 0);
        boolean exclusive = mask != 0;
        if (!exclusive) {
            mask = stripeMask(start, stop);   // whole blocks from an unaligned buffer: shared, as aligned writes
        }
        lockStripes(mask, exclusive);
        try {
            ByteBuffer b = bounce((int) (stop - start));
            if (headPartial) {
                readBlock(ch, start, b, 0);
            }
            if (tailPartial && (stop - alignment > start || !headPartial)) {
                readBlock(ch, stop - alignment, b, (int) (stop - alignment - start));
            }
            b.put((int) (offset - start), src, src.position(), length);
            src.position(src.position() + length);
            b.clear().limit((int) (stop - start));
            long pos = start;
            while (b.hasRemaining()) {
                pos += ch.write(b, pos);
            }
        } finally {
            unlockStripes(mask, exclusive);
        }
    }

    /** Reads the block at {@code pos} into {@code b} at {@code at}; zeros past the end of the file. */
    private void readBlock(FileChannel ch, long pos, ByteBuffer b, int at) throws IOException {
        ByteBuffer block = b.duplicate().limit(at + alignment).position(at);
        fill(ch, pos, block);
        while (block.hasRemaining()) {
            block.put((byte) 0);
        }
    }

    /** Writes the block at {@code pos} back as it reads (zeros past the end of the file), extending the file to its end. */
    private void rewriteBlock(FileChannel ch, long pos) throws IOException {
        long mask = stripeMask(pos, pos + alignment);
        lockStripes(mask, true);
        try {
            ByteBuffer b = bounce(alignment);
            readBlock(ch, pos, b, 0);
            b.clear().limit(alignment);
            long at = pos;
            while (b.hasRemaining()) {
                at += ch.write(b, at);
            }
        } finally {
            unlockStripes(mask, true);
        }
    }

    /** The stripes of the file-system blocks {@code [from, to)} touches, as a bit mask. */
    private long stripeMask(long from, long to) {
        long first = from / alignment;
        long last = (to - 1) / alignment;
        if (last - first >= STRIPES - 1) {
            return -1L;
        }
        long mask = 0;
        for (long i = first; i <= last; i++) {
            mask |= 1L << (i & (STRIPES - 1));
        }
        return mask;
    }

    /** Locks the stripes of {@code mask} in ascending order (so two lockers never wait on each other in a cycle). */
    private void lockStripes(long mask, boolean exclusive) {
        for (long m = mask; m != 0; m &= m - 1) {
            StampedLock l = stripes[Long.numberOfTrailingZeros(m)];
            if (exclusive) {
                l.writeLock();
            } else {
                l.readLock();
            }
        }
    }

    private void unlockStripes(long mask, boolean exclusive) {
        for (long m = mask; m != 0; m &= m - 1) {
            StampedLock l = stripes[Long.numberOfTrailingZeros(m)];
            if (exclusive) {
                l.tryUnlockWrite();
            } else {
                l.tryUnlockRead();
            }
        }
    }

    private IOException truncated(long pos) {
        return fail("the file ends at " + pos + " bytes, inside the logical unit of " + size
                + " bytes: it was truncated underneath");
    }

    @Override
    public void flush() throws IOException {
        if (closed) {
            throw new IOException("file store " + path + " is closed");
        }
        String f = failure;
        if (f != null) {
            throw new IOException("file store " + path + ": " + f);
        }
        verifyFile();
        if (readOnly) {
            return;
        }
        for (int attempt = 1; ; attempt++) {
            FileChannel ch = channel;
            try {
                ch.force(false);
                return;
            } catch (ClosedChannelException e) {
                recover(ch, e, attempt, "flush");
            }
        }
    }

    @Override
    public String describe() {
        return "file " + path + ", " + ByteSize.format(size) + (readOnly ? ", read-only" : "")
                + (direct ? ", O_DIRECT" : "") + (inMemory ? ", in memory" : "");
    }

    @Override
    public void close() throws IOException {
        synchronized (reopenLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            channel.close();
        } finally {
            closeNative();   // after the channel: the lock goes with whichever closes first, and both go now
        }
        LOG.info("closed file store {}", path);
    }

    private void check(String op, long offset, int length) throws IOException {
        checkServing(op, offset, length);
        if (System.nanoTime() - nextCheck >= 0) {
            verifyFile();
        }
    }

    /** {@link #check} without the periodic look at the file: open, in range, not failed. */
    private void checkServing(String op, long offset, int length) throws IOException {
        if (closed) {
            throw new IOException("file store " + path + " is closed");
        }
        if (offset < 0 || offset > size - length) {
            throw new IOException(op + " of " + length + " bytes at offset " + offset
                    + " lies outside the file store " + path + " of " + size + " bytes");
        }
        String f = failure;
        if (f != null) {
            throw new IOException("file store " + path + ": " + f);
        }
    }

    /**
     * Checks that {@link #path} still names the opened file and that the file is not shorter than
     * the store; fails the store if not. Runs at most once per {@link #CHECK_INTERVAL_NANOS} from
     * the I/O path (one stat and one fstat), and from {@link #flush}.
     */
    void verifyFile() throws IOException {
        nextCheck = System.nanoTime() + CHECK_INTERVAL_NANOS;
        Object key;
        try {
            key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException e) {
            throw fail("the file was deleted underneath");
        }
        if (fileKey != null && !Objects.equals(fileKey, key)) {
            throw fail("the file was replaced underneath (" + fileKey + " opened, " + key + " at the path now)");
        }
        long fileSize;
        try {
            fileSize = channel.size();
        } catch (ClosedChannelException e) {
            return;   // being reopened; the next check looks again
        }
        if (fileSize < size) {
            throw fail("the file has " + fileSize + " bytes, less than the logical unit's " + size
                    + ": it was truncated underneath");
        }
    }

    /** Why I/O fails, or null while the file is the one opened at its length. */
    public String failure() {
        return failure;
    }

    /** Marks the store failed (logged once) and returns the exception for the operation at hand. */
    private IOException fail(String reason) {
        synchronized (reopenLock) {
            if (failure == null) {
                failure = reason;
                LOG.error("file store {}: {}; every read and write now fails with MEDIUM ERROR until the logical "
                        + "unit is deleted and added again", path, reason);
            }
        }
        return new IOException("file store " + path + ": " + reason);
    }

    /**
     * The channel {@code failed} was closed under an operation. Unless the store itself was
     * closed, reopen it (once, whoever gets here first); then fail the operation if this thread's
     * interrupt caused the close, or let it retry.
     */
    private void recover(FileChannel failed, ClosedChannelException e, int attempt, String op) throws IOException {
        boolean interrupted = e instanceof ClosedByInterruptException;
        synchronized (reopenLock) {
            if (closed) {
                throw new IOException("file store " + path + " is closed", e);
            }
            if (channel == failed) {
                FileChannel reopened = FileChannel.open(path, options(readOnly, direct));
                channel = reopened;
                // The close dropped the lock (POSIX locks go with any descriptor of the file).
                try {
                    lock = lock(path, reopened, readOnly);
                } catch (IOException locked) {
                    LOG.warn("file store {}: reopened, but the lock could not be taken again: {}", path,
                            locked.getMessage());
                }
                nextCheck = System.nanoTime();   // the next operation checks it is the same file
                LOG.warn("file store {}: channel closed by an interrupted {}, reopened", path, op);
            }
        }
        if (interrupted) {
            InterruptedIOException ie = new InterruptedIOException(op + " on " + path + " interrupted");
            ie.initCause(e);
            throw ie;
        }
        if (attempt >= ATTEMPTS) {
            throw new IOException(op + " on " + path + " failed: channel closed " + attempt + " times", e);
        }
    }

    static OpenOption[] options(boolean readOnly) {
        return options(readOnly, false);
    }

    /**
     * {@code direct}: with O_DIRECT ({@code com.sun.nio.file.ExtendedOpenOption.DIRECT}, imported
     * optionally: a framework whose system bundle does not export {@code com.sun.nio.file} runs
     * the file store without it, and refuses only {@code direct=1}).
     */
    static OpenOption[] options(boolean readOnly, boolean direct) {
        if (direct) {
            OpenOption d = DirectOption.get();
            return readOnly
                    ? new OpenOption[] {StandardOpenOption.READ, d}
                    : new OpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE, d};
        }
        return readOnly
                ? new OpenOption[] {StandardOpenOption.READ}
                : new OpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE};
    }

    /**
     * Lock held ({@link #reopenLock}), the channel already closed: replaces the native
     * descriptor by one of the mode {@code readOnly} says. On failure the store goes on without
     * punching holes.
     */
    private void reopenNative(boolean readOnly) {
        if (natives == null) {
            return;
        }
        closeNative();
        try {
            fd = natives.open(path, readOnly);
        } catch (IOException e) {
            punching = false;
            LOG.info("file store {}: {}; deallocation (UNMAP) writes zeros from now on", path, e.getMessage());
        }
    }

    private void closeNative() {
        int d = fd;
        fdChanges++;   // under reopenLock or in close(): one writer at a time
        fd = -1;
        if (d >= 0) {
            natives.close(d);
        }
    }

    /** The JDK's O_DIRECT open option, looked up only when a store asks for it. */
    private static final class DirectOption {
        private DirectOption() {
        }

        static OpenOption get() {
            try {
                return com.sun.nio.file.ExtendedOpenOption.DIRECT;
            } catch (NoClassDefFoundError e) {
                throw new UnsupportedOperationException("O_DIRECT (direct=1) needs the JDK package com.sun.nio.file, "
                        + "which this OSGi framework does not export to bundles", e);
            }
        }
    }
}
