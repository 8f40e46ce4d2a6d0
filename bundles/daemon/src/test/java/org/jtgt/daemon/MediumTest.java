package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.event.TaskManagementFunction;
import org.junit.jupiter.api.Test;

/** START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL and write-protected units. */
class MediumTest {
    static final LunOptions REMOVABLE = new LunOptions(false, true, false, null);
    static final LunOptions READ_ONLY = new LunOptions(true, false, false, null);

    static byte[] startStop(boolean loej, boolean start, int powerCondition) {
        byte[] c = new byte[6];
        c[0] = 0x1B;
        c[4] = (byte) (powerCondition << 4 | (loej ? 0x02 : 0) | (start ? 0x01 : 0));
        return c;
    }

    static byte[] preventAllow(int prevent) {
        byte[] c = new byte[6];
        c[0] = 0x1E;
        c[4] = (byte) prevent;
        return c;
    }

    @Test
    void nonRemovableUnitCannotEjectNorPrevent() {
        Harness h = Harness.withLun();
        h.none(0, startStop(false, false, 0)).assertGood();
        h.none(0, startStop(false, true, 0)).assertGood();
        Harness.Result r = h.none(0, startStop(true, false, 0));
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(4, r.sense()[17]);
        h.none(0, preventAllow(0)).assertGood();
        h.none(0, preventAllow(1)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        h.none(0, Cdbs.testUnitReady()).assertGood();
    }

    @Test
    void ejectAndLoad() {
        Harness h = Harness.withLun(REMOVABLE);
        h.none(0, startStop(true, false, 0)).assertGood();
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.NOT_READY, 0x3A, 0x00);
        h.read(0, Cdbs.rw10(false, 0, 1, 0), 512).assertSense(SenseKey.NOT_READY, 0x3A, 0x00);
        h.read(0, Cdbs.inquiry(false, 0, 36), 36).assertGood();
        h.none(0, startStop(true, true, 0)).assertGood();
        h.none(0, Cdbs.testUnitReady()).assertGood();
    }

    @Test
    void powerConditionMakesStartAndLoejIgnored() {
        Harness h = Harness.withLun(REMOVABLE);
        for (int pc = 1; pc < 16; pc++) {
            h.none(0, startStop(true, false, pc)).assertGood();
            h.none(0, Cdbs.testUnitReady()).assertGood();
        }
    }

    @Test
    void preventionBlocksEjectUntilAllowedOrTheNexusIsLost() {
        Harness h = Harness.withLun(REMOVABLE);
        h.none(0, preventAllow(1)).assertGood();
        h.none(0, startStop(true, false, 0)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x53, 0x02);
        h.none(0, preventAllow(0)).assertGood();
        h.none(0, startStop(true, false, 0)).assertGood();
        h.none(0, preventAllow(1)).assertGood();
        h.none(0, startStop(true, true, 0)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x53, 0x02);
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.NOT_READY, 0x3A, 0x00);
        h.none(0, preventAllow(0)).assertGood();
        h.none(0, startStop(true, true, 0)).assertGood();

        assertEquals(ItNexusRspEvent.RESULT_OK, h.login("iqn.2026-11.org.jtgt:second", Harness.TARGET, 8));
        h.command(8, 0, preventAllow(1), DataDirection.NONE, 0, null).assertGood();
        h.none(0, startStop(true, false, 0)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x53, 0x02);
        assertEquals(ItNexusRspEvent.RESULT_OK, h.logout(8));
        h.none(0, startStop(true, false, 0)).assertGood();
    }

    @Test
    void logicalUnitResetEndsPrevention() {
        Harness h = Harness.withLun(REMOVABLE);
        h.none(0, preventAllow(1)).assertGood();
        h.tmf(TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0);
        h.none(0, Cdbs.testUnitReady());   // takes the unit attention
        h.none(0, startStop(true, false, 0)).assertGood();
    }

    @Test
    void obsoletePreventValuesAreInvalid() {
        Harness h = Harness.withLun(REMOVABLE);
        h.none(0, preventAllow(2)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
    }

    @Test
    void writeProtectedUnitRefusesEveryWriteCommand() {
        Harness h = Harness.withLun(READ_ONLY);
        byte[] block = new byte[512];
        for (byte[] cdb : new byte[][] {Cdbs.rw6(true, 0, 1), Cdbs.rw10(true, 0, 1, 0), Cdbs.rw12(true, 0, 1, 0),
                Cdbs.rw16(true, 0, 1, 0)}) {
            h.write(0, cdb, block).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x00);
        }
        byte[] wav = Cdbs.rw10(true, 0, 1, 0);
        wav[0] = 0x2E;
        h.write(0, wav, block).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x00);
        h.read(0, Cdbs.rw10(false, 0, 1, 0), 512).assertGood();
        Harness.Result ms = h.read(0, Cdbs.modeSense6(0, 0, 0x3F, 0, 255), 255);
        assertEquals(0x80, ms.u8(2) & 0x80, "WP in the mode parameter header");
        Harness.Result ms10 = h.read(0, Cdbs.modeSense10(0, 0, 0x3F, 0, 255), 255);
        assertEquals(0x80, ms10.u8(3) & 0x80);
    }
}
