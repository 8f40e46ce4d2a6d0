package org.jtgt.backing.rbd;

import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import com.sun.jna.Callback;
import com.sun.jna.CallbackThreadInitializer;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

import org.jtgt.api.store.NotAccessibleException;
import org.jtgt.api.store.SharedReservations;
import org.jtgt.backing.rbd.RbdNative.Rados;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The persistent reservations of one RBD image, shared by every gateway that exports it: the
 * RADOS object {@code jtgt.pr.IMAGE-ID} in the image's pool, its bytes the daemon's record and
 * its version the object's (user) version.
 *
 * <p>{@link #compareAndSet} is one write operation asserting the version read
 * ({@code rados_write_op_assert_version}; an exclusive create while the object does not exist)
 * and replacing the whole object; another writer's change in between fails it with ERANGE,
 * EOVERFLOW, EEXIST or ENOENT, and the caller reads again. After a write the new version and bytes
 * go to every watcher with {@code rados_notify2}, which returns once each has acknowledged (the
 * watcher hands the record to its listener, then acknowledges) or after
 * {@value #NOTIFY_TIMEOUT_MS} ms. Each gateway watches the object ({@code rados_watch2}); once a
 * second {@code rados_watch_check} tells how long ago the OSD last confirmed the watch: an error
 * (the watch is lost: blocklisted, reconnected, object gone) or more than {@value #STALE_MS} ms
 * makes {@link #current()} false until the watch is set up again and the listener was told to
 * load ({@code null}). {@value #STALE_MS} is below the notify timeout, so a gateway that did not
 * acknowledge a notify has stopped trusting its record before the writer answers.
 *
 * <p>Operations on this record use an I/O context of their own, one at a time (the version of a
 * synchronous operation is read with {@code rados_get_last_version}, which is per context).
 */
final class RbdSharedReservations implements SharedReservations {
    private static final Logger LOG = LoggerFactory.getLogger(RbdSharedReservations.class);

    static final String PREFIX = "jtgt.pr.";
    static final long NOTIFY_TIMEOUT_MS = 10_000;
    /**
     * librados confirms a watch every {@code objecter_tick_interval} (5 s by default); above that,
     * and with the check's own second below the notify timeout.
     */
    static final long STALE_MS = 8_000;
    private static final long CHECK_MS = 1_000;
    /** Larger than any record: 128 registrations of the longest names. */
    private static final int MAX_BYTES = 256 * 1024;
    private static final int EEXIST = 17;
    private static final int ENOTCONN = 107;
    private static final int EOVERFLOW = 75;

    /** {@code rados_watchcb2_t}. */
    interface WatchCallback extends Callback {
        void invoke(Pointer arg, long notifyId, long cookie, long notifierId, Pointer data, long length);
    }

    /** {@code rados_watcherrcb_t}. */
    interface WatchErrorCallback extends Callback {
        void invoke(Pointer arg, long cookie, int err);
    }

    /** The librados calls on objects, bound once. */
    static final class Calls {
        private Calls() {
        }

        static {
            Native.register(Calls.class, NativeLibrary.getInstance("librados.so.2"));
        }

        static native int rados_read(long ioctx, String oid, Pointer buf, long length, long offset);

        static native long rados_get_last_version(long ioctx);

        static native long rados_create_write_op();

        static native void rados_release_write_op(long op);

        static native void rados_write_op_assert_version(long op, long version);

        static native void rados_write_op_create(long op, int exclusive, String category);

        static native void rados_write_op_write_full(long op, Pointer buf, long length);

        static native int rados_write_op_operate(long op, long ioctx, String oid, Pointer mtime, int flags);

        static native int rados_watch2(long ioctx, String oid, Pointer cookie, WatchCallback cb, WatchErrorCallback err,
                                       Pointer arg);

        static native int rados_unwatch2(long ioctx, long cookie);

        static native int rados_watch_check(long ioctx, long cookie);

        static native int rados_notify2(long ioctx, String oid, Pointer buf, int length, long timeoutMs,
                                        Pointer replyBuffer, Pointer replyLength);

        static native int rados_notify_ack(long ioctx, String oid, long notifyId, long cookie, Pointer buf, int length);

        static native void rados_buffer_free(Pointer buf);
    }

    /** The librbd call naming an image's id, bound once. */
    static final class ImageCalls {
        private ImageCalls() {
        }

        static {
            Native.register(ImageCalls.class, NativeLibrary.getInstance("librbd.so.1"));
        }

        static native int rbd_get_id(long image, Pointer id, long length);
    }

    /** The image's id ({@code rbd_get_id}): stays the same when the image is renamed. */
    static String imageId(long image, String what) throws IOException {
        try (Memory id = new Memory(128)) {
            int r = ImageCalls.rbd_get_id(image, id, 128);
            if (r < 0) {
                throw new IOException(what + ": rbd_get_id: " + RbdErrors.describe(r));
            }
            return id.getString(0);
        }
    }

    private final String what;
    private final String oid;
    private final long ioctx;
    private final Memory buffer = new Memory(MAX_BYTES + 8L);
    private final WatchCallback watchCallback = this::notified;
    private final WatchErrorCallback errorCallback = this::watchError;
    private final ScheduledExecutorService checker;
    private volatile Consumer<Versioned> listener;
    private volatile long cookie;
    private volatile boolean current;
    private volatile boolean closed;
    /** Setting the watch up failed with ESHUTDOWN: this client is blocklisted and {@link #check} stops trying. */
    private volatile boolean blocklisted;
    /** Tests: how many times the watch was set up or tried. */
    private final AtomicInteger watchTries = new AtomicInteger();

    private RbdSharedReservations(String what, String oid, long ioctx) {
        this.what = what;
        this.oid = oid;
        this.ioctx = ioctx;
        CallbackThreadInitializer init = new CallbackThreadInitializer(true, false, "jtgt-rbd-pr-watch");
        Native.setCallbackThreadInitializer(watchCallback, init);
        Native.setCallbackThreadInitializer(errorCallback, init);
        this.checker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "jtgt-rbd-pr-check " + oid);
            t.setDaemon(true);
            return t;
        });
    }

    /** The record of the image whose id is {@code imageId}, in {@code pool}, through {@code cluster}. */
    static RbdSharedReservations open(long cluster, String pool, String imageId, String image) throws IOException {
        try (Memory out = new Memory(8)) {
            int r = Rados.rados_ioctx_create(cluster, pool, out);
            if (r < 0) {
                throw new IOException("rbd " + pool + "/" + image + ": pool " + pool + ": " + RbdErrors.describe(r));
            }
            return new RbdSharedReservations("rbd " + pool + "/" + image + " (" + PREFIX + imageId + ")",
                    PREFIX + imageId, out.getLong(0));
        }
    }

    @Override
    public String describe() {
        return what;
    }

    @Override
    public long notifyTimeoutMillis() {
        return NOTIFY_TIMEOUT_MS;
    }

    @Override
    public boolean current() {
        return current;
    }

    /** Whether setting the watch up found this client blocklisted (then it is not tried again). */
    boolean blocklisted() {
        return blocklisted;
    }

    /** Tests: how many times the watch was set up or tried so far. */
    int watchTries() {
        return watchTries.get();
    }

    @Override
    public synchronized Versioned load() throws IOException {
        int r = Calls.rados_read(ioctx, oid, buffer, MAX_BYTES + 1L, 0);
        if (r == -RbdNative.ENOENT) {
            return new Versioned(0, new byte[0]);
        }
        if (r < 0) {
            throw failure("read", r);
        }
        if (r > MAX_BYTES) {
            throw new IOException(what + ": the record is over " + MAX_BYTES + " bytes");
        }
        long version = Calls.rados_get_last_version(ioctx);
        return new Versioned(version, buffer.getByteArray(0, r));
    }

    @Override
    public synchronized Versioned compareAndSet(long expectedVersion, byte[] data) throws IOException {
        if (data.length > MAX_BYTES) {
            throw new IOException(what + ": a record of " + data.length + " bytes is over " + MAX_BYTES);
        }
        if (closed) {
            throw new IOException(what + ": closed");
        }
        buffer.write(0, data, 0, data.length);
        long op = Calls.rados_create_write_op();
        int r;
        try {
            if (expectedVersion == 0) {
                Calls.rados_write_op_create(op, 1, null);   // LIBRADOS_CREATE_EXCLUSIVE
            } else {
                Calls.rados_write_op_assert_version(op, expectedVersion);
            }
            Calls.rados_write_op_write_full(op, buffer, data.length);
            r = Calls.rados_write_op_operate(op, ioctx, oid, null, 0);
        } finally {
            Calls.rados_release_write_op(op);
        }
        if (r == -RbdNative.ERANGE || r == -EOVERFLOW || r == -EEXIST || r == -RbdNative.ENOENT) {
            return null;   // another client wrote in between
        }
        if (r < 0) {
            throw failure("write", r);
        }
        Versioned written = new Versioned(Calls.rados_get_last_version(ioctx), data);
        notifyAll(written);
        return written;
    }

    /** Lock held. Sends the record to every watcher and waits for their acknowledgements, or the timeout. */
    private void notifyAll(Versioned v) {
        buffer.setLong(0, v.version());
        buffer.write(8, v.data(), 0, v.data().length);
        try (Memory reply = new Memory(8); Memory replyLength = new Memory(8)) {
            reply.setLong(0, 0);
            int r = Calls.rados_notify2(ioctx, oid, buffer, 8 + v.data().length, NOTIFY_TIMEOUT_MS, reply, replyLength);
            Pointer p = reply.getPointer(0);
            if (p != null) {
                Calls.rados_buffer_free(p);
            }
            if (r < 0) {
                // written, but some watcher did not acknowledge in time: it marks itself out of date first
                LOG.warn("{}: version {} written; notify: {} (a gateway that did not acknowledge stops trusting its copy)",
                        what, v.version(), RbdErrors.describe(r));
            }
        }
    }

    private static IOException failure(String what, String op, int r) {
        String m = what + ": " + op + ": " + RbdErrors.describe(r);
        if (r == -RbdNative.ESHUTDOWN) {
            return new NotAccessibleException(m + " (this gateway is blocklisted)", true);
        }
        if (r == -RbdNative.ETIMEDOUT || r == -ENOTCONN) {
            return new NotAccessibleException(m, false);
        }
        return new IOException(m);
    }

    private IOException failure(String op, int r) {
        return failure(what, op, r);
    }

    /**
     * Asks the watchers with an empty notification (which they only acknowledge) and counts the
     * answers, and the watchers that did not answer in time (a gateway gone but not yet expired):
     * librados 16.2 has no call that lists watchers.
     */
    @Override
    public boolean othersListening() throws IOException {
        try (Memory reply = new Memory(8); Memory replyLength = new Memory(8)) {
            reply.setLong(0, 0);
            replyLength.setLong(0, 0);
            int r;
            synchronized (this) {
                r = Calls.rados_notify2(ioctx, oid, null, 0, 3_000, reply, replyLength);
            }
            Pointer p = reply.getPointer(0);
            try {
                if (r == -RbdNative.ENOENT) {
                    return false;
                }
                if (r < 0 && r != -RbdNative.ETIMEDOUT) {
                    throw failure("notify", r);
                }
                if (p == null) {
                    return false;
                }
                long counts = NotifyReply.scan(Pointer.nativeValue(p), replyLength.getLong(0), null);
                return NotifyReply.acks(counts) + NotifyReply.timeouts(counts) > (cookie != 0 ? 1 : 0);
            } finally {
                if (p != null) {
                    Calls.rados_buffer_free(p);
                }
            }
        }
    }

    @Override
    public void listen(Consumer<Versioned> l) {
        this.listener = l;
        try {
            watch();
        } catch (IOException e) {
            LOG.warn("{}: cannot watch: {}; trying again every second", what, e.getMessage());
        }
        checker.scheduleWithFixedDelay(this::check, CHECK_MS, CHECK_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * {@code rados_watch2} on {@code oid}, first creating the object if it does not exist (a
     * create that leaves an existing object alone, so two gateways may race to it); returns the
     * watch's result or the create's error, the watch's cookie in {@code out}. The PR record's
     * watcher and the gateway object's ({@link RbdForwarding}) both set up their watch so.
     */
    static int watchCreating(long ioctx, String oid, Memory out, WatchCallback callback, WatchErrorCallback error) {
        int r = Calls.rados_watch2(ioctx, oid, out, callback, error, null);
        if (r != -RbdNative.ENOENT) {
            return r;
        }
        long op = Calls.rados_create_write_op();
        try {
            Calls.rados_write_op_create(op, 0, null);
            r = Calls.rados_write_op_operate(op, ioctx, oid, null, 0);
        } finally {
            Calls.rados_release_write_op(op);
        }
        return r < 0 ? r : Calls.rados_watch2(ioctx, oid, out, callback, error, null);
    }

    /** Sets up the watch, creating the object if it does not exist yet. */
    private void watch() throws IOException {
        watchTries.incrementAndGet();
        try (Memory out = new Memory(8)) {
            int r = watchCreating(ioctx, oid, out, watchCallback, errorCallback);
            if (r == -RbdNative.ESHUTDOWN && !blocklisted) {
                blocklisted = true;
                LOG.warn("{}: this client is blocklisted: the watch is not set up again", what);
            }
            if (r < 0) {
                throw failure("watch", r);
            }
            cookie = out.getLong(0);
        }
        current = true;
    }

    /** Once a second: is the watch confirmed recently? Sets it up again when lost. */
    private void check() {
        if (closed || blocklisted) {
            return;
        }
        long c = cookie;
        int r = c == 0 ? -ENOTCONN : Calls.rados_watch_check(ioctx, c);
        if (r >= 0 && r <= STALE_MS) {
            if (!current) {
                LOG.info("{}: watch confirmed again", what);
            }
            current = true;
            return;
        }
        if (current) {
            LOG.warn("{}: watch {}; persistent reservation changes by other gateways may be missed until it is back",
                    what, r < 0 ? "lost: " + RbdErrors.describe(r) : "not confirmed for " + r + " ms");
        }
        current = false;
        if (r >= 0) {
            return;   // librados is still trying; keep waiting
        }
        if (c != 0) {
            Calls.rados_unwatch2(ioctx, c);
            cookie = 0;
        }
        try {
            watch();
            Consumer<Versioned> l = listener;
            if (l != null) {
                l.accept(null);   // load: records written while the watch was lost were missed
            }
        } catch (IOException | RuntimeException e) {
            current = false;
            LOG.debug("{}: watch again: {}", what, e.toString());
        }
    }

    /** librados' watch thread: hand the record over, then acknowledge. */
    private void notified(Pointer arg, long notifyId, long c, long notifierId, Pointer data, long length) {
        try {
            Consumer<Versioned> l = listener;
            if (l != null) {
                if (data != null && length >= 8) {
                    long version = data.getLong(0);
                    l.accept(new Versioned(version, data.getByteArray(8, (int) (length - 8))));
                }   // an empty notification only counts the watchers
            }
        } catch (RuntimeException e) {
            LOG.warn("{}: listener failed: {}", what, e.toString());
            current = false;
        } finally {
            Calls.rados_notify_ack(ioctx, oid, notifyId, c, null, 0);
        }
    }

    private void watchError(Pointer arg, long c, int err) {
        current = false;
        LOG.warn("{}: watch error {}", what, RbdErrors.describe(err));
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        checker.shutdownNow();
        try {
            checker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long c = cookie;
        if (c != 0) {
            Calls.rados_unwatch2(ioctx, c);
        }
        Rados.rados_ioctx_destroy(ioctx);
    }
}
