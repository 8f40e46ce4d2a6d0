package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/** POPULATE TOKEN, WRITE USING TOKEN, RECEIVE ROD TOKEN INFORMATION and the ROD descriptors of VPD page 8Fh. */
class TokenCopyTest {
    private static final long BLOCKS = Harness.SIZE / Harness.BLOCK;
    private static final long OTHER_NEXUS = 8;
    private final Harness h = Harness.withLun();
    private final MemoryStore second = new MemoryStore(Harness.SIZE);
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    TokenCopyTest() {
        h.daemon.addLun(Harness.TARGET, 1, second, Harness.BLOCK, LunOptions.DEFAULT);
        h.none(0, Cdbs.testUnitReady());   // REPORTED LUNS DATA HAS CHANGED
        h.none(1, Cdbs.testUnitReady());
        h.daemon.nexus(Harness.HOST, Harness.NEXUS).target().rodTokens().clock(now::get);
    }

    // ---------------- CDBs and parameter lists ----------------

    static byte[] tpcOut(int sa, long listId, int length) {
        byte[] c = new byte[16];
        c[0] = (byte) 0x83;
        c[1] = (byte) sa;
        Cdbs.be(c, 6, listId, 4);
        Cdbs.be(c, 10, length, 4);
        return c;
    }

    static byte[] rrti(long listId, int allocation) {
        byte[] c = new byte[16];
        c[0] = (byte) 0x84;
        c[1] = 0x07;
        Cdbs.be(c, 2, listId, 4);
        Cdbs.be(c, 10, allocation, 4);
        return c;
    }

    /** POPULATE TOKEN parameter list over {@code ranges} ({lba, blocks} pairs). */
    static byte[] ptList(int flags, long timeout, long rodType, long[]... ranges) {
        byte[] p = new byte[16 + 16 * ranges.length];
        Cdbs.be(p, 0, p.length - 2, 2);
        p[2] = (byte) flags;
        Cdbs.be(p, 4, timeout, 4);
        Cdbs.be(p, 8, rodType, 4);
        Cdbs.be(p, 14, 16L * ranges.length, 2);
        for (int i = 0; i < ranges.length; i++) {
            Cdbs.be(p, 16 + 16 * i, ranges[i][0], 8);
            Cdbs.be(p, 24 + 16 * i, ranges[i][1], 4);
        }
        return p;
    }

    static byte[] wutList(int flags, long offset, byte[] token, long[]... ranges) {
        byte[] p = new byte[536 + 16 * ranges.length];
        Cdbs.be(p, 0, p.length - 2, 2);
        p[2] = (byte) flags;
        Cdbs.be(p, 8, offset, 8);
        System.arraycopy(token, 0, p, 16, 512);
        Cdbs.be(p, 534, 16L * ranges.length, 2);
        for (int i = 0; i < ranges.length; i++) {
            Cdbs.be(p, 536 + 16 * i, ranges[i][0], 8);
            Cdbs.be(p, 544 + 16 * i, ranges[i][1], 4);
        }
        return p;
    }

    static long[] range(long lba, long blocks) {
        return new long[] {lba, blocks};
    }

    Harness.Result populate(int lun, long listId, byte[] list) {
        return h.write(lun, tpcOut(0x10, listId, list.length), list);
    }

    Harness.Result writeUsing(int lun, long listId, byte[] list) {
        return h.write(lun, tpcOut(0x11, listId, list.length), list);
    }

    /** POPULATE TOKEN, then the token from RECEIVE ROD TOKEN INFORMATION. */
    byte[] token(int lun, long listId, long[]... ranges) {
        populate(lun, listId, ptList(0, 0, 0, ranges)).assertGood();
        Harness.Result r = h.read(lun, rrti(listId, 1024), 1024);
        r.assertGood();
        int at = 32 + r.u8(13);
        assertEquals(514, r.u32(at), "ROD TOKEN DESCRIPTORS LENGTH");
        return Arrays.copyOfRange(r.data(), at + 6, at + 6 + 512);
    }

    byte[] readBlocks(int lun, long lba, int blocks) {
        Harness.Result r = h.read(lun, Cdbs.rw16(false, lba, blocks, 0), blocks * 512);
        r.assertGood();
        return r.data();
    }

