package org.jtgt.api.store;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A backing store that takes I/O without holding the caller's thread (store API, version 2).
 * Each submit method starts one operation and returns; its {@link IoCompletion} is called
 * exactly once when the operation has ended, successfully or not, on a thread of the store's
 * or inline. Arguments are checked as for the synchronous methods; a submission the store
 * refuses (outside {@link #size()}, the store closed) completes with the failure rather than
 * throwing.
 *
 * <p>The buffers belong to the store from the submit until the completion: the caller neither
 * reads nor moves them in between, and the store touches only the bytes between their position
 * and limit. Operations submitted together may run in any order and at the same time; a caller
 * that needs an order (SCSI ORDERED tasks, a FLUSH after the writes it covers) waits for the
 * completions first.
 *
 * <p>The daemon uses a store that implements this interface directly (a store with its own
 * asynchronous I/O, or the memory store, which completes inline); any other store runs behind
 * an adapter that calls its synchronous methods on a worker pool of the logical unit.
 *
 * @since 1.5
 */
@ConsumerType
public interface AsyncBackingStore extends BackingStore {
    /** Fills {@code dst} from its position to its limit with the bytes at {@code offset}. */
    void submitRead(long offset, ByteBuffer dst, IoCompletion done);

    /**
     * Stores {@code src} from its position to its limit at {@code offset}.
     *
     * @param fua force unit access: the bytes are on stable storage before {@code done} is called
     */
    void submitWrite(long offset, ByteBuffer src, boolean fua, IoCompletion done);

    /** Makes every write completed before this call stable (SYNCHRONIZE CACHE). */
    void submitFlush(IoCompletion done);

    /** {@link #deallocate}, asynchronously (UNMAP, WRITE SAME with UNMAP). */
    void submitDeallocate(long offset, long length, IoCompletion done);

    /**
     * Runs {@code work} where this store's blocking work runs (its worker pool, or inline for a
     * store that never blocks), then completes {@code done} with what {@code work} threw. The
     * daemon runs commands that make several dependent store calls this way (VERIFY, WRITE
     * SAME, EXTENDED COPY), calling the synchronous methods from {@code work}.
     */
    void submitWork(StoreWork work, IoCompletion done);

    /**
     * Whether {@link #submitCompareAndWrite} compares and writes atomically against every other
     * writer of the store, including writers in other processes or on other machines. A store
     * that answers false leaves COMPARE AND WRITE to the daemon, which compares and writes under
     * the logical unit's exclusive write lock (atomic within one daemon).
     */
    default boolean comparesAndWrites() {
        return false;
    }

    /**
     * Compares the bytes at {@code offset} with {@code expected} and, only if all are equal,
     * writes {@code data} there (same length), atomically; completes with a
     * {@link MiscompareException} and writes nothing otherwise. Only called when
     * {@link #comparesAndWrites()} is true.
     *
     * @param fua the written bytes are on stable storage before {@code done} is called
     */
    default void submitCompareAndWrite(long offset, ByteBuffer expected, ByteBuffer data, boolean fua,
                                       IoCompletion done) {
        done.ioDone(new java.io.IOException(describe() + " has no atomic compare-and-write"));
    }

    /**
     * The most bytes {@link #submitCompareAndWrite} takes at once, from an offset that is a
     * multiple of this (a power of two), where the store's atomic operation has such a limit (Ceph
     * 16.2's rbd: one 512-byte sector); {@link Integer#MAX_VALUE} (the default) for none. The
     * daemon reports MAXIMUM COMPARE AND WRITE LENGTH within it (Block Limits VPD): 0 blocks, no
     * COMPARE AND WRITE, when it is smaller than a logical block.
     *
     * @since 1.7
     */
    default int compareAndWriteLimit() {
        return Integer.MAX_VALUE;
    }

    /** Blocking work for {@link #submitWork}. */
    @FunctionalInterface
    interface StoreWork {
        void run() throws java.io.IOException;
    }
}
