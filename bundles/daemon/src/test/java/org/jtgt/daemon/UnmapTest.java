package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/** Thin provisioning: UNMAP (42h), WRITE SAME with UNMAP and NDOB, GET LBA STATUS, READ CAPACITY(16). */
class UnmapTest {
    private static final long BLOCKS = Harness.SIZE / Harness.BLOCK;
    private static final LunOptions THIN = new LunOptions(false, false, true, null);
    /** 8 blocks of 512 bytes per allocation unit of the test store. */
    private static final int UNIT_BLOCKS = ThinStore.UNIT / Harness.BLOCK;

    private final ThinStore store = new ThinStore(Harness.SIZE);
    private final Harness h = Harness.withLun(new Harness(), THIN, store);

    static byte[] unmapCdb(int listLength, int byte1) {
        byte[] c = new byte[10];
        c[0] = 0x42;
        c[1] = (byte) byte1;
        Cdbs.be(c, 7, listLength, 2);
        return c;
    }

    /** An UNMAP parameter list; {@code ranges} holds LBA, count pairs. */
    static byte[] unmapList(long... ranges) {
        int n = ranges.length / 2;
        byte[] p = new byte[8 + 16 * n];
        Cdbs.be(p, 0, p.length - 2, 2);
        Cdbs.be(p, 2, 16 * n, 2);
        for (int i = 0; i < n; i++) {
            Cdbs.be(p, 8 + 16 * i, ranges[2 * i], 8);
            Cdbs.be(p, 16 + 16 * i, ranges[2 * i + 1], 4);
        }
        return p;
    }

    static byte[] getLbaStatus(long lba, int allocation) {
        byte[] c = new byte[16];
        c[0] = (byte) 0x9E;
        c[1] = 0x12;
        Cdbs.be(c, 2, lba, 8);
        Cdbs.be(c, 10, allocation, 4);
        return c;
    }

    private Harness.Result unmap(Harness on, long... ranges) {
        byte[] list = unmapList(ranges);
        return on.write(0, unmapCdb(list.length, 0), list);
    }

    private byte[] readBack(long lba, int blocks) {
        Harness.Result r = h.read(0, Cdbs.rw16(false, lba, blocks, 0), blocks * 512);
        r.assertGood();
        return r.data();
    }

    /** Writes a pattern over the first {@code blocks} blocks and returns it. */
    private byte[] fill(int blocks) {
        byte[] data = Harness.pattern(blocks * 512, 6);
        h.write(0, Cdbs.rw16(true, 0, blocks, 0), data).assertGood();
        return data;
    }

    @Test
    void unmappedBlocksReadZerosAndTheirUnitsAreGivenBack() {
        byte[] data = fill(64);
        // Blocks 3..20 (partial unit 0, whole units 1, partial unit 2) and 40..47 (unit 5).
        unmap(h, 3, 18, 40, 8).assertGood();
        byte[] expected = data.clone();
        Arrays.fill(expected, 3 * 512, 21 * 512, (byte) 0);
        Arrays.fill(expected, 40 * 512, 48 * 512, (byte) 0);
        assertArrayEquals(expected, readBack(0, 64));
        assertTrue(store.mapped.get(0) && !store.mapped.get(1) && store.mapped.get(2) && !store.mapped.get(5),
                store.mapped.toString());
    }

