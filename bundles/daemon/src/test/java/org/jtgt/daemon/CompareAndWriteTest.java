package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/** COMPARE AND WRITE (89h), SBC-3 5.2. */
class CompareAndWriteTest {
    private static final long BLOCKS = Harness.SIZE / Harness.BLOCK;
    private final Harness h = Harness.withLun();

    static byte[] compareAndWrite(long lba, int blocks, int byte1) {
        byte[] c = new byte[16];
        c[0] = (byte) 0x89;
        c[1] = (byte) byte1;
        Cdbs.be(c, 2, lba, 8);
        c[13] = (byte) blocks;
        return c;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static long information(Harness.Result r) {
        byte[] s = r.sense();
        return (s[3] & 0xFFL) << 24 | (s[4] & 0xFF) << 16 | (s[5] & 0xFF) << 8 | (s[6] & 0xFF);
    }

    private byte[] readBack(long lba, int blocks) {
        Harness.Result r = h.read(0, Cdbs.rw16(false, lba, blocks, 0), blocks * 512);
        r.assertGood();
        return r.data();
    }

    @Test
    void writesWhenTheBlocksMatch() {
        byte[] old = Harness.pattern(3 * 512, 1);
        byte[] fresh = Harness.pattern(3 * 512, 2);
        h.write(0, Cdbs.rw16(true, 100, 3, 0), old).assertGood();
        h.write(0, compareAndWrite(100, 3, 0), concat(old, fresh)).assertGood();
        assertArrayEquals(fresh, readBack(100, 3));
        // At the last LBA, with DPO and FUA (honoured as a FUA write).
        int fuaBefore = h.store.fuaWrites;
        h.write(0, compareAndWrite(BLOCKS - 1, 1, 0x18), concat(new byte[512], Arrays.copyOf(old, 512))).assertGood();
        assertEquals(fuaBefore + 1, h.store.fuaWrites);
        assertArrayEquals(Arrays.copyOf(old, 512), readBack(BLOCKS - 1, 1));
    }

    @Test
    void miscompareReportsTheOffsetAndWritesNothing() {
        byte[] old = Harness.pattern(2 * 512, 3);
        h.write(0, Cdbs.rw16(true, 7, 2, 0), old).assertGood();
        byte[] verify = old.clone();
        verify[700] ^= 0x40;   // second block
        verify[900] ^= 0x01;
        Harness.Result r = h.write(0, compareAndWrite(7, 2, 0), concat(verify, new byte[2 * 512]));
        r.assertSense(SenseKey.MISCOMPARE, 0x1D, 0x00);
        assertEquals(0x80, r.sense()[0] & 0x80, "VALID: INFORMATION holds the offset");
        assertEquals(700, information(r), "first differing byte, from the start of Data-Out");
        assertArrayEquals(old, readBack(7, 2));
    }

    @Test
    void unwrittenBlocksCompareAsZeros() {
        byte[] verify = new byte[512];
        verify[0] = '%';
        Harness.Result r = h.write(0, compareAndWrite(9, 1, 0), concat(verify, Harness.pattern(512, 4)));
        r.assertSense(SenseKey.MISCOMPARE, 0x1D, 0x00);
        assertEquals(0, information(r));
        h.write(0, compareAndWrite(9, 1, 0), concat(new byte[512], Harness.pattern(512, 4))).assertGood();
    }

    @Test
    void fieldChecks() {
        byte[] two = new byte[2 * 512];
        Harness.Result r = h.write(0, compareAndWrite(0, 1, 0x20), two);   // WRPROTECT
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(1, r.sense()[17]);
        h.write(0, compareAndWrite(0, 1, 0x04), two).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);   // reserved
        h.write(0, compareAndWrite(0, 1, 0x02), two).assertGood();   // FUA_NV: obsolete, ignored

        // Data-Out must be exactly twice the blocks: too short, too long, and blocks = 0 with
        // data (what a count of 256 wraps to in the one-byte field).
        r = h.write(0, compareAndWrite(0, 1, 0), new byte[512]);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(13, r.sense()[17]);
        h.write(0, compareAndWrite(0, 1, 0), new byte[4 * 512]).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        h.write(0, compareAndWrite(0, 0, 0), new byte[2 * 512]).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        h.none(0, compareAndWrite(0, 0, 0)).assertGood();   // zero blocks: not an error

        h.write(0, compareAndWrite(BLOCKS, 1, 0), two).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        h.write(0, compareAndWrite(BLOCKS - 1, 2, 0), new byte[4 * 512])
                .assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        h.write(0, compareAndWrite(-1L, 1, 0), two).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);

