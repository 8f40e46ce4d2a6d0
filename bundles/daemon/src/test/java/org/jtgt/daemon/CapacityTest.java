package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/** READ CAPACITY(10) and (16). */
class CapacityTest {
    @Test
    void readCapacity10() {
        Harness h = Harness.withLun();
        Harness.Result r = h.read(0, Cdbs.readCapacity10(), 8);
        r.assertGood();
        assertEquals(Harness.SIZE / 512 - 1, r.u32(0));
        assertEquals(512, r.u32(4));
        assertEquals(0, r.residual());
    }

    @Test
    void readCapacity10WithLbaButNoPmiIsInvalid() {
        Harness h = Harness.withLun();
        byte[] cdb = Cdbs.readCapacity10();
        cdb[5] = 1;
        h.read(0, cdb, 8).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        cdb[8] = 1;   // PMI
        h.read(0, cdb, 8).assertGood();
    }

    @Test
    void readCapacity10SaturatesAboveTwoTerabytes() {
        Harness h = new Harness();
        h.daemon.createTarget(Harness.TARGET);
        long blocks = (1L << 32) + 10;
        h.daemon.addLun(Harness.TARGET, 0, new HugeStore(blocks * 512), 512, null);
        h.login(Harness.INITIATOR, Harness.TARGET, Harness.NEXUS);
        Harness.Result r10 = h.read(0, Cdbs.readCapacity10(), 8);
        assertEquals(0xFFFF_FFFFL, r10.u32(0));
        Harness.Result r16 = h.read(0, Cdbs.readCapacity16(32), 32);
        assertEquals(blocks - 1, r16.u64(0));
        h.read(0, Cdbs.rw16(false, blocks - 1, 1, 0), 512).assertGood();
        h.read(0, Cdbs.rw16(false, blocks, 1, 0), 512).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
    }

    @Test
    void readCapacity16ThinReportsLbpmeAndLbprz() {
        Harness h = Harness.withLun(new LunOptions(false, false, true, null));
        Harness.Result r = h.read(0, Cdbs.readCapacity16(32), 32);
        r.assertGood();
        assertEquals(32, r.data().length);
        assertEquals(Harness.SIZE / 512 - 1, r.u64(0));
        assertEquals(512, r.u32(8));
        assertEquals(0, r.u8(12));
        assertEquals(0, r.u8(13), "one logical block per physical block");
        assertEquals(0xC0, r.u8(14), "LBPME, LBPRZ");
        for (int i = 16; i < 32; i++) {
            assertEquals(0, r.u8(i));
        }
        Harness full = Harness.withLun();
        assertEquals(0, full.read(0, Cdbs.readCapacity16(32), 32).u8(14));
    }

    @Test
    void readCapacity16HonoursTheAllocationLength() {
        Harness h = Harness.withLun();
        Harness.Result r = h.read(0, Cdbs.readCapacity16(12), 12);
        r.assertGood();
        assertEquals(12, r.data().length);
        assertEquals(0, r.residual());
    }

    @Test
    void otherServiceActionsAreInvalid() {
        Harness h = Harness.withLun();
        byte[] cdb = Cdbs.readCapacity16(32);
        cdb[1] = 0x11;   // not a service action of SERVICE ACTION IN(16) that is implemented
        Harness.Result r = h.read(0, cdb, 32);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(1, r.sense()[17]);
    }
}
