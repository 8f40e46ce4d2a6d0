package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.AccessState;
import org.jtgt.api.target.PortGroup;
import org.jtgt.api.target.PortGroupListener;
import org.jtgt.api.target.TargetAdminException;
import org.junit.jupiter.api.Test;

/**
 * Explicit asymmetric access (SPC-4 5.16): configured target port groups with several ports,
 * the commands each access state processes, SET TARGET PORT GROUPS and REPORT TARGET PORT
 * GROUPS as raw bytes, and ASYMMETRIC ACCESS STATE CHANGED.
 */
class AccessStateTest {
    /** A second nexus, through relative port 1 (the harness's own comes through port 2). */
    private static final long NEXUS_B = 8;
    private static final byte SUP = (byte) 0x8F;

    private final Harness h = Harness.withLun();

    private void portsAndSecondNexus() {
        assertEquals(1, h.daemon.register("iscsi", "127.0.0.1:3260 TPGT 1", 1));
        assertEquals(2, h.daemon.register("iscsi", "127.0.0.1:3261 TPGT 2", 2));
        assertEquals(3, h.daemon.register("iscsi", "127.0.0.1:3262 TPGT 3", 3));
        assertEquals(256, h.daemon.register("fc", "WWPN 21:00:00:00:00:00:00:01", 256));
        assertEquals(ItNexusRspEvent.RESULT_OK,
                h.login(Harness.INITIATOR + ",i,0x23d000000002", Harness.TARGET, NEXUS_B, 1));
    }

    private Harness.Result run(long nexus, byte[] cdb) {
        return h.command(nexus, 0, cdb, DataDirection.READ, 512, null);
    }

    static byte[] stpgCdb(int length) {
        byte[] c = new byte[12];
        c[0] = (byte) Opcodes.MAINTENANCE_OUT;
        c[1] = (byte) Opcodes.SA_SET_TARGET_PORT_GROUPS;
        Cdbs.be(c, 6, length, 4);
        return c;
    }

    /** A SET TARGET PORT GROUPS parameter list: the 4-byte header, then {state, group} pairs. */
    static byte[] stpgList(int... stateAndGroup) {
        byte[] d = new byte[4 + stateAndGroup.length * 2];
        for (int i = 0; i < stateAndGroup.length; i += 2) {
            int p = 4 + i * 2;
            d[p] = (byte) stateAndGroup[i];
            d[p + 2] = (byte) (stateAndGroup[i + 1] >>> 8);
            d[p + 3] = (byte) stateAndGroup[i + 1];
        }
        return d;
    }

    private Harness.Result stpg(long nexus, byte[] list) {
        return h.command(nexus, 0, stpgCdb(list.length), DataDirection.WRITE, list.length, list);
    }

    private void setGroups(PortGroup... groups) {
        h.daemon.setPortGroups(Harness.TARGET, List.of(groups));
    }

    /** Takes the pending ASYMMETRIC ACCESS STATE CHANGED of {@code nexus} with a command that reports it. */
    private void takeStateChanged(long nexus) {
        run(nexus, Cdbs.reportLuns(0, 64)).assertGood();   // REPORT LUNS neither reports nor clears it
        run(nexus, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x06);
    }

