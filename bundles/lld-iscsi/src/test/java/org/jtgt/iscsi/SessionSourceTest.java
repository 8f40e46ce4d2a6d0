package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.target.IoStatistics;
import org.jtgt.api.target.NexusInfo;
import org.jtgt.api.target.SessionInfo;
import org.jtgt.api.target.SessionSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The driver's sessions as management sees them, and ending those of a deleted target. */
@Timeout(60)
class SessionSourceTest {

    @Test
    void aLoggedInSessionIsListedWithItsConnectionAndItsNexusCounts() throws Exception {
        try (IscsiFixture f = new IscsiFixture(8 << 20); TestInitiator c = new TestInitiator(f.port)) {
            assertTrue(f.iscsi.sessions().isEmpty());
            assertEquals(0, c.login(IscsiFixture.TARGET, Map.of()).loginStatus());
            assertEquals(ScsiStatus.GOOD, c.command(0, TestInitiator.testUnitReady(), 0, false, null).status);
            List<SessionInfo> sessions = f.iscsi.sessions();
            assertEquals(1, sessions.size());
            SessionInfo s = sessions.get(0);
            assertEquals(SessionSource.ISCSI, s.driver());
            assertEquals(IscsiFixture.TARGET, s.target());
            assertEquals(TestInitiator.INITIATOR, s.initiator());
            assertTrue(s.id().matches("ISID 0x[0-9a-f]{12} TSIH \\d+"), s.id());
            assertEquals(1, s.connections().size());
            assertEquals("127.0.0.1:" + f.port, s.connections().get(0).local());
            assertTrue(s.connections().get(0).peer().startsWith("127.0.0.1:"), s.connections().get(0).peer());
            NexusInfo n = f.daemon.nexuses().get(0);
            assertEquals(s.hostNo(), n.hostNo(), "the session names the daemon's nexus");
            assertEquals(s.nexusId(), n.nexusId());
            assertEquals(new IoStatistics(1, 0, 0, 0), n.statistics());
        }
    }

    @Test
    void endSessionsDropsTheConnectionsOfATargetAndALoginAgainFindsNoTarget() throws Exception {
        try (IscsiFixture f = new IscsiFixture(8 << 20); TestInitiator c = new TestInitiator(f.port)) {
            assertEquals(0, c.login(IscsiFixture.TARGET, Map.of()).loginStatus());
            assertEquals(0, f.iscsi.endSessions("iqn.2026-11.org.jtgt:other", "test", 1_000));
            f.daemon.deleteTarget(IscsiFixture.TARGET, true);
            assertEquals(1, f.iscsi.endSessions(IscsiFixture.TARGET, "target deleted", 10_000));
            assertTrue(c.closedByTarget(), "the initiator sees the session end");
            assertTrue(f.iscsi.sessions().isEmpty());
            assertEquals(0, f.openConnections());
            try (TestInitiator again = new TestInitiator(f.port)) {
                assertEquals(0x0203, again.login(IscsiFixture.TARGET, Map.of()).loginStatus(), "Target Not Found");
            }
        }
    }
}
