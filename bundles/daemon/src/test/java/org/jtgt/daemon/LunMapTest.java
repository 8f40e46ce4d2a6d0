package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.TargetAdminException;
import org.junit.jupiter.api.Test;

/**
 * LUN mapping per initiator: nexus A (initiator {@link Harness#INITIATOR}) gets a map, nexus B
 * (another initiator) keeps the target's own LUNs. Target LUNs 0, 1, 2 each hold a block that
 * names them.
 */
class LunMapTest {
    static final long B = 8;
    static final String OTHER = "iqn.2026-11.org.jtgt:second";
    /** The REPORT LUNS well-known logical unit (SPC-4 8.2): W-LUN C101h. */
    static final long REPORT_LUNS_WLUN = 0xC101_0000_0000_0000L;

    private final Harness h = Harness.withLun();

    LunMapTest() {
        h.daemon.addLun(Harness.TARGET, 1, new MemoryStore(Harness.SIZE), Harness.BLOCK, null);
        h.daemon.addLun(Harness.TARGET, 2, new MemoryStore(Harness.SIZE), Harness.BLOCK, null);
        h.none(0, Cdbs.testUnitReady());   // REPORTED LUNS DATA HAS CHANGED, cleared on every LUN
        h.none(0, Cdbs.testUnitReady()).assertGood();
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(OTHER + ",i,0x23d000000002", Harness.TARGET, B));
        for (int lun = 0; lun <= 2; lun++) {
            h.write(lun, Cdbs.rw10(true, 0, 1, 0), Harness.pattern(Harness.BLOCK, lun)).assertGood();
        }
    }

    private Harness.Result onB(long lun, byte[] cdb, DataDirection dir, int expected) {
        return h.command(B, lun, cdb, dir, expected, null);
    }

    /** A command to A with the LUN field as given (the W-LUN has no single-level number). */
    private Harness.Result rawLun(long lunField, byte[] cdb, int expected) {
        long at = h.endpoint.allocate(Math.max(expected, 8));
        long cid = h.nextCid++;
        int tag = h.nextTag++;
        CmdReqEvent.write(h.event, 0, Harness.HOST, cid, Harness.NEXUS, lunField, cdb, cdb.length, tag, expected, at,
                expected, DataDirection.READ.code(), TaskAttribute.SIMPLE.code(), 0);
        return h.run(cid, tag, at);
    }

    /** The LUN numbers a REPORT LUNS answer lists. */
    static List<Integer> luns(Harness.Result r) {
        r.assertGood();
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < r.u32(0) / 8; i++) {
            out.add(LunAddress.decode(r.u64(8 + i * 8)));
        }
        return out;
    }

    private void mapA(Map<Integer, Integer> map) {
        h.daemon.setLunMap(Harness.TARGET, Harness.INITIATOR, map);
    }

    @Test
    void initiatorsSeeTheirOwnLunSets() {
        mapA(Map.of(0, 2, 5, 0));
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);
        assertEquals(List.of(0, 5), luns(h.read(0, Cdbs.reportLuns(0, 256), 256)));
        assertEquals(List.of(0, 5), luns(rawLun(REPORT_LUNS_WLUN, Cdbs.reportLuns(0, 256), 256)), "through the W-LUN");
        assertEquals(List.of(0, 1, 2), luns(onB(0, Cdbs.reportLuns(0, 256), DataDirection.READ, 256)));
        assertEquals(List.of(0, 1, 2), luns(onB(7, Cdbs.reportLuns(2, 256), DataDirection.READ, 256)),
                "through a LUN B has not");
        // the initiator's LUN 0 is the target's LUN 2, its LUN 5 the target's LUN 0
        assertArrayEquals(Harness.pattern(Harness.BLOCK, 2), h.read(0, Cdbs.rw10(false, 0, 1, 0), Harness.BLOCK).data());
        assertArrayEquals(Harness.pattern(Harness.BLOCK, 0), h.read(5, Cdbs.rw10(false, 0, 1, 0), Harness.BLOCK).data());
        assertArrayEquals(Harness.pattern(Harness.BLOCK, 2),
                onB(2, Cdbs.rw10(false, 0, 1, 0), DataDirection.READ, Harness.BLOCK).data());
    }

    @Test
    void unmappedLunsAreNotAccessible() {
        mapA(Map.of(0, 2));
        h.none(0, Cdbs.testUnitReady());
        for (int lun : new int[] {1, 2}) {
            Harness.Result inq = h.read(lun, Cdbs.inquiry(false, 0, 36), 36);
            inq.assertGood();
            assertEquals(0x7F, inq.u8(0), "SPC-4 6.6.2: peripheral qualifier 011b, device type 1Fh");
            h.none(lun, Cdbs.testUnitReady()).assertSense(SenseKey.ILLEGAL_REQUEST, 0x25, 0x00);
            h.read(lun, Cdbs.rw10(false, 0, 1, 0), Harness.BLOCK).assertSense(SenseKey.ILLEGAL_REQUEST, 0x25, 0x00);
        }
        assertEquals(TmfResponse.LUN_DOES_NOT_EXIST, h.tmf(TaskManagementFunction.LOGICAL_UNIT_RESET, 1, 0));
    }

    @Test
    void mappedButAbsentLunAppearsWhenAdded() {
        mapA(Map.of(0, 0, 3, 7));
        h.none(0, Cdbs.testUnitReady());
        assertEquals(List.of(0), luns(h.read(0, Cdbs.reportLuns(0, 256), 256)), "target LUN 7 does not exist");
        assertEquals(0x7F, h.read(3, Cdbs.inquiry(false, 0, 36), 36).u8(0));
        h.none(3, Cdbs.testUnitReady()).assertSense(SenseKey.ILLEGAL_REQUEST, 0x25, 0x00);

        h.daemon.addLun(Harness.TARGET, 7, new MemoryStore(Harness.SIZE), Harness.BLOCK, null);
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);
        assertEquals(List.of(0, 3), luns(h.read(0, Cdbs.reportLuns(0, 256), 256)));
        assertEquals(0x00, h.read(3, Cdbs.inquiry(false, 0, 36), 36).u8(0), "a direct-access unit now");
        onB(0, Cdbs.testUnitReady(), DataDirection.NONE, 0).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);

        h.daemon.removeLun(Harness.TARGET, 7);
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);
        assertEquals(List.of(0), luns(h.read(0, Cdbs.reportLuns(0, 256), 256)));
        assertEquals(Map.of(Harness.INITIATOR, Map.of(0, 0, 3, 7)), h.daemon.lunMaps(Harness.TARGET),
                "the map keeps naming LUN 7");
    }

    @Test
    void reportedLunsDataHasChangedOnlyWhereTheViewChanged() {
        mapA(Map.of(0, 0, 1, 1));
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);
        onB(0, Cdbs.testUnitReady(), DataDirection.NONE, 0).assertGood();
        for (int lun = 0; lun <= 2; lun++) {
            onB(lun, Cdbs.testUnitReady(), DataDirection.NONE, 0).assertGood();
        }

        // a LUN A's map leaves out: B is told, A is not
        h.daemon.addLun(Harness.TARGET, 9, new MemoryStore(Harness.SIZE), Harness.BLOCK, null);
        h.none(0, Cdbs.testUnitReady()).assertGood();
        h.none(1, Cdbs.testUnitReady()).assertGood();
        onB(2, Cdbs.testUnitReady(), DataDirection.NONE, 0).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);

        // B's map: A is not disturbed
        h.daemon.setLunMap(Harness.TARGET, OTHER.toUpperCase(), Map.of(0, 9));
        onB(0, Cdbs.testUnitReady(), DataDirection.NONE, 0).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);
        assertEquals(List.of(0), luns(onB(0, Cdbs.reportLuns(0, 256), DataDirection.READ, 256)),
                "names match ignoring case, as ACLs do");
        h.none(0, Cdbs.testUnitReady()).assertGood();

        // the same view again is no change
        mapA(Map.of(1, 1, 0, 0));
        h.none(0, Cdbs.testUnitReady()).assertGood();

        // removing A's map shows it every LUN again
        mapA(null);
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);
        assertEquals(List.of(0, 1, 2, 9), luns(h.read(0, Cdbs.reportLuns(0, 256), 256)));
        onB(0, Cdbs.testUnitReady(), DataDirection.NONE, 0).assertGood();
    }

    @Test
    void anEmptyMapShowsNothing() {
        mapA(Map.of());
        assertEquals(List.of(), luns(h.read(0, Cdbs.reportLuns(0, 256), 256)));
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.ILLEGAL_REQUEST, 0x25, 0x00);
    }

    @Test
    void aNexusLoggedInLaterGetsItsMap() {
        mapA(Map.of(4, 1));
        long later = 11;
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(Harness.INITIATOR + ",i,0x23d000000009", Harness.TARGET, later));
        Harness.Result r = h.command(later, 4, Cdbs.reportLuns(0, 256), DataDirection.READ, 256, null);
        assertEquals(List.of(4), luns(r));
        assertArrayEquals(Harness.pattern(Harness.BLOCK, 1),
                h.command(later, 4, Cdbs.rw10(false, 0, 1, 0), DataDirection.READ, Harness.BLOCK, null).data());
    }

    @Test
    void reservationsAndResetsBelongToTheTargetLun() {
        mapA(Map.of(0, 2));
        h.none(0, Cdbs.testUnitReady());
        h.none(0, ReservationTest.cdb(0x16)).assertGood();   // RESERVE(6) through A's LUN 0: target LUN 2
        Harness.Result conflict = onB(2, Cdbs.rw10(false, 0, 1, 0), DataDirection.READ, Harness.BLOCK);
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, conflict.status());
        onB(0, Cdbs.rw10(false, 0, 1, 0), DataDirection.READ, Harness.BLOCK).assertGood();
        h.none(0, ReservationTest.cdb(0x17)).assertGood();   // RELEASE(6)
        onB(2, Cdbs.rw10(false, 0, 1, 0), DataDirection.READ, Harness.BLOCK).assertGood();

        // LOGICAL UNIT RESET through A's LUN 0 resets target LUN 2 for B too
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0));
        onB(2, Cdbs.testUnitReady(), DataDirection.NONE, 0).assertSense(SenseKey.UNIT_ATTENTION, 0x29, 0x03);
        onB(0, Cdbs.testUnitReady(), DataDirection.NONE, 0).assertGood();
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x29, 0x03);
    }

    @Test
    void extendedCopyReachesOnlyTheLunsTheNexusSees() {
        mapA(Map.of(0, 2));
        h.none(0, Cdbs.testUnitReady());
        long hidden = naaOnB(1);
        long mine = naaOnB(2);
        byte[][] cscds = {ExtendedCopyTest.cscd(mine, 512), ExtendedCopyTest.cscd(hidden, 512)};
        byte[] parameters = ExtendedCopyTest.list(1, 0, cscds, new byte[][] {ExtendedCopyTest.segment(0, 1, 1, 0, 0)});
        h.write(0, ExtendedCopyTest.xcopy(parameters.length), parameters)
                .assertSense(SenseKey.COPY_ABORTED, 0x0D, 0x02);   // COPY TARGET DEVICE NOT REACHABLE
        assertArrayEquals(Harness.pattern(Harness.BLOCK, 1),
                onB(1, Cdbs.rw10(false, 0, 1, 0), DataDirection.READ, Harness.BLOCK).data(), "the hidden LUN is untouched");
        // B sees both: the same copy works there
        h.command(B, 2, ExtendedCopyTest.xcopy(parameters.length), DataDirection.WRITE, parameters.length, parameters)
                .assertGood();
        assertArrayEquals(Harness.pattern(Harness.BLOCK, 2),
                onB(1, Cdbs.rw10(false, 0, 1, 0), DataDirection.READ, Harness.BLOCK).data());
    }

    /** The NAA designator (VPD 83h) of target LUN {@code lun}, asked through B, which sees every LUN. */
    private long naaOnB(int lun) {
        Harness.Result r = onB(lun, Cdbs.inquiry(true, 0x83, 255), DataDirection.READ, 255);
        r.assertGood();
        assertEquals(3, r.u8(5) & 0x0F, "first designator is the NAA one");
        return r.u64(8);
    }

    @Test
    void badMapsAreRefusedAndChangeNothing() {
        mapA(Map.of(0, 1));
        h.none(0, Cdbs.testUnitReady());
        TargetAdminException twice = assertThrows(TargetAdminException.class, () -> mapA(Map.of(0, 1, 1, 1)));
        assertTrue(twice.getMessage().contains("target LUN 1 is mapped twice"), twice.getMessage());
        assertThrows(TargetAdminException.class, () -> mapA(Map.of(0, 16384)));
        assertThrows(TargetAdminException.class, () -> mapA(Map.of(-1, 0)));
        assertThrows(TargetAdminException.class, () -> h.daemon.setLunMap(Harness.TARGET, "bad name", Map.of()));
        assertThrows(TargetAdminException.class, () -> h.daemon.setLunMap(Harness.TARGET, "a,b", Map.of()));
        assertThrows(TargetAdminException.class, () -> h.daemon.setLunMap("iqn.2026-11.org.jtgt:none", "x", Map.of()));
        assertEquals(Map.of(Harness.INITIATOR, Map.of(0, 1)), h.daemon.lunMaps(Harness.TARGET));
        h.none(0, Cdbs.testUnitReady()).assertGood();
    }
}
