package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Set;

import org.jtgt.api.scsi.ScsiStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TARGET WARM/COLD RESET reset every LUN of the target for every initiator: only the initiators
 * named in {@code targetResetInitiators} may send them; the others get "function authorization
 * failed" and nothing is reset.
 */
@Timeout(60)
class TargetResetPolicyTest {
    private static final int AUTHORIZATION_FAILED = 6;

    /** Sends an immediate TMF with {@code function} and returns the response code. */
    private static int targetReset(TestInitiator c, int function) throws Exception {
        byte[] tmf = TestInitiator.header(0x42, 0x80 | function);
        ByteBuffer.wrap(tmf).putLong(8, 0).putInt(16, 0x600 + function).putInt(20, -1).putInt(24, c.cmdSn);
        c.send(tmf, null);
        TestInitiator.Pdu rsp = c.next();
        assertEquals(0x22, rsp.opcode(), "Task Management Function Response");
        return rsp.byte2();
    }

    private static TestInitiator loggedIn(IscsiFixture fixture) throws Exception {
        TestInitiator c = new TestInitiator(fixture.port);
        assertEquals(0, c.login(IscsiFixture.TARGET, Map.of()).loginStatus());
        for (int i = 0; i < 5 && c.command(0, TestInitiator.testUnitReady(), 0, false, null).status != ScsiStatus.GOOD; i++) {
            // the power-on unit attention of a new nexus
        }
        return c;
    }

    @Test
    void byDefaultNoInitiatorMayResetTheTarget() throws Exception {
        try (IscsiFixture fixture = new IscsiFixture(1 << 20); TestInitiator c = loggedIn(fixture);
                TestInitiator other = loggedIn(fixture)) {
            assertEquals(AUTHORIZATION_FAILED, targetReset(c, 6), "TARGET WARM RESET");
            assertEquals(AUTHORIZATION_FAILED, targetReset(c, 7), "TARGET COLD RESET");
            assertEquals(ScsiStatus.GOOD, c.command(0, TestInitiator.testUnitReady(), 0, false, null).status,
                    "nothing was reset: no unit attention, the session goes on");
            assertEquals(ScsiStatus.GOOD, other.command(0, TestInitiator.testUnitReady(), 0, false, null).status,
                    "nor for the other initiator");
        }
    }

    @Test
    void aNamedInitiatorMayResetTheTarget() throws Exception {
        try (IscsiFixture fixture = new IscsiFixture(1 << 20,
                Map.of("targetResetInitiators", "iqn.2026-11.org.example:admin, " + TestInitiator.INITIATOR.toUpperCase()));
                TestInitiator c = loggedIn(fixture)) {
            assertEquals(0, targetReset(c, 6), "FUNCTION COMPLETE");
            TestInitiator.Result r = c.command(0, TestInitiator.testUnitReady(), 0, false, null);
            assertEquals(ScsiStatus.CHECK_CONDITION, r.status);
            assertEquals(0x06, r.sense[2] & 0x0F, "UNIT ATTENTION");
            assertEquals(0x29, r.sense[12] & 0xFF, "POWER ON, RESET, OR BUS DEVICE RESET OCCURRED");
        }
    }

    @Test
    void theListIsParsedOnce() {
        assertNull(IscsiTarget.parseInitiators(" * "), "* allows anyone");
        assertEquals(Set.of(), IscsiTarget.parseInitiators(""));
        assertEquals(Set.of("iqn.a", "iqn.b"), IscsiTarget.parseInitiators("IQN.a, iqn.b,,"));
        IscsiTarget t = new IscsiTarget();
        assertFalse(t.targetResetAllowed(TestInitiator.INITIATOR), "off by default");
        assertTrue(IscsiTarget.parseInitiators("iqn.x").contains("iqn.x"));
    }
}