    static long information(Harness.Result r) {
        byte[] s = r.sense();
        assertEquals(0x80, s[0] & 0x80, "VALID");
        return (s[3] & 0xFFL) << 24 | (s[4] & 0xFF) << 16 | (s[5] & 0xFF) << 8 | s[6] & 0xFF;
    }

    static int fieldPointer(Harness.Result r) {
        byte[] s = r.sense();
        assertEquals(0x80, s[15] & 0x80, "SKSV");
        return (s[16] & 0xFF) << 8 | s[17] & 0xFF;
    }

    // ---------------- populate, receive, write ----------------

    @Test
    void populateReceiveAndWriteCopiesRangeListsBetweenUnits() {
        byte[] a = Harness.pattern(200 * 512, 3);   // more than one 64 KiB chunk
        byte[] b = Harness.pattern(8 * 512, 4);
        h.write(0, Cdbs.rw16(true, 100, 200, 0), a).assertGood();
        h.write(0, Cdbs.rw16(true, 1000, 8, 0), b).assertGood();
        long listId = 0x8765_4321L;   // 32 bits, top bit set
        populate(0, listId, ptList(0, 30, 0, range(100, 200), range(1000, 8))).assertGood();

        Harness.Result info = h.read(0, rrti(listId, 1024), 1024);
        info.assertGood();
        assertEquals(info.data().length - 4, info.u32(0), "AVAILABLE DATA");
        assertEquals(0x10, info.u8(4) & 0x1F, "RESPONSE TO SERVICE ACTION");
        assertEquals(0x01, info.u8(5) & 0x7F, "COPY OPERATION STATUS: completed");
        assertEquals(0, info.u8(12), "GOOD");
        assertEquals(0, info.u8(13), "no sense data");
        assertEquals(0xF1, info.u8(15), "TRANSFER COUNT UNITS: logical blocks");
        assertEquals(208, info.u64(16), "TRANSFER COUNT");
        assertEquals(514, info.u32(32));
        byte[] token = Arrays.copyOfRange(info.data(), 38, 38 + 512);
        assertEquals(0x0080_0000L, info.u32(38), "ROD TYPE: point in time copy - default");
        assertEquals(0x01F8, info.u16(38 + 6), "ROD TOKEN LENGTH");
        assertEquals(0xE4, info.u8(38 + 16), "creator logical unit descriptor");
        assertEquals(208L * 512, info.u64(38 + 56), "NUMBER OF BYTES REPRESENTED");

        // used by another I_T nexus of the same target, into another unit, in two ranges
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(Harness.INITIATOR + ",i,0x23d000000002", Harness.TARGET,
                OTHER_NEXUS));
        byte[] list = wutList(0, 0, token, range(1800, 150), range(10, 58));
        Harness.Result w = h.command(OTHER_NEXUS, 1, tpcOut(0x11, 7, list.length), DataDirection.WRITE, list.length, list);
        w.assertGood();
        byte[] copied = new byte[208 * 512];
        System.arraycopy(readBlocks(1, 1800, 150), 0, copied, 0, 150 * 512);
        System.arraycopy(readBlocks(1, 10, 58), 0, copied, 150 * 512, 58 * 512);
        byte[] expected = new byte[208 * 512];
        System.arraycopy(a, 0, expected, 0, a.length);
        System.arraycopy(b, 0, expected, a.length, b.length);
        assertArrayEquals(expected, copied);
        assertArrayEquals(new byte[512], readBlocks(1, 1950, 1), "nothing past the ranges");

