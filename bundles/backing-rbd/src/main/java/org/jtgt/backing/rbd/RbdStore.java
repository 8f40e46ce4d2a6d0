package org.jtgt.backing.rbd;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.jna.CallbackThreadInitializer;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

import org.jtgt.api.store.AsyncBackingStore;
import org.jtgt.api.store.IoCompletion;
import org.jtgt.api.store.MiscompareException;
import org.jtgt.api.store.NotAccessibleException;
import org.jtgt.api.store.SharedReservations;
import org.jtgt.api.store.SharedUnitResets;
import org.jtgt.api.target.AccessState;
import org.jtgt.api.target.GatewayOwnership;
import org.jtgt.backing.rbd.RbdNative.Rados;
import org.jtgt.backing.rbd.RbdNative.Rbd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One RBD image as a backing store, through librbd's asynchronous calls ({@code rbd_aio_*}).
 *
 * <p>Each store has its own cluster handle ({@code rados_t}, connected with bounded timeouts and
 * {@code rbd_cache=false}), I/O context and open image. Submissions take one of
 * {@value #DEFAULT_SLOTS} preallocated operation slots (a bounded number in flight; a submitter
 * waits for a free slot), create a completion with the store's one callback and the slot's index
 * as its argument, and return; librbd calls the callback on its own thread, which releases the
 * completion, frees the slot and completes the caller's {@link IoCompletion}. Nothing is
 * allocated per operation on direct buffers (the daemon's data area): a buffer's native address
 * is found once per buffer object and cached; heap buffers go through a native bounce buffer.
 *
 * <p>Writes: with the cache off, librbd acknowledges a write once the OSDs have it on stable
 * storage, so FUA needs nothing more and a flush ({@code rbd_aio_flush}) costs little.
 * Deallocation is {@code rbd_aio_write_zeroes} (objects wholly inside are discarded, the rest
 * zeroed, so the range reads zeros as the contract asks; plain discard may skip partial
 * objects). COMPARE AND WRITE is {@code rbd_aio_compare_and_write}, atomic in the OSD against
 * every client of the image; Ceph 16.2 takes it only within one 512-byte sector
 * ({@link #compareAndWriteLimit()}).
 */
final class RbdStore implements AsyncBackingStore, GatewayOwnership {
    private static final Logger LOG = LoggerFactory.getLogger(RbdStore.class);

    static final int DEFAULT_SLOTS = 128;
    /** Ceph 16.2 compares and writes atomically only within one 512-byte sector. */
    static final int COMPARE_AND_WRITE_LIMIT = 512;
    private static final int KIND_READ = 1;
    private static final int KIND_WRITE = 2;
    private static final int KIND_FLUSH = 3;
    private static final int KIND_ZEROES = 4;
    private static final int KIND_COMPARE_AND_WRITE = 5;
    /** Bytes of native memory per slot: the completion handle, the mismatch offset. */
    private static final int SLOT_BYTES = 16;
    private static final int ADDRESS_CACHE = 256;
    private static final long CLOSE_WAIT_MS = 30_000;
    private static final AtomicInteger WORKER_NUMBER = new AtomicInteger();
    /** Threads for {@link #submitWork} (VERIFY, WRITE SAME, ... as the daemon's synchronous calls). */
    private static final int WORK_THREADS = 4;

    private final String pool;
    private final String image;
    private final long cluster;
    private final long ioctx;
    private final long handle;
    private final long size;
    private final long objectSize;
    private final Memory slotMemory;
    private final Op[] ops;
    private final ArrayBlockingQueue<Op> free;
    /** Referenced for as long as the image is open: librbd calls it until rbd_close returns. */
    private final RbdNative.CompletionCallback callback = this::completed;
    private final long callbackPointer;
    /** Buffer objects' native base addresses ({@link #address}). */
    private final BufferAddress[] addresses = new BufferAddress[ADDRESS_CACHE];
    private final ExecutorService workers;
    private volatile boolean closed;
    /** This gateway's part in a gateway cluster ({@code gateway=N}), or null. */
    private volatile RbdGateway gateway;

    private RbdStore(String pool, String image, long cluster, long ioctx, long handle, long size, long objectSize,
                     int slots) {
        this.pool = pool;
        this.image = image;
        this.cluster = cluster;
        this.ioctx = ioctx;
        this.handle = handle;
        this.size = size;
        this.objectSize = objectSize;
        this.slotMemory = new Memory((long) slots * SLOT_BYTES);
        this.ops = new Op[slots];
        this.free = new ArrayBlockingQueue<>(slots);
        long base = Pointer.nativeValue(slotMemory);
        for (int i = 0; i < slots; i++) {
            ops[i] = new Op(i, base + (long) i * SLOT_BYTES);
            free.add(ops[i]);
        }
        Native.setCallbackThreadInitializer(callback,
                new CallbackThreadInitializer(true, false, "jtgt-rbd-" + pool + "/" + image));
        this.callbackPointer = RbdNative.functionPointer(callback);
        // up to WORK_THREADS threads, started on demand and ended after 30 s idle (with an
        // unbounded queue only the core threads ever run, so they are the ones that time out)
        ThreadPoolExecutor work = new ThreadPoolExecutor(WORK_THREADS, WORK_THREADS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "jtgt-rbd-work-" + WORKER_NUMBER.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        work.allowCoreThreadTimeOut(true);
        this.workers = work;
    }

    /**
     * Connects to the cluster, opens {@code pool/image}; every failure is an {@link IOException}
     * whose message names the image and the reason (librados' error, a missing pool or image).
     */
    static RbdStore open(RbdConnection how, String pool, String image) throws IOException {
        return open(how, pool, image, null);
    }

    /** As {@link #open(RbdConnection, String, String)}, as gateway {@code cluster.gateway()} of a gateway cluster unless null. */
    static RbdStore open(RbdConnection how, String pool, String image, RbdGateway.Config gatewayConfig) throws IOException {
        if (!RbdNative.available()) {
            throw new IOException("rbd " + pool + "/" + image + ": " + RbdNative.unavailableReason());
        }
        long cluster = how.connect();
        long ioctx = 0;
        long handle = 0;
        try (Memory out = new Memory(8); Memory info = new Memory(256)) {
            int r = Rados.rados_ioctx_create(cluster, pool, out);
            if (r < 0) {
                throw new IOException("rbd " + pool + "/" + image + ": pool " + pool + ": " + RbdErrors.describe(r)
                        + (r == -RbdNative.ENOENT ? " (no such pool)" : ""));
            }
            ioctx = out.getLong(0);
            r = Rbd.rbd_open(ioctx, image, out, null);
            if (r < 0) {
                throw new IOException("rbd " + pool + "/" + image + ": " + RbdErrors.describe(r)
                        + (r == -RbdNative.ENOENT ? " (no such image in pool " + pool + ")" : ""));
            }
            handle = out.getLong(0);
            r = Rbd.rbd_stat(handle, info, 256);
            if (r < 0) {
                throw new IOException("rbd " + pool + "/" + image + ": stat: " + RbdErrors.describe(r));
            }
            long bytes = info.getLong(0);       // rbd_image_info_t.size
            long objectBytes = info.getLong(8); // .obj_size
            RbdStore s = new RbdStore(pool, image, cluster, ioctx, handle, bytes, objectBytes, how.slots());
            handle = 0;
            ioctx = 0;
            cluster = 0;
            if (gatewayConfig != null) {
                RbdGateway g = new RbdGateway(s, image, gatewayConfig);
                s.gateway = g;
                g.start();
            }
            return s;
        } finally {
            if (handle != 0) {
                Rbd.rbd_close(handle);
            }
            if (ioctx != 0) {
                Rados.rados_ioctx_destroy(ioctx);
            }
            if (cluster != 0) {
                Rados.rados_shutdown(cluster);
            }
        }
    }

    @Override
    public long size() {
        return size;
    }

    long objectSize() {
        return objectSize;
    }

    /** The cluster handle ({@code rados_t}), for tests that act as another client of it. */
    long clusterHandle() {
        return cluster;
    }

    /** This store's client address as the cluster sees it ({@code rados_getaddrs}), e.g. for a blocklist entry. */
    String clientAddress() throws IOException {
        try (Memory out = new Memory(8)) {
            int r = Rados.rados_getaddrs(cluster, out);
            if (r < 0) {
                throw new IOException(describe() + ": rados_getaddrs: " + RbdErrors.describe(r));
            }
            return out.getPointer(0).getString(0);
        }
    }

    /** The image's persistent reservations as every gateway exporting it shares them ({@link RbdSharedReservations}). */
    @Override
    public SharedReservations sharedReservations() throws IOException {
        if (closed) {
            throw closedException();
        }
        return RbdSharedReservations.open(cluster, pool, RbdSharedReservations.imageId(handle, describe()), image);
    }

    /** A gateway's resets reach the other gateways of its cluster ({@link RbdForwarding}); none without {@code gateway=N}. */
    @Override
    public SharedUnitResets sharedResets() {
        RbdGateway g = gateway;
        return g == null ? null : g.forwarding();
    }

    @Override
    public String describe() {
        return "rbd " + pool + "/" + image;
    }

    long imageHandle() {
        return handle;
    }

    long ioctxHandle() {
        return ioctx;
    }

    /** This store's part in a gateway cluster, or null. */
    RbdGateway gatewayPart() {
        return gateway;
    }

    // ---------------------------------------------------------------- gateway cluster

    @Override
    public int gateway() {
        RbdGateway g = gateway;
        return g == null ? 0 : g.config().gateway();
    }

    @Override
    public int owner() {
        RbdGateway g = gateway;
        return g == null ? 0 : g.owner();
    }

    @Override
    public boolean fenced() {
        RbdGateway g = gateway;
        return g != null && g.fenced();
    }

    @Override
    public AccessState followerState() {
        RbdGateway g = gateway;
        return g == null ? AccessState.ACTIVE_OPTIMIZED : g.config().follower();
    }

    @Override
    public int implicitTransitionSeconds() {
        RbdGateway g = gateway;
        return g == null ? 0 : g.config().transitionSeconds();
    }

    @Override
    public void requestOwnership(int to) {
        RbdGateway g = gateway;
        if (g != null && !closed) {
            workers.execute(() -> g.requestOwnership(to));
        }
    }

    @Override
    public void ownershipListener(Runnable listener) {
        RbdGateway g = gateway;
        if (g != null) {
            g.listener(listener);
        }
    }

    @Override
    public boolean blocks() {
        return true;   // the synchronous methods wait for the cluster
    }

    @Override
    public boolean freesSpace() {
        return true;   // write_zeroes discards whole objects
    }

    @Override
    public boolean sharesSpace() {
        return true;
    }

    // ---------------------------------------------------------------- asynchronous

    @Override
    public void submitRead(long offset, ByteBuffer dst, IoCompletion done) {
        submit(KIND_READ, offset, dst, null, done);
    }

    @Override
    public void submitWrite(long offset, ByteBuffer src, boolean fua, IoCompletion done) {
        submit(KIND_WRITE, offset, src, null, done);   // no cache: acknowledged writes are stable
    }

    @Override
    public void submitFlush(IoCompletion done) {
        submit(KIND_FLUSH, 0, null, null, done);
    }

    @Override
    public void submitDeallocate(long offset, long length, IoCompletion done) {
        if (answeredBeforeSubmit(KIND_ZEROES, offset, length, null, null, done)) {
            return;
        }
        Op op = acquire(done);
        if (op == null) {
            return;
        }
        op.begin(KIND_ZEROES, offset, length, done);
        long c = op.createCompletion();
        if (c != 0) {
            op.submitted(c, Rbd.rbd_aio_write_zeroes(handle, offset, length, c, 0, 0));
        }
    }

    @Override
    public boolean comparesAndWrites() {
        return true;
    }

    /** {@value #COMPARE_AND_WRITE_LIMIT}: Ceph 16.2's rbd compares and writes within one sector only. */
    @Override
    public int compareAndWriteLimit() {
        return COMPARE_AND_WRITE_LIMIT;
    }

    @Override
    public void submitCompareAndWrite(long offset, ByteBuffer expected, ByteBuffer data, boolean fua,
                                      IoCompletion done) {
        int length = data.remaining();
        if (expected.remaining() != length || offset % COMPARE_AND_WRITE_LIMIT + length > COMPARE_AND_WRITE_LIMIT) {
            done.ioDone(new IOException(describe() + ": compare-and-write of " + length + " bytes at " + offset
                    + " is not within one 512-byte sector (Ceph 16.2's limit)"));
            return;
        }
        submit(KIND_COMPARE_AND_WRITE, offset, data, expected, done);
    }

    @Override
    public void submitWork(StoreWork work, IoCompletion done) {
        if (closed) {
            done.ioDone(closedException());
            return;
        }
        try {
            workers.execute(() -> {
                IOException failure = null;
                try {
                    work.run();
                } catch (IOException e) {
                    failure = e;
                } catch (RuntimeException e) {
                    failure = new IOException(describe() + ": " + e, e);
                }
                done.ioDone(failure);
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            done.ioDone(closedException());
        }
    }

    /**
     * A gateway that does not own the image never writes it through librbd, so that librbd never
     * asks the owner for the lock (no ping-pong) nor takes a lock just released: an
     * active/non-optimized follower forwards the write to the owner ({@link RbdForwarding}), a
     * standby one refuses it (NOT READY, standby). True if the write is answered or on its way.
     */
    private boolean writesElsewhere(int kind, long offset, long length, ByteBuffer data, ByteBuffer compare,
                                    IoCompletion done) {
        RbdGateway g = gateway;
        if (g == null || g.owns()) {
            return false;
        }
        if (g.config().follower() == AccessState.ACTIVE_NON_OPTIMIZED && !g.fenced()) {
            int op = kind == KIND_WRITE ? RbdForwarding.OP_WRITE : kind == KIND_COMPARE_AND_WRITE
                    ? RbdForwarding.OP_COMPARE_AND_WRITE : kind == KIND_ZEROES ? RbdForwarding.OP_ZEROES
                    : RbdForwarding.OP_FLUSH;
            g.forwarding().forward(op, offset, length, data, compare, done);
            return true;
        }
        if (kind == KIND_FLUSH) {
            return false;   // as before: a standby gateway's flush has nothing of its own to flush
        }
        done.ioDone(new NotAccessibleException(describe() + ": gateway " + g.config().gateway()
                + " does not own the image" + (g.owner() > 0 ? " (gateway " + g.owner() + " does)" : ""), g.fenced()));
        return true;
    }

    /**
     * What is answered without librbd here: a range outside the image (its error), nothing to do
     * (success), a write this store does not make itself ({@link #writesElsewhere}). True if
     * answered or forwarded.
     */
    private boolean answeredBeforeSubmit(int kind, long offset, long length, ByteBuffer data, ByteBuffer compare,
                                         IoCompletion done) {
        if (kind != KIND_FLUSH) {
            IOException bad = checkRange(offset, length);
            if (bad != null) {
                done.ioDone(bad);
                return true;
            }
            if (length == 0) {
                done.ioDone(null);
                return true;
            }
        }
        return kind != KIND_READ && writesElsewhere(kind, offset, length, data, compare, done);
    }

    private void submit(int kind, long offset, ByteBuffer buffer, ByteBuffer compare, IoCompletion done) {
        int length = buffer == null ? 0 : buffer.remaining();
        if (answeredBeforeSubmit(kind, offset, length, buffer, compare, done)) {
            return;
        }
        Op op = acquire(done);
        if (op == null) {
            return;
        }
        op.begin(kind, offset, length, done);
        long address = 0;
        long compareAddress = 0;
        if (buffer != null) {
            address = op.bind(buffer, kind != KIND_READ, 0);
            if (compare != null) {
                compareAddress = op.bind(compare, true, length);
            }
        }
        long c = op.createCompletion();
        if (c == 0) {
            return;
        }
        long r;
        switch (kind) {
            case KIND_READ:
                r = Rbd.rbd_aio_read(handle, offset, length, address, c);
                break;
            case KIND_WRITE:
                r = Rbd.rbd_aio_write(handle, offset, length, address, c);
                break;
            case KIND_FLUSH:
                r = Rbd.rbd_aio_flush(handle, c);
                break;
            default:
                op.mismatch(-1);
                r = Rbd.rbd_aio_compare_and_write(handle, offset, length, compareAddress, address, c,
                        op.mismatchAddress, 0);
                break;
        }
        op.submitted(c, r);
    }

    /** librbd's completion callback, on one of its threads. */
    private void completed(long completion, long arg) {
        Op op = ops[(int) arg];
        long r;
        try {
            r = Rbd.rbd_aio_get_return_value(completion);
        } finally {
            Rbd.rbd_aio_release(completion);
        }
        op.end(r);
    }

    private Op acquire(IoCompletion done) {
        if (closed) {
            done.ioDone(closedException());
            return null;
        }
        Op op = free.poll();
        if (op == null) {
            try {
                // every slot in flight: wait for one (bounded by the cluster's op timeout)
                while ((op = free.poll(100, TimeUnit.MILLISECONDS)) == null) {
                    if (closed) {
                        done.ioDone(closedException());
                        return null;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                done.ioDone(new java.io.InterruptedIOException(describe() + ": interrupted waiting for a free I/O slot"));
                return null;
            }
        }
        return op;
    }

    private IOException checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset > size - length) {
            return new IOException(describe() + ": " + length + " bytes at " + offset + " lie outside its " + size
                    + " bytes");
        }
        return null;
    }

    private IOException closedException() {
        return new IOException(describe() + " is closed");
    }

    /** The native address of {@code b}'s first byte (its index 0): cached per buffer object. */
    private long baseAddress(ByteBuffer b) {
        int i = System.identityHashCode(b) & (ADDRESS_CACHE - 1);
        BufferAddress a = addresses[i];
        if (a != null && a.get() == b) {
            return a.base;
        }
        long base = Pointer.nativeValue(Native.getDirectBufferPointer(b));
        addresses[i] = new BufferAddress(b, base);
        return base;
    }

    private static final class BufferAddress extends WeakReference<ByteBuffer> {
        final long base;

        BufferAddress(ByteBuffer b, long base) {
            super(b);
            this.base = base;
        }
    }

    // ---------------------------------------------------------------- synchronous

    /** Reads as the other stores (and a channel) do: {@code dst}'s position is at its limit afterwards. */
    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        Waiter w = new Waiter();
        submitRead(offset, dst, w);
        w.awaitResult();
        dst.position(dst.limit());
    }

    /** Writes as the other stores (and a channel) do: {@code src}'s position is at its limit afterwards. */
    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        Waiter w = new Waiter();
        submitWrite(offset, src, fua, w);
        w.awaitResult();
        src.position(src.limit());
    }

    @Override
    public void flush() throws IOException {
        Waiter w = new Waiter();
        submitFlush(w);
        w.awaitResult();
    }

    @Override
    public void deallocate(long offset, long length) throws IOException {
        Waiter w = new Waiter();
        submitDeallocate(offset, length, w);
        w.awaitResult();
    }

    /** A synchronous call's completion. */
    private final class Waiter extends CountDownLatch implements IoCompletion {
        private volatile IOException failure;

        Waiter() {
            super(1);
        }

        @Override
        public void ioDone(IOException f) {
            failure = f;
            countDown();
        }

        void awaitResult() throws IOException {
            boolean interrupted = false;
            for (;;) {
                try {
                    super.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;   // the operation is in flight and owns the buffer: wait for it
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    /**
     * The first differing byte's offset from the start of a compared range of {@code length}
     * bytes at {@code offset}, from librbd's mismatch offset {@code m}. librbd 16.2 reports the
     * object's start in the image plus the offset within the compared bytes (it maps the OSD's
     * buffer offset as if it were an offset in the object); a librbd that reports the image offset
     * of the byte is understood too.
     */
    long mismatchWithin(long m, long offset, long length) {
        if (m - offset >= 0 && m - offset < length) {
            return m - offset;
        }
        long objectStart = objectSize > 0 ? offset - offset % objectSize : 0;
        if (m - objectStart >= 0 && m - objectStart < length) {
            return m - objectStart;
        }
        LOG.debug("{}: compare-and-write mismatch offset {} not within {} bytes at {}", describe(), m, length, offset);
        return 0;
    }

    // ---------------------------------------------------------------- close

    /**
     * Refuses new I/O, waits for what is in flight (up to 30 s; librbd's close waits for the
     * rest), then closes the image, the I/O context and the cluster handle.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        RbdGateway g = gateway;
        if (g != null) {
            g.listener(null);
            g.forwarding().close();   // no forwarded operation starts or stays in flight past here
        }
        workers.shutdown();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MS);
        while (free.size() < ops.length && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (free.size() < ops.length) {
            LOG.warn("{}: {} operations still in flight at close; librbd's close waits for them", describe(),
                    ops.length - free.size());
        }
        if (g != null) {
            g.stop();   // after the I/O: an owner releases the lock only once its writes are done
        }
        int r = Rbd.rbd_close(handle);
        if (r < 0) {
            LOG.warn("{}: rbd_close: {}", describe(), RbdErrors.describe(r));
        }
        Rados.rados_ioctx_destroy(ioctx);
        Rados.rados_shutdown(cluster);
        LOG.debug("{} closed", describe());
    }

    boolean isClosed() {
        return closed;
    }

    /** Operations in flight now. */
    int inFlight() {
        return ops.length - free.size();
    }

    // ---------------------------------------------------------------- one operation slot

    /** One operation in flight: reused, found by its index in the completion's argument. */
    private final class Op {
        final int index;
        /** Where rbd_aio_create_completion writes the completion handle. */
        final long completionAddress;
        /** Where rbd_aio_compare_and_write writes the mismatch offset. */
        final long mismatchAddress;
        int kind;
        long offset;
        long length;
        IoCompletion done;
        /** For a heap buffer: the native copy and, for a read, where to copy back. */
        Memory bounce;
        ByteBuffer readBack;

        Op(int index, long address) {
            this.index = index;
            this.completionAddress = address;
            this.mismatchAddress = address + 8;
        }

        void begin(int k, long off, long len, IoCompletion d) {
            kind = k;
            offset = off;
            length = len;
            done = d;
            readBack = null;
        }

        /**
         * The native address of {@code b}'s bytes from its position; a heap buffer is copied into
         * (or, for a read, later out of) the slot's bounce memory at {@code at}.
         */
        long bind(ByteBuffer b, boolean copyIn, int at) {
            if (b.isDirect()) {
                return baseAddress(b) + b.position();
            }
            int need = kind == KIND_COMPARE_AND_WRITE ? 2 * (int) length : at + b.remaining();
            if (bounce == null || bounce.size() < need) {
                bounce = new Memory(Math.max(need, 4096));
            }
            if (copyIn) {
                bounce.write(at, b.array(), b.arrayOffset() + b.position(), b.remaining());
            } else {
                readBack = b;
            }
            return Pointer.nativeValue(bounce) + at;
        }

        void mismatch(long v) {
            slotMemory.setLong((long) index * SLOT_BYTES + 8, v);
        }

        /** A completion with the store's callback; 0 (and the operation ended) if librbd refused. */
        long createCompletion() {
            int r = Rbd.rbd_aio_create_completion(index, callbackPointer, completionAddress);
            if (r < 0) {
                end(r);
                return 0;
            }
            return slotMemory.getLong((long) index * SLOT_BYTES);
        }

        /** After the submit call: a refused submission ends here (its completion never runs). */
        void submitted(long completion, long r) {
            if (r < 0) {
                Rbd.rbd_aio_release(completion);
                end(r);
            }
        }

        /** Ends the operation with librbd's result: frees the slot, then completes the caller. */
        void end(long r) {
            IOException failure = null;
            try {
                failure = outcome(r);
            } catch (RuntimeException e) {
                failure = new IOException(describe() + ": " + e, e);
            }
            IoCompletion d = done;
            done = null;
            readBack = null;
            free.add(this);
            try {
                d.ioDone(failure);
            } catch (RuntimeException | Error e) {
                LOG.error("{}: the completion of an operation failed", describe(), e);
            }
        }

        private IOException outcome(long r) {
            if (kind == KIND_COMPARE_AND_WRITE && r == -RbdNative.EILSEQ) {
                return new MiscompareException(mismatchWithin());
            }
            if (r < 0) {
                return RbdErrors.failure(describe(), operation(), offset, length, (int) -r);
            }
            if (kind == KIND_READ) {
                if (r != length) {
                    return new IOException(describe() + ": read of " + length + " bytes at " + offset + " returned "
                            + r + " bytes");
                }
                if (readBack != null) {
                    bounce.read(0, readBack.array(), readBack.arrayOffset() + readBack.position(), (int) length);
                }
            }
            return null;
        }

        /** The first differing byte's offset from the start of the compared range. */
        private long mismatchWithin() {
            return RbdStore.this.mismatchWithin(slotMemory.getLong((long) index * SLOT_BYTES + 8), offset, length);
        }

        private String operation() {
            switch (kind) {
                case KIND_READ:
                    return "read";
                case KIND_WRITE:
                    return "write";
                case KIND_FLUSH:
                    return "flush";
                case KIND_ZEROES:
                    return "write zeroes";
                default:
                    return "compare and write";
            }
        }
    }
}
