package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.jtgt.api.target.TargetInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A failed Login Response names a stage the login can be in, whatever the request claimed: CSG 2
 * is reserved (RFC 7143 11.12.3), and 3 is no stage a login request can be in. Found by
 * {@link IscsiFuzzTargetsTest#loginNegotiation}: a first request with Version-min 1 and CSG 2 was
 * answered "unsupported version" with CSG 2.
 */
class LoginResponseStageTest {
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
