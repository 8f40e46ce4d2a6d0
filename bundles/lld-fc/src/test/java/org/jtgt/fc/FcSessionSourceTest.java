package org.jtgt.fc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.jtgt.api.fc.initiator.FcInitiator;
import org.jtgt.api.target.SessionInfo;
import org.jtgt.api.target.SessionSource;
import org.jtgt.fc.wire.FcFrameHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** FC image pairs as management lists them, and ending those of a deleted target. */
@Timeout(60)
class FcSessionSourceTest {

    @Test
    void anImagePairIsListedAndEndingItsTargetClosesTheLink() throws Exception {
        try (FcFixture f = new FcFixture(1 << 20); FcInitiator i = f.login()) {
            List<SessionInfo> sessions = f.fc.sessions();
            assertEquals(1, sessions.size());
            SessionInfo s = sessions.get(0);
            assertEquals(SessionSource.FC, s.driver());
            assertEquals(FcFixture.TARGET, s.target());
            assertTrue(s.initiator().startsWith("naa."), s.initiator());
            assertEquals("N_Port " + FcFrameHeader.portId(i.portId()), s.id());
            assertEquals(f.daemon.nexuses().get(0).nexusId(), s.nexusId());
            assertEquals(1, s.connections().size());

            assertEquals(0, f.fc.endSessions("iqn.2026-11.org.jtgt:other", "test", 1_000));
            f.daemon.deleteTarget(FcFixture.TARGET, true);
            assertEquals(1, f.fc.endSessions(FcFixture.TARGET, "target deleted", 10_000));
            assertTrue(f.fc.sessions().isEmpty());
            assertThrows(Exception.class, () -> i.command(FcFabric.TARGET_PORT_ID, 0, new byte[6], null, 0),
                    "the link is down");
        }
    }
}
