package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jtgt.api.scsi.SenseKey;
import org.junit.jupiter.api.Test;

/** READ DEFECT DATA(10) and (12): an empty defect list in the format asked for. */
class DefectDataTest {
    private final Harness h = Harness.withLun();

    static byte[] rdd10(int byte2, int allocation) {
        byte[] c = new byte[10];
        c[0] = 0x37;
        c[2] = (byte) byte2;
        Cdbs.be(c, 7, allocation, 2);
        return c;
    }

    static byte[] rdd12(int byte1, long allocation) {
        byte[] c = new byte[12];
        c[0] = (byte) 0xB7;
        c[1] = (byte) byte1;
        Cdbs.be(c, 6, allocation, 4);
        return c;
    }

    @Test
    void tenByteHeaderEchoesTheListsAndFormatWithLengthZero() {
        Harness.Result r = h.read(0, rdd10(0x18 | 0x4, 512), 512);
        r.assertGood();
        assertArrayEquals(new byte[] {0, 0x1C, 0, 0}, r.data(), "PLISTV, GLISTV, bytes from index, no defects");
        assertEquals(512 - 4, r.residual());
        Harness.Result g = h.read(0, rdd10(0x08 | 0x3, 4), 4);
        assertArrayEquals(new byte[] {0, 0x0B, 0, 0}, g.data(), "GLISTV only, long block format");
        Harness.Result none = h.read(0, rdd10(0x0, 4), 4);
        assertArrayEquals(new byte[] {0, 0, 0, 0}, none.data());
    }

    @Test
    void twelveByteHeader() {
        Harness.Result r = h.read(0, rdd12(0x10 | 0x5, 64), 64);
        r.assertGood();
        assertArrayEquals(new byte[] {0, 0x15, 0, 0, 0, 0, 0, 0}, r.data(), "PLISTV, physical sector, generation 0, length 0");
        assertEquals(64 - 8, r.residual());
    }

    @Test
    void vendorSpecificAndReservedFormatsAndReservedBitsAreRefused() {
        for (int format : new int[] {6, 7}) {
            Harness.Result r = h.read(0, rdd10(0x18 | format, 64), 64);
            r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
            assertEquals((byte) (0xC0 | 0x08 | 2), r.sense()[15], "SKSV, C/D, BPV, bit 2");
            assertEquals(2, r.sense()[17]);
            Harness.Result r12 = h.read(0, rdd12(format, 64), 64);
            r12.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
            assertEquals(1, r12.sense()[17]);
        }
        h.read(0, rdd10(0x20, 64), 64).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        byte[] cdb = rdd10(0, 64);
        cdb[1] = 1;
        h.read(0, cdb, 64).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        h.read(0, rdd12(0x80, 64), 64).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
    }
}