    @Test
    void parameterListChecks() {
        fill(16);
        h.none(0, unmapCdb(0, 0)).assertGood();   // no parameter list: nothing to do
        h.write(0, unmapCdb(4, 0), new byte[4]).assertSense(SenseKey.ILLEGAL_REQUEST, 0x1A, 0x00);
        // A descriptor past the end fails the command before anything is unmapped.
        unmap(h, 0, 8, BLOCKS - 1, 2).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        unmap(h, -1L, 1).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        assertEquals(0, store.deallocations);
        unmap(h, BLOCKS - 1, 1, 0, 0, BLOCKS, 0).assertGood();   // zero blocks at the end is in range
        long[] many = new long[2 * 257];
        unmap(h, many).assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);   // > 256 descriptors
        // An incomplete last descriptor is ignored.
        byte[] list = unmapList(0, 1, 1, 1);
        byte[] cut = Arrays.copyOf(list, list.length - 4);
        h.write(0, unmapCdb(cut.length, 0), cut).assertGood();
        assertEquals(0, readBack(0, 1)[0]);
        assertTrue(readBack(1, 1)[0] != 0 || readBack(1, 1)[1] != 0, "block 1 kept its data");
        Harness.Result r = h.write(0, unmapCdb(list.length, 0x01), list);   // ANCHOR: ANC_SUP = 0
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(1, r.sense()[17]);
    }

    @Test
    void onlyThinWritableUnitsUnmap() {
        Harness full = Harness.withLun();
        unmap(full, 0, 1).assertSense(SenseKey.ILLEGAL_REQUEST, 0x20, 0x00);
        Harness ro = Harness.withLun(new Harness(), new LunOptions(true, false, true, null), new ThinStore(Harness.SIZE));
        unmap(ro, 0, 1).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x00);
        ro.write(0, WriteSameTest.writeSame16(0, 1, 0x08), new byte[512]).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x00);
    }

    @Test
    void writeSameWithUnmapDeallocatesZerosAndWritesAnythingElse() {
        byte[] data = fill(64);
        h.write(0, WriteSameTest.writeSame10(8, 16, 0x08), new byte[512]).assertGood();
        assertEquals(1, store.deallocations);
        assertTrue(!store.mapped.get(1) && !store.mapped.get(2));
        h.none(0, WriteSameTest.writeSame16(33, 20, 0x09)).assertGood();   // UNMAP + NDOB
        assertEquals(2, store.deallocations);
        byte[] expected = data.clone();
        Arrays.fill(expected, 8 * 512, 24 * 512, (byte) 0);
        Arrays.fill(expected, 33 * 512, 53 * 512, (byte) 0);
        assertArrayEquals(expected, readBack(0, 64));

        byte[] block = Harness.pattern(512, 11);
        h.write(0, WriteSameTest.writeSame16(8, 2, 0x08), block).assertGood();   // non-zero: written
        assertEquals(2, store.deallocations);
        assertArrayEquals(block, Arrays.copyOfRange(readBack(8, 2), 512, 1024));
    }

    @Test
    void getLbaStatusDescribesMappedAndDeallocatedExtents() {
        fill(32);   // units 0..3 mapped
        unmap(h, 8, 16).assertGood();   // units 1 and 2 deallocated
        Harness.Result r = h.read(0, getLbaStatus(0, 1024), 1024);
        r.assertGood();
        assertEquals(8 + 4 * 16, r.data().length);
        assertEquals(4 + 4 * 16, r.u32(0), "PARAMETER DATA LENGTH");
        long[][] expected = {{0, 8, 0}, {8, 16, 1}, {24, 8, 0}, {32, BLOCKS - 32, 1}};
        for (int i = 0; i < expected.length; i++) {
            int at = 8 + 16 * i;
            assertEquals(expected[i][0], r.u64(at), "descriptor " + i + " LBA");
            assertEquals(expected[i][1], r.u32(at + 8), "descriptor " + i + " blocks");
            assertEquals(expected[i][2], r.u8(at + 12) & 0x0F, "descriptor " + i + " status");
        }
        // The first descriptor starts at the starting LBA; 24 bytes hold one.
        Harness.Result one = h.read(0, getLbaStatus(3, 24), 24);
        one.assertGood();
        assertEquals(20, one.u32(0));
        assertEquals(3, one.u64(8));
        assertEquals(UNIT_BLOCKS - 3, one.u32(16));
        assertEquals(0, one.u8(20));

        h.read(0, getLbaStatus(BLOCKS - 1, 24), 24).assertGood();
        h.read(0, getLbaStatus(BLOCKS, 24), 24).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        h.read(0, getLbaStatus(-1L, 24), 24).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        h.read(0, getLbaStatus(1L << 63, 24), 24).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
    }

    @Test
    void aStoreThatTracksNothingIsAllMapped() {
        Harness full = Harness.withLun();
        Harness.Result r = full.read(0, getLbaStatus(5, 64), 64);
        r.assertGood();
        assertEquals(20, r.u32(0));
        assertEquals(5, r.u64(8));
        assertEquals(BLOCKS - 5, r.u32(16));
        assertEquals(0, r.u8(20));
    }

    @Test
    void provisioningIsReported() {
        Harness.Result rc = h.read(0, Cdbs.readCapacity16(32), 32);
        assertEquals(0xC0, rc.u8(14) & 0xC0, "LBPME and LBPRZ");
        Harness.Result bl = h.read(0, Cdbs.inquiry(true, 0xB0, 64), 64);
        assertEquals(UNIT_BLOCKS, bl.u32(28), "OPTIMAL UNMAP GRANULARITY: the store's unit");
        assertEquals(0x8000_0000L, bl.u32(32), "UGAVALID, alignment 0");
        Harness.Result lbp = h.read(0, Cdbs.inquiry(true, 0xB2, 8), 8);
        assertEquals(0xE4, lbp.u8(5));
        assertEquals(0x02, lbp.u8(6) & 0x07);
    }
}