        Harness ro = Harness.withLun(new LunOptions(true, false, false, null));
        ro.write(0, compareAndWrite(0, 1, 0), two).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x00);
    }

    @Test
    void theLimitIsReportedAndEnforced() {
        // 64 KiB transfers: 128 blocks, so at most 64 blocks compared and 64 written.
        Harness small = Harness.withLun(new Harness(new TargetDaemon(64 * 1024)), LunOptions.DEFAULT,
                new MemoryStore(Harness.SIZE));
        Harness.Result vpd = small.read(0, Cdbs.inquiry(true, 0xB0, 64), 64);
        assertEquals(64, vpd.u8(5), "MAXIMUM COMPARE AND WRITE LENGTH");
        small.write(0, compareAndWrite(0, 64, 0), new byte[128 * 512]).assertGood();
        Harness.Result r = small.write(0, compareAndWrite(0, 65, 0), new byte[130 * 512]);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(13, r.sense()[17]);
        assertEquals(255, h.read(0, Cdbs.inquiry(true, 0xB0, 64), 64).u8(5), "the one-byte field's maximum");
    }

    @Test
    void isReportedAsSupported() {
        byte[] rsoc = {(byte) 0xA3, 0x0C, 0x01, (byte) 0x89, 0, 0, 0, 0, 0, 64, 0, 0};
        Harness.Result r = h.read(0, rsoc, 64);
        r.assertGood();
        assertEquals(3, r.u8(1) & 0x07, "SUPPORT: supported as in the standard");
        assertEquals(16, r.u16(2));
        assertEquals(0x18, r.u8(5), "DPO and FUA are evaluated");
        assertEquals(0xFF, r.u8(4 + 13), "NUMBER OF LOGICAL BLOCKS");
    }

    /**
     * The atomicity COMPARE AND WRITE relies on: while one holds the unit's write order, a
     * plain write of another thread (another transport) waits, and runs once it is released.
     */
    @Test
    void anAtomicWriteHoldsOffPlainWriters() throws InterruptedException {
        LogicalUnit unit = new LogicalUnit("t", 0, new MemoryStore(Harness.SIZE), 512, LunOptions.DEFAULT, 1 << 20);
        long atomic = unit.beginAtomicWrite();
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean wrote = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            started.countDown();
            long s = unit.beginWrite();
            wrote.set(true);
            unit.endWrite(s);
        });
        writer.start();
        assertTrue(started.await(5, TimeUnit.SECONDS));
        Thread.sleep(100);
        assertFalse(wrote.get(), "the plain write waited for the atomic one");
        unit.endAtomicWrite(atomic);
        writer.join(5000);
        assertTrue(wrote.get());
        // Plain writers share: two at once, no waiting.
        long a = unit.beginWrite();
        long b = unit.beginWrite();
        unit.endWrite(a);
        unit.endWrite(b);
    }

    /**
     * A store that compares and writes atomically itself (as one shared by gateways must) gets
     * both halves in one call: the daemon neither reads nor writes around it, a miscompare it
     * reports becomes MISCOMPARE with its offset, and FUA reaches it.
     */
    @Test
    void aStoreThatComparesAndWritesAtomicallyDoesItItself() {
        HeldStore store = new HeldStore(Harness.SIZE);
        store.holding = false;
        store.atomicCompareAndWrite = true;
        Harness s = Harness.withLun(new Harness(), org.jtgt.api.target.LunOptions.DEFAULT, store);
        byte[] old = Harness.pattern(2 * 512, 3);
        byte[] fresh = Harness.pattern(2 * 512, 4);
        s.write(0, Cdbs.rw16(true, 10, 2, 0), old).assertGood();
        int fuaBefore = store.fuaWrites;
        s.write(0, compareAndWrite(10, 2, 0x08), concat(old, fresh)).assertGood();
        assertEquals(1, store.compareAndWrites, "one call to the store's own compare-and-write");
        assertEquals(fuaBefore + 1, store.fuaWrites, "FUA reached the store");
        Harness.Result r = s.read(0, Cdbs.rw16(false, 10, 2, 0), 1024);
        assertArrayEquals(fresh, r.data());
        byte[] wrong = fresh.clone();
        wrong[700] ^= 1;
        Harness.Result m = s.write(0, compareAndWrite(10, 2, 0), concat(wrong, Harness.pattern(1024, 5)));
        m.assertSense(org.jtgt.api.scsi.SenseKey.MISCOMPARE, 0x1D, 0x00);
        assertEquals(700, information(m));
        assertArrayEquals(fresh, s.read(0, Cdbs.rw16(false, 10, 2, 0), 1024).data(), "nothing written");
    }

    /**
     * A store whose atomic compare-and-write takes at most one 512-byte sector (rbd on Ceph 16.2):
     * MAXIMUM COMPARE AND WRITE LENGTH says 1 block and more is refused before the store sees it.
     */
    @Test
    void theStoresOwnLimitBoundsTheReportedLength() {
        HeldStore store = new HeldStore(Harness.SIZE);
        store.holding = false;
        store.atomicCompareAndWrite = true;
        store.compareAndWriteLimit = 512;
        Harness s = Harness.withLun(new Harness(), LunOptions.DEFAULT, store);
        assertEquals(1, s.read(0, Cdbs.inquiry(true, 0xB0, 64), 64).u8(5), "MAXIMUM COMPARE AND WRITE LENGTH");
        byte[] fresh = Harness.pattern(512, 6);
        s.write(0, compareAndWrite(20, 1, 0), concat(new byte[512], fresh)).assertGood();
        assertArrayEquals(fresh, s.read(0, Cdbs.rw16(false, 20, 1, 0), 512).data());
        Harness.Result r = s.write(0, compareAndWrite(20, 2, 0), new byte[4 * 512]);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(1, store.compareAndWrites, "the refused command never reached the store");

        // a limit below one block: no COMPARE AND WRITE at all (Block Limits says 0)
        HeldStore tiny = new HeldStore(Harness.SIZE);
        tiny.holding = false;
        tiny.atomicCompareAndWrite = true;
        tiny.compareAndWriteLimit = 256;
        Harness t = Harness.withLun(new Harness(), LunOptions.DEFAULT, tiny);
        assertEquals(0, t.read(0, Cdbs.inquiry(true, 0xB0, 64), 64).u8(5));
        t.write(0, compareAndWrite(0, 1, 0), new byte[2 * 512]).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(0, tiny.compareAndWrites);
    }
}
