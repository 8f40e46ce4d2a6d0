package org.jtgt.ring;

/**
 * Byte layout of a ring region: a header followed by {@code slotCount} slots of {@code slotSize}
 * bytes. Every field is little-endian; offsets are relative to the start of the region, which
 * must be 64-byte aligned inside its buffer.
 *
 * <p>Region header ({@link #HEADER_LENGTH} bytes). The fields every party writes live on lines of
 * their own, 128 bytes apart rather than 64, because the adjacent-line prefetcher of current x86
 * cores moves cache lines in pairs (Agrona's {@code RingBufferDescriptor} pads by two lines for
 * the same reason):
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                          magic (i32)                          |   0
 * +---------------------------------------------------------------+
 * |                         version (i32)                         |   4
 * +---------------------------------------------------------------+
 * |                        slot size (i32)                        |   8
 * +---------------------------------------------------------------+
 * |                       slot count (i32)                        |  12
 * +---------------------------------------------------------------+
 * |                      producer mode (i32)                      |  16
 * +---------------------------------------------------------------+
 * |                    reserved (108 bytes, 0)                    |  20
 * +---------------------------------------------------------------+
 * |                  producer claim counter (u64)                 | 128
 * |                                                               |
 * +---------------------------------------------------------------+
 * |                    reserved (120 bytes, 0)                    | 136
 * +---------------------------------------------------------------+
 * |                      consumer head (u64)                      | 256
 * |                                                               |
 * +---------------------------------------------------------------+
 * |                    reserved (120 bytes, 0)                    | 264
 * +---------------------------------------------------------------+
 * |                  consumer waiting flag (i32)                  | 384
 * +---------------------------------------------------------------+
 * |                    reserved (124 bytes, 0)                    | 388
 * +---------------------------------------------------------------+
 * |                   slot 0 (slot size bytes)                    | 512
 * +---------------------------------------------------------------+
 * |                              ...                              |
 * +---------------------------------------------------------------+
 * |             slot (slot count - 1) (slot size bytes)           | 512 + (slot count - 1) * slot size
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Slot ({@code slotSize} bytes, a power of two; the payload starts 8-byte aligned):
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                    status: lap stamp (i32)                    |   0
 * +---------------------------------------------------------------+
 * |                         length (i32)                          |   4
 * +---------------------------------------------------------------+
 * |              payload (slot size - 8 bytes) ...                |   8
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <ul>
 * <li><b>magic</b> is {@link #MAGIC}; its bytes in the file read {@code "JTRG"}.
 * <li><b>version</b> is {@link #VERSION}, written last by the creator with release semantics;
 *     0 means "not initialised yet".
 * <li><b>producer mode</b> is {@link #PRODUCER_MODE_MULTI} (any number of producers) or
 *     {@link #PRODUCER_MODE_SINGLE} (exactly one producer at a time), fixed by the creator; an
 *     attacher rejects any other value. The word was reserved, and zero, before modes existed,
 *     so every version-1 ring that predates it read as multi-producer.
 * <li><b>producer claim counter</b> counts slots ever claimed. Multiple producers advance it by
 *     CAS; the single producer of a {@link #PRODUCER_MODE_SINGLE} ring by an ordered store.
 * <li><b>consumer head</b> counts slots ever consumed; only the consumer writes it, once per
 *     batch of records.
 *     Both counters are unsigned 64-bit and never wrap in practice; a counter value {@code c}
 *     lives in slot {@code c & (slotCount - 1)}.
 * <li><b>consumer waiting flag</b> is non-zero while the consumer is about to park; a producer
 *     that sees it after publishing rings the doorbell.
 * <li><b>status</b> is a lap stamp: the record of counter value {@code c} is published by
 *     storing {@link #publishedStamp publishedStamp(c, slotCount)}, that is
 *     {@code (c >>> log2(slotCount)) + 1} truncated to 32 bits (its lap, counted from 1), with
 *     release semantics. While the slot waits for that record it still holds the stamp of the
 *     record one lap earlier, which is one less ({@link #STATUS_NEVER_PUBLISHED}, 0, on the first
 *     lap). Nobody writes a slot back after consuming it: the stamp alone tells a consumed slot
 *     from a published one, so a slot's line travels from producer to consumer only. To the
 *     consumer at counter value {@code h} any status other than these two is corruption.
 *     <b>length</b> is the record length, {@code 1..slotSize - 8}.
 * </ul>
 *
 * <p>Version 1 (the seed's) had {@code status} 0 (free) or 1 (published) and the consumer stored 0
 * in every slot it consumed; version 2 stamps laps instead. The two do not interoperate, so an
 * attacher rejects a version it does not read.
 */
