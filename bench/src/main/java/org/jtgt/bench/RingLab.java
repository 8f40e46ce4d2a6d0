package org.jtgt.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.jtgt.ring.SlotRing;

/**
 * The hot paths of {@link SlotRing} (offer and drain, no waiting) with each of the choices that
 * decide its cross-core cost behind a switch, so that {@link RingLabBenchmark} can show in one
 * JMH run what each one buys. Not a ring to use: no hostile-peer checks beyond what the hot path
 * of the real ring does, no await. The switches are final fields, so every variant pays the
 * same (predicted) branches; compare variants with each other, and {@link SlotRing} itself with
 * the variant {@link Variant#CURRENT}, which makes the same choices.
 */
public final class RingLab {
    /** How the consumer gives consumed slots back to producers. */
    enum Release {
        /**
         * The seed's: the consumer stores {@code status = FREE} in every slot as it reads it, so
         * each slot's first line goes back to the consumer's cache in modified state and the
         * producer must fetch it from there on its next lap.
         */
        FREE_PER_SLOT,
        /**
         * As Agrona does: the consumer reads the whole batch, then clears the statuses in a second
         * pass before it moves the head.
         */
        FREE_PER_BATCH,
        /**
         * No write-back: the status word holds the lap the record was published in, so a slot
         * whose status is the previous lap's is free without anyone clearing it.
         */
        LAP_STAMP
    }

    /** One row of the lab: which choices the ring makes. */
    public enum Variant {
        /** What {@link SlotRing} does now. */
        CURRENT(Release.LAP_STAMP, true, true, true, true),
        /** The seed's ring: a FREE store per consumed slot. */
        SEED(Release.FREE_PER_SLOT, true, true, true, true),
        /** CURRENT with the statuses cleared after each batch instead of stamped. */
        FREE_PER_BATCH(Release.FREE_PER_BATCH, true, true, true, true),
        /** CURRENT with claim counter, head and waiting flag packed on one cache line. */
        PACKED_COUNTERS(Release.LAP_STAMP, false, true, true, true),
        /** CURRENT with the head stored after every record rather than once per batch. */
        HEAD_PER_RECORD(Release.LAP_STAMP, true, false, true, true),
        /** CURRENT without the producer's cached head: it reads the consumer's head every offer. */
        NO_HEAD_CACHE(Release.LAP_STAMP, true, true, false, true),
        /** CURRENT without reading the waiting flag after a publish (no doorbell: not a usable ring). */
        NO_FLAG_READ(Release.LAP_STAMP, true, true, true, false);

        final Release release;
        final boolean padded;
        final boolean headPerBatch;
        final boolean headCache;
        final boolean flagRead;

        Variant(Release release, boolean padded, boolean headPerBatch, boolean headCache, boolean flagRead) {
            this.release = release;
            this.padded = padded;
            this.headPerBatch = headPerBatch;
            this.headCache = headCache;
            this.flagRead = flagRead;
        }
    }

    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_ELEMENT = MethodHandles.arrayElementVarHandle(long[].class);
    static final int HEADER_LENGTH = 512;
    private static final int SLOT_HEADER_LENGTH = 8;
    private static final int HEAD_CACHE_INDEX = 8;

    private final ByteBuffer region;
    private final int slotCount;
    private final int mask;
    private final int countShift;
    private final int slotShift;
    private final int claimIndex;
    private final int headIndex;
    private final int waitingIndex;
    private final boolean single;
    private final boolean lapStamp;
    private final boolean freePerSlot;
    private final boolean headPerBatch;
    private final boolean headCache;
    private final boolean flagRead;
    private final long[] cache = new long[2 * HEAD_CACHE_INDEX];

