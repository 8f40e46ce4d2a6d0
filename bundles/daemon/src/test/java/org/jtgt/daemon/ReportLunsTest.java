package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jtgt.api.scsi.SenseKey;
import org.junit.jupiter.api.Test;

/** REPORT LUNS. */
class ReportLunsTest {
    private final Harness h = Harness.withLun();

    ReportLunsTest() {
        h.daemon.addLun(Harness.TARGET, 300, new MemoryStore(4096), 512, null);
        h.daemon.addLun(Harness.TARGET, 5, new MemoryStore(4096), 512, null);
        h.none(0, Cdbs.testUnitReady());   // consume REPORTED LUNS DATA HAS CHANGED
    }

    @Test
    void listsEveryLunInSingleLevelFormat() {
        Harness.Result r = h.read(0, Cdbs.reportLuns(0, 1024), 1024);
        r.assertGood();
        assertEquals(8 + 24, r.data().length);
        assertEquals(24, r.u32(0));
        assertEquals(0, r.u32(4));
        assertEquals(0L, r.u64(8));
        assertEquals(0x0005_0000_0000_0000L, r.u64(16), "peripheral device addressing");
        assertEquals(0x412C_0000_0000_0000L, r.u64(24), "flat space addressing for 300");
        assertEquals(1024 - 32, r.residual());
    }

    @Test
    void worksOnAnUnknownLunAndTruncates() {
        Harness.Result r = h.read(77, Cdbs.reportLuns(2, 16), 16);
        r.assertGood();
        assertEquals(16, r.data().length);
        assertEquals(24, r.u32(0), "the list length still counts every LUN");
        assertEquals(0L, r.u64(8));
    }

    @Test
    void wellKnownOnlyIsEmpty() {
        Harness.Result r = h.read(0, Cdbs.reportLuns(1, 64), 64);
        r.assertGood();
        assertEquals(8, r.data().length);
        assertEquals(0, r.u32(0));
    }

    @Test
    void refusesShortAllocationAndUnknownSelectReport() {
        Harness.Result r = h.read(0, Cdbs.reportLuns(0, 15), 15);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(6, r.sense()[17]);
        Harness.Result s = h.read(0, Cdbs.reportLuns(3, 64), 64);
        s.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(2, s.sense()[17]);
    }
}
