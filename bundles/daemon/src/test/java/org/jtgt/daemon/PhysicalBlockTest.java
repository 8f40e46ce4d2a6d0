package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;

import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.TargetAdminException;
import org.junit.jupiter.api.Test;

/**
 * Logical blocks per physical block: READ CAPACITY(16), the Block Limits VPD page, the LUN
 * option's checks, and what unmapping ranges that do not cover whole physical blocks leaves.
 */
class PhysicalBlockTest {
    /** 512-byte logical blocks on 4096-byte physical blocks ("512e"). */
    private static final LunOptions THIN_512E = new LunOptions(false, false, true, null, 4096);
    private static final int PER_PHYSICAL = 8;

    private final ThinStore store = new ThinStore(Harness.SIZE);
    private final Harness h = Harness.withLun(new Harness(), THIN_512E, store);

    @Test
    void readCapacity16ReportsTheExponentAndLowestAlignedLbaZero() {
        Harness.Result r = h.read(0, Cdbs.readCapacity16(32), 32);
        r.assertGood();
        assertEquals(512, r.u32(8));
        assertEquals(3, r.u8(13), "P_I_EXPONENT 0, 2^3 logical blocks per physical block");
        assertEquals(0xC0, r.u8(14), "LBPME, LBPRZ, LOWEST ALIGNED LBA bits 13..8 = 0");
        assertEquals(0, r.u8(15), "LOWEST ALIGNED LBA bits 7..0");

        Harness plain = Harness.withLun(new LunOptions(false, false, true, null));
        assertEquals(0, plain.read(0, Cdbs.readCapacity16(32), 32).u8(13));
    }

    @Test
    void blockLimitsGranularitiesAreWholePhysicalBlocks() {
        Harness.Result r = h.read(0, Cdbs.inquiry(true, 0xB0, 64), 64);
        r.assertGood();
        assertEquals(PER_PHYSICAL, r.u16(6), "OPTIMAL TRANSFER LENGTH GRANULARITY");
        long unmap = r.u32(28);
        assertEquals(0, unmap % PER_PHYSICAL, "OPTIMAL UNMAP GRANULARITY is whole physical blocks: " + unmap);
        assertEquals(0x8000_0000L, r.u32(32), "UGAVALID, UNMAP GRANULARITY ALIGNMENT 0");

        Harness big = Harness.withLun(new Harness(), new LunOptions(false, false, true, null, 64 * 1024),
                new ThinStore(Harness.SIZE));
        Harness.Result b = big.read(0, Cdbs.inquiry(true, 0xB0, 64), 64);
        assertEquals(128, b.u16(6));
        assertEquals(128, b.u32(28), "the physical block outgrows the store's 4 KiB unit");
        assertEquals(7, big.read(0, Cdbs.readCapacity16(32), 32).u8(13));
    }

    @Test
    void physicalBlockSizeMustBeAPowerOfTwoMultipleOfTheBlockSize() {
        for (int bad : new int[] {256, 1000, 1536, 512 << 16}) {
            assertThrows(TargetAdminException.class, () -> h.daemon.addLun(Harness.TARGET, 1,
                    new MemoryStore(Harness.SIZE), 512, new LunOptions(false, false, false, null, bad)), "" + bad);
        }
        assertThrows(TargetAdminException.class, () -> h.daemon.addLun(Harness.TARGET, 1,
                new MemoryStore(Harness.SIZE), 4096, new LunOptions(false, false, false, null, 2048)));
        h.daemon.addLun(Harness.TARGET, 1, new MemoryStore(Harness.SIZE), 4096, new LunOptions(false, false, false, null, 4096));
        h.daemon.addLun(Harness.TARGET, 2, new MemoryStore(Harness.SIZE), 512, new LunOptions(false, false, false, null, 512 << 15));
    }

    private byte[] fill(long lba, int blocks, int seed) {
        byte[] data = Harness.pattern(blocks * 512, seed);
        h.write(0, Cdbs.rw16(true, lba, blocks, 0), data).assertGood();
        return data;
    }

    private byte[] readBack(long lba, int blocks) {
        Harness.Result r = h.read(0, Cdbs.rw16(false, lba, blocks, 0), blocks * 512);
        r.assertGood();
        return r.data();
    }

    /** Blocks [from, to) of {@code data} (which starts at LBA 0) replaced by zeros. */
    private static byte[] zeroed(byte[] data, int from, int to) {
        byte[] e = data.clone();
        Arrays.fill(e, from * 512, to * 512, (byte) 0);
        return e;
    }

    @Test
    void unalignedUnmapReadsZerosInTheRangeAndTheDataAroundIt() {
        byte[] data = fill(0, 4 * PER_PHYSICAL, 5);
        byte[] list = UnmapTest.unmapList(3, 7, 13, 12, 30, 1);   // inside one, across two, and across three physical blocks
        h.write(0, UnmapTest.unmapCdb(list.length, 0), list).assertGood();
        byte[] expected = zeroed(zeroed(zeroed(data, 3, 10), 13, 25), 30, 31);
        assertArrayEquals(expected, readBack(0, 4 * PER_PHYSICAL));
        // the physical block 16..23 was covered whole, so it was given back; the partial ones stay mapped
        assertEquals(false, store.mapped.get(2));
        assertEquals(true, store.mapped.get(0));
        assertEquals(true, store.mapped.get(3));
    }

    @Test
    void unalignedWriteSameUnmapKeepsEveryBlockCorrect() {
        byte[] data = fill(0, 2 * PER_PHYSICAL, 9);
        for (int i = 1; i < PER_PHYSICAL; i++) {
            // as libiscsi's UnmapUnaligned does: a non-zero block, so it is written, not deallocated
            byte[] block = Harness.pattern(512, 100 + i);
            h.write(0, WriteSameTest.writeSame10(i, PER_PHYSICAL - i, 0x08), block).assertGood();
            for (int b = i; b < PER_PHYSICAL; b++) {
                System.arraycopy(block, 0, data, b * 512, 512);
            }
            assertArrayEquals(data, readBack(0, 2 * PER_PHYSICAL), "after WRITE SAME(10) UNMAP at LBA " + i);
        }
        // zeros with UNMAP deallocate, unaligned at both ends
        h.write(0, WriteSameTest.writeSame10(5, 6, 0x08), new byte[512]).assertGood();
        assertArrayEquals(zeroed(data, 5, 11), readBack(0, 2 * PER_PHYSICAL));
        h.none(0, WriteSameTest.writeSame16(1, 2, 0x09)).assertGood();   // NDOB
        assertArrayEquals(zeroed(zeroed(data, 5, 11), 1, 3), readBack(0, 2 * PER_PHYSICAL));
    }

    @Test
    void writeSameDataOutMustBeExactlyOneBlock() {
        byte[] ws = WriteSameTest.writeSame10(0, 1, 0x08);
        h.write(0, ws, new byte[256]).assertSense(SenseKey.ILLEGAL_REQUEST, 0x0E, 0x03);
        h.write(0, ws, new byte[1024]).assertSense(SenseKey.ILLEGAL_REQUEST, 0x0E, 0x03);
        h.write(0, WriteSameTest.writeSame16(0, 1, 0), new byte[1024]).assertSense(SenseKey.ILLEGAL_REQUEST, 0x0E, 0x03);
        h.write(0, ws, new byte[512]).assertGood();
    }
}
