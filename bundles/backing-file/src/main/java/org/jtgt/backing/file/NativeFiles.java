package org.jtgt.backing.file;

import java.io.IOException;
import java.net.URL;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Linux calls the JDK lacks for file stores, through JNA: {@code fallocate(2)} to punch
 * holes and {@code lseek(2)} with {@code SEEK_DATA}/{@code SEEK_HOLE} to find them, on a
 * descriptor of the store's own ({@code open(2)}, kept as long as the store's channel).
 *
 * <p>{@link #get()} is null where this cannot work: not Linux, the JNA bundle missing, or its
 * native part not loadable; file stores then write zeros to deallocate, and that is logged once.
 *
 * <p>Inside OSGi, JNA's {@code libjnidispatch} comes from the JNA bundle's
 * {@code Bundle-NativeCode}, which the framework extracts into its bundle cache. JNA by default
 * skips {@code System.loadLibrary} ({@code jna.nosys=true}) and unpacks the library from its jar
 * into {@code ~/.cache/JNA/temp} (or {@code java.io.tmpdir}), and even with a library found it
 * creates that directory to clean it. So when JNA was loaded by a bundle class loader, and the
 * properties are not set already, this class sets {@code jna.nosys=false} and
 * {@code jna.nounpack=true} before JNA initialises: nothing is written outside the framework's
 * storage. (Whoever initialises JNA first in a JVM decides this; on a plain class path, tests
 * point {@code jna.tmpdir} into {@code target/}.)
 */
final class NativeFiles {
    private static final Logger LOG = LoggerFactory.getLogger(NativeFiles.class);

    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    /** Same value on x86-64 and aarch64 Linux. */
    static final int O_CLOEXEC = 0x80000;
    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;
    static final int ENXIO = 6;
    static final int EINTR = 4;
    static final int ENOSYS = 38;
    static final int EOPNOTSUPP = 95;
    static final int ENOSPC = 28;
    static final int EDQUOT = 122;
    static final int EINVAL = 22;

    /** The libc functions used, mapped by JNA. */
    interface LibC extends Library {
        int open(String path, int flags, Object... mode) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        int fallocate(int fd, int mode, long offset, long length) throws LastErrorException;

        long lseek(int fd, long offset, int whence) throws LastErrorException;

        int fstat(int fd, byte[] stat) throws LastErrorException;

        String strerror(int errnum);
    }

    /** {@code struct stat}'s size and st_blocks offset on Linux x86-64 and AArch64 (the same on both). */
    private static final int STAT_SIZE = 144;
    private static final int ST_BLOCKS_OFFSET = 64;
    private static final boolean STAT_LAYOUT_KNOWN = "Linux".equals(System.getProperty("os.name"))
            && ("amd64".equals(System.getProperty("os.arch")) || "aarch64".equals(System.getProperty("os.arch")));

    /** Why {@link #get()} is null, for the log line; null when it is not. Set by {@link #load()}. */
    private static String unavailable;
    private static final NativeFiles INSTANCE = load();

    private final LibC libc;

    private NativeFiles(LibC libc) {
        this.libc = libc;
    }

    /** {@code preadv2} flag: fail with EAGAIN rather than wait for the device (Linux 4.14). */
    static final int RWF_NOWAIT = 0x08;
    static final int EAGAIN = 11;
    /** {@link #readNoWait}: the bytes are not at hand (or only some are); read them where waiting is allowed. */
    static final long NOT_NOW = -1;
    /** {@link #readNoWait}: this kernel, C library or file system cannot read without waiting; do not ask again. */
    static final long NEVER = -2;

    /**
     * The calls of the read path, direct-mapped: JNA's interface mapping boxes every argument
     * into an {@code Object[]}, direct mapping passes primitives and a direct buffer's address
     * as they are, so a call allocates nothing (only a failing call its exception).
     */
    static final class Direct {
        /** Whether {@link #register()} bound the functions; false where the C library lacks them. */
        static final boolean BOUND = register();
        /**
         * Whether JNA passes a direct buffer at its position (true) or at its start (false); found
         * once, on a buffer of our own, so that {@link #readNoWait} names the right bytes either way.
         */
        static final boolean PASSES_POSITION = BOUND && passesPosition();

        private Direct() {
        }

        private static boolean register() {
            if (Native.POINTER_SIZE != Long.BYTES) {
                return false;   // memmove's result and the iovec below are 64-bit
            }
            try {
                Native.register(Direct.class, Platform.C_LIBRARY_NAME);
                return true;
            } catch (LinkageError | RuntimeException e) {
                LOG.debug("no direct-mapped preadv2", e);
                return false;
            }
        }

        private static boolean passesPosition() {
            ByteBuffer probe = ByteBuffer.allocateDirect(64);
            long start = memmove(probe, probe, 0);
            probe.position(16);
            return memmove(probe, probe, 0) == start + 16;
        }

        static native long preadv2(int fd, Buffer iov, int iovcnt, long offset, int flags) throws LastErrorException;

        /** {@code memmove(dst, dst, 0)} returns {@code dst}: a direct buffer's address without a {@code Pointer}. */
        static native long memmove(Buffer dst, Buffer src, long n);
    }

    /** Per thread: one {@code struct iovec} (base, length) for {@link #readNoWait}. */
    private static final ThreadLocal<ByteBuffer> IOVEC = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder()));
    /**
     * Reads {@code dst} from its position to its limit at {@code offset} if the bytes are in the
     * page cache ({@code preadv2} with {@code RWF_NOWAIT}), without ever waiting for the device:
     * the bytes read (all of them on success, possibly fewer when only some were cached), or
     * {@link #NOT_NOW}, or {@link #NEVER}. {@code dst}'s position does not move. Allocates
     * nothing unless the call fails.
     */
    long readNoWait(int fd, ByteBuffer dst, long offset) {
        if (!Direct.BOUND) {
            return NEVER;
        }
        if (!dst.isDirect()) {
            return NOT_NOW;   // no address to hand the kernel; the worker's read copies
        }
        ByteBuffer iov = IOVEC.get();
        long address = Direct.memmove(dst, dst, 0);
        if (!Direct.PASSES_POSITION) {
            address += dst.position();
        }
        iov.putLong(0, address);
        iov.putLong(8, dst.remaining());
        try {
            return Direct.preadv2(fd, iov, 1, offset, RWF_NOWAIT);
        } catch (LastErrorException e) {
            int errno = e.getErrorCode();
            return errno == EAGAIN || errno == EINTR ? NOT_NOW : errno == EOPNOTSUPP || errno == ENOSYS
                    || errno == EINVAL ? NEVER : NOT_NOW;
        } catch (UnsatisfiedLinkError e) {
            return NEVER;
        }
    }

    /** The native calls, or null where they are not available (see {@link #unavailableReason()}). */
    static NativeFiles get() {
        return INSTANCE;
    }

    static String unavailableReason() {
        return unavailable;
    }

    private static NativeFiles load() {
        try {
            if (!Platform.isLinux()) {
                unavailable = "not Linux (" + System.getProperty("os.name") + ")";
                return null;
            }
            keepJnaInsideTheFramework();
            return new NativeFiles(Native.load(Platform.C_LIBRARY_NAME, LibC.class));
        } catch (LinkageError | RuntimeException e) {
            // UnsatisfiedLinkError: JNA's native part could not be loaded (no libjnidispatch
            // for this platform); NoClassDefFoundError: JNA's classes failed to initialise.
            unavailable = "JNA is not usable: " + e;
            LOG.debug("native file calls unavailable", e);
            return null;
        }
    }

    private static void keepJnaInsideTheFramework() {
        URL where = Native.class.getResource("Native.class");   // loads the class, does not initialise it
        String protocol = where == null ? "" : where.getProtocol();
        if (protocol.equals("jar") || protocol.equals("file")) {
            return;   // a plain class path: JNA's own defaults (tests set jna.tmpdir)
        }
        if (System.getProperty("jna.nosys") == null) {
            System.setProperty("jna.nosys", "false");
        }
        if (System.getProperty("jna.nounpack") == null) {
            System.setProperty("jna.nounpack", "true");
        }
    }

    /** A descriptor of {@code path}, read-only or read-write, close-on-exec. */
    int open(Path path, boolean readOnly) throws IOException {
        try {
            return libc.open(path.toString(), (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException("open(" + path + ") failed: errno " + e.getErrorCode(), e);
        }
    }

    void close(int fd) {
        try {
            libc.close(fd);
        } catch (LastErrorException e) {
            LOG.debug("close({}) failed: errno {}", fd, e.getErrorCode());
        }
    }

    /**
     * Punches a hole of {@code length} bytes at {@code offset}, keeping the file's size; 0 on
     * success, else the errno ({@link #EOPNOTSUPP}: the file system cannot).
     */
    int punchHole(int fd, long offset, long length) {
        for (;;) {
            try {
                libc.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
                return 0;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != EINTR) {
                    return e.getErrorCode();
                }
            }
        }
    }

    /** {@code strerror(errnum)}: the text the JDK puts in an {@code IOException} for that errno; null if it fails. */
    String strerror(int errnum) {
        try {
            return libc.strerror(errnum);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return null;
        }
    }

    /** {@code lseek(fd, offset, whence)}: the offset found, or minus the errno ({@code -ENXIO}: none). */
    long seek(int fd, long offset, int whence) {
        try {
            return libc.lseek(fd, offset, whence);
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    /**
     * Bytes allocated to the file ({@code st_blocks} × 512), or -1 where the layout of
     * {@code struct stat} is not known here or {@code fstat} fails. Rare (LOG SENSE): allocates.
     */
    long allocatedBytes(int fd) {
        if (!STAT_LAYOUT_KNOWN) {
            return -1;
        }
        byte[] stat = new byte[STAT_SIZE];
        try {
            libc.fstat(fd, stat);
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            return -1;
        }
        return java.nio.ByteBuffer.wrap(stat).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(ST_BLOCKS_OFFSET) * 512;
    }
}
