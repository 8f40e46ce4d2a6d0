package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.TargetAdminException;
import org.jtgt.api.target.TargetPorts;
import org.junit.jupiter.api.Test;

/**
 * Target ports and asymmetric access (SPC-4 5.16): the ports drivers register, the designators
 * of VPD page 83h per I_T nexus, REPORT TARGET PORT GROUPS as raw bytes when nothing is
 * configured (each port its own active/optimized group). Configured groups, states and SET
 * TARGET PORT GROUPS: {@link AccessStateTest}.
 */
class TargetPortGroupsTest {
    private static final long NEXUS_B = 8;
    private static final long NEXUS_FC = 9;

    /** Byte 1 of every descriptor: T_SUP, U_SUP, S_SUP, AN_SUP, AO_SUP. */
    private static final byte S = (byte) 0x8F;

    private final Harness h = Harness.withLun();

    /** Two iSCSI portals and an FC port, and a nexus on each of the iSCSI ones and on FC. */
    private void threePorts() {
        assertEquals(1, h.daemon.register("iscsi", "127.0.0.1:3260 TPGT 1", 1));
        assertEquals(2, h.daemon.register("iscsi", "127.0.0.1:3261 TPGT 2", 2));
        assertEquals(256, h.daemon.register("fc", "WWPN 21:00:00:00:00:00:00:01", 256));
        assertEquals(ItNexusRspEvent.RESULT_OK,
                h.login(Harness.INITIATOR + ",i,0x23d000000002", Harness.TARGET, NEXUS_B, 1));
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login("21:00:00:00:00:00:00:09", Harness.TARGET, NEXUS_FC, 256));
    }

    static byte[] rtpg(int format, int allocation) {
        byte[] c = new byte[12];
        c[0] = (byte) 0xA3;
        c[1] = (byte) (format << 5 | 0x0A);
        Cdbs.be(c, 6, allocation, 4);
        return c;
    }

    private Harness.Result read(long nexus, byte[] cdb, int expected) {
        return h.command(nexus, 0, cdb, DataDirection.READ, expected, null);
    }

    /** The relative port and the group designators of VPD page 83h: {relative port, group}. */
    private int[] portDesignators(long nexus) {
        Harness.Result r = read(nexus, Cdbs.inquiry(true, 0x83, 512), 512);
        r.assertGood();
        byte[] d = r.data();
        int relative = -1;
        int group = -1;
        for (int p = 4; p < d.length; p += 4 + (d[p + 3] & 0xFF)) {
            int associationAndType = d[p + 1] & 0x3F;
            int value = (d[p + 6] & 0xFF) << 8 | (d[p + 7] & 0xFF);
            if (associationAndType == 0x14) {
                assertEquals(0x01, d[p], "binary");
                assertEquals(4, d[p + 3]);
                relative = value;
            } else if (associationAndType == 0x15) {
                assertEquals(0x01, d[p], "binary");
                assertEquals(4, d[p + 3]);
                group = value;
            }
        }
        return new int[] {relative, group};
    }

    @Test
    void registeredPortsGetTheirPreferredIdentifierOrTheNextFreeOne() {
        assertEquals(1, h.daemon.register("iscsi", "a", 1));
        assertEquals(2, h.daemon.register("iscsi", "b", 1));
        assertEquals(0xFFFF, h.daemon.register("fc", "c", 0xFFFF));
        assertEquals(3, h.daemon.register("loopback", "d", 0xFFFF), "wraps around past 65535, skipping taken ones");
        assertEquals(List.of(1, 2, 3, 0xFFFF), h.daemon.ports().stream().map(TargetPorts.Port::relativeId).toList());
        h.daemon.unregister(2);
        h.daemon.unregister(77);
        assertEquals(2, h.daemon.register("iscsi", "b", 2));
        assertThrows(TargetAdminException.class, () -> h.daemon.register("iscsi", "zero", 0));
        assertThrows(TargetAdminException.class, () -> h.daemon.register("iscsi", "big", 0x10000));
    }

    @Test
    void multiPortBitOnceTheTargetHasTwoPorts() {
        assertEquals(0x00, read(Harness.NEXUS, Cdbs.inquiry(false, 0, 36), 36).data()[6], "one port: MULTIP = 0");
        threePorts();
        assertEquals(0x10, read(Harness.NEXUS, Cdbs.inquiry(false, 0, 36), 36).data()[6], "MULTIP = 1");
    }

    @Test
    void eachNexusReportsThePortAndGroupItCameInOn() {
        threePorts();
        assertArrayEquals(new int[] {2, 2}, portDesignators(Harness.NEXUS));
        assertArrayEquals(new int[] {1, 1}, portDesignators(NEXUS_B));
        assertArrayEquals(new int[] {256, 256}, portDesignators(NEXUS_FC));
    }

    @Test
    void reportTargetPortGroupsListsEveryGroupActiveOptimizedWithItsPort() {
        threePorts();
        Harness.Result r = read(NEXUS_B, rtpg(0, 1024), 1024);
        r.assertGood();
        byte[] expected = {
            0, 0, 0, 36,                      // RETURN DATA LENGTH: 3 descriptors of 8 + 4 bytes
            0x00, S, 0, 1, 0, 0, 0, 1,        // active/optimized, T/U/S/AN/AO_SUP, group 1, no status, 1 port
            0, 0, 0, 1,                       // relative target port 1
            0x00, S, 0, 2, 0, 0, 0, 1,
            0, 0, 0, 2,
            0x00, S, 1, 0, 0, 0, 0, 1,
            0, 0, 1, 0,
        };
        assertArrayEquals(expected, r.data());
        assertEquals(1024 - 40, r.residual());
    }

    @Test
    void extendedHeaderWhenAskedFor() {
        threePorts();
        Harness.Result r = read(Harness.NEXUS, rtpg(1, 1024), 1024);
        r.assertGood();
        byte[] d = r.data();
        assertEquals(44, d.length);
        assertEquals(40, r.u32(0), "RETURN DATA LENGTH counts from byte 4");
        assertEquals(0x10, d[4], "FORMAT TYPE 001b");
        assertEquals(0, d[5], "IMPLICIT TRANSITION TIME");
        assertArrayEquals(new byte[] {0x00, S, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}, Arrays.copyOfRange(d, 8, 20));
    }

    @Test
    void aPortNoDriverRegisteredIsListedWhileANexusUsesIt() {
        Harness.Result r = read(Harness.NEXUS, rtpg(0, 64), 64);
        r.assertGood();
        assertArrayEquals(new byte[] {0, 0, 0, 12, 0x00, S, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2}, r.data());
        assertEquals(ItNexusRspEvent.RESULT_OK, h.logout(Harness.NEXUS));
        assertEquals(ItNexusRspEvent.RESULT_OK,
                h.login(Harness.INITIATOR + ",i,0x23d000000002", Harness.TARGET, NEXUS_B, 1));
        assertEquals(1, h.daemon.register("iscsi", "127.0.0.1:3260 TPGT 1", 1));
        r = read(NEXUS_B, rtpg(0, 64), 64);
        assertArrayEquals(new byte[] {0, 0, 0, 12, 0x00, S, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}, r.data());
    }

    @Test
    void allocationLengthCutsTheData() {
        threePorts();
        Harness.Result r = read(Harness.NEXUS, rtpg(0, 6), 64);
        r.assertGood();
        assertArrayEquals(new byte[] {0, 0, 0, 36, 0x00, S}, r.data());
        assertEquals(64 - 6, r.residual());
        r = read(Harness.NEXUS, rtpg(0, 0), 0);
        r.assertGood();
        assertEquals(0, r.data().length);
    }

    @Test
    void otherParameterDataFormatsAreInvalidFieldsAtByte1Bit7() {
        for (int format = 2; format < 8; format++) {
            Harness.Result r = read(Harness.NEXUS, rtpg(format, 64), 64);
            r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
            assertEquals((byte) (0xC0 | 0x08 | 7), r.sense()[15], "SKSV, C/D, BPV, bit 7");
            assertEquals(1, r.sense()[17]);
        }
    }

    @Test
    void reportSupportedOperationCodesListsReportAndSetTargetPortGroups() {
        Harness.Result r = read(Harness.NEXUS, SupportedOperationCodesTest.rsoc(false, 2, 0xA3, 0x0A, 64), 64);
        r.assertGood();
        assertEquals(0x03, r.u8(1) & 0x07, "SUPPORT: supported as in the standard");
        assertArrayEquals(new byte[] {(byte) 0xA3, (byte) 0xEA, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
            (byte) 0xFF, 0, 0x04}, Arrays.copyOfRange(r.data(), 4, 16), "CDB usage data");
        Harness.Result set = read(Harness.NEXUS, SupportedOperationCodesTest.rsoc(false, 2, 0xA4, 0x0A, 64), 64);
        set.assertGood();
        assertEquals(0x03, set.u8(1) & 0x07, "SUPPORT: supported as in the standard");
        assertArrayEquals(new byte[] {(byte) 0xA4, 0x0A, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
            (byte) 0xFF, 0, 0x04}, Arrays.copyOfRange(set.data(), 4, 16), "CDB usage data");
    }
}
