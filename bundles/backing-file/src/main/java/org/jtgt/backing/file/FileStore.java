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
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.store.BackingStore;
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
 * <p>Deallocation (UNMAP) writes zeros over the part of the range that lies inside the file and
 * leaves the rest alone (past the end of a short file the store already reads zeros), so the
 * file never grows for it. The JDK has no portable way to punch a hole, and a private
 * allocation map would have to be persisted next to the file to survive a restart; zeros keep
 * LBPRZ (unmapped blocks read zeros) true with neither. Every block therefore stays "mapped" for
 * GET LBA STATUS (the interface's default), which SBC allows: a mapped block may read anything.
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

    /**
     * Takes over {@code channel} and locks the file; on failure the caller closes the channel.
     *
     * @throws IOException if another store, here or in another process, has the file open
     */
    FileStore(Path path, FileChannel channel, long size, boolean readOnly) throws IOException {
        this.path = path;
        this.channel = channel;
        this.size = size;
        this.readOnly = readOnly;
        this.fileKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        this.lock = lock(path, channel, readOnly);
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
            long fileSize = channel.size();
            if (fileSize < newSize) {
                if (readOnly) {
                    throw new IOException("file store " + path + " is read-only and the file has " + fileSize
                            + " bytes; it cannot grow to " + newSize);
                }
                // One zero byte at the new end: the file system allocates nothing in between.
                channel.write(ByteBuffer.allocate(1), newSize - 1);
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
                writable = FileChannel.open(path, options(false));
            } catch (IOException e) {
                throw new IOException("cannot open " + path + " for writing: " + e.getMessage(), e);
            }
            FileChannel old = channel;
            // POSIX locks belong to the process and file: closing any descriptor of the file drops
            // them, so the old channel goes first and the new one is locked after.
            old.close();   // operations on it see ClosedChannelException and retry on the new one
            channel = writable;
            try {
                lock = lock(path, writable, false);
            } catch (IOException e) {
                channel = FileChannel.open(path, options(true));
                writable.close();
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
                long pos = offset;
                while (dst.hasRemaining()) {
                    int n = ch.read(dst, pos);
                    if (n < 0) {
                        throw fail("the file ends at " + pos + " bytes, inside the logical unit of " + size
                                + " bytes: it was truncated underneath");
                    }
                    pos += n;
                }
                return;
            } catch (ClosedChannelException e) {
                recover(ch, e, attempt, "read");
                dst.position(start);
            }
        }
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
                long pos = offset;
                while (src.hasRemaining()) {
                    pos += ch.write(src, pos);
                }
                if (fua) {
                    ch.force(false);
                }
                return;
            } catch (ClosedChannelException e) {
                recover(ch, e, attempt, "write");
                src.position(start); // rewriting the same bytes at the same place is harmless
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
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(end - offset, DEALLOCATE_CHUNK));
        for (long pos = offset; pos < end; pos += zeros.limit()) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), end - pos));
            write(pos, zeros, false);
        }
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
        return "file " + path + ", " + ByteSize.format(size) + (readOnly ? ", read-only" : "");
    }

    @Override
    public void close() throws IOException {
        synchronized (reopenLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        channel.close();
        LOG.info("closed file store {}", path);
    }

    private void check(String op, long offset, int length) throws IOException {
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
        if (System.nanoTime() - nextCheck >= 0) {
            verifyFile();
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
                FileChannel reopened = FileChannel.open(path, options(readOnly));
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
        return readOnly
                ? new OpenOption[] {StandardOpenOption.READ}
                : new OpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE};
    }
}
