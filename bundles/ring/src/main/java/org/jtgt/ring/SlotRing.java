package org.jtgt.ring;

import static org.jtgt.ring.RingDescriptor.CACHE_LINE_LENGTH;
import static org.jtgt.ring.RingDescriptor.CONSUMER_HEAD_OFFSET;
import static org.jtgt.ring.RingDescriptor.CONSUMER_WAITING_OFFSET;
import static org.jtgt.ring.RingDescriptor.HEADER_LENGTH;
import static org.jtgt.ring.RingDescriptor.MAGIC;
import static org.jtgt.ring.RingDescriptor.MAGIC_OFFSET;
import static org.jtgt.ring.RingDescriptor.MIN_SLOT_COUNT;
import static org.jtgt.ring.RingDescriptor.MIN_SLOT_SIZE;
import static org.jtgt.ring.RingDescriptor.PRODUCER_CLAIM_OFFSET;
import static org.jtgt.ring.RingDescriptor.PRODUCER_MODE_OFFSET;
import static org.jtgt.ring.RingDescriptor.SLOT_COUNT_OFFSET;
import static org.jtgt.ring.RingDescriptor.SLOT_HEADER_LENGTH;
import static org.jtgt.ring.RingDescriptor.SLOT_LENGTH_OFFSET;
import static org.jtgt.ring.RingDescriptor.SLOT_SIZE_OFFSET;
import static org.jtgt.ring.RingDescriptor.VERSION;
import static org.jtgt.ring.RingDescriptor.VERSION_OFFSET;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * A multi-producer (or single-producer), single-consumer ring of fixed-size slots in a direct
 * {@link ByteBuffer}, typically a {@link java.nio.MappedByteBuffer} that a peer in another process
 * maps too. The layout is {@link RingDescriptor}'s. Records are copied into slots; a full ring
 * refuses new records (back-pressure) and never drops or overwrites one. The creator chooses the
 * {@link ProducerMode} and records it in the header, so every attached party produces the same way.
 *
 * <h2>Protocol</h2>
 * <ol>
 * <li><b>Claim.</b> A producer reads the claim counter and the consumer head (acquire) and, only
 *     if {@code claim - head < slotCount}, advances the claim counter: by CAS on a
 *     {@link ProducerMode#MULTI} ring, by an ordered (release) store on a
 *     {@link ProducerMode#SINGLE} ring, whose one producer owns the counter as Agrona's
 *     {@code OneToOneRingBuffer} producer owns its tail. The slot of counter value {@code claim}
 *     is now its own; no other producer can claim it until the consumer has consumed it and moved
 *     the head past it. Either way the producer keeps the last head it read and reads the
 *     consumer's counter again only when that cached head makes the ring look full.
 * <li><b>Write.</b> It copies the payload and writes the length with plain stores.
 * <li><b>Publish, then signal.</b> It stores the slot's status, the record's lap stamp
 *     ({@link RingDescriptor#publishedStamp}: the lap of {@code claim}, plus one), with release
 *     semantics, so the payload and length are visible to whoever sees the status; then, if the
 *     consumer-waiting flag is set, it unparks the consumer. This is the order of Agrona's
 *     {@code OneToOneRingBuffer}/{@code ManyToOneRingBuffer} (write the body, publish the header
 *     with an ordered store, signal afterwards).
 * <li><b>Consume.</b> The single consumer reads {@code status} of the slot at the head with
 *     acquire semantics; if it is the stamp of the head's lap it validates the length and hands
 *     the payload to the handler. It writes nothing into the slot: the previous lap's stamp the
 *     slot keeps is what "free" means to the next producer. After a batch of records it advances
 *     the head once, with a release store, which gives the slots back to producers.
 * </ol>
 * What crosses between cores per record is therefore the slot's line, once, from producer to
 * consumer; the consumer's head moves once per batch and producers read it only when the head
 * they cached makes the ring look full; each counter has a line pair of its own
 * ({@link RingDescriptor}). The seed's consumer stored {@code status = 0} into every slot it
 * read, so every line went back to the consumer modified and the producer had to fetch it back
 * on its next lap: about half the cross-core rate of Agrona's rings, which clear consumed space
 * in one pass per batch ({@code RingLabBenchmark} in the benchmarks compares both with this).
 * A producer that has claimed but not yet published holds back the records claimed after it: the
 * consumer consumes strictly in claim order, so each producer's records arrive in the order it
 * offered them.
 *
 * <h2>Waiting</h2>
 * {@link #await} spins briefly, then yields a few times (both cut short by
 * {@link #wakeConsumer}), then sets the consumer-waiting flag
 * with a volatile store and re-checks with volatile loads before it parks. The re-check reads
 * both the slot status and the claim counter: a producer's claim CAS and the consumer's flag store are the Dekker pair (each
 * is a full fence, each side then loads what the other stored), so either the producer sees the
 * flag after publishing and unparks the consumer, or the consumer sees the claim and polls until
 * the record is published instead of sleeping. Parks last at most 1 ms, so a producer in another
 * process, which cannot unpark this thread, is still seen promptly. The yield phase matters when
 * producer, consumer and the consumer's own peer share fewer cores than threads: a consumer that
 * parks at once makes every later offer pay for an unpark (a system call) and a wake-up, while a
 * yielding one hands the core to the producer and is still awake, flag clear, when the next
 * record lands (measured on 2 cores: the one-host transport benchmark roughly doubled).
 *
 * <p>The producer of a {@link ProducerMode#SINGLE} ring executes no fence: a full fence between
 * publishing and reading the flag would cost it what the CAS costs (measured: most of the gain of
 * the mode). So the producer may read the flag as clear while its claim and record are still in
 * flight to the consumer, which then sees neither and would sleep without a doorbell. Before
 * sleeping on a SINGLE ring the consumer therefore spins a little longer watching the claim
 * counter, which gives stores already issued the time to arrive (on current hardware a store
 * buffer drains in well under a microsecond); the 1 ms bound on every park remains the backstop
 * the Java memory model guarantees. A missed doorbell costs latency, never a record.
 *
 * <h2>The peer is hostile</h2>
 * Everything read from the region is checked before it is used, as TCMU checks command ids read
 * from its ring ({@code target_core_user.c}): sizes are read once, at {@link #attach}, and
 * validated; every slot index is masked; a slot status other than the two stamps the head's lap
 * allows (published, or the previous lap's), or a length outside {@code 1..maxRecordLength()},
 * makes {@link #drain} throw {@link RingFormatException} and leave the ring as it is. A handler
 * must still assume the payload bytes may change under it while a peer misbehaves.
 *
 * <p>Thread safety: on a {@link ProducerMode#MULTI} ring {@link #offer} and {@link #send} may be
 * called from any number of threads and processes; on a {@link ProducerMode#SINGLE} ring from one
 * thread at a time across all processes (two at once may claim the same slot, which the ring does
 * not detect: checking would cost the atomic instruction the mode exists to avoid).
 * {@link #drain} and {@link #await} are called from one consumer thread at a time (across all
 * processes). Offer, drain and await never allocate.
 */
public final class SlotRing {
    /** A record handed to the consumer. */
    @FunctionalInterface
    public interface RecordHandler {
        /**
         * Called once per record, in ring order. {@code buffer} is the ring's region buffer and
         * {@code [offset, offset + length)} the record, valid only during the call: read it with
         * absolute accessors and do not keep it. If the handler throws, the record counts as
         * consumed and the exception propagates out of {@link SlotRing#drain}.
         */
        void onRecord(ByteBuffer buffer, int offset, int length);
    }

    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_ELEMENT = MethodHandles.arrayElementVarHandle(long[].class);
    /** The head cache sits mid-array with 64 bytes of padding on either side. */
    private static final int HEAD_CACHE_INDEX = 8;

    /** Longest single park of {@link #await}: a producer without a doorbell is seen within it. */
    private static final long MAX_AWAIT_PARK_NANOS = 1_000_000L;
    /** Time without a record after which a consumer whose producers wake it parks unbounded. */
    static final long LONG_PARK_AFTER_NANOS = 1_000_000_000L;
    /** Longest single park of {@link #send} while the ring is full. */
    private static final long MAX_SEND_PARK_NANOS = 100_000L;
    private static final long MIN_PARK_NANOS = 1_000L;
    private static final int SPIN_TRIES = 100;
    private static final int YIELD_TRIES = 10;

    private final ByteBuffer region;
    private final int slotCount;
    private final int slotSize;
    private final int mask;
    /** log2(slotCount): counter value >>> countShift is its lap. */
    private final int countShift;
    private final int slotShift;
    private final int maxRecordLength;
    /** Absolute buffer indices, so the hot paths add nothing but the slot offset. */
    private final int claimIndex;
    private final int headIndex;
    private final int waitingIndex;
    private final int slotsIndex;
    private final ProducerMode producerMode;
    private final boolean singleProducer;

    private volatile Thread consumerThread;
    /** Rung instead of an unpark when no consumer thread is known here (it runs in another process). */
    private volatile Runnable doorbell;
    private volatile boolean wakeRequested;
    /** Set by {@link #setProducersWakeConsumer}: every producer wakes a waiting consumer. */
    private volatile boolean producersWake;
    /** Parks of {@link #await} with nothing claimed; read by tests only. */
    private long idleParks;
    /** Yields of the consumer's waits before they set the waiting flag, since the ring was created here (tests). */
    private long yields;
    /**
     * How long the ring must have stayed empty before such a consumer parks without the 1 ms
     * bound. Below it the bound stays even when producers wake the consumer, so a ring in use
     * waits as it always did: a consumer woken by a busy producer may wait milliseconds for a core
     * (seen in the transport swap test: 10-20 ms after the first of several doorbells), while its
     * own timer wakes it sooner. Settable by tests.
     */
    private long longParkAfterNanos = LONG_PARK_AFTER_NANOS;
    /** The consumer's head when the ring was last found empty, and since when (consumer only). */
    private long idleHead = -1;
    private long idleSince;
    /**
     * Element {@link #HEAD_CACHE_INDEX}: the last consumer head a producer of this instance read.
     * Heads only grow, so a stale value only makes the ring look fuller than it is, and then the
     * producer reads the real head; it saves touching the consumer's line on nearly every offer.
     * Padded so that producers writing it do not invalidate the line holding this object's fields,
     * which the consumer reads on every drain; written only when it changes; accessed with
     * acquire/release, so a producer that trusts it is ordered after the consumer's last reads
     * of the slots it gave back.
     */
    private final long[] headCache = new long[2 * HEAD_CACHE_INDEX];

    private SlotRing(ByteBuffer region, int offset, int slotCount, int slotSize, ProducerMode producerMode) {
        this.region = region;
        this.producerMode = producerMode;
        this.singleProducer = producerMode == ProducerMode.SINGLE;
        this.slotCount = slotCount;
        this.slotSize = slotSize;
        this.mask = slotCount - 1;
        this.countShift = Integer.numberOfTrailingZeros(slotCount);
        this.slotShift = Integer.numberOfTrailingZeros(slotSize);
        this.maxRecordLength = RingDescriptor.maxRecordLength(slotSize);
        this.claimIndex = offset + PRODUCER_CLAIM_OFFSET;
        this.headIndex = offset + CONSUMER_HEAD_OFFSET;
        this.waitingIndex = offset + CONSUMER_WAITING_OFFSET;
        this.slotsIndex = offset + HEADER_LENGTH;
    }

    /**
     * Initialises a {@link ProducerMode#MULTI} ring: {@code create(region, offset, slotCount,
     * slotSize, ProducerMode.MULTI)}.
     *
     * @see #create(ByteBuffer, int, int, int, ProducerMode)
     */
    public static SlotRing create(ByteBuffer region, int offset, int slotCount, int slotSize) {
        return create(region, offset, slotCount, slotSize, ProducerMode.MULTI);
    }

    /**
     * Initialises a ring in {@code region[offset, offset + regionLength(slotCount, slotSize))}:
     * clears the version, zeroes the counters, the flag and every slot, writes magic, sizes and
     * producer mode, and writes {@link RingDescriptor#VERSION} last with release semantics, so an
     * attacher that sees the version sees the rest. Nobody may use a ring at this place while it
     * is created.
     *
     * @param region a direct, writable buffer (for example a {@link java.nio.MappedByteBuffer})
     * @param offset where the ring starts; a multiple of 64
     * @param slotCount number of slots; a power of two, at least 2
     * @param slotSize bytes per slot including the 8-byte slot header; a power of two, at least 16
     * @param producerMode whether any number of producers may offer at once, or one at a time
     * @throws IllegalArgumentException if the buffer is a heap or read-only buffer, the offset is
     *         misaligned, a size is invalid, or the ring does not fit below the buffer's limit
     */
    public static SlotRing create(ByteBuffer region, int offset, int slotCount, int slotSize,
            ProducerMode producerMode) {
        Objects.requireNonNull(producerMode, "producerMode");
        checkRegionBuffer(region, offset);
        if (slotCount < MIN_SLOT_COUNT || Integer.bitCount(slotCount) != 1) {
            throw new IllegalArgumentException(
                    "slot count must be a power of two >= " + MIN_SLOT_COUNT + ", got " + slotCount);
        }
        if (slotSize < MIN_SLOT_SIZE || Integer.bitCount(slotSize) != 1) {
            throw new IllegalArgumentException(
                    "slot size must be a power of two >= " + MIN_SLOT_SIZE + ", got " + slotSize);
        }
        int length = RingDescriptor.regionLength(slotCount, slotSize);
        if ((long) offset + length > region.limit()) {
            throw new IllegalArgumentException("buffer too small: a ring of " + slotCount + " slots of " + slotSize
                    + " bytes needs " + length + " bytes at offset " + offset + ", buffer limit is " + region.limit());
        }

        INT.setVolatile(region, offset + VERSION_OFFSET, 0);
        for (int i = offset; i < offset + length; i += Long.BYTES) {
            if (i != offset + MAGIC_OFFSET) { // magic and version share this word; version stays 0
                LONG.set(region, i, 0L);
            }
        }
        INT.set(region, offset + MAGIC_OFFSET, MAGIC);
        INT.set(region, offset + SLOT_SIZE_OFFSET, slotSize);
        INT.set(region, offset + SLOT_COUNT_OFFSET, slotCount);
        INT.set(region, offset + PRODUCER_MODE_OFFSET, producerMode.code());
        INT.setRelease(region, offset + VERSION_OFFSET, VERSION);
        return new SlotRing(region, offset, slotCount, slotSize, producerMode);
    }

    /**
     * Attaches to a ring another party created at {@code offset}, possibly in another process.
     * The sizes and the producer mode are read once, here, and validated; later changes to the
     * header are ignored. The attached ring produces in the creator's mode: on a
     * {@link ProducerMode#SINGLE} ring, all instances together still make one producer at a time.
     *
     * @throws IllegalArgumentException if the buffer is a heap or read-only buffer or the offset is
     *         misaligned (a mistake of the caller)
     * @throws RingFormatException if the region does not hold a valid ring: too small for the
     *         header, version 0 (not initialised), wrong magic, unknown version, sizes that are not
     *         powers of two in range, an unknown producer mode, or a ring that does not fit below
     *         the buffer's limit
     */
    public static SlotRing attach(ByteBuffer region, int offset) {
        checkRegionBuffer(region, offset);
        if ((long) offset + HEADER_LENGTH > region.limit()) {
            throw new RingFormatException("buffer too small for a ring header: " + HEADER_LENGTH
                    + " bytes at offset " + offset + ", buffer limit is " + region.limit());
        }
        int version = (int) INT.getAcquire(region, offset + VERSION_OFFSET);
        if (version == 0) {
            throw new RingFormatException("no ring at offset " + offset
                    + ": version is 0 (not initialised, or creation in progress)");
        }
        int magic = (int) INT.get(region, offset + MAGIC_OFFSET);
        if (magic != MAGIC) {
            throw new RingFormatException(String.format(
                    "no ring at offset %d: magic is 0x%08x, expected 0x%08x", offset, magic, MAGIC));
        }
        if (version != VERSION) {
            throw new RingFormatException("unsupported ring version " + version + " at offset " + offset
                    + ", this implementation reads version " + VERSION);
        }
        int slotSize = (int) INT.get(region, offset + SLOT_SIZE_OFFSET);
        int slotCount = (int) INT.get(region, offset + SLOT_COUNT_OFFSET);
        if (slotSize < MIN_SLOT_SIZE || Integer.bitCount(slotSize) != 1) {
            throw new RingFormatException(
                    "corrupt ring header: slot size " + slotSize + " is not a power of two >= " + MIN_SLOT_SIZE);
        }
        if (slotCount < MIN_SLOT_COUNT || Integer.bitCount(slotCount) != 1) {
            throw new RingFormatException(
                    "corrupt ring header: slot count " + slotCount + " is not a power of two >= " + MIN_SLOT_COUNT);
        }
        ProducerMode producerMode = ProducerMode.ofCode((int) INT.get(region, offset + PRODUCER_MODE_OFFSET));
        long length = HEADER_LENGTH + (long) slotCount * slotSize;
        if (offset + length > region.limit()) {
            throw new RingFormatException("ring of " + slotCount + " slots of " + slotSize + " bytes needs " + length
                    + " bytes at offset " + offset + ", buffer limit is " + region.limit());
        }
        return new SlotRing(region, offset, slotCount, slotSize, producerMode);
    }

    private static void checkRegionBuffer(ByteBuffer region, int offset) {
        Objects.requireNonNull(region, "region");
        if (!region.isDirect()) {
            throw new IllegalArgumentException("a ring needs a direct ByteBuffer (allocateDirect or FileChannel.map);"
                    + " a heap buffer can neither be shared with another process nor accessed atomically");
        }
        if (region.isReadOnly()) {
            throw new IllegalArgumentException("a ring needs a writable buffer, got a read-only one");
        }
        if (offset < 0 || offset % CACHE_LINE_LENGTH != 0) {
            throw new IllegalArgumentException(
                    "ring offset must be a non-negative multiple of " + CACHE_LINE_LENGTH + ", got " + offset);
        }
        if (offset > region.limit()) {
            throw new IllegalArgumentException("ring offset " + offset + " lies beyond the buffer limit " + region.limit());
        }
        if (region.alignmentOffset(offset, Long.BYTES) != 0) {
            throw new IllegalArgumentException("ring offset " + offset
                    + " is not 8-byte aligned in memory (a slice at an odd position?); atomic access needs it");
        }
    }

    public int slotCount() {
        return slotCount;
    }

    public int slotSize() {
        return slotSize;
    }

    /** How producers claim slots; recorded in the header by whoever created the ring. */
    public ProducerMode producerMode() {
        return producerMode;
    }

    /** Largest record one slot carries: {@code slotSize - SLOT_HEADER_LENGTH}. */
    public int maxRecordLength() {
        return maxRecordLength;
    }

    /**
     * Copies {@code src[srcOffset, srcOffset + length)} into a free slot and publishes it. Wakes
     * the consumer if it waits. On a {@link ProducerMode#MULTI} ring safe for any number of
     * concurrent producers; on a {@link ProducerMode#SINGLE} ring only one thread (in one process)
     * may call it at a time, see {@link ProducerMode#SINGLE}.
     *
     * @return false if the ring is full (or its counters were corrupted so that the head lies
     *         beyond the claim counter); nothing was written then
     * @throws IllegalArgumentException if {@code length} is not in {@code 1..maxRecordLength()}
     * @throws IndexOutOfBoundsException if the range does not lie inside {@code src}'s limit
     */
    public boolean offer(ByteBuffer src, int srcOffset, int length) {
        if (length <= 0 || length > maxRecordLength) {
            throw invalidLength(length);
        }
        Objects.checkFromIndexSize(srcOffset, length, src.limit());
        final long claim = singleProducer ? claimSingle() : claimMulti();
        if (claim < 0) {
            return false;
        }
        final ByteBuffer b = region;
        final int slot = slotsIndex + (((int) claim & mask) << slotShift);
        b.put(slot + SLOT_HEADER_LENGTH, src, srcOffset, length);
        INT.set(b, slot + SLOT_LENGTH_OFFSET, length);
        INT.setRelease(b, slot, publishedStamp(claim));
        // On a SINGLE ring nothing fences the publish from this load; see "Waiting" in the class
        // comment for why a doorbell missed here costs the consumer microseconds, not a park.
        if ((int) INT.getVolatile(b, waitingIndex) != 0) {
            ringDoorbell();
        }
        return true;
    }

    /** Claims the next slot by CAS; returns its counter value, or -1 if the ring is full. */
    private long claimMulti() {
        final ByteBuffer b = region;
        final int claimIdx = claimIndex;
        final long capacity = slotCount;
        final long[] cache = headCache;
        long claim;
        do {
            claim = (long) LONG.getVolatile(b, claimIdx);
            final long cachedHead = (long) LONG_ELEMENT.getAcquire(cache, HEAD_CACHE_INDEX);
            // Unsigned: a head beyond the claim (impossible unless a peer wrote it) also refreshes.
            if (Long.compareUnsigned(claim - cachedHead, capacity) >= 0) {
                final long head = (long) LONG.getAcquire(b, headIndex);
                if (head != cachedHead) {
                    LONG_ELEMENT.setRelease(cache, HEAD_CACHE_INDEX, head);
                }
                final long used = claim - head;
                if (used >= capacity) {
                    return -1;
                }
                if (used < 0) {
                    // The consumer moved past the claim we read, so it is stale and the CAS
                    // below fails, unless the current claim is behind the head too: then a peer
                    // corrupted the counters, and refusing beats overwriting unread records.
                    if ((long) LONG.getVolatile(b, claimIdx) - head < 0) {
                        return -1;
                    }
                    continue;
                }
            }
            // The capacity check held against a head that can only have grown since, so if the
            // claim is still current the slot is free.
        } while (!LONG.compareAndSet(b, claimIdx, claim, claim + 1));
        return claim;
    }

    /**
     * Claims the next slot with an ordered store, for the one producer of a
     * {@link ProducerMode#SINGLE} ring; returns its counter value, or -1 if the ring is full.
     */
    private long claimSingle() {
        final ByteBuffer b = region;
        // Only this producer writes the claim counter, so a plain load sees its own last store
        // (or, after a hand-over, the previous producer's, through the required happens-before).
        final long claim = (long) LONG.get(b, claimIndex);
        final long[] cache = headCache;
        // Plain: only this producer uses the cache, and it read every value in it with acquire.
        final long cachedHead = cache[HEAD_CACHE_INDEX];
        // Unsigned: a head beyond the claim (impossible unless a peer wrote it) also refreshes,
        // and then refuses rather than overwrite unread records.
        if (Long.compareUnsigned(claim - cachedHead, slotCount) >= 0) {
            final long head = (long) LONG.getAcquire(b, headIndex);
            cache[HEAD_CACHE_INDEX] = head;
            if (Long.compareUnsigned(claim - head, slotCount) >= 0) {
                return -1;
            }
        }
        // The consumer read the slot's last record before the head we read moved past it (see
        // drain), and its stamp says "free" for this lap, so nothing needs clearing here.
        // Release: await reads the claim to decide whether to sleep.
        LONG.setRelease(b, claimIndex, claim + 1);
        return claim;
    }

    /**
     * Like {@link #offer}, but while the ring is full retries: spinning briefly
     * ({@link Thread#onSpinWait}), then yielding, then parking for a bound that grows up to
     * 100 µs.
     *
     * @param timeoutNanos how long to keep trying; 0 or less tries once
     * @return true once the record is published; false if the ring stayed full for
     *         {@code timeoutNanos} or the thread is interrupted (its interrupt status stays set)
     */
    public boolean send(ByteBuffer src, int srcOffset, int length, long timeoutNanos) {
        if (offer(src, srcOffset, length)) {
            return true;
        }
        if (timeoutNanos <= 0) {
            return false;
        }
        final long start = System.nanoTime();
        final Thread self = Thread.currentThread();
        int tries = 0;
        long parkNanos = MIN_PARK_NANOS;
        while (true) {
            if (self.isInterrupted()) {
                return false;
            }
            long remaining = timeoutNanos - (System.nanoTime() - start);
            if (remaining <= 0) {
                return false;
            }
            if (tries < SPIN_TRIES) {
                tries++;
                Thread.onSpinWait();
            } else if (tries < SPIN_TRIES + YIELD_TRIES) {
                tries++;
                Thread.yield();
            } else {
                LockSupport.parkNanos(this, Math.min(parkNanos, remaining));
                parkNanos = Math.min(parkNanos << 1, MAX_SEND_PARK_NANOS);
            }
            if (offer(src, srcOffset, length)) {
                return true;
            }
        }
    }

    /**
     * Consumes up to {@code limit} published records in ring order, calling {@code handler} for
     * each, and gives their slots back to producers by advancing the head once at the end.
     * Single consumer only.
     *
     * @return the number of records consumed (0 if none was ready or {@code limit <= 0})
     * @throws RingFormatException if the next slot has a status other than its lap's published
     *         stamp or the stamp before it, or a length outside {@code 1..maxRecordLength()}; the
     *         records before it are consumed, the bad slot and the head are left as they are, and
     *         every later drain throws again
     */
    public int drain(RecordHandler handler, int limit) {
        Objects.requireNonNull(handler, "handler");
        final ByteBuffer b = region;
        final int hdIdx = headIndex;
        final int base = slotsIndex;
        final int m = mask;
        final int shift = slotShift;
        final int maxLength = maxRecordLength;
        final long first = (long) LONG.getAcquire(b, hdIdx);
        long head = first;
        try {
            for (int n = 0; n < limit; n++) {
                final int slot = base + (((int) head & m) << shift);
                final int status = (int) INT.getAcquire(b, slot);
                final int published = publishedStamp(head);
                if (status != published) {
                    if (status != published - 1) {
                        throw corrupted(head, "status " + status + " (expected " + (published - 1) + " or "
                                + published + ")");
                    }
                    break;
                }
                final int length = (int) INT.get(b, slot + SLOT_LENGTH_OFFSET);
                if (length <= 0 || length > maxLength) {
                    throw corrupted(head, "length " + length + " not in 1.." + maxLength);
                }
                // Nothing is written back to the slot: its stamp reads "free" to the producer
                // that claims it next (one lap on) once the head below has moved past it.
                head++;
                handler.onRecord(b, slot + SLOT_HEADER_LENGTH, length);
            }
        } finally {
            if (head != first) {
                LONG.setRelease(b, hdIdx, head);
            }
        }
        return (int) (head - first);
    }

    /**
     * Waits until a record is ready at the head (or the slot there holds something that
     * {@link #drain} will reject). Single consumer only; see the class comment for the protocol.
     *
     * @param timeoutNanos how long to wait at most; 0 or less only checks
     * @return true as soon as a record is ready; false on timeout, when the thread is interrupted
     *         (its interrupt status stays set), or when {@link #wakeConsumer()} was called (each
     *         call ends one wait, possibly the next one if none is in progress)
     */
    public boolean await(long timeoutNanos) {
        if (isReady()) {
            return true;
        }
        if (timeoutNanos <= 0) {
            return false;
        }
        final long start = System.nanoTime();
        // A wake-up asked for meanwhile ends the spinning and yielding too: on a loaded machine
        // ten yields can take tens of milliseconds, which a connection shutting down would wait.
        for (int i = 0; i < SPIN_TRIES && !wakeRequested; i++) {
            Thread.onSpinWait();
            if (isReady()) {
                return true;
            }
        }
        for (int i = 0; i < YIELD_TRIES && !wakeRequested; i++) {
            Thread.yield();
            yields++;
            if (isReady()) {
                return true;
            }
        }
        final ByteBuffer b = region;
        final Thread self = Thread.currentThread();
        int inFlightWaits = 0;
        long inFlightPark = MIN_PARK_NANOS;
        while (true) {
            if (wakeRequested) {
                wakeRequested = false;
                return false;
            }
            if (self.isInterrupted()) {
                return false;
            }
            long remaining = timeoutNanos - (System.nanoTime() - start);
            if (remaining <= 0) {
                return false;
            }
            INT.setVolatile(b, waitingIndex, 1);
            try {
                final long head = (long) LONG.getVolatile(b, headIndex);
                long claim = (long) LONG.getVolatile(b, claimIndex);
                if ((int) INT.getVolatile(b, slotsIndex + (((int) head & mask) << slotShift))
                        != publishedStamp(head) - 1) {
                    return true;
                }
                if (claim == head && singleProducer) {
                    // The single producer claims and publishes without a fence, so it may have
                    // read the flag as clear while its claim was still on its way to us: give
                    // stores already issued the time to arrive before going to sleep.
                    for (int i = 0; i < SPIN_TRIES && claim == head; i++) {
                        Thread.onSpinWait();
                        claim = (long) LONG.getVolatile(b, claimIndex);
                    }
                }
                if (claim == head) {
                    // Nothing claimed: a producer claiming from now on sees the flag (a SINGLE
                    // producer only in practice, hence the re-check above and the bounded park).
                    // When every producer is known to wake us (a MULTI ring, whose claim CAS and
                    // our flag store are the Dekker pair) and the ring has been empty for a while,
                    // sleep until woken or the wait is over.
                    idleParks++;
                    long park = Math.min(remaining, MAX_AWAIT_PARK_NANOS);
                    if (producersWake && !singleProducer) {
                        final long now = System.nanoTime();
                        if (head != idleHead) {
                            idleHead = head;
                            idleSince = now;
                        }
                        if (now - idleSince >= longParkAfterNanos) {
                            park = remaining;
                        }
                    }
                    LockSupport.parkNanos(this, park);
                } else if (inFlightWaits < YIELD_TRIES) {
                    // Claimed but not yet published: the producer is copying, and it may have
                    // read the flag before we set it, so poll rather than count on a doorbell.
                    inFlightWaits++;
                    Thread.yield();
                } else {
                    LockSupport.parkNanos(this, Math.min(remaining, inFlightPark));
                    inFlightPark = Math.min(inFlightPark << 1, MAX_AWAIT_PARK_NANOS);
                }
            } finally {
                INT.setRelease(b, waitingIndex, 0);
            }
            if (isReady()) {
                return true;
            }
        }
    }

    /** True if the slot at the head is not free: a published record, or corruption for drain. */
    private boolean isReady() {
        final ByteBuffer b = region;
        final long head = (long) LONG.getAcquire(b, headIndex);
        final int status = (int) INT.getAcquire(b, slotsIndex + (((int) head & mask) << slotShift));
        return status != publishedStamp(head) - 1;
    }

    /**
     * The status word of the slot of counter value {@code sequence} once that record is
     * published: its lap plus one ({@link RingDescriptor#publishedStamp}). The same slot holds
     * one less while it waits for that record (the previous lap's stamp, or 0 on the first lap).
     */
    private int publishedStamp(long sequence) {
        return (int) (sequence >>> countShift) + 1;
    }

    /**
     * Sets the thread a producer unparks when it publishes while the consumer waits (the
     * in-process doorbell). With none set, the consumer relies on its bounded parks.
     */
    public void setConsumerThread(Thread consumer) {
        this.consumerThread = consumer;
    }

    /**
     * Sets what a producer of this instance rings when it publishes while the consumer waits and
     * no consumer thread is set here: the consumer runs in another process, which an unpark
     * cannot reach (a byte on a socket the consumer's side listens on, say). Called at most once
     * per wait, never on a busy consumer. Without one, the consumer relies on its bounded parks.
     *
     * @since 1.1
     */
    public void setDoorbell(Runnable doorbell) {
        this.doorbell = doorbell;
    }

    /**
     * Tells the consumer that every producer of this ring, in whatever process, wakes it when it
     * publishes while the consumer waits: through this instance's {@linkplain #setConsumerThread
     * consumer thread} (all producers in this process) or through a doorbell that the producers'
     * instances ring. Then, once the ring has been empty for a second, a {@link ProducerMode#MULTI}
     * ring's {@link #await} parks for the rest of the wait when nothing is claimed, instead of at
     * most 1 ms at a time, so an idle consumer costs almost no wake-ups (a transport standing by
     * in an idle target made a thousand a second); a busy one keeps its bounded parks.
     * A {@link ProducerMode#SINGLE} ring keeps its bounded parks: its producer executes no fence
     * and may read the waiting flag before the consumer's store reaches it. Off by default.
     *
     * @since 1.2
     */
    public void setProducersWakeConsumer(boolean on) {
        this.producersWake = on;
    }

    /** Parks of the consumer's waits that found nothing claimed, since the ring was created here. */
    long idleParks() {
        return idleParks;
    }

    /** Yields of the consumer's waits before they set the waiting flag (for tests). */
    long yields() {
        return yields;
    }

    /** For tests: how long the ring must stay empty before unbounded parks. */
    void longParkAfter(long nanos) {
        this.longParkAfterNanos = nanos;
    }

    /** Ends the consumer's current (or next) {@link #await}, which returns false; for shutdown. */
    public void wakeConsumer() {
        wakeRequested = true;
        Thread t = consumerThread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Approximate number of records claimed or published and not yet consumed. */
    public int size() {
        final long head = (long) LONG.getVolatile(region, headIndex);
        final long claim = (long) LONG.getVolatile(region, claimIndex);
        return (int) Math.max(0, Math.min(claim - head, slotCount));
    }

    private void ringDoorbell() {
        Thread t = consumerThread;
        if (t != null) {
            LockSupport.unpark(t);
            return;
        }
        Runnable d = doorbell;
        if (d != null) {
            d.run();
        }
    }

    private IllegalArgumentException invalidLength(int length) {
        return new IllegalArgumentException("record length " + length + " not in 1.." + maxRecordLength);
    }

    private RingFormatException corrupted(long sequence, String what) {
        return new RingFormatException("corrupted ring: slot " + (sequence & mask) + " (record " + sequence
                + ") has " + what + "; the ring is left as it is and must not be used further");
    }

    @Override
    public String toString() {
        return "SlotRing[" + slotCount + " x " + slotSize + " bytes, " + producerMode + " producer, size " + size()
                + "]";
    }
}
