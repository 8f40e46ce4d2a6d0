package org.jtgt.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.store.AsyncBackingStore;
import org.jtgt.api.store.IoCompletion;

/**
 * An asynchronous store over memory that holds every submitted read, write and flush until the
 * test releases it, so tasks are really in flight in the daemon while task management and other
 * commands arrive. With {@link #holding} false it completes inline, as the memory store does.
 */
class HeldStore extends MemoryStore implements AsyncBackingStore {
    /** One operation held. */
    record Op(String kind, long offset, ByteBuffer buffer, boolean fua, IoCompletion done) {
    }

    private final Deque<Op> held = new ArrayDeque<>();
    volatile boolean holding = true;
    /** Fail the next released operations with this (null: succeed). */
    volatile IOException failure;
    int submitted;
    /** Offer an atomic compare-and-write of the store's own (as a store shared by gateways would). */
    boolean atomicCompareAndWrite;
    int compareAndWrites;
    /** {@link #compareAndWriteLimit()}: the most bytes the store's own compare-and-write takes. */
    int compareAndWriteLimit = Integer.MAX_VALUE;

    HeldStore(int size) {
        super(size);
    }

    @Override
    public void submitRead(long offset, ByteBuffer dst, IoCompletion done) {
        submit("read", offset, dst, false, done);
    }

    @Override
    public void submitWrite(long offset, ByteBuffer src, boolean fua, IoCompletion done) {
        submit("write", offset, src, fua, done);
    }

    @Override
    public void submitFlush(IoCompletion done) {
        submit("flush", 0, null, false, done);
    }

    @Override
    public boolean comparesAndWrites() {
        return atomicCompareAndWrite;
    }

    @Override
    public int compareAndWriteLimit() {
        return compareAndWriteLimit;
    }

    @Override
    public void submitCompareAndWrite(long offset, ByteBuffer expected, ByteBuffer data, boolean fua, IoCompletion done) {
        IOException f = null;
        synchronized (this) {
            compareAndWrites++;
            try {
                ByteBuffer medium = ByteBuffer.allocate(expected.remaining());
                read(offset, medium);
                medium.flip();
                int m = medium.mismatch(expected);
                if (m >= 0) {
                    f = new org.jtgt.api.store.MiscompareException(m);
                } else {
                    write(offset, data, fua);
                }
            } catch (IOException e) {
                f = e;
            }
        }
        done.ioDone(f);
    }

    @Override
    public void submitDeallocate(long offset, long length, IoCompletion done) {
        try {
            deallocate(offset, length);
            done.ioDone(null);
        } catch (IOException e) {
            done.ioDone(e);
        }
    }

    @Override
    public void submitWork(StoreWork work, IoCompletion done) {
        try {
            work.run();
            done.ioDone(null);
        } catch (IOException e) {
            done.ioDone(e);
        }
    }

    /** Holds the operation, or (not holding) performs it inline without allocating. */
    private void submit(String kind, long offset, ByteBuffer buffer, boolean fua, IoCompletion done) {
        synchronized (this) {
            submitted++;
            if (holding) {
                held.add(new Op(kind, offset, buffer, fua, done));
                notifyAll();
                return;
            }
        }
        perform(kind, offset, buffer, fua, done);
    }

    /** The oldest operation held, or null. */
    synchronized Op oldest() {
        return held.peek();
    }

    /** Operations held now. */
    synchronized int heldCount() {
        return held.size();
    }

    /** Waits (up to 10 s) until {@code n} operations are held. */
    synchronized void awaitHeld(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (held.size() < n) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError(held.size() + " operations held, expected " + n);
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** Completes the oldest held operation on the calling thread. */
    void releaseOne() {
        Op op;
        synchronized (this) {
            op = held.poll();
        }
        if (op == null) {
            throw new AssertionError("nothing held");
        }
        perform(op);
    }

    /** Completes every held operation, oldest first. */
    void releaseAll() {
        while (true) {
            Op op;
            synchronized (this) {
                op = held.poll();
            }
            if (op == null) {
                return;
            }
            perform(op);
        }
    }

    private void perform(Op op) {
        perform(op.kind(), op.offset(), op.buffer(), op.fua(), op.done());
    }

    private void perform(String kind, long offset, ByteBuffer buffer, boolean fua, IoCompletion done) {
        IOException f = failure;
        if (f == null) {
            try {
                switch (kind) {
                    case "read":
                        read(offset, buffer);
                        break;
                    case "write":
                        write(offset, buffer, fua);
                        break;
                    default:
                        flush();
                        break;
                }
            } catch (IOException e) {
                f = e;
            }
        }
        done.ioDone(f);
    }
}