public final class RingDescriptor {
    /** {@code "JTRG"} in file byte order (stored little-endian, so bytes 0..3 are J, T, R, G). */
    public static final int MAGIC = 0x4752544A;

    /** Layout version; the creator writes it last, an attacher rejects any other value. */
    public static final int VERSION = 2;

    /** Cache line assumed by the layout; the region offset must be a multiple of it. */
    public static final int CACHE_LINE_LENGTH = 64;

    /** Distance between fields written by different parties: two cache lines (see class doc). */
    public static final int COUNTER_SPACING = 2 * CACHE_LINE_LENGTH;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int SLOT_SIZE_OFFSET = 8;
    public static final int SLOT_COUNT_OFFSET = 12;
    /** i32: {@link #PRODUCER_MODE_MULTI} or {@link #PRODUCER_MODE_SINGLE}. */
    public static final int PRODUCER_MODE_OFFSET = 16;
    /** u64, alone on its line pair. */
    public static final int PRODUCER_CLAIM_OFFSET = COUNTER_SPACING;
    /** u64, alone on its line pair. */
    public static final int CONSUMER_HEAD_OFFSET = 2 * COUNTER_SPACING;
    /** i32, alone on its line pair. */
    public static final int CONSUMER_WAITING_OFFSET = 3 * COUNTER_SPACING;

    /** Length of the region header; slot 0 starts here. A multiple of {@link #CACHE_LINE_LENGTH}. */
    public static final int HEADER_LENGTH = 4 * COUNTER_SPACING;

    public static final int SLOT_STATUS_OFFSET = 0;
    public static final int SLOT_LENGTH_OFFSET = 4;
    /** {@code {i32 status, i32 length}}; the payload follows. */
    public static final int SLOT_HEADER_LENGTH = 8;

    /**
     * Slot status of a slot no record was ever published in (every slot of a new ring): the
     * stamp "free" of the first lap.
     */
    public static final int STATUS_NEVER_PUBLISHED = 0;

    /** Producer mode: any number of producers claim by CAS. Zero, so older rings read as this. */
    public static final int PRODUCER_MODE_MULTI = 0;
    /** Producer mode: one producer at a time claims by an ordered store. */
    public static final int PRODUCER_MODE_SINGLE = 1;

    /** Smallest slot: header plus one 8-byte word. */
    public static final int MIN_SLOT_SIZE = 16;
    public static final int MIN_SLOT_COUNT = 2;

    private RingDescriptor() {
    }

    /**
     * Bytes a ring of {@code slotCount} slots of {@code slotSize} bytes occupies:
     * {@code HEADER_LENGTH + slotCount * slotSize}.
     *
     * @throws IllegalArgumentException if either argument is negative or the result does not fit
     *         in an {@code int}
     */
    public static int regionLength(int slotCount, int slotSize) {
        if (slotCount < 0 || slotSize < 0) {
            throw new IllegalArgumentException(
                    "slot count and slot size must not be negative: " + slotCount + " x " + slotSize);
        }
        long length = HEADER_LENGTH + (long) slotCount * slotSize;
        if (length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "ring of " + slotCount + " slots of " + slotSize + " bytes exceeds 2 GiB: " + length);
        }
        return (int) length;
    }

    /** Offset, from the region start, of the slot holding counter value {@code sequence}. */
    public static int slotOffset(long sequence, int slotCount, int slotSize) {
        return HEADER_LENGTH + (int) (sequence & (slotCount - 1)) * slotSize;
    }

    /**
     * The status that publishes the record of counter value {@code sequence} in a ring of
     * {@code slotCount} slots (a power of two): {@code (sequence >>> log2(slotCount)) + 1}, in 32
     * bits. The slot holds one less until then.
     */
    public static int publishedStamp(long sequence, int slotCount) {
        return (int) (sequence >>> Integer.numberOfTrailingZeros(slotCount)) + 1;
    }

    /** Largest record a slot of {@code slotSize} bytes carries. */
    public static int maxRecordLength(int slotSize) {
        return slotSize - SLOT_HEADER_LENGTH;
    }
}
