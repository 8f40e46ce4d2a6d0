package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/** WRITE ATOMIC(16) and the atomic fields of the Block Limits VPD page. */
class WriteAtomicTest {
    private static final long BLOCKS = Harness.SIZE / Harness.BLOCK;
    private final Harness h = Harness.withLun();

    static byte[] writeAtomic16(long lba, int blocks, int byte1, int boundary) {
        byte[] c = new byte[16];
        c[0] = (byte) 0x9C;
        c[1] = (byte) byte1;
        Cdbs.be(c, 2, lba, 8);
        Cdbs.be(c, 10, boundary, 2);
        Cdbs.be(c, 12, blocks, 2);
        return c;
    }

    @Test
    void blocksAreWrittenAndReadBack() {
        byte[] data = Harness.pattern(300 * 512, 5);
        h.write(0, writeAtomic16(17, 300, 0x08, 0), data).assertGood();   // FUA
        Harness.Result r = h.read(0, Cdbs.rw16(false, 17, 300, 0), 300 * 512);
        r.assertGood();
        assertArrayEquals(data, r.data());
        assertEquals(1, h.store.fuaWrites);
        h.write(0, writeAtomic16(BLOCKS - 1, 1, 0x10, 0), Harness.pattern(512, 6)).assertGood();   // DPO, last block
    }

    @Test
    void zeroBlocksWritesNothing() {
        h.write(0, writeAtomic16(0, 0, 0, 0), new byte[0]).assertGood();
        h.write(0, writeAtomic16(BLOCKS + 1, 0, 0, 0), new byte[0]).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
    }

    @Test
    void refusals() {
        byte[] block = Harness.pattern(512, 1);
        h.write(0, writeAtomic16(BLOCKS, 1, 0, 0), block).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        h.write(0, writeAtomic16(-1L, 1, 0, 0), block).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        Harness.Result wp = h.write(0, writeAtomic16(0, 1, 0x20, 0), block);
        wp.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);   // WRPROTECT: no protection information
        assertEquals((byte) (0xC0 | 0x08 | 7), wp.sense()[15]);
        Harness.Result boundary = h.write(0, writeAtomic16(0, 1, 0, 1), block);
        boundary.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);   // no atomic boundaries
        assertEquals(10, boundary.sense()[17]);
        h.write(0, writeAtomic16(0, 1, 0x04, 0), block).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);   // reserved
        assertArrayEquals(new byte[512], h.read(0, Cdbs.rw10(false, 0, 1, 0), 512).data(), "nothing written");
    }

    @Test
    void maximumAtomicTransferLengthIsReportedAndEnforced() {
        Harness small = Harness.withLun(new Harness(new TargetDaemon(64 * 1024)), LunOptions.DEFAULT,
                new MemoryStore(Harness.SIZE));
        Harness.Result bl = small.read(0, Cdbs.inquiry(true, 0xB0, 64), 64);
        assertEquals(128, bl.u32(8), "MAXIMUM TRANSFER LENGTH");
        assertEquals(128, bl.u32(44), "MAXIMUM ATOMIC TRANSFER LENGTH");
        assertEquals(0, bl.u32(48), "ATOMIC ALIGNMENT");
        assertEquals(0, bl.u32(52), "ATOMIC TRANSFER LENGTH GRANULARITY");
        assertEquals(0, bl.u32(56), "MAXIMUM ATOMIC TRANSFER LENGTH WITH ATOMIC BOUNDARY");
        assertEquals(0, bl.u32(60), "MAXIMUM ATOMIC BOUNDARY SIZE");
        small.write(0, writeAtomic16(0, 128, 0, 0), new byte[128 * 512]).assertGood();
        Harness.Result r = small.write(0, writeAtomic16(0, 129, 0, 0), new byte[129 * 512]);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(12, r.sense()[17]);
    }

    @Test
    void writeProtectedUnit() {
        Harness ro = Harness.withLun(new LunOptions(true, false, false, null));
        ro.write(0, writeAtomic16(0, 1, 0, 0), new byte[512]).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x00);
    }
}