    @Test
    void severalPortsInAGroupWithStatesPrefAndStatusInReportTargetPortGroups() {
        portsAndSecondNexus();
        setGroups(new PortGroup(10, List.of(2, 1), AccessState.ACTIVE_NON_OPTIMIZED, true),
                new PortGroup(20, List.of(3), AccessState.STANDBY, false),
                new PortGroup(30, List.of(7), AccessState.ACTIVE_OPTIMIZED, false));
        Harness.Result r = run(NEXUS_B, TargetPortGroupsTest.rtpg(1, 512));
        r.assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x06);
        r = run(NEXUS_B, TargetPortGroupsTest.rtpg(1, 512));
        r.assertGood();
        byte[] expected = {
            0, 0, 0, 44,                      // RETURN DATA LENGTH: 8 - 4 + 3 groups of 8 + 4 ports of 4
            0x10, 0, 0, 0,                    // FORMAT TYPE 001b, IMPLICIT TRANSITION TIME 0
            (byte) 0x81, SUP, 0, 10, 0, 0x02, 0, 2,   // PREF, active/non-optimized; changed implicitly; 2 ports
            0, 0, 0, 1,
            0, 0, 0, 2,
            0x02, SUP, 0, 20, 0, 0x02, 0, 1,  // standby, 1 port
            0, 0, 0, 3,
            0x00, SUP, 1, 0, 0, 0x00, 0, 1,   // port 256: its own group, active/optimized, no status
            0, 0, 1, 0,
        };
        assertArrayEquals(expected, r.data(), "group 30 has no port present, so it is not reported");
        run(Harness.NEXUS, Cdbs.inquiry(true, 0x83, 512)).assertGood();   // INQUIRY neither reports nor clears it
        run(Harness.NEXUS, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x06);
    }

    @Test
    void vpdPage83NamesTheConfiguredGroupOfTheNexussPort() {
        portsAndSecondNexus();
        setGroups(new PortGroup(10, List.of(1, 2), AccessState.ACTIVE_OPTIMIZED, false));
        byte[] d = run(Harness.NEXUS, Cdbs.inquiry(true, 0x83, 512)).data();
        int group = -1;
        for (int p = 4; p < d.length; p += 4 + (d[p + 3] & 0xFF)) {
            if ((d[p + 1] & 0x3F) == 0x15) {
                group = (d[p + 6] & 0xFF) << 8 | (d[p + 7] & 0xFF);
            }
        }
        assertEquals(10, group);
        assertEquals(0x30, run(Harness.NEXUS, Cdbs.inquiry(false, 0, 36)).data()[5], "TPGS = 11b");
    }

    @Test
    void aPortNotInAConfiguredGroupJoinsTheGroupNumberedAsIt() {
        portsAndSecondNexus();
        setGroups(new PortGroup(3, List.of(1), AccessState.STANDBY, false));
        takeStateChanged(NEXUS_B);
        Harness.Result r = run(NEXUS_B, TargetPortGroupsTest.rtpg(0, 512));
        assertArrayEquals(new byte[] {
            0, 0, 0, 40,
            0x00, SUP, 0, 2, 0, 0x00, 0, 1,   // port 2: its own group, active/optimized
            0, 0, 0, 2,
            0x02, SUP, 0, 3, 0, 0x02, 0, 2,   // group 3: configured with port 1, and port 3 joins it
            0, 0, 0, 1,
            0, 0, 0, 3,
            0x00, SUP, 1, 0, 0, 0x00, 0, 1,
            0, 0, 1, 0,
        }, r.data());
        run(NEXUS_B, Cdbs.testUnitReady()).assertSense(SenseKey.NOT_READY, 0x04, 0x0B);
    }

    // ---- the state/command matrix ----

    private record Expect(String name, byte[] cdb, boolean standby, boolean unavailable, boolean transitioning) {
    }

    private static final byte[] READ_KEYS = {0x5E, 0x00, 0, 0, 0, 0, 0, 0, 64, 0};

    private static List<Expect> matrix() {
        return List.of(
                new Expect("INQUIRY", Cdbs.inquiry(false, 0, 36), true, true, true),
                new Expect("REPORT LUNS", Cdbs.reportLuns(0, 64), true, true, true),
                new Expect("REQUEST SENSE", Cdbs.requestSense(18), true, true, true),
                new Expect("REPORT TARGET PORT GROUPS", TargetPortGroupsTest.rtpg(0, 64), true, true, true),
                new Expect("SET TARGET PORT GROUPS (no descriptors)", stpgCdb(0), true, true, false),
                new Expect("MODE SENSE(6)", Cdbs.modeSense6(0, 0, 0x3F, 0, 255), true, false, false),
                new Expect("LOG SENSE", LogSenseTest.logSense(1, 0x00, 0, 0, 64), true, false, false),
                new Expect("PERSISTENT RESERVE IN", READ_KEYS, true, false, false),
                new Expect("TEST UNIT READY", Cdbs.testUnitReady(), false, false, false),
                new Expect("READ CAPACITY(10)", Cdbs.readCapacity10(), false, false, false),
                new Expect("READ(10)", Cdbs.rw10(false, 0, 1, 0), false, false, false),
                new Expect("WRITE(10)", Cdbs.rw10(true, 0, 1, 0), false, false, false),
                new Expect("SYNCHRONIZE CACHE(10)", Cdbs.synchronizeCache10(0, 0), false, false, false),
                new Expect("REPORT SUPPORTED OPERATION CODES",
                        SupportedOperationCodesTest.rsoc(false, 0, 0, 0, 512), false, false, false));
    }

    private Harness.Result send(byte[] cdb) {
        boolean write = (cdb[0] & 0xFF) == Opcodes.WRITE_10;
        return write ? h.command(Harness.NEXUS, 0, cdb, DataDirection.WRITE, Harness.BLOCK, new byte[Harness.BLOCK])
                : run(Harness.NEXUS, cdb);
    }

    private void checkMatrix(AccessState state, int ascq) {
        setGroups(new PortGroup(2, List.of(2), state, false));
        takeStateChanged(Harness.NEXUS);
        for (Expect e : matrix()) {
            boolean allowed = switch (state) {
                case STANDBY -> e.standby();
                case UNAVAILABLE -> e.unavailable();
                case TRANSITIONING -> e.transitioning();
                default -> true;
            };
            Harness.Result r = send(e.cdb());
            if (allowed) {
                assertEquals(0, r.status(), state + ": " + e.name() + " is processed");
            } else {
                r.assertSense(SenseKey.NOT_READY, 0x04, ascq);
            }
        }
        byte[] unknown = {(byte) 0xC5, 0, 0, 0, 0, 0};
        send(unknown).assertSense(SenseKey.ILLEGAL_REQUEST, 0x20, 0x00);
    }

    @Test
    void standbyProcessesTheCommandsOfSpc4_5_16_2_4_4() {
        checkMatrix(AccessState.STANDBY, 0x0B);
    }

    @Test
    void unavailableProcessesTheCommandsOfSpc4_5_16_2_4_5() {
        checkMatrix(AccessState.UNAVAILABLE, 0x0C);
    }

    @Test
    void transitioningProcessesTheCommandsOfSpc4_5_16_2_5() {
        checkMatrix(AccessState.TRANSITIONING, 0x0A);
    }

    @Test
    void bothActiveStatesProcessEverything() {
        checkMatrix(AccessState.ACTIVE_NON_OPTIMIZED, -1);
        checkMatrix(AccessState.ACTIVE_OPTIMIZED, -1);
    }

    @Test
    void onlyTheGroupOfTheNexussPortIsInaccessible() {
        portsAndSecondNexus();
        setGroups(new PortGroup(1, List.of(1), AccessState.UNAVAILABLE, false));
        takeStateChanged(NEXUS_B);
        takeStateChanged(Harness.NEXUS);
        run(NEXUS_B, Cdbs.rw10(false, 0, 1, 0)).assertSense(SenseKey.NOT_READY, 0x04, 0x0C);
        run(Harness.NEXUS, Cdbs.rw10(false, 0, 1, 0)).assertGood();
    }

    // ---- SET TARGET PORT GROUPS ----

    @Test
    void setTargetPortGroupsChangesStatesAndTellsTheOtherNexusesAndTheListeners() {
        portsAndSecondNexus();
        List<List<PortGroup>> told = new ArrayList<>();
        PortGroupListener l = (target, groups) -> {
            assertEquals(Harness.TARGET, target);
            told.add(groups);
        };
        h.daemon.bindPortGroupListener(l);
        setGroups(new PortGroup(10, List.of(1, 3), AccessState.ACTIVE_OPTIMIZED, true));
        assertEquals(0, told.size(), "the administrator's own change is not reported back");
        takeStateChanged(NEXUS_B);
        takeStateChanged(Harness.NEXUS);

        stpg(Harness.NEXUS, stpgList(0x02, 10, 0x01, 2)).assertGood();
        run(Harness.NEXUS, Cdbs.testUnitReady()).assertGood();   // no unit attention for the sender
        run(NEXUS_B, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x06);
        run(NEXUS_B, Cdbs.testUnitReady()).assertSense(SenseKey.NOT_READY, 0x04, 0x0B);
        assertEquals(List.of(List.of(new PortGroup(2, List.of(2), AccessState.ACTIVE_NON_OPTIMIZED, false),
                new PortGroup(10, List.of(1, 3), AccessState.STANDBY, true))), told);
        assertEquals(told.get(0), h.daemon.portGroups(Harness.TARGET));

        byte[] d = run(Harness.NEXUS, TargetPortGroupsTest.rtpg(0, 512)).data();
        assertArrayEquals(new byte[] {0x01, SUP, 0, 2, 0, 0x01, 0, 1}, Arrays.copyOfRange(d, 4, 12),
                "port 2's group, active/non-optimized, altered by SET TARGET PORT GROUPS");
        assertArrayEquals(new byte[] {(byte) 0x82, SUP, 0, 10, 0, 0x01, 0, 2}, Arrays.copyOfRange(d, 16, 24));

        stpg(Harness.NEXUS, stpgList(0x02, 10)).assertGood();   // no change
        run(NEXUS_B, Cdbs.testUnitReady()).assertSense(SenseKey.NOT_READY, 0x04, 0x0B);
        assertEquals(1, told.size(), "no change, nothing told");
        h.daemon.unbindPortGroupListener(l);
    }

    @Test
    void aParameterListLengthOfZeroChangesNothing() {
        Harness.Result r = h.command(Harness.NEXUS, 0, stpgCdb(0), DataDirection.NONE, 0, null);
        r.assertGood();
        assertTrue(h.daemon.portGroups(Harness.TARGET).isEmpty());
    }

    private void assertInvalidParameter(Harness.Result r, int index, int bit) {
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        assertEquals((byte) (0x80 | 0x08 | bit), r.sense()[15], "SKSV, C/D = 0, BPV, bit");
        assertEquals(index, (r.sense()[16] & 0xFF) << 8 | (r.sense()[17] & 0xFF), "field pointer");
    }

    @Test
    void badDescriptorsAreInvalidFieldsInTheParameterListAndChangeNothing() {
        portsAndSecondNexus();
        assertInvalidParameter(stpg(Harness.NEXUS, stpgList(0x0F, 2)), 4, 3);   // transitioning
        assertInvalidParameter(stpg(Harness.NEXUS, stpgList(0x0E, 2)), 4, 3);   // offline
        assertInvalidParameter(stpg(Harness.NEXUS, stpgList(0x04, 2)), 4, 3);   // logical block dependent
        assertInvalidParameter(stpg(Harness.NEXUS, stpgList(0x00, 2, 0x02, 99)), 10, 7);   // no group 99
        assertInvalidParameter(stpg(Harness.NEXUS, stpgList(0x00, 2, 0x02, 2)), 10, 7);    // group 2 twice
        assertInvalidParameter(stpg(Harness.NEXUS, stpgList(0x12, 2)), 4, 4);   // reserved bit 4 of byte 0
        byte[] list = stpgList(0x02, 2);
        list[5] = 0x40;
        assertInvalidParameter(stpg(Harness.NEXUS, list), 5, 6);
        assertTrue(h.daemon.portGroups(Harness.TARGET).isEmpty(), "nothing changed");
        run(NEXUS_B, Cdbs.testUnitReady()).assertGood();
    }

    @Test
    void aListThatIsNotTheHeaderAndWholeDescriptorsIsAParameterListLengthError() {
        for (int length : new int[] {2, 6, 9}) {
            byte[] list = new byte[length];
            Harness.Result r = h.command(Harness.NEXUS, 0, stpgCdb(length), DataDirection.WRITE, length, list);
            r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x1A, 0x00);
        }
        byte[] list = stpgList(0x02, 2);
        Harness.Result r = h.command(Harness.NEXUS, 0, stpgCdb(list.length), DataDirection.WRITE, 4,
                Arrays.copyOf(list, 4));
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x1A, 0x00);
        assertTrue(h.daemon.portGroups(Harness.TARGET).isEmpty());
    }

    // ---- the administrator's side ----

    @Test
    void groupsThatBreakTheRulesAreRefusedWithTheReason() {
        assertEquals("port 1 is in two target port groups", assertThrows(TargetAdminException.class,
                () -> setGroups(new PortGroup(1, List.of(1), AccessState.STANDBY, false),
                        new PortGroup(2, List.of(2, 1), AccessState.STANDBY, false))).getMessage());
        assertEquals("target port group 1 is given twice", assertThrows(TargetAdminException.class,
                () -> setGroups(new PortGroup(1, List.of(1), AccessState.STANDBY, false),
                        new PortGroup(1, List.of(2), AccessState.STANDBY, false))).getMessage());
        assertEquals("target port group 0 is outside 1..65535", assertThrows(TargetAdminException.class,
                () -> setGroups(new PortGroup(0, List.of(1), AccessState.STANDBY, false))).getMessage());
        assertEquals("target port group 4 holds no port", assertThrows(TargetAdminException.class,
                () -> setGroups(new PortGroup(4, List.of(), AccessState.STANDBY, false))).getMessage());
        assertEquals("no target iqn.2026-11.org.jtgt:none", assertThrows(TargetAdminException.class,
                () -> h.daemon.setPortGroups("iqn.2026-11.org.jtgt:none", List.of())).getMessage());
        assertTrue(h.daemon.portGroups(Harness.TARGET).isEmpty());
        run(Harness.NEXUS, Cdbs.testUnitReady()).assertGood();
    }

    @Test
    void removingEveryGroupRestoresImplicitAccess() {
        setGroups(new PortGroup(2, List.of(2), AccessState.STANDBY, false));
        takeStateChanged(Harness.NEXUS);
        run(Harness.NEXUS, Cdbs.testUnitReady()).assertSense(SenseKey.NOT_READY, 0x04, 0x0B);
        setGroups();
        takeStateChanged(Harness.NEXUS);
        run(Harness.NEXUS, Cdbs.testUnitReady()).assertGood();
        setGroups();
        run(Harness.NEXUS, Cdbs.testUnitReady()).assertGood();   // no change, no unit attention
    }
}
