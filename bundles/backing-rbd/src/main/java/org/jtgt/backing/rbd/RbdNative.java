package org.jtgt.backing.rbd;

import java.net.URL;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * librados and librbd (Ceph 16.2's C API) through JNA direct mapping: static native methods
 * bound once, arguments as primitives. Handles ({@code rados_t}, {@code rados_ioctx_t},
 * {@code rbd_image_t}, {@code rbd_completion_t}) and buffer addresses are passed as {@code long}
 * (pointers are 64 bits on the platforms JNA serves here: x86-64, AArch64), so the I/O calls
 * allocate nothing on the Java side.
 *
 * <p>{@link #available()} is false where the libraries or JNA are missing (a machine without
 * Ceph): the bundle still resolves and the provider refuses to open stores with
 * {@link #unavailableReason()}. The libraries are loaded by their sonames
 * ({@code librados.so.2}, {@code librbd.so.1}), which the runtime packages install (the
 * unversioned names come only with the -dev packages).
 */
final class RbdNative {
    private static final Logger LOG = LoggerFactory.getLogger(RbdNative.class);

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EIO = 5;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int ENODATA = 61;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;
    static final int EROFS = 30;
    static final int ERANGE = 34;
    static final int EILSEQ = 84;
    static final int ENOTCONN = 107;
    static final int ESHUTDOWN = 108;   // also Ceph's EBLOCKLISTED
    static final int ETIMEDOUT = 110;
    static final int EDQUOT = 122;

    /** {@code rbd_callback_t}: {@code void (*)(rbd_completion_t cb, void *arg)}, both as 64-bit values. */
    interface CompletionCallback extends Callback {
        void invoke(long completion, long arg);
    }

    private static final String UNAVAILABLE = load();

    private RbdNative() {
    }

    /** Whether librados, librbd and JNA are usable here. */
    static boolean available() {
        return UNAVAILABLE == null;
    }

    /** Why {@link #available()} is false, or null. */
    static String unavailableReason() {
        return UNAVAILABLE;
    }

    private static String load() {
        try {
            keepJnaInsideTheFramework();
            Native.register(Rados.class, NativeLibrary.getInstance("librados.so.2"));
            Native.register(Rbd.class, NativeLibrary.getInstance("librbd.so.1"));
            return null;
        } catch (LinkageError | RuntimeException e) {
            // NoClassDefFoundError: no JNA bundle (the import is optional);
            // UnsatisfiedLinkError: no librados/librbd, or one lacking a function used here
            LOG.debug("librbd unavailable", e);
            return "librbd/librados not usable here (" + e.getMessage()
                    + "); install Ceph's client libraries (Debian: librbd1, librados2)";
        }
    }

    /** As the file store does: inside a framework, JNA finds libjnidispatch through its Bundle-NativeCode. */
    private static void keepJnaInsideTheFramework() {
        URL where = Native.class.getResource("Native.class");
        String protocol = where == null ? "" : where.getProtocol();
        if (protocol.equals("jar") || protocol.equals("file")) {
            return;
        }
        if (System.getProperty("jna.nosys") == null) {
            System.setProperty("jna.nosys", "false");
        }
        if (System.getProperty("jna.nounpack") == null) {
            System.setProperty("jna.nounpack", "true");
        }
    }

    /** The native address of {@code callback}'s trampoline (valid while {@code callback} is reachable). */
    static long functionPointer(CompletionCallback callback) {
        return Pointer.nativeValue(com.sun.jna.CallbackReference.getFunctionPointer(callback));
    }

    /** librados. */
    static final class Rados {
        private Rados() {
        }

        static native int rados_create2(Pointer cluster, String clusterName, String name, long flags);

        static native int rados_conf_read_file(long cluster, String path);

        static native int rados_conf_set(long cluster, String option, String value);

        static native int rados_connect(long cluster);

        static native void rados_shutdown(long cluster);

        static native int rados_ioctx_create(long cluster, String pool, Pointer ioctx);

        static native void rados_ioctx_destroy(long ioctx);

        /**
         * A monitor command ({@code cmd}: char *[cmdlen], JSON); the output into {@code *outbuf}
         * and the status into {@code *outs} (each freed with {@code rados_buffer_free}).
         */
        static native int rados_mon_command(long cluster, Pointer cmd, long cmdlen, Pointer inbuf, long inbuflen,
                                            Pointer outbuf, Pointer outbuflen, Pointer outs, Pointer outslen);

        /** This client's addresses as the cluster sees them (what a blocklist entry names); the string is librados'. */
        static native int rados_getaddrs(long cluster, Pointer addrs);

        /** Sets an extended attribute of an object (made if missing); the gateways' heartbeat object. */
        static native int rados_setxattr(long ioctx, String object, String name, byte[] value, long length);

        /** The attribute's length, or -ENOENT (no object) / -ENODATA (no attribute). */
        static native int rados_getxattr(long ioctx, String object, String name, byte[] value, long length);

        /** A completion calling {@code callback} ({@code rados_callback_t}) with {@code arg}, into {@code *out}. */
        static native int rados_aio_create_completion2(long arg, long callback, long completionOut);

        static native int rados_aio_get_return_value(long completion);

        static native void rados_aio_release(long completion);

        /**
         * Notifies the object's watchers with {@code length} bytes at {@code buffer} (copied
         * before the call returns); when every watcher acknowledged or {@code timeoutMs} passed
         * the completion runs, and {@code *replyOut} / {@code *replyLengthOut} hold the acks
         * (free with {@code rados_buffer_free}).
         */
        static native int rados_aio_notify(long ioctx, String object, long completion, long buffer, int length,
                                           long timeoutMs, long replyOut, long replyLengthOut);

        /** Acknowledges a notification with {@code length} reply bytes at {@code buffer} (copied). */
        static native int rados_notify_ack(long ioctx, String object, long notifyId, long cookie, long buffer,
                                           int length);

        static native void rados_buffer_free(long buffer);

        /** Waits until every watch callback of this client in progress has returned. */
        static native int rados_watch_flush(long cluster);
    }

    /** librbd. */
    static final class Rbd {
        private Rbd() {
        }

        static native int rbd_open(long ioctx, String name, Pointer image, String snapName);

        static native int rbd_close(long image);

        static native int rbd_stat(long image, Pointer info, long infoSize);

        /** {@code RBD_LOCK_MODE_EXCLUSIVE}: the lock is held until released, never handed over on request. */
        static final int LOCK_MODE_EXCLUSIVE = 0;

        static native int rbd_lock_acquire(long image, int mode);

        static native int rbd_lock_release(long image);

        /** {@code *isOwner} (an int) 1 if this client holds the exclusive lock. */
        static native int rbd_is_exclusive_lock_owner(long image, Pointer isOwner);

        /** The lock owners' addresses into {@code owners} (char *[*max]); -ENOENT: none. */
        static native int rbd_lock_get_owners(long image, Pointer mode, Pointer owners, Pointer max);

        static native void rbd_lock_get_owners_cleanup(Pointer owners, long count);

        /** Breaks {@code owner}'s lock, blocklisting it first ({@code rbd_blocklist_on_break_lock}, default on). */
        static native int rbd_lock_break(long image, int mode, String owner);

        static native int rbd_aio_create_completion(long arg, long callback, long completionOut);

        static native long rbd_aio_get_return_value(long completion);

        static native void rbd_aio_release(long completion);

        static native int rbd_aio_read(long image, long offset, long length, long buffer, long completion);

        static native int rbd_aio_write(long image, long offset, long length, long buffer, long completion);

        static native int rbd_aio_flush(long image, long completion);

        static native int rbd_aio_write_zeroes(long image, long offset, long length, long completion, int zeroFlags,
                                               int opFlags);

        static native long rbd_aio_compare_and_write(long image, long offset, long length, long compare, long data,
                                                     long completion, long mismatchOffsetOut, int opFlags);
    }
}
