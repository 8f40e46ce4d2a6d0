package org.jtgt.fc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.jtgt.api.fc.initiator.FcInitiator;
import org.jtgt.fc.wire.Fcp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** TARGET RESET resets every LUN for every initiator: only the ports in targetResetInitiators may send it. */
@Timeout(60)
class FcTargetResetTest {
    private static final int T = FcFabric.TARGET_PORT_ID;

    @Test
    void byDefaultTargetResetIsRefusedAndResetsNothing() throws Exception {
        try (FcFixture f = new FcFixture(1 << 20); FcInitiator i = f.login(); FcInitiator other = f.login()) {
            assertEquals(Fcp.RSP_TMF_FAILED, i.taskManagement(T, 0, Fcp.TMF_TARGET_RESET));
            assertEquals(0, i.command(T, 0, new byte[6], null, 0).status(), "no unit attention: nothing was reset");
            assertEquals(0, other.command(T, 0, new byte[6], null, 0).status());
        }
    }

    @Test
    void aNamedPortMayResetTheTarget() throws Exception {
        try (FcFixture f = new FcFixture(1 << 20, Map.of("targetResetInitiators", "*")); FcInitiator i = f.login()) {
            assertEquals(Fcp.RSP_TMF_COMPLETE, i.taskManagement(T, 0, Fcp.TMF_TARGET_RESET));
            FcInitiator.ScsiResult r = i.command(T, 0, new byte[6], null, 0);
            assertEquals(2, r.status(), "CHECK CONDITION");
            assertEquals(0x29, r.sense()[12] & 0xFF, "POWER ON, RESET, OR BUS DEVICE RESET OCCURRED");
        }
    }

    @Test
    void theListTakesWwpnsInEitherNotation() {
        assertEquals(java.util.Set.of(0x21000024ff000001L, 0x21000024ff0000abL),
                FcTarget.parseInitiators("21:00:00:24:ff:00:00:01, 21000024ff0000AB"));
        assertEquals(null, FcTarget.parseInitiators("*"));
    }
}
