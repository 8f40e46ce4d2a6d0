package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;

import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/** MODE SENSE(6)/(10): header, block descriptors, caching and control pages. */
class ModeSenseTest {
    private final Harness h = Harness.withLun();
    private static final long BLOCKS = Harness.SIZE / 512;

    @Test
    void cachingPageWithBlockDescriptor6() {
        Harness.Result r = h.read(0, Cdbs.modeSense6(0, 0, 0x08, 0, 255), 255);
        r.assertGood();
        byte[] d = r.data();
        assertEquals(4 + 8 + 20, d.length);
        assertEquals(d.length - 1, r.u8(0), "mode data length");
        assertEquals(0, r.u8(1), "medium type");
        assertEquals(0x10, r.u8(2), "DPOFUA, not write protected");
        assertEquals(8, r.u8(3), "block descriptor length");
        assertEquals(BLOCKS, r.u32(4));
        assertEquals(512, r.u32(8), "reserved byte + 3-byte block length");
        assertEquals(0x08, r.u8(12));
        assertEquals(0x12, r.u8(13));
        assertEquals(0x04, r.u8(14), "WCE = 1, RCD = 0");
        assertArrayEquals(new byte[17], Arrays.copyOfRange(d, 15, 32));
        assertEquals(255 - d.length, r.residual());
    }

    @Test
    void controlPageWithoutBlockDescriptor() {
        Harness.Result r = h.read(0, Cdbs.modeSense6(0x08, 0, 0x0A, 0, 255), 255);
        r.assertGood();
        byte[] d = r.data();
        assertEquals(4 + 12, d.length);
        assertEquals(0, r.u8(3));
        assertEquals(0x0A, r.u8(4));
        assertEquals(0x0A, r.u8(5));
        assertEquals(0x02, r.u8(6), "GLTSD; D_SENSE = 0: fixed format sense");
        assertEquals(0x10, r.u8(7), "QAM 1 (unrestricted reordering), QErr 00b");
    }

    @Test
    void allPagesInAscendingOrder10() {
        Harness.Result r = h.read(0, Cdbs.modeSense10(0, 0, 0x3F, 0, 1024), 1024);
        r.assertGood();
        byte[] d = r.data();
        assertEquals(8 + 8 + 20 + 12, d.length);
        assertEquals(d.length - 2, r.u16(0));
        assertEquals(0x10, r.u8(3));
        assertEquals(0, r.u8(4), "LONGLBA = 0");
        assertEquals(8, r.u16(6));
        assertEquals(0x08, r.u8(16));
        assertEquals(0x0A, r.u8(36));
        h.read(0, Cdbs.modeSense10(0, 0, 0x3F, 0xFF, 1024), 1024).assertGood();
    }

    @Test
    void longLbaDescriptor() {
        Harness.Result r = h.read(0, Cdbs.modeSense10(0x10, 0, 0x08, 0, 1024), 1024);
        r.assertGood();
        assertEquals(8 + 16 + 20, r.data().length);
        assertEquals(1, r.u8(4), "LONGLBA");
        assertEquals(16, r.u16(6));
        assertEquals(BLOCKS, r.u64(8));
        assertEquals(512, r.u32(20));
        assertEquals(0x08, r.u8(24));
    }

    @Test
    void changeableValuesAreWceDSenseAndSwp() {
        Harness.Result r = h.read(0, Cdbs.modeSense6(0x08, 1, 0x3F, 0, 255), 255);
        r.assertGood();
        assertEquals(0x08, r.u8(4));
        assertEquals(0x04, r.u8(6), "WCE changeable (MODE SELECT)");
        assertEquals(0x0A, r.u8(24));
        assertEquals(0x04, r.u8(26), "D_SENSE changeable (MODE SELECT), GLTSD not");
        assertEquals(0x08, r.u8(28), "SWP changeable (MODE SELECT)");
        Harness.Result def = h.read(0, Cdbs.modeSense6(0x08, 2, 0x08, 0, 255), 255);
        assertEquals(0x04, def.u8(6), "default = current");
    }

    @Test
    void savedValuesAreNotSupported() {
        h.read(0, Cdbs.modeSense6(0, 3, 0x08, 0, 255), 255).assertSense(SenseKey.ILLEGAL_REQUEST, 0x39, 0x00);
    }

    @Test
    void unsupportedPageAndSubpageAreInvalidFields() {
        Harness.Result r = h.read(0, Cdbs.modeSense6(0, 0, 0x1C, 0, 255), 255);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(2, r.sense()[17]);
        assertEquals((byte) (0xC0 | 0x08 | 5), r.sense()[15]);
        h.read(0, Cdbs.modeSense6(0, 0, 0x08, 0x01, 255), 255).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
    }

    @Test
    void allocationLengthTruncates() {
        Harness.Result r = h.read(0, Cdbs.modeSense6(0, 0, 0x3F, 0, 4), 4);
        r.assertGood();
        assertEquals(4, r.data().length);
        assertEquals(4 + 8 + 32 - 1, r.u8(0), "the header still tells the full length");
        assertEquals(0, r.residual());
        Harness.Result z = h.read(0, Cdbs.modeSense6(0, 0, 0x3F, 0, 0), 0);
        z.assertGood();
        assertEquals(0, z.data().length);
    }

    @Test
    void readOnlyLunSetsWriteProtect() {
        Harness ro = Harness.withLun(new LunOptions(true, false, false, null));
        assertEquals(0x90, ro.read(0, Cdbs.modeSense6(0x08, 0, 0x08, 0, 255), 255).u8(2));
        assertEquals(0x90, ro.read(0, Cdbs.modeSense10(0x08, 0, 0x08, 0, 255), 255).u8(3));
    }
}
