package org.jtgt.daemon;

import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The ROD tokens one target's copy manager has made (POPULATE TOKEN, SBC-4; ROD tokens, SPC-4),
 * shared by every I_T nexus and logical unit of the target, and bounded: {@value #CAPACITY}
 * tokens at once, each of at most {@value #MAX_RANGES} ranges, all preallocated.
 *
 * <p>A token is 512 bytes; the initiator gets a copy and presents it back whole (WRITE USING
 * TOKEN). It names nothing by itself: the table holds the token's bytes and finds a presented
 * token by comparing all 512, so a token that was never made here, or was altered, matches
 * nothing. Bytes 256..511 come from a {@link SecureRandom}, so a token cannot be guessed from
 * others. The layout (SPC-4 ROD token format):
 *
 * <pre>
 *   0   ROD TYPE (00800000h point in time copy - default, or 00800001h - change vulnerable)
 *   4   reserved
 *   6   ROD TOKEN LENGTH = 01F8h
 *   8   COPY MANAGER ROD TOKEN IDENTIFIER (a counter, for a quick look-up)
 *  16   CREATOR LOGICAL UNIT DESCRIPTOR (identification CSCD descriptor E4h: the unit's NAA, block length)
 *  48   NUMBER OF BYTES REPRESENTED (16 bytes)
 *  64   reserved
 *  96   ROD token type specific data: LOGICAL BLOCK LENGTH (4 bytes), as in READ CAPACITY(16)
 * 128   TARGET DEVICE DESCRIPTOR: the target's SCSI name string designator (up to 124 bytes of the name)
 * 256   random (256 bytes)
 * </pre>
 *
 * <p>Semantics: point in time copy, change vulnerable (SPC-4 ROD types; SBC-4 lets a copy
 * manager implement the default PIT type either way). The data is not copied when the token is
 * made: a write, UNMAP, WRITE SAME or SANITIZE that reaches any of the token's source ranges
 * cancels the token first ({@link #written}, called by {@link LogicalUnit} before the medium
 * changes), so a WRITE USING TOKEN either reads the blocks as they were when the token was made
 * or fails with INVALID TOKEN OPERATION, TOKEN CANCELLED. A token expires after its inactivity
 * timeout without use (not while a WRITE USING TOKEN uses it); expired, cancelled and deleted
 * tokens keep their slot (so a late use gets the precise reason) until a new token needs it.
 * Time comes from an injectable clock ({@link #clock(LongSupplier)}), nanoseconds.
 */
final class RodTokens {
    /** Tokens one target holds at once (Third-party Copy VPD page, Block Device ROD Limits, vendor specific bytes). */
    static final int CAPACITY = 64;
    /** Block device range descriptors one POPULATE TOKEN or WRITE USING TOKEN may carry (MAXIMUM RANGE DESCRIPTORS). */
    static final int MAX_RANGES = 64;
    /** Seconds (MAXIMUM INACTIVITY TIMEOUT, DEFAULT INACTIVITY TIMEOUT). */
    static final int MAX_INACTIVITY_TIMEOUT = 600;
    static final int DEFAULT_INACTIVITY_TIMEOUT = 60;

    // ---- ROD types (SPC-4) ----
    static final long ROD_TYPE_PIT_DEFAULT = 0x0080_0000L;
    static final long ROD_TYPE_PIT_CHANGE_VULNERABLE = 0x0080_0001L;
    static final long ROD_TYPE_PIT_ANY = 0x0080_FFFFL;
    static final long ROD_TYPE_BLOCK_DEVICE_ZERO = 0xFFFF_0001L;

    // ---- token layout ----
    static final int TOKEN_LENGTH = 512;
    static final int TYPE_OFFSET = 0;
    static final int LENGTH_OFFSET = 6;
    /** ROD TOKEN LENGTH: the bytes after byte 7. */
    static final int BODY_LENGTH = TOKEN_LENGTH - 8;
    static final int ID_OFFSET = 8;
    static final int CREATOR_OFFSET = 16;
    static final int BYTES_REPRESENTED_OFFSET = 48;
    static final int BLOCK_LENGTH_OFFSET = 96;
    static final int TARGET_OFFSET = 128;
    static final int TARGET_NAME_MAX = 124;
    static final int RANDOM_OFFSET = 256;

    static final int FREE = 0;
    static final int LIVE = 1;
    static final int EXPIRED = 2;
    static final int CANCELLED = 3;
    static final int DELETED = 4;

    /** One token slot. {@link #state} is read without the lock by a copy in progress. */
    static final class Token {
        final byte[] bytes = new byte[TOKEN_LENGTH];
        final long[] lba = new long[MAX_RANGES];
        final long[] blocks = new long[MAX_RANGES];
        volatile int state = FREE;
        int ranges;
        long totalBlocks;
        LogicalUnit unit;
        long timeoutNanos;
        long lastUsed;
        /** When the token stopped being live: the oldest dead slot is reused first. */
        long diedAt;
        int users;
        long id;

        boolean live() {
            return state == LIVE;
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Token[] slots = new Token[CAPACITY];
    private final byte[] random = new byte[TOKEN_LENGTH - RANDOM_OFFSET];
    private volatile LongSupplier clock = System::nanoTime;
    /** Live tokens: writers skip the table while there are none. */
    private volatile int live;
    private long nextId;

    RodTokens() {
        for (int i = 0; i < CAPACITY; i++) {
            slots[i] = new Token();
        }
    }

    /** Replaces the clock (tests); nanoseconds, like {@link System#nanoTime}. */
    void clock(LongSupplier nanos) {
        clock = nanos;
    }

    /** Tokens live now (expired ones are counted until a look-up or a new token notices). */
    int live() {
        return live;
    }

    /**
     * Makes a token over the block device range descriptors at parameter list offset {@code at}
     * ({@code count} of them, already checked against the unit's capacity).
     *
     * @return the token, its bytes filled in, or {@code null} if every slot holds a live token
     */
    synchronized Token create(CommandContext c, LogicalUnit unit, int at, int count, long rodType, int timeoutSeconds) {
        long now = clock.getAsLong();
        expire(now);
        Token t = null;
        for (Token s : slots) {
            if (s.state == FREE) {
                t = s;
                break;
            }
            // a dead token still in use keeps its slot: the copy reads its ranges until it ends
            if (s.state != LIVE && s.users == 0 && (t == null || s.diedAt - t.diedAt < 0)) {
                t = s;
            }
        }
        if (t == null) {
            return null;
        }
        long total = 0;
        for (int i = 0; i < count; i++) {
            t.lba[i] = c.outU64(at + 16 * i);
            t.blocks[i] = c.outU32(at + 16 * i + 8);
            total += t.blocks[i];
        }
        t.ranges = count;
        t.totalBlocks = total;
        t.unit = unit;
        t.timeoutNanos = TimeUnit.SECONDS.toNanos(timeoutSeconds);
        t.lastUsed = now;
        t.users = 0;
        t.id = ++nextId;
        fill(t, c.target, unit, rodType, total << unit.blockShift());
        t.state = LIVE;
        live++;
        unit.watchedBy(this);
        return t;
    }

    private void fill(Token t, Target target, LogicalUnit unit, long rodType, long bytes) {
        byte[] b = t.bytes;
        java.util.Arrays.fill(b, (byte) 0);
        put(b, TYPE_OFFSET, rodType, 4);
        put(b, LENGTH_OFFSET, BODY_LENGTH, 2);
        put(b, ID_OFFSET, t.id, 8);
        int d = CREATOR_OFFSET;
        b[d] = (byte) ExtendedCopy.CSCD_IDENTIFICATION;
        b[d + 1] = (byte) InquiryData.DEVICE_TYPE_DIRECT_ACCESS;
        b[d + ExtendedCopy.CSCD_DESIGNATOR_OFFSET] = (byte) InquiryData.CODE_SET_BINARY;
        b[d + ExtendedCopy.CSCD_DESIGNATOR_OFFSET + 1] = (byte) (InquiryData.ASSOCIATION_LU | InquiryData.TYPE_NAA);
        b[d + ExtendedCopy.CSCD_DESIGNATOR_OFFSET + 3] = (byte) InquiryData.NAA_LENGTH;
        put(b, d + ExtendedCopy.CSCD_DESIGNATOR_OFFSET + InquiryData.DESIGNATOR_HEADER, unit.naa(), 8);
        put(b, d + ExtendedCopy.CSCD_BLOCK_LENGTH_OFFSET, unit.blockSize(), 3);
        put(b, BYTES_REPRESENTED_OFFSET + 8, bytes, 8);
        put(b, BLOCK_LENGTH_OFFSET, unit.blockSize(), 4);
        targetDescriptor(b, target);
        RANDOM.nextBytes(random);
        System.arraycopy(random, 0, b, RANDOM_OFFSET, random.length);
    }

    /** The target's SCSI name string designator (SPC-4 7.8.6), cut to what the field holds. */
    private static void targetDescriptor(byte[] b, Target target) {
        byte[] name = target.nameUtf8();
        int n = Math.min(name.length, TARGET_NAME_MAX - 1);
        b[TARGET_OFFSET] = (byte) InquiryData.CODE_SET_UTF8;
        b[TARGET_OFFSET + 1] = (byte) (InquiryData.ASSOCIATION_TARGET_DEVICE | InquiryData.TYPE_SCSI_NAME_STRING);
        b[TARGET_OFFSET + 3] = (byte) Math.min(InquiryData.scsiNameLength(n), TARGET_NAME_MAX);
        System.arraycopy(name, 0, b, TARGET_OFFSET + InquiryData.DESIGNATOR_HEADER, n);
    }

    /**
     * Finds the token whose 512 bytes are at parameter list offset {@code at} and takes it for
     * use (it does not expire while used; {@link #release} gives it back).
     *
     * @param found receives the token when the answer is {@link SenseReason#NONE}
     * @return NONE, or why the token cannot be used (SPC-4 INVALID TOKEN OPERATION, 23h/xxh)
     */
    synchronized SenseReason use(CommandContext c, int at, Token[] found) {
        long now = clock.getAsLong();
        expire(now);
        long id = c.outU64(at + ID_OFFSET);
        for (Token t : slots) {
            if (t.state == FREE || t.id != id || !same(c, at, t.bytes)) {
                continue;
            }
            switch (t.state) {
                case LIVE:
                    t.users++;
                    t.lastUsed = now;
                    found[0] = t;
                    return SenseReason.NONE;
                case EXPIRED:
                    return SenseReason.TOKEN_EXPIRED;
                case CANCELLED:
                    return SenseReason.TOKEN_CANCELLED;
                default:
                    return SenseReason.TOKEN_DELETED;
            }
        }
        if (c.outU16(at + LENGTH_OFFSET) != BODY_LENGTH) {
            return SenseReason.INVALID_TOKEN_LENGTH;
        }
        long type = c.outU32(at + TYPE_OFFSET);
        if (type != ROD_TYPE_PIT_DEFAULT && type != ROD_TYPE_PIT_CHANGE_VULNERABLE) {
            return SenseReason.UNSUPPORTED_TOKEN_TYPE;
        }
        byte[] name = c.target.nameUtf8();
        int n = Math.min(name.length, TARGET_NAME_MAX - 1);
        boolean ours = c.outU8(at + TARGET_OFFSET + 1)
                == (InquiryData.ASSOCIATION_TARGET_DEVICE | InquiryData.TYPE_SCSI_NAME_STRING);
        for (int i = 0; ours && i < n; i++) {
            ours = c.outU8(at + TARGET_OFFSET + InquiryData.DESIGNATOR_HEADER + i) == (name[i] & 0xFF);
        }
        ours = ours && c.outU8(at + TARGET_OFFSET + InquiryData.DESIGNATOR_HEADER + n) == 0;
        return ours ? SenseReason.TOKEN_UNKNOWN : SenseReason.REMOTE_TOKEN_USAGE_NOT_SUPPORTED;
    }

    private static boolean same(CommandContext c, int at, byte[] token) {
        int diff = 0;
        for (int i = 0; i < TOKEN_LENGTH; i++) {
            diff |= c.outU8(at + i) ^ (token[i] & 0xFF);
        }
        return diff == 0;
    }

    /** Ends one use of {@code t}; {@code delete} (WRITE USING TOKEN's DEL_TKN) deletes a live token. */
    synchronized void release(Token t, boolean delete) {
        t.users--;
        t.lastUsed = clock.getAsLong();
        if (delete && t.state == LIVE) {
            die(t, DELETED, t.lastUsed);
        }
    }

    /**
     * The medium of {@code unit} is about to change in {@code [offset, offset + length)} (bytes):
     * every live token with a source range there is cancelled. Called before the store is
     * written, so a copy that still sees its token live after a read has read the old blocks.
     * One volatile read while no token lives; allocation-free.
     */
    void written(LogicalUnit unit, long offset, long length) {
        if (live == 0) {
            return;
        }
        synchronized (this) {
            long now = clock.getAsLong();
            int shift = unit.blockShift();
            for (Token t : slots) {
                if (t.state != LIVE || t.unit != unit) {
                    continue;
                }
                for (int i = 0; i < t.ranges; i++) {
                    long from = t.lba[i] << shift;
                    long to = from + (t.blocks[i] << shift);
                    if (offset < to && offset + length > from && t.blocks[i] > 0) {
                        die(t, CANCELLED, now);
                        break;
                    }
                }
            }
        }
    }

    /** Tokens whose inactivity timeout passed while nobody used them expire. Lock held. */
    private void expire(long now) {
        for (Token t : slots) {
            if (t.state == LIVE && t.users == 0 && now - t.lastUsed > t.timeoutNanos) {
                die(t, EXPIRED, now);
            }
        }
    }

    private void die(Token t, int state, long now) {
        t.state = state;
        t.diedAt = now;
        if (t.users == 0) {
            t.unit = null;   // a removed unit is not held on to
        }
        live--;
    }

    private static void put(byte[] b, int at, long value, int width) {
        for (int i = 0; i < width; i++) {
            b[at + i] = (byte) (value >>> (8 * (width - 1 - i)));
        }
    }
}
