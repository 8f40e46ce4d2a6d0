package org.jtgt.backing.file;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import org.jtgt.api.store.BackingStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A logical unit backed by a regular file, with positional I/O on one {@link FileChannel} shared
 * by all threads (pread/pwrite: concurrent commands do not serialize on a file position).
 *
 * <p>The file may be shorter than the store ("short" or sparse file): reads past its end return
 * zeros and writes there grow it. The file is never read or written outside {@code [0, size)}.
 * FUA writes and {@link #flush} use {@link FileChannel#force force(false)} (fdatasync).
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
    private static final byte[] ZEROS = new byte[8192];

    private final Path path;
    private volatile long size;
    private volatile boolean readOnly;
    private final Object reopenLock = new Object();
    private volatile FileChannel channel;
    private volatile boolean closed;

    FileStore(Path path, FileChannel channel, long size, boolean readOnly) {
        this.path = path;
        this.channel = channel;
        this.size = size;
        this.readOnly = readOnly;
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
            channel = writable;
            readOnly = false;
            old.close();   // operations on it see ClosedChannelException and retry on the new one
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
                        // Past the end of a short file, still inside the store: unwritten, so zeros.
                        putZeros(dst, dst.remaining());
                        break;
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
        long fileEnd;
        try {
            fileEnd = channel.size();
        } catch (ClosedChannelException e) {
            fileEnd = size;   // reopened by the writes below; zeroing a little more is harmless
        }
        long end = Math.min(offset + length, fileEnd);
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
                channel = FileChannel.open(path, options(readOnly));
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
