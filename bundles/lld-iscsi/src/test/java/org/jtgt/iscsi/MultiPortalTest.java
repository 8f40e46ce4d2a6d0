package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jtgt.api.target.TargetPorts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two portals: each is a target port of its own (RFC 7143 4.4.1) with its own TPGT, relative
 * target port and target port group, reported consistently in login, SendTargets and VPD 83h.
 */
@Timeout(60)
class MultiPortalTest {
    private static IscsiFixture fixture;
    private static List<Integer> ports;

    @BeforeAll
    static void start() throws Exception {
        fixture = new IscsiFixture(16L << 20, Map.of("portals", "127.0.0.1:0, 127.0.0.1:0"));
        ports = fixture.iscsi.boundPorts();
    }

    @AfterAll
    static void stop() throws Exception {
        fixture.close();
    }

    private static byte[] deviceIdentification() {
        return new byte[] {0x12, 0x01, (byte) 0x83, 0, (byte) 0xFF, 0};
    }

    /** {relative target port, target port group} from VPD page 83h. */
    private static int[] portDesignators(byte[] d) {
        int relative = -1;
        int group = -1;
        for (int p = 4; p + 4 <= d.length; p += 4 + (d[p + 3] & 0xFF)) {
            int value = (d[p + 6] & 0xFF) << 8 | (d[p + 7] & 0xFF);
            if ((d[p + 1] & 0x3F) == 0x14) {
                relative = value;
            } else if ((d[p + 1] & 0x3F) == 0x15) {
                group = value;
            }
        }
        return new int[] {relative, group};
    }

    @Test
    void portalsAreTargetPortsInPortalOrder() {
        List<IscsiPortal> portals = fixture.iscsi.portals();
        assertEquals(2, portals.size());
        for (int i = 0; i < 2; i++) {
            assertEquals(ports.get(i), portals.get(i).address().getPort());
            assertEquals(i + 1, portals.get(i).portalGroupTag());
            assertEquals(i + 1, portals.get(i).relativePortId());
        }
        List<TargetPorts.Port> registered = fixture.daemon.ports();
        assertEquals(2, registered.size());
        assertEquals(new TargetPorts.Port(1, 1, "iscsi", "127.0.0.1:" + ports.get(0) + " TPGT 1"), registered.get(0));
        assertEquals(new TargetPorts.Port(2, 2, "iscsi", "127.0.0.1:" + ports.get(1) + " TPGT 2"), registered.get(1));
    }

    @Test
    void loginAnswersThePortalsTagAndTheNexusCarriesItsPort() throws Exception {
        for (int i = 0; i < 2; i++) {
            try (TestInitiator c = new TestInitiator(ports.get(i))) {
                TestInitiator.Pdu rsp = c.login(IscsiFixture.TARGET, Map.of());
                assertEquals(0, rsp.loginStatus());
                assertEquals(Integer.toString(i + 1), rsp.keys().get("TargetPortalGroupTag"));
                TestInitiator.Result r = c.command(0, deviceIdentification(), 255, true, null);
                assertEquals(0, r.status);
                int[] designators = portDesignators(r.data);
                assertEquals(i + 1, designators[0], "relative target port through portal " + i);
                assertEquals(i + 1, designators[1], "target port group through portal " + i);
            }
        }
    }

    @Test
    void theSameIsidThroughTwoPortalsIsTwoSessions() throws Exception {
        try (TestInitiator a = new TestInitiator(ports.get(0)); TestInitiator b = new TestInitiator(ports.get(1))) {
            b.isid = a.isid;
            assertEquals(0, a.login(IscsiFixture.TARGET, Map.of()).loginStatus());
            assertEquals(0, b.login(IscsiFixture.TARGET, Map.of()).loginStatus());
            // Not a reinstatement: both sessions still work.
            assertEquals(0, a.command(0, TestInitiator.testUnitReady(), 0, false, null).status);
            assertEquals(0, b.command(0, TestInitiator.testUnitReady(), 0, false, null).status);
            assertEquals(2, fixture.openConnections());
        }
    }