        Harness.Result done = h.command(OTHER_NEXUS, 1, rrti(7, 1024), DataDirection.READ, 1024, null);
        done.assertGood();
        assertEquals(0x11, done.u8(4) & 0x1F);
        assertEquals(0x01, done.u8(5) & 0x7F);
        assertEquals(208, done.u64(16));
        assertEquals(0, done.u32(32), "no token for WRITE USING TOKEN");
        // list identifiers belong to their nexus
        h.read(0, rrti(7, 1024), 1024).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        byte[] again = token(0, 9, range(100, 200), range(1000, 8));
        assertFalse(Arrays.equals(token, again), "every token is new, even over the same blocks");
        assertArrayEquals(Arrays.copyOf(token, 8), Arrays.copyOf(again, 8), "same type and length");
    }

    @Test
    void offsetIntoTheRodAndAShortRodReportResidualData() {
        byte[] a = Harness.pattern(64 * 512, 5);
        h.write(0, Cdbs.rw16(true, 0, 64, 0), a).assertGood();
        byte[] token = token(0, 1, range(0, 64));
        // from ROD block 40, into 10 + 100 blocks: the ROD ends after 24
        writeUsing(0, 2, wutList(0, 40, token, range(1500, 10), range(1700, 100))).assertGood();
        assertArrayEquals(Arrays.copyOfRange(a, 40 * 512, 50 * 512), readBlocks(0, 1500, 10));
        assertArrayEquals(Arrays.copyOfRange(a, 50 * 512, 64 * 512), readBlocks(0, 1700, 14));
        assertArrayEquals(new byte[512], readBlocks(0, 1714, 1));
        Harness.Result r = h.read(0, rrti(2, 64), 64);
        assertEquals(0x04, r.u8(5), "completed with residual data");
        assertEquals(24, r.u64(16));
        // a write that uses part of the ROD
        writeUsing(0, 3, wutList(0, 0, token, range(1900, 8))).assertGood();
        assertEquals(0x03, h.read(0, rrti(3, 64), 64).u8(5), "completed with partial ROD token usage");
        assertArrayEquals(Arrays.copyOfRange(a, 0, 8 * 512), readBlocks(0, 1900, 8));
        // an offset at the ROD's end
        Harness.Result past = writeUsing(0, 4, wutList(0, 64, token, range(1900, 8)));
        past.assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        assertEquals(8, fieldPointer(past), "OFFSET INTO ROD");
    }

    @Test
    void theBlockDeviceZeroTokenWritesZeros() {
        h.write(0, Cdbs.rw16(true, 50, 4, 0), Harness.pattern(4 * 512, 6)).assertGood();
        byte[] zero = new byte[512];
        Cdbs.be(zero, 0, 0xFFFF_0001L, 4);
        Cdbs.be(zero, 6, 0x1F8, 2);
        writeUsing(0, 5, wutList(0, 0, zero, range(50, 4))).assertGood();
        assertArrayEquals(new byte[4 * 512], readBlocks(0, 50, 4));
    }

    /** The token's bytes against the picture in {@link RodTokens}. */
    @Test
    void theTokenLayoutMatchesThePicture() {
        assertEquals(0, RodTokens.TYPE_OFFSET);
        assertEquals(6, RodTokens.LENGTH_OFFSET);
        assertEquals(8, RodTokens.ID_OFFSET);
        assertEquals(16, RodTokens.CREATOR_OFFSET);
        assertEquals(48, RodTokens.BYTES_REPRESENTED_OFFSET);
        assertEquals(96, RodTokens.BLOCK_LENGTH_OFFSET);
        assertEquals(128, RodTokens.TARGET_OFFSET);
        assertEquals(256, RodTokens.RANDOM_OFFSET);
        assertEquals(0x1F8, RodTokens.BODY_LENGTH);
        byte[] a = token(0, 1, range(0, 3));
        byte[] b = token(0, 2, range(0, 3));
        java.nio.ByteBuffer t = java.nio.ByteBuffer.wrap(a);
        assertEquals(0x0080_0000, t.getInt(0));
        assertEquals(0x1F8, t.getShort(6));
        assertEquals(t.getLong(8) + 1, java.nio.ByteBuffer.wrap(b).getLong(8), "COPY MANAGER ROD TOKEN IDENTIFIER counts");
        assertEquals(0xE4, a[16] & 0xFF);
        assertEquals(0x03, a[16 + 5], "LU, NAA");
        assertEquals(512, t.getInt(16 + 28) & 0xFFFFFF, "block length of the creator descriptor");
        assertEquals(0, t.getLong(48));
        assertEquals(3 * 512, t.getLong(56), "NUMBER OF BYTES REPRESENTED");
        assertEquals(512, t.getInt(96), "LOGICAL BLOCK LENGTH");
        assertEquals(0x28, a[129], "target device, SCSI name string");
        byte[] name = Harness.TARGET.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertArrayEquals(name, Arrays.copyOfRange(a, 132, 132 + name.length));
        assertArrayEquals(Arrays.copyOfRange(a, 16, 256), Arrays.copyOfRange(b, 16, 256), "same blocks, same description");
        int same = 0;
        for (int i = 256; i < 512; i++) {
            same += a[i] == b[i] ? 1 : 0;
        }
        assertTrue(same < 16, "bytes 256..511 are random: " + same + " equal");
    }

    // ---------------- invalidation and expiry ----------------

    @Test
    void aWriteToASourceRangeCancelsTheTokenAndOneElsewhereDoesNot() {
        byte[] token = token(0, 1, range(100, 10), range(300, 10));
        h.write(0, Cdbs.rw16(true, 110, 1, 0), Harness.pattern(512, 1)).assertGood();   // just past the first range
        h.write(1, Cdbs.rw16(true, 100, 1, 0), Harness.pattern(512, 1)).assertGood();   // the other unit
        writeUsing(0, 2, wutList(0, 0, token, range(2000, 20))).assertGood();
        h.write(0, Cdbs.rw16(true, 309, 1, 0), Harness.pattern(512, 2)).assertGood();   // last block of the second
        writeUsing(0, 3, wutList(0, 0, token, range(2000, 20))).assertSense(SenseKey.ILLEGAL_REQUEST, 0x23, 0x08);
        // WRITE SAME, and UNMAP of a thin unit (a deallocation, not a write), cancel too
        byte[] other = token(0, 4, range(500, 4));
        byte[] ws = Cdbs.rw16(true, 502, 1, 0);
        ws[0] = (byte) 0x93;
        h.write(0, ws, new byte[512]).assertGood();
        writeUsing(0, 5, wutList(0, 0, other, range(1000, 4))).assertSense(SenseKey.ILLEGAL_REQUEST, 0x23, 0x08);
        h.daemon.addLun(Harness.TARGET, 2, new ThinStore(Harness.SIZE), Harness.BLOCK,
                new LunOptions(false, false, true, null));
        h.none(2, Cdbs.testUnitReady());
        byte[] thin = token(2, 6, range(10, 4));
        writeUsing(0, 7, wutList(0, 0, thin, range(1000, 4))).assertGood();
        byte[] unmap = UnmapTest.unmapList(12, 1);
        h.write(2, UnmapTest.unmapCdb(unmap.length, 0), unmap).assertGood();
        writeUsing(0, 8, wutList(0, 0, thin, range(1000, 4))).assertSense(SenseKey.ILLEGAL_REQUEST, 0x23, 0x08);
    }

    @Test
    void writesThroughAnAsynchronousStoreCancelTooTheStoresOwnCompareAndWriteIncluded() {
        HeldStore store = new HeldStore(Harness.SIZE);
        store.holding = false;
        store.atomicCompareAndWrite = true;
        h.daemon.addLun(Harness.TARGET, 2, store, Harness.BLOCK, LunOptions.DEFAULT);
        h.none(2, Cdbs.testUnitReady());
        byte[] old = Harness.pattern(512, 8);
        h.write(2, Cdbs.rw16(true, 20, 1, 0), old).assertGood();
        byte[] token = token(2, 1, range(20, 1));
        int submitted = store.submitted;
        h.write(2, Cdbs.rw16(true, 21, 1, 0), Harness.pattern(512, 9)).assertGood();   // next to it
        assertEquals(submitted + 1, store.submitted, "WRITE went to the store's submitWrite");
        writeUsing(2, 2, wutList(0, 0, token, range(100, 1))).assertGood();
        byte[] caw = new byte[1024];
        System.arraycopy(old, 0, caw, 0, 512);
        h.write(2, CompareAndWriteTest.compareAndWrite(20, 1, 0), caw).assertGood();
        assertEquals(1, store.compareAndWrites, "the store's own compare-and-write");
        writeUsing(2, 3, wutList(0, 0, token, range(100, 1))).assertSense(SenseKey.ILLEGAL_REQUEST, 0x23, 0x08);
        byte[] other = token(2, 4, range(30, 1));
        h.write(2, Cdbs.rw16(true, 30, 1, 0), Harness.pattern(512, 10)).assertGood();
        writeUsing(2, 5, wutList(0, 0, other, range(100, 1))).assertSense(SenseKey.ILLEGAL_REQUEST, 0x23, 0x08);
    }

    @Test
    void anUnusedTokenExpiresAfterItsInactivityTimeout() {
        populate(0, 1, ptList(0, 5, 0, range(0, 8))).assertGood();
        byte[] token = Arrays.copyOfRange(h.read(0, rrti(1, 1024), 1024).data(), 38, 38 + 512);
        now.addAndGet(TimeUnit.SECONDS.toNanos(4));
        writeUsing(0, 2, wutList(0, 0, token, range(100, 8))).assertGood();   // use restarts the timeout
        now.addAndGet(TimeUnit.SECONDS.toNanos(4));
        writeUsing(0, 3, wutList(0, 0, token, range(100, 8))).assertGood();
        now.addAndGet(TimeUnit.SECONDS.toNanos(6));
        writeUsing(0, 4, wutList(0, 0, token, range(100, 8))).assertSense(SenseKey.ILLEGAL_REQUEST, 0x23, 0x07);
        // the default timeout, 60 s
        byte[] other = token(0, 5, range(0, 8));
        now.addAndGet(TimeUnit.SECONDS.toNanos(59));
        writeUsing(0, 6, wutList(0, 0, other, range(100, 8))).assertGood();
        now.addAndGet(TimeUnit.SECONDS.toNanos(61));
        writeUsing(0, 7, wutList(0, 0, other, range(100, 8))).assertSense(SenseKey.ILLEGAL_REQUEST, 0x23, 0x07);
    }

    @Test
    void liveTokensAreBoundedPerTargetAndExpiredSlotsAreReused() {
        for (int i = 0; i < RodTokens.CAPACITY; i++) {
            populate(0, i, ptList(0, 1, 0, range(i, 1))).assertGood();
        }
        populate(0, 1000, ptList(0, 1, 0, range(0, 1))).assertSense(SenseKey.ILLEGAL_REQUEST, 0x55, 0x0D);
        Harness.Result failed = h.read(0, rrti(1000, 1024), 1024);
        assertEquals(0x02, failed.u8(5), "completed with errors");
        assertEquals(0x02, failed.u8(12), "CHECK CONDITION");
        assertEquals(0x55, failed.u8(32 + 12), "its sense data");
        now.addAndGet(TimeUnit.SECONDS.toNanos(2));
        populate(0, 1000, ptList(0, 1, 0, range(0, 1))).assertGood();
    }

    // ---------------- bad tokens ----------------

    @Test
    void tokensThatAreNotOursOrNoLongerUsableGetTheirOwnReason() {
        byte[] token = token(0, 1, range(0, 8));
        byte[] altered = token.clone();
        altered[300] ^= 1;
        writeUsing(0, 2, wutList(0, 0, altered, range(100, 8))).assertSense(SenseKey.ILLEGAL_REQUEST, 0x23, 0x04);
        byte[] madeUp = new byte[512];
        new Random(1).nextBytes(madeUp);
        writeUsing(0, 3, wutList(0, 0, madeUp, range(100, 8))).assertSense(SenseKey.ILLEGAL_REQUEST, 0x23, 0x0A);
        byte[] otherType = token.clone();
        Cdbs.be(otherType, 0, 0x0001_0000L, 4);   // access upon reference
        writeUsing(0, 4, wutList(0, 0, otherType, range(100, 8))).assertSense(SenseKey.ILLEGAL_REQUEST, 0x23, 0x01);

        // a token of another target of this daemon
        String other = "iqn.2026-11.org.jtgt:other";
        h.daemon.createTarget(other);
        h.daemon.addLun(other, 0, new MemoryStore(Harness.SIZE), Harness.BLOCK, LunOptions.DEFAULT);
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(Harness.INITIATOR + ",i,0x23d000000003", other, 9));
        byte[] pt = ptList(0, 0, 0, range(0, 8));
        h.command(9, 0, tpcOut(0x10, 1, pt.length), DataDirection.WRITE, pt.length, pt).assertGood();
        Harness.Result info = h.command(9, 0, rrti(1, 1024), DataDirection.READ, 1024, null);
        byte[] remote = Arrays.copyOfRange(info.data(), 38, 38 + 512);
        writeUsing(0, 5, wutList(0, 0, remote, range(100, 8))).assertSense(SenseKey.ILLEGAL_REQUEST, 0x23, 0x02);

        // DEL_TKN deletes it after use
        writeUsing(0, 6, wutList(0x02, 0, token, range(100, 8))).assertGood();
        writeUsing(0, 7, wutList(0, 0, token, range(100, 8))).assertSense(SenseKey.ILLEGAL_REQUEST, 0x23, 0x09);
    }

    // ---------------- bad ranges and parameter lists ----------------

    @Test
    void badRangesAndParameterListsGetPreciseSense() {
        Harness.Result beyond = populate(0, 1, ptList(0, 0, 0, range(BLOCKS - 4, 5)));
        beyond.assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        assertEquals(BLOCKS - 4, information(beyond));
        Harness.Result overlap = populate(0, 1, ptList(0, 0, 0, range(10, 10), range(19, 2)));
        overlap.assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        assertEquals(32, fieldPointer(overlap), "the second descriptor");
        long[][] many = new long[RodTokens.MAX_RANGES + 1][];
        for (int i = 0; i < many.length; i++) {
            many[i] = range(i * 2L, 1);
        }
        populate(0, 1, ptList(0, 0, 0, many)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x08);
        Harness.Result timeout = populate(0, 1, ptList(0, RodTokens.MAX_INACTIVITY_TIMEOUT + 1, 0, range(0, 1)));
        timeout.assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        assertEquals(4, fieldPointer(timeout));
        Harness.Result type = populate(0, 1, ptList(0x02, 0, 0x0080_0002L, range(0, 1)));   // persistent
        type.assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        assertEquals(8, fieldPointer(type));
        populate(0, 1, ptList(0x02, 0, 0x0080_0001L, range(0, 1))).assertGood();   // change vulnerable
        h.daemon.addLun(Harness.TARGET, 3, new HugeStore(1L << 40), Harness.BLOCK, LunOptions.DEFAULT);
        h.none(3, Cdbs.testUnitReady());
        long max = TokenCopy.MAX_TOKEN_BYTES / 512;
        populate(3, 1, ptList(0, 0, 0, range(0, max))).assertGood();
        Harness.Result tooBig = populate(3, 1, ptList(0, 0, 0, range(0, max - 1), range(max, 2)));
        tooBig.assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        assertEquals(40, fieldPointer(tooBig), "NUMBER OF LOGICAL BLOCKS of the descriptor that goes past it");
        byte[] odd = ptList(0, 0, 0, range(0, 1));
        odd[15] = 15;   // not a multiple of 16
        assertEquals(14, fieldPointer(expect(populate(0, 1, odd), 0x26)));
        byte[] truncated = Arrays.copyOf(ptList(0, 0, 0, range(0, 1), range(8, 1)), 40);
        expect(populate(0, 1, truncated), 0x1A);
        byte[] reserved = tpcOut(0x10, 1, 32);
        reserved[3] = 1;
        Harness.Result cdb = h.write(0, reserved, ptList(0, 0, 0, range(0, 1)));
        cdb.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);

        byte[] token = token(0, 2, range(0, 16));
        Harness.Result dst = writeUsing(0, 3, wutList(0, 0, token, range(BLOCKS - 1, 2)));
        dst.assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        assertEquals(BLOCKS - 1, information(dst));
        Harness.Result dstOverlap = writeUsing(0, 3, wutList(0, 0, token, range(100, 4), range(96, 5)));
        dstOverlap.assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        assertEquals(552, fieldPointer(dstOverlap));
        byte[] flags = wutList(0x04, 0, token, range(100, 4));
        assertEquals(2, fieldPointer(expect(writeUsing(0, 3, flags), 0x26)));
        expect(writeUsing(0, 3, Arrays.copyOf(wutList(0, 0, token, range(100, 4)), 540)), 0x1A);
        // nothing was written by any of them, and the token still works
        assertArrayEquals(new byte[4 * 512], readBlocks(0, 100, 4));
        writeUsing(0, 3, wutList(0, 0, token, range(100, 4))).assertGood();
    }

    private static Harness.Result expect(Harness.Result r, int asc) {
        r.assertSense(SenseKey.ILLEGAL_REQUEST, asc, 0x00);
        return r;
    }

    @Test
    void receiveRodTokenInformationForAnUnknownListIdentifierPointsAtIt() {
        Harness.Result r = h.read(0, rrti(42, 1024), 1024);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(2, fieldPointer(r) & 0xFFFF);
        // allocation length shorter than the data: truncated, AVAILABLE DATA still whole
        token(0, 1, range(0, 1));
        Harness.Result small = h.read(0, rrti(1, 40), 40);
        small.assertGood();
        assertEquals(40, small.data().length);
        assertEquals(32 + 4 + 514 - 4, small.u32(0));
    }

    // ---------------- VPD page 8Fh and REPORT SUPPORTED OPERATION CODES ----------------

    @Test
    void thirdPartyCopyPageReportsTheRodLimitsAndFeatures() {
        Harness.Result r = h.read(0, Cdbs.inquiry(true, 0x8F, 1024), 1024);
        r.assertGood();
        int p = 4;
        assertEquals(0x0000, r.u16(p), "Block Device ROD Limits first");
        assertEquals(0x20, r.u16(p + 2));
        assertEquals(RodTokens.CAPACITY, r.u32(p + 6), "live tokens per target (vendor specific)");
        assertEquals(RodTokens.MAX_RANGES, r.u16(p + 10), "MAXIMUM RANGE DESCRIPTORS");
        assertEquals(RodTokens.MAX_INACTIVITY_TIMEOUT, r.u32(p + 12));
        assertEquals(RodTokens.DEFAULT_INACTIVITY_TIMEOUT, r.u32(p + 16));
        assertEquals(TokenCopy.MAX_TOKEN_BYTES / 512, r.u64(p + 20), "MAXIMUM TOKEN TRANSFER SIZE");
        assertEquals(TokenCopy.OPTIMAL_TRANSFER_BYTES / 512, r.u64(p + 28), "OPTIMAL TRANSFER COUNT");
        p += 4 + r.u16(p + 2);
        assertEquals(0x0001, r.u16(p), "Supported Commands");
        assertEquals(0x83, r.u8(p + 5));
        assertEquals(3, r.u8(p + 6));
        assertArrayEquals(new byte[] {0x00, 0x10, 0x11}, Arrays.copyOfRange(r.data(), p + 7, p + 10));
        assertEquals(0x84, r.u8(p + 10));
        assertEquals(4, r.u8(p + 11));
        assertArrayEquals(new byte[] {0x00, 0x03, 0x04, 0x07}, Arrays.copyOfRange(r.data(), p + 12, p + 16));
        int types = 0;
        int last = -1;
        while (p < r.data().length) {
            int type = r.u16(p);
            assertFalse(type <= last && last >= 0, "descriptors in ascending order");
            last = type;
            if (type == 0x0106) {
                assertEquals(RodTokens.MAX_INACTIVITY_TIMEOUT, r.u32(p + 24));
                assertEquals(48, r.u16(p + 46));
                assertEquals(TokenCopy.MAX_TOKEN_BYTES, r.u64(p + 48 + 8), "MAXIMUM BYTES IN BLOCK ROD");
                types |= 1;
            } else if (type == 0x0108) {
                assertEquals(3 * 64, r.u16(p + 6));
                assertEquals(0x0080_0000L, r.u32(p + 8));
                assertEquals(0x03, r.u8(p + 12), "TOKEN_IN and TOKEN_OUT");
                assertEquals(0xFFFF_0001L, r.u32(p + 8 + 128));
                assertEquals(0x02, r.u8(p + 12 + 128), "the zero token only in");
                types |= 2;
            }
            p += 4 + r.u16(p + 2);
        }
        assertEquals(3, types);
        assertEquals(r.data().length, p);
        assertEquals(r.data().length - 4, r.u16(2));
    }

    @Test
    void reportSupportedOperationCodesGivesTheUsageDataOfEachCommand() {
        check(0x83, 0x10, "83 10 00 00 00 00 FF FF FF FF FF FF FF FF 00 04");
        check(0x83, 0x11, "83 11 00 00 00 00 FF FF FF FF FF FF FF FF 00 04");
        check(0x84, 0x07, "84 07 FF FF FF FF 00 00 00 00 FF FF FF FF 00 04");
    }

    private void check(int opcode, int sa, String usage) {
        Harness.Result r = h.read(0, SupportedOperationCodesTest.rsoc(false, 2, opcode, sa, 64), 64);
        r.assertGood();
        assertEquals(0x03, r.u8(1) & 0x07, "SUPPORT: supported as in the standard");
        assertEquals(16, r.u16(2), "CDB SIZE");
        assertArrayEquals(CommandTable.usage(usage), Arrays.copyOfRange(r.data(), 4, 20));
        assertNotEquals(0, r.u8(4));
    }
}
