package org.jtgt.backing.rbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.security.SecureRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import com.sun.jna.CallbackThreadInitializer;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

import org.jtgt.api.store.IoCompletion;
import org.jtgt.api.store.MiscompareException;
import org.jtgt.api.store.NotAccessibleException;
import org.jtgt.api.store.SharedUnitResets;
import org.jtgt.backing.rbd.RbdNative.Rados;
import org.jtgt.backing.rbd.RbdNative.Rbd;
import org.jtgt.backing.rbd.RbdSharedReservations.Calls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateways' channel on the gateway object {@code jtgt.gateway.IMAGE}: every gateway watches
 * it ({@code rados_watch2}); a follower sends its writes to the owner as notifications, and a
 * gateway whose logical unit was reset tells the others.
 *
 * <p>Forwarding: a follower's write, compare and write, write zeroes or flush is a notification
 * ({@code rados_aio_notify}) of a {@value #HEADER}-byte header (little-endian: magic, operation,
 * flags or the send slot, the owner it is meant for, the sender, data bytes, offset, length, the
 * sender's instance, the sequence number) and the data, at most
 * {@value #CHUNK} bytes (a longer write is several notifications, each atomic on its own). Only
 * the gateway that is the owner named and holds the image's lock executes it, asynchronously
 * through librbd, and acknowledges with a {@value #REPLY}-byte reply (magic, status: 0, -errno or
 * {@link #STATUS_BUSY}, the mismatch offset); every other watcher acknowledges empty at once. The
 * follower completes the command from the acknowledgements: success, MISCOMPARE at the offset,
 * or, for a refused write (EROFS, ESHUTDOWN: fenced, busy), NOT READY, ASYMMETRIC ACCESS STATE
 * TRANSITION, so the initiator retries. With no reply from the owner the outcome is unknown: the
 * follower asks for it ({@link #OP_OUTCOME}) until the owner answers done, executing (ask again)
 * or cancelled (an id it had not seen: refused should it arrive later), or until the owner can no
 * longer execute anything ({@link RbdGateway#mayExecute}); only then NOT READY without an outcome.
 * Bounds: {@value #FOLLOWER_SLOTS} notifications in flight per follower (a submitter waits up to
 * the notify timeout for a free one), {@value #OWNER_SLOTS} forwarded operations executing per
 * owner (beyond them it answers busy), the notify timeout below the takeover time.
 *
 * <p>Resets ({@link SharedUnitResets}): a notification naming the kind, acknowledged by each other
 * gateway after its listener ran, waited for up to {@value #RESET_TIMEOUT_MS} ms.
 */
final class RbdForwarding implements SharedUnitResets {
    private static final Logger LOG = LoggerFactory.getLogger(RbdForwarding.class);

    static final int MAGIC = 0x4A54_4657;
    static final int OP_WRITE = 1;
    static final int OP_COMPARE_AND_WRITE = 2;
    static final int OP_ZEROES = 3;
    static final int OP_FLUSH = 4;
    static final int OP_RESET = 5;
    /** A follower asks what became of one of its forwarded operations. */
    static final int OP_OUTCOME = 6;
    static final int HEADER = 56;
    static final int REPLY = 16;
    static final int CHUNK = 256 << 10;
    static final int FOLLOWER_SLOTS = 16;
    /** Room for four followers' notifies in flight: with fewer, an owner is never busy. */
    static final int OWNER_SLOTS = 64;
    static final int STATUS_BUSY = 1;
    /** An outcome asked for: the operation is still executing. */
    static final int STATUS_EXECUTING = 2;
    /** Not executed and never will be: its follower asked for its outcome before it arrived. */
    static final int STATUS_CANCELLED = 3;
    /** Followers (gateway and instance) whose recent operations' outcomes an owner remembers. */
    static final int PEERS = 8;
    /** How long a follower waits before it asks again about an operation still executing. */
    static final long ASK_INTERVAL_MS = 100;
    private static final byte NONE = 0;
    private static final byte EXECUTING = 1;
    private static final byte DONE = 2;
    private static final byte CANCELLED = 3;
    static final long RESET_TIMEOUT_MS = 10_000;
    /** Per send slot: the completion handle, the reply buffer's address, its length. */
    private static final int SEND_BYTES = 24;
    /** Per execution slot: the completion handle, the mismatch offset, the reply. */
    private static final int EXEC_BYTES = 16 + REPLY;
    /** Slot memory a notification may still write into at close (librados never completed it). */
    private static final List<Memory> KEPT = new ArrayList<>();

    private final RbdStore store;
    private final RbdGateway gateway;
    private final int self;
    private final String oid;
    private final long ioctx;
    private final long notifyTimeoutMs;

    private final Memory staging = new Memory(HEADER + CHUNK);
    private final ByteBuffer stagingView = staging.getByteBuffer(0, HEADER + CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    private final Memory sendMemory = new Memory((long) FOLLOWER_SLOTS * SEND_BYTES);
    private final Send[] sends = new Send[FOLLOWER_SLOTS];
    private final ArrayBlockingQueue<Send> freeSends = new ArrayBlockingQueue<>(FOLLOWER_SLOTS);
    private final RbdNative.CompletionCallback sentCallback = this::sent;
    private final long sentPointer;

    private final Memory execMemory = new Memory((long) OWNER_SLOTS * EXEC_BYTES);
    private final Exec[] execs = new Exec[OWNER_SLOTS];
    private final ArrayBlockingQueue<Exec> freeExecs = new ArrayBlockingQueue<>(OWNER_SLOTS);
    private final RbdNative.CompletionCallback executedCallback = this::executed;
    private final long executedPointer;
    private volatile int ownerLimit = OWNER_SLOTS;
    /** The reply of an operation refused before execution (busy, malformed); under its own lock. */
    private final Memory scratch = new Memory(REPLY);

    private final RbdSharedReservations.WatchCallback watchCallback = this::notified;
    private final RbdSharedReservations.WatchErrorCallback errorCallback = this::watchError;
    private volatile long cookie;
    private volatile Consumer<Kind> resetListener;
    private volatile boolean closed;
    /**
     * Set when setting the watch up failed with ESHUTDOWN: this client is on the OSDs' blocklist
     * and nothing it asks can succeed again, so {@link #check} stops trying (each try is a failed
     * write and watch in librados, once a heartbeat, for nothing).
     */
    private volatile boolean blocklisted;
    /** Tests: how many times the watch was set up or tried. */
    private final AtomicInteger watchTries = new AtomicInteger();
    /**
     * Held while an operation for this owner is checked and submitted, and by the gateway while it
     * stops owning ({@link #stopExecuting}), so that nothing reaches librbd after the lock is
     * released (librbd would take the lock again for it).
     */
    private final Object executing = new Object();

    /**
     * The owner's record of recent forwarded operations, under its own lock: per follower
     * instance ({@link #PEERS}) and per send slot of that follower ({@value #FOLLOWER_SLOTS}), the
     * latest operation id (sequence) seen, its state and its reply. A follower reuses a slot only
     * once it answered the slot's operation, so an older sequence in a slot is one it gave up on.
     */
    private final Object outcomes = new Object();
    private final int[] peerGateway = new int[PEERS];
    private final long[] peerInstance = new long[PEERS];
    private final long[] peerUsed = new long[PEERS];
    private long peerTick;
    private final long[] entrySeq = new long[PEERS * FOLLOWER_SLOTS];
    private final byte[] entryState = new byte[PEERS * FOLLOWER_SLOTS];
    private final int[] entryStatus = new int[PEERS * FOLLOWER_SLOTS];
    private final long[] entryMismatch = new long[PEERS * FOLLOWER_SLOTS];

    /** This follower's instance: with a sequence number, the id of each forwarded operation. */
    private final long instance = new SecureRandom().nextLong() | 1;
    private final AtomicLong sequence = new AtomicLong();
    /** Asks again about operations whose outcome is not known yet; started on first need. */
    private ScheduledExecutorService asker;

    /** Tests: a late notification and a slow librbd on the owner. */
    private volatile CountDownLatch holdNext;
    private volatile CompletableFuture<Boolean> heldDone;
    private volatile CountDownLatch slowNext;

    RbdForwarding(RbdStore store, RbdGateway gateway, String oid, long notifyTimeoutMs) {
        this.store = store;
        this.gateway = gateway;
        this.self = gateway.config().gateway();
        this.oid = oid;
        this.ioctx = store.ioctxHandle();
        this.notifyTimeoutMs = notifyTimeoutMs;
        long base = Pointer.nativeValue(sendMemory);
        for (int i = 0; i < FOLLOWER_SLOTS; i++) {
            sends[i] = new Send(i, base + (long) i * SEND_BYTES);
            freeSends.add(sends[i]);
        }
        base = Pointer.nativeValue(execMemory);
        for (int i = 0; i < OWNER_SLOTS; i++) {
            execs[i] = new Exec(i, base + (long) i * EXEC_BYTES);
            freeExecs.add(execs[i]);
        }
        CallbackThreadInitializer init = new CallbackThreadInitializer(true, false, "jtgt-rbd-forward " + oid);
        Native.setCallbackThreadInitializer(sentCallback, init);
        Native.setCallbackThreadInitializer(executedCallback, init);
        Native.setCallbackThreadInitializer(watchCallback, init);
        Native.setCallbackThreadInitializer(errorCallback, init);
        this.sentPointer = RbdNative.functionPointer(sentCallback);
        this.executedPointer = RbdNative.functionPointer(executedCallback);
    }

    /** Runs {@code change} (the gateway ceasing to own) with no forwarded operation being submitted meanwhile. */
    void stopExecuting(Runnable change) {
        synchronized (executing) {
            change.run();
        }
    }

    long notifyTimeoutMillis() {
        return notifyTimeoutMs;
    }

    /** Tests: the owner's bound of forwarded operations executing at once (at most {@value #OWNER_SLOTS}). */
    void ownerLimit(int limit) {
        ownerLimit = Math.min(limit, OWNER_SLOTS);
    }

    /**
     * Tests: the next forwarded operation this owner is notified of is handled only once {@code
     * release} opens (a notification delivered late); the future tells whether it was executed.
     */
    CompletableFuture<Boolean> holdNext(CountDownLatch release) {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        heldDone = f;
        holdNext = release;
        return f;
    }

    /** Tests: the next forwarded operation this owner executes reaches librbd only once {@code release} opens. */
    void slowNext(CountDownLatch release) {
        slowNext = release;
    }

    // ---------------------------------------------------------------- the watch

    /** Watches the gateway object, creating it if it does not exist yet; a failure is logged and retried by {@link #check}. */
    void start() {
        try {
            watch();
        } catch (IOException e) {
            LOG.warn("{}: gateway {} cannot watch {}: {}; forwarded writes and shared resets wait for it",
                    store.describe(), self, oid, e.getMessage());
        }
    }

    private void watch() throws IOException {
        watchTries.incrementAndGet();
        try (Memory out = new Memory(8)) {
            int r = RbdSharedReservations.watchCreating(ioctx, oid, out, watchCallback, errorCallback);
            if (r == -RbdNative.ESHUTDOWN && !blocklisted) {
                blocklisted = true;
                LOG.warn("{}: gateway {} is blocklisted: its watch of {} is not set up again", store.describe(), self,
                        oid);
            }
            if (r < 0) {
                throw new IOException("watch: " + RbdErrors.describe(r));
            }
            cookie = out.getLong(0);
        }
    }

    /** Each heartbeat: sets the watch up again if it was lost, unless this client is blocklisted. */
    void check() {
        if (closed || blocklisted || gateway.fenced()) {
            return;
        }
        long c = cookie;
        int r = c == 0 ? -RbdNative.ENOENT : Calls.rados_watch_check(ioctx, c);
        if (r >= 0) {
            return;
        }
        if (c != 0) {
            Calls.rados_unwatch2(ioctx, c);
            cookie = 0;
            LOG.warn("{}: gateway {}: watch of {} lost ({}); setting it up again", store.describe(), self, oid,
                    RbdErrors.describe(r));
        }
        try {
            watch();
        } catch (IOException e) {
            LOG.debug("{}: watch {}: {}", store.describe(), oid, e.getMessage());
        }
    }

    /** Whether setting the watch up found this client blocklisted (then it is not tried again). */
    boolean blocklisted() {
        return blocklisted;
    }

    /** Tests: how many times the watch was set up or tried so far. */
    int watchTries() {
        return watchTries.get();
    }

    private void watchError(Pointer arg, long c, int err) {
        LOG.warn("{}: gateway {}: watch of {}: {}", store.describe(), self, oid, RbdErrors.describe(err));
    }

    /** librados' watch thread: a forwarded operation for this owner, a reset, or nothing for this gateway. */
    private void notified(Pointer arg, long notifyId, long c, long notifierId, Pointer data, long length) {
        try {
            if (data == null || length < HEADER || data.getInt(0) != MAGIC) {
                ack(notifyId, c, 0, 0);   // e.g. an empty notification counting the watchers
                return;
            }
            ByteBuffer h = data.getByteBuffer(0, HEADER).order(ByteOrder.LITTLE_ENDIAN);
            int op = h.getInt(4);
            int flags = h.getInt(8);
            int owner = h.getInt(12);
            int sender = h.getInt(16);
            if (op == OP_OUTCOME) {
                answerOutcome(notifyId, c, owner, sender, flags, h.getLong(40), h.getLong(48));
                return;
            }
            CountDownLatch hold = holdNext;
            if (hold != null && op != OP_RESET && owner == self) {
                holdNext = null;
                hold(notifyId, c, data, length, hold);
                return;
            }
            if (op == OP_RESET) {
                Consumer<Kind> l = resetListener;
                if (sender != self && l != null && flags >= 0 && flags < Kind.values().length) {
                    try {
                        l.accept(Kind.values()[flags]);
                    } catch (RuntimeException e) {
                        LOG.warn("{}: the reset listener failed", store.describe(), e);
                    }
                }
                ack(notifyId, c, 0, 0);
                return;
            }
            operation(notifyId, c, data, length, h);
        } catch (RuntimeException e) {
            LOG.warn("{}: a notification failed", store.describe(), e);
            ack(notifyId, c, 0, 0);
        }
    }

    /** A forwarded operation: executed if this gateway is the owner named and holds the lock. */
    private boolean operation(long notifyId, long c, Pointer data, long length, ByteBuffer h) {
        synchronized (executing) {
            if (h.getInt(12) != self || closed || !gateway.owns()) {
                ack(notifyId, c, 0, 0);
                return false;
            }
            return execute(notifyId, c, data, length, h.getInt(4), h.getInt(16), h.getInt(8), h.getInt(20),
                    h.getLong(24), h.getLong(32), h.getLong(40), h.getLong(48));
        }
    }

    /** Tests ({@link #holdNext}): handles a copy of the notification on a thread of its own once released. */
    private void hold(long notifyId, long c, Pointer data, long length, CountDownLatch release) {
        Memory copy = new Memory(length);
        copy.write(0, data.getByteArray(0, (int) length), 0, (int) length);
        CompletableFuture<Boolean> f = heldDone;
        Thread t = new Thread(() -> {
            try {
                release.await();
                f.complete(operation(notifyId, c, copy, length,
                        copy.getByteBuffer(0, HEADER).order(ByteOrder.LITTLE_ENDIAN)));
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "jtgt-rbd-held " + oid);
        t.setDaemon(true);
        t.start();
    }

    /**
     * The owner asked what became of a follower's operation: its reply if done, executing, or
     * cancelled; one it has not seen is marked cancelled now, so that it is refused if it arrives.
     * Answered whether or not this gateway still owns the image (what it executed is recorded).
     */
    private void answerOutcome(long notifyId, long c, int owner, int sender, int slot, long peer, long seq) {
        if (owner != self || slot < 0 || slot >= FOLLOWER_SLOTS) {
            ack(notifyId, c, 0, 0);
            return;
        }
        int status;
        long mismatch = -1;
        synchronized (outcomes) {
            int e = peer(sender, peer) * FOLLOWER_SLOTS + slot;
            if (entrySeq[e] < seq) {
                entrySeq[e] = seq;
                entryState[e] = CANCELLED;
                status = STATUS_CANCELLED;
                LOG.info("{}: gateway {} asked for the outcome of an operation not seen here: cancelled",
                        store.describe(), sender);
            } else if (entrySeq[e] > seq || entryState[e] == EXECUTING) {
                status = STATUS_EXECUTING;   // a later one in that slot: cannot be, the follower keeps it
            } else if (entryState[e] == CANCELLED) {
                status = STATUS_CANCELLED;
            } else {
                status = entryStatus[e];
                mismatch = entryMismatch[e];
            }
        }
        replyNow(notifyId, c, status, mismatch);
    }

    /** The record of follower {@code sender}'s instance {@code peer}; the least recently used one is reused. */
    private int peer(int sender, long peer) {
        int oldest = 0;
        for (int i = 0; i < PEERS; i++) {
            if (peerInstance[i] == peer && peerGateway[i] == sender) {
                peerUsed[i] = ++peerTick;
                return i;
            }
            if (peerUsed[i] < peerUsed[oldest]) {
                oldest = i;
            }
        }
        if (peerUsed[oldest] != 0) {
            LOG.info("{}: gateway {} forgets the outcomes of gateway {}'s instance {} (more than {} followers)",
                    store.describe(), self, peerGateway[oldest], Long.toHexString(peerInstance[oldest]), PEERS);
        }
        peerGateway[oldest] = sender;
        peerInstance[oldest] = peer;
        peerUsed[oldest] = ++peerTick;
        for (int k = oldest * FOLLOWER_SLOTS; k < (oldest + 1) * FOLLOWER_SLOTS; k++) {
            entrySeq[k] = 0;
            entryState[k] = NONE;
        }
        return oldest;
    }

    /** Records the reply of follower instance {@code peer}'s operation {@code seq} in {@code entry} (if still there). */
    private void done(int entry, long peer, long seq, int status, long mismatch) {
        synchronized (outcomes) {
            if (entrySeq[entry] == seq && peerInstance[entry / FOLLOWER_SLOTS] == peer) {
                entryState[entry] = DONE;
                entryStatus[entry] = status;
                entryMismatch[entry] = mismatch;
            }
        }
    }

    private void replyNow(long notifyId, long c, int status, long mismatch) {
        synchronized (scratch) {
            scratch.setInt(0, MAGIC);
            scratch.setInt(4, status);
            scratch.setLong(8, mismatch);
            ack(notifyId, c, Pointer.nativeValue(scratch), REPLY);
        }
    }

    private void ack(long notifyId, long c, long reply, int length) {
        int r = Rados.rados_notify_ack(ioctx, oid, notifyId, c, reply, length);
        if (r < 0) {
            LOG.debug("{}: notify ack: {}", store.describe(), RbdErrors.describe(r));
        }
    }

    // ---------------------------------------------------------------- owner side

    /**
     * The owner: copies the data into a free execution slot and submits it to librbd; busy beyond
     * the bound; an operation its follower already asked about (cancelled, or an older one in
     * that slot) is refused, one already done is answered again.
     *
     * @return whether it was submitted
     */
    private boolean execute(long notifyId, long c, Pointer data, long length, int op, int sender, int slot,
                            int dataBytes, long offset, long n, long peer, long seq) {
        int expected = op == OP_WRITE ? (int) Math.min(n, Integer.MAX_VALUE)
                : op == OP_COMPARE_AND_WRITE ? (int) Math.min(2 * n, Integer.MAX_VALUE) : 0;
        boolean bad = op < OP_WRITE || op > OP_FLUSH || dataBytes != expected || dataBytes > CHUNK
                || HEADER + (long) dataBytes > length || offset < 0 || n < 0 || offset > store.size() - n
                || slot < 0 || slot >= FOLLOWER_SLOTS
                || (op == OP_COMPARE_AND_WRITE
                    && offset % RbdStore.COMPARE_AND_WRITE_LIMIT + n > RbdStore.COMPARE_AND_WRITE_LIMIT);
        int entry = -1;
        if (!bad) {
            int known = -1;
            long mismatch = -1;
            synchronized (outcomes) {
                entry = peer(sender, peer) * FOLLOWER_SLOTS + slot;
                if (entrySeq[entry] > seq || (entrySeq[entry] == seq && entryState[entry] != NONE)) {
                    known = entrySeq[entry] > seq || entryState[entry] == CANCELLED ? STATUS_CANCELLED
                            : entryState[entry] == EXECUTING ? STATUS_EXECUTING : entryStatus[entry];
                    mismatch = entryMismatch[entry];
                } else {
                    entrySeq[entry] = seq;
                    entryState[entry] = EXECUTING;
                }
            }
            if (known != -1) {
                if (known == STATUS_CANCELLED) {
                    LOG.info("{}: gateway {}: a forwarded {} of {} bytes at {} from gateway {} arrived after its"
                            + " follower asked for its outcome: refused, not executed", store.describe(), self,
                            name(op), n, offset, sender);
                }
                replyNow(notifyId, c, known, known == STATUS_EXECUTING ? -1 : mismatch);
                return false;
            }
        }
        Exec e = bad ? null : freeExecs.poll();
        if (e != null && OWNER_SLOTS - freeExecs.size() > ownerLimit) {
            freeExecs.add(e);
            e = null;
        }
        if (e == null) {
            if (!bad) {
                LOG.debug("{}: gateway {} at its bound of {} forwarded operations: gateway {} is told busy",
                        store.describe(), self, ownerLimit, sender);
                done(entry, peer, seq, STATUS_BUSY, -1);   // a definite outcome: not executed
            } else {
                LOG.warn("{}: gateway {} sent a malformed forwarded operation ({} {} bytes at {})", store.describe(),
                        sender, op, n, offset);
            }
            replyNow(notifyId, c, bad ? -RbdNative.EINVAL : STATUS_BUSY, -1);
            return false;
        }
        e.notifyId = notifyId;
        e.cookie = c;
        e.op = op;
        e.offset = offset;
        e.length = n;
        e.entry = entry;
        e.peer = peer;
        e.seq = seq;
        long address = 0;
        if (dataBytes > 0) {
            if (e.data == null) {
                e.data = new Memory(CHUNK);   // once per slot, kept until close
                e.view = e.data.getByteBuffer(0, CHUNK);
                e.address = Pointer.nativeValue(e.data);
            }
            e.view.clear();
            e.view.put(data.getByteBuffer(HEADER, dataBytes));   // JNA's view object: the one allocation
            address = e.address;
        }
        CountDownLatch slow = slowNext;
        if (slow != null) {
            slowNext = null;
            long a = address;
            Exec x = e;
            Thread t = new Thread(() -> {
                try {
                    slow.await();
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
                synchronized (executing) {
                    if (closed || !gateway.owns()) {
                        x.reply(-RbdNative.ESHUTDOWN, -1);
                    } else {
                        submit(x, a);
                    }
                }
            }, "jtgt-rbd-slow " + oid);
            t.setDaemon(true);
            t.start();
            return true;
        }
        submit(e, address);
        return true;
    }

    private void submit(Exec e, long address) {
        int r = Rbd.rbd_aio_create_completion(e.index, executedPointer, e.completionAddress);
        if (r < 0) {
            e.reply(r, -1);
            return;
        }
        long completion = execMemory.getLong(e.completionAddress - Pointer.nativeValue(execMemory));
        long s;
        long image = store.imageHandle();
        long offset = e.offset;
        long n = e.length;
        switch (e.op) {
            case OP_WRITE:
                s = Rbd.rbd_aio_write(image, offset, n, address, completion);
                break;
            case OP_COMPARE_AND_WRITE:
                execMemory.setLong(e.mismatchAddress - Pointer.nativeValue(execMemory), -1);
                s = Rbd.rbd_aio_compare_and_write(image, offset, n, address, address + n, completion,
                        e.mismatchAddress, 0);
                break;
            case OP_ZEROES:
                s = Rbd.rbd_aio_write_zeroes(image, offset, n, completion, 0, 0);
                break;
            default:
                s = Rbd.rbd_aio_flush(image, completion);
                break;
        }
        if (s < 0) {
            Rbd.rbd_aio_release(completion);
            e.reply(s, -1);
        }
    }

    /** librbd's completion of a forwarded operation on the owner: acknowledge with its result. */
    private void executed(long completion, long arg) {
        Exec e = execs[(int) arg];
        long r;
        try {
            r = Rbd.rbd_aio_get_return_value(completion);
        } finally {
            Rbd.rbd_aio_release(completion);
        }
        long mismatch = -1;
        if (e.op == OP_COMPARE_AND_WRITE && r == -RbdNative.EILSEQ) {
            mismatch = store.mismatchWithin(execMemory.getLong(e.mismatchAddress - Pointer.nativeValue(execMemory)),
                    e.offset, e.length);
        }
        e.reply(r < 0 ? r : 0, mismatch);
    }

    /** One forwarded operation executing on the owner. */
    private final class Exec {
        final int index;
        final long completionAddress;
        final long mismatchAddress;
        final long replyAddress;
        /** The data: allocated on the slot's first use, then kept. */
        Memory data;
        ByteBuffer view;
        long address;
        long notifyId;
        long cookie;
        int op;
        long offset;
        long length;
        int entry;
        long peer;
        long seq;

        Exec(int index, long at) {
            this.index = index;
            this.completionAddress = at;
            this.mismatchAddress = at + 8;
            this.replyAddress = at + 16;
            this.view = null;
        }

        /** Acknowledges the notification with {@code status} and frees the slot. */
        void reply(long status, long mismatch) {
            long base = Pointer.nativeValue(execMemory);
            execMemory.setInt(replyAddress - base, MAGIC);
            execMemory.setInt(replyAddress - base + 4, (int) status);
            execMemory.setLong(replyAddress - base + 8, mismatch);
            if (status < 0 && status != -RbdNative.EILSEQ) {
                LOG.info("{}: gateway {}: a forwarded {} of {} bytes at {} failed: {}", store.describe(), self,
                        name(op), length, offset, RbdErrors.describe(status));
            }
            done(entry, peer, seq, (int) status, mismatch);
            ack(notifyId, cookie, replyAddress, REPLY);
            freeExecs.add(this);
        }
    }

    // ---------------------------------------------------------------- follower side

    /**
     * Sends {@code op} to the owner and completes {@code done} with its outcome. {@code data} (a
     * write's, a compare and write's new bytes) and {@code compare} are read before this returns.
     */
    void forward(int op, long offset, long length, ByteBuffer data, ByteBuffer compare, IoCompletion done) {
        int owner = gateway.owner();
        if (closed) {
            done.ioDone(new IOException(store.describe() + " is closed"));
            return;
        }
        if (owner == 0 || owner == self || gateway.fenced()) {
            done.ioDone(gateway.fenced()
                    ? new NotAccessibleException(store.describe() + ": gateway " + self + " is fenced", true)
                    : NotAccessibleException.transitioning(store.describe() + ": no gateway owns the image now"));
            return;
        }
        int chunks = op == OP_WRITE ? (int) Math.max(1, (length + CHUNK - 1) / CHUNK) : 1;
        Request request = new Request(done, chunks);
        for (int i = 0; i < chunks; i++) {
            long at = (long) i * CHUNK;
            long n = op == OP_WRITE ? Math.min(CHUNK, length - at) : length;
            send(request, op, 0, owner, offset + at, n, data, compare, (int) at, notifyTimeoutMs);
        }
    }

    private void send(Request request, int op, int flags, int owner, long offset, long n, ByteBuffer data,
                      ByteBuffer compare, int at, long timeoutMs) {
        Send s;
        try {
            s = freeSends.poll(notifyTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            s = null;
        }
        if (s == null) {
            request.part(NotAccessibleException.transitioning(store.describe() + ": " + FOLLOWER_SLOTS
                    + " forwarded operations were in flight for " + notifyTimeoutMs + " ms"));
            return;
        }
        s.request = request;
        s.op = op;
        s.owner = owner;
        s.offset = offset;
        s.length = n;
        s.seq = sequence.incrementAndGet();
        s.asking = false;
        int dataBytes = op == OP_WRITE ? (int) n : op == OP_COMPARE_AND_WRITE ? 2 * (int) n : 0;
        long base = Pointer.nativeValue(sendMemory);
        int r;
        synchronized (staging) {
            ByteBuffer v = stagingView;
            v.clear();
            v.putInt(MAGIC).putInt(op).putInt(op == OP_RESET ? flags : s.index).putInt(owner).putInt(self)
                    .putInt(dataBytes).putLong(offset).putLong(n).putLong(instance).putLong(s.seq);
            if (op == OP_COMPARE_AND_WRITE) {
                v.put(compare.duplicate());
                v.put(data.duplicate());
            } else if (op == OP_WRITE) {
                ByteBuffer d = data.duplicate();
                d.position(data.position() + at).limit(data.position() + at + (int) n);
                v.put(d);
            }
            sendMemory.setLong(s.replyAddress - base, 0);
            sendMemory.setLong(s.replyAddress - base + 8, 0);
            r = Rados.rados_aio_create_completion2(s.index, sentPointer, s.completionAddress);
            if (r == 0) {
                long c = sendMemory.getLong(s.completionAddress - base);
                r = Rados.rados_aio_notify(ioctx, oid, c, Pointer.nativeValue(staging), HEADER + dataBytes, timeoutMs,
                        s.replyAddress, s.replyAddress + 8);
                if (r < 0) {
                    Rados.rados_aio_release(c);
                }
            }
        }
        if (r < 0) {
            s.finish(r, false);   // never sent: not executed
        }
    }

    /**
     * Asks the owner what became of {@code s}'s operation (no answer, or a timeout): unless the
     * owner can no longer execute anything, then it is answered NOT READY without an outcome.
     */
    private void ask(Send s) {
        String what = s.describe();
        if (closed) {
            LOG.warn("{}: closed; the outcome is unknown", what);
            s.finish(new IOException(what + ": the gateway closed; the outcome is unknown"));
            return;
        }
        if (!gateway.mayExecute(s.owner, !s.found)) {
            s.finish(NotAccessibleException.transitioning(what + ": no answer from the owner, which can no longer"
                    + " execute it (" + (gateway.owner() == s.owner ? "blocklisted or its lock released"
                    : gateway.owner() == 0 ? "no gateway owns the image" : "gateway " + gateway.owner()
                    + " owns the image") + ")"));
            return;
        }
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - s.askedSince);
        long bound = gateway.config().takeoverMs() + 3 * gateway.config().heartbeatMs();
        if (!s.warned && waited > bound) {
            s.warned = true;
            LOG.warn("{}: its outcome is still unknown after {} ms: the owner does not answer and is not known to be"
                    + " fenced, so it may still execute it; the command waits until the owner answers or another"
                    + " gateway owns the image", what, waited);
        }
        long base = Pointer.nativeValue(sendMemory);
        int r;
        synchronized (staging) {
            ByteBuffer v = stagingView;
            v.clear();
            v.putInt(MAGIC).putInt(OP_OUTCOME).putInt(s.index).putInt(s.owner).putInt(self).putInt(0)
                    .putLong(s.offset).putLong(s.length).putLong(instance).putLong(s.seq);
            sendMemory.setLong(s.replyAddress - base, 0);
            sendMemory.setLong(s.replyAddress - base + 8, 0);
            r = Rados.rados_aio_create_completion2(s.index, sentPointer, s.completionAddress);
            if (r == 0) {
                long c = sendMemory.getLong(s.completionAddress - base);
                r = Rados.rados_aio_notify(ioctx, oid, c, Pointer.nativeValue(staging), HEADER, notifyTimeoutMs,
                        s.replyAddress, s.replyAddress + 8);
                if (r < 0) {
                    Rados.rados_aio_release(c);
                }
            }
        }
        if (r < 0) {
            LOG.debug("{}: asking for its outcome: {}", what, RbdErrors.describe(r));
            askLater(s, ASK_INTERVAL_MS);
        }
    }

    private void askLater(Send s, long ms) {
        ScheduledExecutorService a;
        synchronized (this) {
            if (asker == null) {
                asker = Executors.newSingleThreadScheduledExecutor(run -> {
                    Thread t = new Thread(run, "jtgt-rbd-outcome " + oid);
                    t.setDaemon(true);
                    return t;
                });
            }
            a = asker;
        }
        try {
            a.schedule(() -> {
                try {
                    ask(s);
                } catch (RuntimeException e) {
                    LOG.warn("{}: asking for its outcome failed", s.describe(), e);
                    askLater(s, ASK_INTERVAL_MS);
                }
            }, ms, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // close() stopped the asker: nothing will ask again, so the command is answered now
            // (as ask() answers it once it sees the gateway closed) instead of never.
            LOG.warn("{}: closed; the outcome is unknown", s.describe());
            s.finish(new IOException(s.describe() + ": the gateway closed; the outcome is unknown"));
        }
    }

    /** librados' completion of a notification: the acknowledgements decide. */
    private void sent(long completion, long arg) {
        Send s = sends[(int) arg];
        int r;
        try {
            r = Rados.rados_aio_get_return_value(completion);
        } finally {
            Rados.rados_aio_release(completion);
        }
        long base = Pointer.nativeValue(sendMemory);
        long reply = sendMemory.getLong(s.replyAddress - base);
        long length = sendMemory.getLong(s.replyAddress - base + 8);
        s.found = false;
        try {
            NotifyReply.scan(reply, length, s);
        } finally {
            if (reply != 0) {
                Rados.rados_buffer_free(reply);
            }
        }
        // the outcome unknown (no reply from the owner, or still executing): ask for it
        if (s.op != OP_RESET && (s.found ? s.status == STATUS_EXECUTING : s.asking || r != -RbdNative.ESHUTDOWN)) {
            if (!s.asking) {
                s.asking = true;
                s.warned = false;
                s.askedSince = System.nanoTime();
                LOG.info("{}: {}; asking the owner for its outcome", s.describe(),
                        s.found ? "still executing" : r < 0 ? "no answer (" + RbdErrors.describe(r) + ")" : "no answer");
            }
            askLater(s, s.found || r == 0 ? ASK_INTERVAL_MS : 0);
            return;
        }
        s.finish(r, s.found);
    }

    private String describeForwarded(int op, long length, long offset, int owner) {
        return store.describe() + ": " + name(op) + (length > 0 ? " of " + length + " bytes at " + offset : "")
                + " forwarded to gateway " + owner;
    }

    /** One notification in flight from this gateway. */
    private final class Send implements NotifyReply.Ack {
        final int index;
        final long completionAddress;
        final long replyAddress;
        Request request;
        int op;
        int owner;
        long offset;
        long length;
        boolean found;
        int status;
        long mismatch;
        /** The operation's id with {@link #instance}. */
        long seq;
        /** Its outcome is being asked for, since {@link #askedSince}. */
        boolean asking;
        long askedSince;
        boolean warned;

        Send(int index, long at) {
            this.index = index;
            this.completionAddress = at;
            this.replyAddress = at + 8;
        }

        @Override
        public void ack(long gid, long c, long payload, int n) {
            if (n >= REPLY && !found) {
                Pointer p = new Pointer(payload);
                if (p.getInt(0) == MAGIC) {
                    found = true;
                    status = p.getInt(4);
                    mismatch = p.getLong(8);
                }
            }
        }

        /** Frees the slot, then completes the request with the outcome. */
        void finish(int r, boolean answered) {
            IOException failure = null;
            try {
                failure = op == OP_RESET ? (r == 0 ? null : new IOException(RbdErrors.describe(r)))
                        : outcome(r, answered);
            } catch (RuntimeException e) {
                failure = new IOException(store.describe() + ": " + e, e);
            }
            finish(failure);
        }

        void finish(IOException failure) {
            Request q = request;
            // what the slot holds, for a failure below: once freed it may be reused at once
            int o = op;
            long len = length;
            long at = offset;
            int to = owner;
            request = null;
            asking = false;
            freeSends.add(this);
            try {
                q.part(failure);
            } catch (RuntimeException e) {
                // Called from librados' callbacks and the asker: an exception would reach JNA's
                // handler, which names no operation, or make the asker ask again for a freed slot.
                LOG.error("{}: completing the command failed", describeForwarded(o, len, at, to), e);
            }
        }

        String describe() {
            return describeForwarded(op, length, offset, owner);
        }

        private IOException outcome(int r, boolean answered) {
            String what = describe();
            if (!answered) {
                if (r == -RbdNative.ESHUTDOWN) {
                    return new NotAccessibleException(what + ": " + RbdErrors.describe(r) + " (gateway " + self
                            + " is blocklisted)", true);
                }
                return NotAccessibleException.transitioning(what + ": no answer from the owner"
                        + (r < 0 ? " (" + RbdErrors.describe(r) + ")" : " (it does not own the image now)"));
            }
            if (status == 0) {
                return null;
            }
            if (status == STATUS_CANCELLED) {
                return NotAccessibleException.transitioning(what + ": no answer in time; the owner then cancelled it"
                        + " (not executed)");
            }
            if (status == STATUS_BUSY) {
                return NotAccessibleException.transitioning(what + ": the owner is at its bound of forwarded operations");
            }
            if (op == OP_COMPARE_AND_WRITE && status == -RbdNative.EILSEQ) {
                return new MiscompareException(Math.max(0, mismatch));
            }
            if (status == -RbdNative.EROFS || status == -RbdNative.ESHUTDOWN) {
                return NotAccessibleException.transitioning(what + ": the owner cannot write the image: "
                        + RbdErrors.describe(status));
            }
            return RbdErrors.failure(store.describe(), name(op) + " forwarded to gateway " + owner, offset, length,
                    -status);
        }
    }

    /** One operation of the daemon's, possibly in several notifications: done when the last part is. */
    private static final class Request {
        final IoCompletion done;
        final Consumer<Boolean> resetDone;
        final AtomicInteger parts;
        volatile IOException failure;

        Request(IoCompletion done, int parts) {
            this.done = done;
            this.resetDone = null;
            this.parts = new AtomicInteger(parts);
        }

        Request(Consumer<Boolean> resetDone) {
            this.done = null;
            this.resetDone = resetDone;
            this.parts = new AtomicInteger(1);
        }

        void part(IOException f) {
            if (f != null && failure == null) {
                failure = f;
            }
            if (parts.decrementAndGet() == 0) {
                if (done != null) {
                    done.ioDone(failure);
                } else {
                    resetDone.accept(failure == null);
                }
            }
        }
    }

    static String name(int op) {
        switch (op) {
            case OP_WRITE:
                return "write";
            case OP_COMPARE_AND_WRITE:
                return "compare and write";
            case OP_ZEROES:
                return "write zeroes";
            case OP_FLUSH:
                return "flush";
            default:
                return "reset";
        }
    }

    // ---------------------------------------------------------------- resets

    @Override
    public void announce(Kind kind, Consumer<Boolean> done) {
        if (closed) {
            done.accept(false);
            return;
        }
        send(new Request(done), OP_RESET, kind.ordinal(), 0, 0, 0, null, null, 0, RESET_TIMEOUT_MS);
    }

    @Override
    public void listen(Consumer<Kind> listener) {
        resetListener = listener;
    }

    @Override
    public long timeoutMillis() {
        return RESET_TIMEOUT_MS;
    }

    @Override
    public String describe() {
        return store.describe() + " (" + oid + ")";
    }

    // ---------------------------------------------------------------- close

    /**
     * Stops watching, waits for the watch callbacks, the forwarded operations this gateway
     * executes and the notifications it sent (each bounded); slot memory a notification may still
     * write into is kept.
     */
    void close() {
        closed = true;
        resetListener = null;
        long c = cookie;
        if (c != 0) {
            Calls.rados_unwatch2(ioctx, c);
            cookie = 0;
        }
        Rados.rados_watch_flush(store.clusterHandle());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RESET_TIMEOUT_MS + 5_000);
        while ((freeExecs.size() < OWNER_SLOTS || freeSends.size() < FOLLOWER_SLOTS) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (freeSends.size() < FOLLOWER_SLOTS || freeExecs.size() < OWNER_SLOTS) {
            LOG.warn("{}: {} notification(s) and {} forwarded operation(s) still in flight at close", store.describe(),
                    FOLLOWER_SLOTS - freeSends.size(), OWNER_SLOTS - freeExecs.size());
            synchronized (KEPT) {
                KEPT.add(sendMemory);
                KEPT.add(execMemory);
            }
        }
        synchronized (this) {
            if (asker != null) {
                asker.shutdownNow();
            }
        }
    }
}