    /**
     * A WRITE waiting for its data on one path and a LOGICAL UNIT RESET on the other: the reset
     * completes at once; the WRITE, once its data is in, is answered with the reset's unit
     * attention and not executed (it reaches the daemon after the reset); both paths see the
     * unit attention once, and nothing was written.
     */
    @Test
    void aWriteInFlightOnOnePathAndALunResetOnTheOther() throws Exception {
        try (TestInitiator a = new TestInitiator(ports.get(0)); TestInitiator b = new TestInitiator(ports.get(1))) {
            assertEquals(0, a.login(IscsiFixture.TARGET, Map.of()).loginStatus());
            assertEquals(0, b.login(IscsiFixture.TARGET, Map.of()).loginStatus());
            a.immediateData = false;
            a.initialR2T = true;
            byte[] write = a.commandHeader(0, TestInitiator.rw10(true, 500, 8), 4096, false, true, true);
            int writeItt = a.itt++;
            a.cmdSn++;
            a.send(write, null);
            TestInitiator.Pdu r2t = a.next();
            assertEquals(0x31, r2t.opcode(), "R2T: the WRITE waits for its data");

            byte[] tmf = TestInitiator.header(0x42, 0x80 | 5);   // immediate LOGICAL UNIT RESET
            ByteBuffer.wrap(tmf).putLong(8, 0).putInt(16, 0x777).putInt(20, -1).putInt(24, b.cmdSn).putInt(28, b.expStatSn);
            b.send(tmf, null);
            TestInitiator.Pdu rsp = b.next();
            assertEquals(0x22, rsp.opcode());
            assertEquals(0, rsp.byte2(), "FUNCTION COMPLETE");

            byte[] pattern = new byte[4096];
            java.util.Arrays.fill(pattern, (byte) 0x5A);
            a.sendData(writeItt, r2t.ttt(), pattern, 0, pattern.length, 0);
            TestInitiator.Pdu done = a.next();
            assertEquals(0x21, done.opcode());
            assertEquals(writeItt, done.itt());
            assertEquals(0x02, done.byte3(), "CHECK CONDITION");
            byte[] sense = java.util.Arrays.copyOfRange(done.data, 2, done.data.length);
            assertEquals(0x06, sense[2] & 0x0F, "UNIT ATTENTION");
            assertEquals(0x29, sense[12] & 0xFF);
            assertEquals(0x03, sense[13] & 0xFF, "BUS DEVICE RESET FUNCTION OCCURRED");

            TestInitiator.Result read = a.command(0, TestInitiator.rw10(false, 500, 8), 4096, true, null);
            assertEquals(0, read.status);
            assertTrue(java.util.Arrays.equals(new byte[4096], read.data), "the WRITE was not executed");
            TestInitiator.Result ua = b.command(0, TestInitiator.testUnitReady(), 0, false, null);
            assertEquals(0x02, ua.status);
            assertEquals(0x06, ua.sense[2] & 0x0F, "the other path sees the reset too");
            assertEquals(0, b.command(0, TestInitiator.testUnitReady(), 0, false, null).status);
        }
    }

    @Test
    void sendTargetsListsEveryPortalWithItsTag() throws Exception {
        try (TestInitiator c = new TestInitiator(ports.get(1))) {
            assertEquals(0, c.login(null, Map.of()).loginStatus());
            byte[] h = TestInitiator.header(0x04, 0x80);
            ByteBuffer.wrap(h).putInt(16, 0x10).putInt(20, -1).putInt(24, c.cmdSn).putInt(28, c.expStatSn);
            c.send(h, TestInitiator.text(Map.of("SendTargets", "All")));
            TestInitiator.Pdu text = c.next();
            assertEquals(0x24, text.opcode());
            List<String> pairs = new ArrayList<>();
            for (String kv : new String(text.data, StandardCharsets.UTF_8).split("\0")) {
                if (!kv.isEmpty()) {
                    pairs.add(kv);
                }
            }
            assertEquals(List.of("TargetName=" + IscsiFixture.TARGET,
                    "TargetAddress=127.0.0.1:" + ports.get(0) + ",1",
                    "TargetAddress=127.0.0.1:" + ports.get(1) + ",2"), pairs);
        }
    }

    @Test
    void theConfiguredTagIsTheFirstPortalsAndPortsGoAwayWithTheDriver() throws Exception {
        try (IscsiFixture f = new IscsiFixture(1L << 20, Map.of("portals", "127.0.0.1:0,127.0.0.1:0,127.0.0.1:0",
                "portalGroupTag", 7))) {
            assertEquals(List.of(7, 8, 9), f.iscsi.portals().stream().map(IscsiPortal::portalGroupTag).toList());
            assertEquals(List.of(7, 8, 9), f.daemon.ports().stream().map(TargetPorts.Port::relativeId).toList());
            f.iscsi.stop();
            assertTrue(f.daemon.ports().isEmpty(), "unregistered when the driver stops");
        }
    }

    @Test
    void tagsBeyond65535AreRefused() {
        IscsiTarget t = new IscsiTarget();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.start(IscsiFixture.config(
                Map.of("portals", "127.0.0.1:0,127.0.0.1:0", "portalGroupTag", 65535)), null));
        assertTrue(e.getMessage().contains("65535"), e.getMessage());
    }
}
