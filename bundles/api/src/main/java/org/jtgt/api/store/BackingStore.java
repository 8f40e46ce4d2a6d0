package org.jtgt.api.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Bytes behind one logical unit. Offsets are in bytes; callers (the daemon) have already checked
 * that every access lies inside {@link #size()}, and a store checks again and refuses anything
 * outside it rather than touching it. Safe for concurrent use.
 */
@ConsumerType
public interface BackingStore extends Closeable {
    /** Capacity in bytes. */
    long size();

    /** Fills {@code dst} from its position to its limit with the bytes at {@code offset}. */
    void read(long offset, ByteBuffer dst) throws IOException;

    /**
     * Stores {@code src} from its position to its limit at {@code offset}.
     *
     * @param fua force unit access: the bytes are on stable storage when this returns
     */
    void write(long offset, ByteBuffer src, boolean fua) throws IOException;

    /** Makes every completed write stable (SYNCHRONIZE CACHE). */
    void flush() throws IOException;

    /** Short description for listings: type and path or size. */
    String describe();

    /**
     * Deallocates {@code [offset, offset + length)} (UNMAP, WRITE SAME with UNMAP): afterwards
     * every byte of the range reads as zero, whatever the store does to get there. A store that
     * can give space back drops what lies wholly inside the range and zeroes the rest; the
     * default writes zeros, which meets the same contract and frees nothing.
     *
     * @since 1.1
     */
    default void deallocate(long offset, long length) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(length, DEALLOCATE_CHUNK));
        long done = 0;
        while (done < length) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), length - done));
            write(offset + done, zeros, false);
            done += zeros.limit();
        }
    }

    /**
     * How many bytes from {@code offset} on, at most {@code maxLength}, are all mapped
     * ({@code mapped = true}: backed by storage) or all deallocated ({@code false}); 0 when the
     * byte at {@code offset} is in the other state (GET LBA STATUS). The default says that
     * everything is mapped, which is true for a store that never gives space back.
     *
     * @since 1.1
     */
    default long runLength(long offset, long maxLength, boolean mapped) {
        return mapped ? maxLength : 0;
    }

    /**
     * The unit in bytes in which this store allocates and gives space back, a power of two, or
     * 0 if it has none worth reporting (Block Limits VPD: OPTIMAL UNMAP GRANULARITY).
     *
     * @since 1.1
     */
    default int deallocationGranularity() {
        return 0;
    }

    /**
     * Grows the store to {@code newSize} bytes (LUN resize). Afterwards {@link #size()} answers
     * {@code newSize}, the bytes below the old size are unchanged and the new ones read as zero.
     * Concurrent reads and writes inside the old size go on undisturbed; the caller publishes
     * the new capacity to initiators only after this returns, so nobody addresses the new bytes
     * before they exist. Stores never shrink: a smaller size is refused with an
     * {@link IllegalArgumentException}, the same size is no change. The default refuses growth.
     *
     * @throws IOException with a message for the user if the store cannot grow (read-only
     *         medium, no space, a type that has a fixed size)
     * @since 1.2
     */
    default void grow(long newSize) throws IOException {
        throw new IOException(describe() + " cannot change its size");
    }

    /**
     * Makes a store that was opened read-only writable (a LUN's write protection is switched
     * off while it runs); a store that is writable already does nothing, which is the default.
     *
     * @throws IOException with a message for the user if the medium cannot be written
     * @since 1.2
     */
    default void allowWrites() throws IOException {
    }

    /**
     * How the logical unit over this store is provisioned, told before the unit is added and
     * whenever it changes: {@code full = true} (not thin) reserves the whole capacity now, so
     * that no later write fails for want of space; {@code false} (thin) gives back what is
     * reserved and not in use, and space is then taken as writes need it, a write that cannot
     * get it failing with {@link SpaceAllocationFailedException}. A store whose space is not
     * shared with others does nothing, which is the default. Stores are opened thin.
     *
     * @throws SpaceAllocationFailedException with a message for the user if the capacity cannot
     *         be reserved; nothing changed
     * @since 1.3
     */
    default void provision(boolean full) throws IOException {
    }

    /**
     * Whether the synchronous methods may hold the calling thread on a device (a file, a
     * network). The daemon never calls a blocking store from a thread that delivers events: it
     * runs it on the logical unit's worker pool. A store that only touches memory answers false
     * and is called inline. Stores that implement {@link AsyncBackingStore} are used through it
     * whatever this says.
     *
     * @since 1.5
     */
    default boolean blocks() {
        return true;
    }

    /**
     * Whether {@link #deallocate} gives space back to where it came from (memory freed, holes
     * punched in a file) rather than writing zeros; the Logical Block Provisioning VPD page
     * reports a thin logical unit over a store that cannot as fully provisioned.
     *
     * @since 1.5
     */
    default boolean freesSpace() {
        return false;
    }

    /**
     * Bytes of this store backed by storage now (memory chunks, a file's allocated blocks), or
     * -1 if the store cannot tell (the Logical Block Provisioning log page's used resources).
     *
     * @since 1.6
     */
    default long allocatedBytes() {
        return -1;
    }

    /**
     * Bytes this store could still allocate for writes to unmapped blocks: at most the part of
     * its capacity not backed yet, less where the space it draws on (a memory budget, a file
     * system) has less; -1 if it cannot tell (the Logical Block Provisioning log page's available
     * resources).
     *
     * @since 1.6
     */
    default long availableBytes() {
        return -1;
    }

    /**
     * Whether {@link #availableBytes()} is space shared with other stores (a memory budget, a
     * file system), so other logical units' writes use it up too (the log page's SCOPE).
     *
     * @since 1.6
     */
    default boolean sharesSpace() {
        return true;
    }

    /**
     * The resets of this store's logical unit as every target (gateway) serving the store shares
     * them ({@link SharedUnitResets}), or null (the default): the store is served by this target
     * only, or its targets do not share resets.
     *
     * @throws IOException the store offers them but cannot set them up now
     * @since 1.9
     */
    default SharedUnitResets sharedResets() throws IOException {
        return null;
    }

    /**
     * Reads like {@link #read} if that can be done now, without waiting for a device (the bytes
     * are in memory already: a file's page cache, say): true when {@code dst} is filled from its
     * position to its limit. False promises nothing (part of {@code dst} may have been written)
     * and the caller then calls {@link #read} where it may block. The daemon calls this for a
     * READ over a store that {@link #blocks()}, on the thread that delivered the command, so
     * that a read the store can serve at once costs no hand-over to the unit's workers; it must
     * never wait. The default answers false.
     *
     * @throws IOException as {@link #read} would; the caller may retry through {@link #read}
     * @since 1.10
     */
    default boolean readNow(long offset, ByteBuffer dst) throws IOException {
        return false;
    }

    /** Bytes of zeros the default {@link #deallocate} writes at a time. */
    int DEALLOCATE_CHUNK = 64 * 1024;

    /**
     * The record this store keeps for persistent reservations shared by every target that serves
     * it (a store several gateways export), or {@code null} (the default): the daemon then keeps
     * them itself. Opened once per logical unit and closed with it.
     *
     * @since 1.8
     */
    default SharedReservations sharedReservations() throws IOException {
        return null;
    }
}