    RingLab(ByteBuffer region, int slotCount, int slotSize, boolean single, Variant variant) {
        this.region = region;
        this.slotCount = slotCount;
        this.mask = slotCount - 1;
        this.countShift = Integer.numberOfTrailingZeros(slotCount);
        this.slotShift = Integer.numberOfTrailingZeros(slotSize);
        // Padded: 128 bytes apart, as RingDescriptor; packed: three words of one line.
        this.claimIndex = variant.padded ? 128 : 64;
        this.headIndex = variant.padded ? 256 : 72;
        this.waitingIndex = variant.padded ? 384 : 80;
        this.single = single;
        this.lapStamp = variant.release == Release.LAP_STAMP;
        this.freePerSlot = variant.release == Release.FREE_PER_SLOT;
        this.headPerBatch = variant.headPerBatch;
        this.headCache = variant.headCache;
        this.flagRead = variant.flagRead;
        for (int i = 0; i < HEADER_LENGTH + slotCount * slotSize; i += Long.BYTES) {
            region.putLong(i, 0L);
        }
    }

    static int regionLength(int slotCount, int slotSize) {
        return HEADER_LENGTH + slotCount * slotSize;
    }

    private int published(long sequence) {
        return lapStamp ? (int) (sequence >>> countShift) + 1 : 1;
    }

    private int slotIndex(long sequence) {
        return HEADER_LENGTH + (((int) sequence & mask) << slotShift);
    }

    boolean offer(ByteBuffer src, int srcOffset, int length) {
        final long claim = single ? claimSingle() : claimMulti();
        if (claim < 0) {
            return false;
        }
        final int slot = slotIndex(claim);
        final ByteBuffer b = region;
        b.put(slot + SLOT_HEADER_LENGTH, src, srcOffset, length);
        INT.set(b, slot + 4, length);
        INT.setRelease(b, slot, published(claim));
        if (flagRead && (int) INT.getVolatile(b, waitingIndex) != 0) {
            throw new IllegalStateException("nobody waits in the lab");
        }
        return true;
    }

    private long headFor(long claim) {
        if (!headCache) {
            return (long) LONG.getAcquire(region, headIndex);
        }
        long cached = (long) LONG_ELEMENT.getAcquire(cache, HEAD_CACHE_INDEX);
        if (claim - cached >= slotCount) {
            long head = (long) LONG.getAcquire(region, headIndex);
            if (head != cached) {
                LONG_ELEMENT.setRelease(cache, HEAD_CACHE_INDEX, head);
            }
            return head;
        }
        return cached;
    }

    private long claimSingle() {
        final long claim = (long) LONG.get(region, claimIndex);
        if (claim - headFor(claim) >= slotCount) {
            return -1;
        }
        LONG.setRelease(region, claimIndex, claim + 1);
        return claim;
    }

    private long claimMulti() {
        long claim;
        do {
            claim = (long) LONG.getVolatile(region, claimIndex);
            if (claim - headFor(claim) >= slotCount) {
                return -1;
            }
        } while (!LONG.compareAndSet(region, claimIndex, claim, claim + 1));
        return claim;
    }

    int drain(SlotRing.RecordHandler handler, int limit) {
        final ByteBuffer b = region;
        final long first = (long) LONG.getAcquire(b, headIndex);
        long head = first;
        for (int n = 0; n < limit; n++) {
            final int slot = slotIndex(head);
            final int status = (int) INT.getAcquire(b, slot);
            if (status != published(head)) {
                break;
            }
            final int length = (int) INT.get(b, slot + 4);
            if (freePerSlot) {
                INT.set(b, slot, 0);
            }
            head++;
            handler.onRecord(b, slot + SLOT_HEADER_LENGTH, length);
            if (!headPerBatch) {
                LONG.setRelease(b, headIndex, head);
            }
        }
        if (head != first) {
            if (!lapStamp && !freePerSlot) {
                for (long s = first; s != head; s++) {
                    INT.set(b, slotIndex(s), 0);
                }
            }
            if (headPerBatch) {
                LONG.setRelease(b, headIndex, head);
            }
        }
        return (int) (head - first);
    }
}
