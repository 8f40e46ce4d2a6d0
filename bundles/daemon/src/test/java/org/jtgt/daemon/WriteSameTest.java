package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;

import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/** WRITE SAME(10)/(16) on a fully provisioned unit (with UNMAP: {@link UnmapTest}). */
class WriteSameTest {
    private static final long BLOCKS = Harness.SIZE / Harness.BLOCK;
    private final Harness h = Harness.withLun();
    private final byte[] block = Harness.pattern(512, 9);

    static byte[] writeSame10(long lba, int blocks, int byte1) {
        byte[] c = new byte[10];
        c[0] = 0x41;
        c[1] = (byte) byte1;
        Cdbs.be(c, 2, lba, 4);
        Cdbs.be(c, 7, blocks, 2);
        return c;
    }

    static byte[] writeSame16(long lba, long blocks, int byte1) {
        byte[] c = new byte[16];
        c[0] = (byte) 0x93;
        c[1] = (byte) byte1;
        Cdbs.be(c, 2, lba, 8);
        Cdbs.be(c, 10, blocks, 4);
        return c;
    }

    @Test
    void everyBlockOfTheRangeGetsTheBlock() {
        h.write(0, writeSame10(10, 300, 0), block).assertGood();   // more than one 64 KiB chunk
        Harness.Result r = h.read(0, Cdbs.rw10(false, 9, 302, 0), 302 * 512);
        r.assertGood();
        assertArrayEquals(new byte[512], Arrays.copyOfRange(r.data(), 0, 512), "block 9 untouched");
        for (int b = 1; b <= 300; b++) {
            assertArrayEquals(block, Arrays.copyOfRange(r.data(), b * 512, (b + 1) * 512), "block " + (9 + b));
        }
        assertArrayEquals(new byte[512], Arrays.copyOfRange(r.data(), 301 * 512, 302 * 512), "block 310 untouched");
        h.write(0, writeSame16(BLOCKS - 1, 1, 0), block).assertGood();
    }

    @Test
    void maximumWriteSameLengthIsReportedAndEnforced() {
        Harness small = Harness.withLun(new Harness(new TargetDaemon(64 * 1024)), LunOptions.DEFAULT,
                new MemoryStore(Harness.SIZE));
        assertEquals(128, small.read(0, Cdbs.inquiry(true, 0xB0, 64), 64).u64(36), "MAXIMUM WRITE SAME LENGTH");
        small.write(0, writeSame16(0, 128, 0), block).assertGood();
        Harness.Result r = small.write(0, writeSame16(0, 129, 0), block);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(10, r.sense()[17]);
    }

    @Test
    void rangeAndZeroBlocks() {
        h.write(0, writeSame10(BLOCKS, 1, 0), block).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        h.write(0, writeSame16(-1L, 1, 0), block).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        Harness.Result r = h.write(0, writeSame10(0, 0, 0), block);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);   // WSNZ = 1
        assertEquals(7, r.sense()[17]);
    }

    @Test
    void unmapOnAFullUnitAnchorAndObsoleteBitsAreRefused() {
        Harness.Result r = h.write(0, writeSame10(0, 1, 0x08), block);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);   // LBPWS10 = 0 on a full unit
        assertEquals((byte) 0xCB, r.sense()[15], "SKSV, C/D, BPV, bit 3");
        assertEquals(1, r.sense()[17]);
        h.write(0, writeSame16(0, 1, 0x10), block).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);   // ANCHOR
        h.write(0, writeSame10(0, 1, 0x01), block).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);   // no NDOB in (10)
        h.write(0, writeSame16(0, 1, 0x04), block).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);   // PBDATA
        h.write(0, writeSame16(0, 1, 0x20), block).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);   // WRPROTECT
    }

    @Test
    void ndobWritesZerosWithoutDataOut() {
        h.write(0, writeSame16(20, 200, 0), block).assertGood();
        h.none(0, writeSame16(21, 198, 0x01)).assertGood();
        Harness.Result r = h.read(0, Cdbs.rw10(false, 20, 200, 0), 200 * 512);
        assertArrayEquals(block, Arrays.copyOfRange(r.data(), 0, 512));
        assertArrayEquals(new byte[198 * 512], Arrays.copyOfRange(r.data(), 512, 199 * 512));
        assertArrayEquals(block, Arrays.copyOfRange(r.data(), 199 * 512, 200 * 512));
    }

    @Test
    void writeProtectedUnit() {
        Harness ro = Harness.withLun(new LunOptions(true, false, false, null));
        ro.write(0, writeSame10(0, 1, 0), block).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x00);
        ro.write(0, writeSame16(0, 4, 0), block).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x00);
        ro.write(0, writeSame10(0, 1, 0x08), block).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x00);   // UNMAP too
        ro.write(0, writeSame10(BLOCKS, 1, 0), block).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
    }
}
