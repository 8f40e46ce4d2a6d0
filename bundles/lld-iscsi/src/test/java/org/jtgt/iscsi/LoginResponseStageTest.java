package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.jtgt.api.target.TargetInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The stage of a login as requests and responses name it. A failed Login Response names a stage
 * the login can be in, whatever the request claimed: CSG 2 is reserved (RFC 7143 11.12.3), and 3
 * is no stage a login request can be in. Found by
 * {@link IscsiFuzzTargetsTest#loginNegotiation}: a first request with Version-min 1 and CSG 2 was
 * answered "unsupported version" with CSG 2.
 */
class LoginResponseStageTest {
    /**
     * The text of the first request may continue over several PDUs (C bit); all of them are in the
     * stage the first one named (RFC 7143 6.3, 11.12.2). Found by the same fuzz target: the second
     * PDU's CSG 1 moved a login that had started in SecurityNegotiation to the operational stage.
     */
    @Test
    void aContinuedFirstRequestKeepsItsStage() {
        LoginNegotiator n = new LoginNegotiator(TargetSettings.defaults(), name -> new TargetInfo(name, List.of(), List.of(), 0));
        LoginNegotiator.Reply r = n.process(new LoginNegotiator.Request(false, true, 0, 0, 0, 0,
                "InitiatorName=iqn.2026-11.org.jtgt:i\0".getBytes(StandardCharsets.UTF_8)));
        assertEquals(LoginStatus.SUCCESS, r.status());
        assertEquals(LoginNegotiator.STAGE_SECURITY, r.csg());
        r = n.process(new LoginNegotiator.Request(false, true, 1, 0, 0, 0,
                "SessionType=Discovery\0".getBytes(StandardCharsets.UTF_8)));
        assertEquals(LoginStatus.INITIATOR_ERROR, r.status(), "stage changed inside a continued request: CSG " + r.csg());
        assertEquals(LoginNegotiator.STAGE_SECURITY, r.csg());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3})
    void unsupportedVersionIsAnsweredInAValidStage(int csg) {
        LoginNegotiator n = new LoginNegotiator(TargetSettings.defaults(), name -> new TargetInfo(name, List.of(), List.of(), 0));
        LoginNegotiator.Reply r = n.process(new LoginNegotiator.Request(false, false, csg, 0, 1, 1, new byte[0]));
        assertEquals(LoginStatus.UNSUPPORTED_VERSION, r.status());
        assertTrue(r.csg() == LoginNegotiator.STAGE_SECURITY || r.csg() == LoginNegotiator.STAGE_OPERATIONAL,
                "CSG " + r.csg() + " in the response to a request in stage " + csg);
        if (csg <= LoginNegotiator.STAGE_OPERATIONAL) {
            assertEquals(csg, r.csg(), "a valid stage is echoed");
        }
    }
}
