package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.event.TaskManagementFunction;
import org.junit.jupiter.api.Test;

/** SPC-2 RESERVE/RELEASE (6)/(10) between two I_T nexuses. */
class ReservationTest {
    static final long OTHER = 8;
    private final Harness h = Harness.withLun();

    ReservationTest() {
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login("iqn.2026-11.org.jtgt:second", Harness.TARGET, OTHER));
    }

    static byte[] cdb(int opcode) {
        byte[] c = new byte[opcode < 0x20 ? 6 : 10];
        c[0] = (byte) opcode;
        return c;
    }

    private Harness.Result other(byte[] cdb) {
        DataDirection dir = cdb[0] == 0x28 ? DataDirection.READ : DataDirection.NONE;
        return h.command(OTHER, 0, cdb, dir, dir == DataDirection.READ ? 512 : 0, null);
    }

    private void assertConflict(Harness.Result r) {
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, r.status());
        assertEquals(0, r.sense().length, "no sense data with RESERVATION CONFLICT");
    }

    @Test
    void otherNexusConflictsUntilRelease() {
        h.none(0, cdb(0x16)).assertGood();
        h.none(0, cdb(0x16)).assertGood();   // the holder may reserve again
        h.read(0, Cdbs.rw10(false, 0, 1, 0), 512).assertGood();
        assertConflict(other(Cdbs.rw10(false, 0, 1, 0)));
        assertConflict(other(cdb(0x16)));
        assertConflict(other(cdb(0x56)));
        other(Cdbs.inquiry(false, 0, 36)).assertGood();
        other(cdb(0x17)).assertGood();   // RELEASE by a non-holder: GOOD, nothing released
        assertConflict(other(Cdbs.rw10(false, 0, 1, 0)));
        h.none(0, cdb(0x57)).assertGood();
        other(Cdbs.rw10(false, 0, 1, 0)).assertGood();
        other(cdb(0x56)).assertGood();
        assertConflict(h.read(0, Cdbs.rw10(false, 0, 1, 0), 512));
    }

    @Test
    void logoutReleases() {
        other(cdb(0x16)).assertGood();
        assertConflict(h.read(0, Cdbs.rw10(false, 0, 1, 0), 512));
        assertEquals(ItNexusRspEvent.RESULT_OK, h.logout(OTHER));
        h.read(0, Cdbs.rw10(false, 0, 1, 0), 512).assertGood();
    }

    @Test
    void logicalUnitResetReleases() {
        other(cdb(0x16)).assertGood();
        h.tmf(TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0);
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x29, 0x03);
        h.read(0, Cdbs.rw10(false, 0, 1, 0), 512).assertGood();
    }

    @Test
    void itNexusResetReleasesOnlyThatNexus() {
        other(cdb(0x16)).assertGood();
        h.tmf(TaskManagementFunction.I_T_NEXUS_RESET, 0, 0);   // NEXUS's own: OTHER keeps its reservation
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x29, 0x07);
        assertConflict(h.read(0, Cdbs.rw10(false, 0, 1, 0), 512));
        h.tmf(OTHER, TaskManagementFunction.I_T_NEXUS_RESET, 0, 0);
        h.read(0, Cdbs.rw10(false, 0, 1, 0), 512).assertGood();
    }

    @Test
    void thirdPartyReservationIsInvalid() {
        byte[] c = cdb(0x16);
        c[1] = 0x10;
        h.none(0, c).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
    }
}
