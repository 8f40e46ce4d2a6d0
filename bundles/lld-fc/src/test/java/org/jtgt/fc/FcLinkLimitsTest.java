package org.jtgt.fc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.jtgt.api.fc.initiator.FcInitiator;
import org.jtgt.fc.wire.Els;
import org.jtgt.fc.wire.FcFrameHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What one FCIP link may hold: a link with no fabric login is closed after the login timeout, a
 * link logs in a bounded number of N_Ports, and one port name is logged in over one link only.
 */
@Timeout(60)
class FcLinkLimitsTest {
    private static final int T = FcFabric.TARGET_PORT_ID;
    private static final long WWPN = 0x21000024ffabc000L;
    private static final long WWNN = 0x20000024ffabc000L;
    private static FcFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = new FcFixture(1 << 20, Map.of("loginTimeoutSeconds", 1, "maxPortsPerLink", 3));
    }

    @AfterAll
    static void stop() throws Exception {
        fixture.close();
    }

    @BeforeEach
    void earlierLinksGone() throws InterruptedException {
        FcLoginTest.eventually(() -> fixture.connections().isEmpty() && fixture.fc.fabric().portCount() == 1,
                "links of earlier tests gone");
    }

    @Test
    void aLinkWithoutFabricLoginIsClosedAfterTheLoginTimeout() throws Exception {
        try (FcInitiator idle = fixture.connect(); FcInitiator working = fixture.login()) {
            FcLoginTest.eventually(() -> !idle.isOpen(), "the idle link closed by the target");
            assertTrue(working.isOpen(), "a link with a logged-in port is not subject to the login timeout");
            assertEquals(0, working.command(T, 0, new byte[6], null, 0).status());
            assertEquals(1, fixture.connections().size());
        }
    }

    @Test
    void aLinkWhoseLastPortLoggedOutGetsTheLoginTimeoutAgain() throws Exception {
        try (FcInitiator i = fixture.connect()) {
            i.flogi();
            Thread.sleep(1_500);
            assertTrue(i.isOpen(), "logged in: no timeout");
            assertTrue(i.logo(FcFrameHeader.FABRIC_LOGIN_SERVER).accepted());
            FcLoginTest.eventually(() -> !i.isOpen(), "closed once no port is logged in");
        }
    }

    @Test
    void aLinkLogsInAtMostMaxPortsPerLinkNPorts() throws Exception {
        try (FcInitiator i = fixture.connect(); FcInitiator other = fixture.connect()) {
            int physical = i.flogi();
            assertTrue(i.fdisc(WWPN + 1, WWNN + 1).accepted());
            assertTrue(i.fdisc(WWPN + 2, WWNN + 2).accepted());
            FcInitiator.Reply refused = i.fdisc(WWPN + 3, WWNN + 3);
            assertFalse(refused.accepted(), "a fourth N_Port over one link");
            assertEquals(Els.RJT_UNABLE, refused.rejectReason());
            assertEquals(Els.EXPL_INSUFFICIENT_RESOURCES, refused.rejectExplanation());
            assertEquals(physical, i.flogi(), "a port already logged in over the link may log in again");
            assertEquals(4, fixture.fc.fabric().portCount(), "the target's port and three over the link");
            other.flogi();
            assertEquals(5, fixture.fc.fabric().portCount(), "another link is not limited by the first one's ports");
        }
    }

    @Test
    void onePortNameIsLoggedInOverOneLinkOnly() throws Exception {
        try (FcInitiator first = FcInitiator.connect("127.0.0.1", fixture.port, WWPN, WWNN);
                FcInitiator second = FcInitiator.connect("127.0.0.1", fixture.port, WWPN, WWNN)) {
            first.timeoutMillis = 10_000;
            second.timeoutMillis = 10_000;
            int id = first.flogi();
            FcInitiator.Reply dup = second.els(FcFrameHeader.FABRIC_LOGIN_SERVER,
                    Els.login(Els.FLOGI, WWPN, WWNN, 2048, 0, 0, 2_000));
            assertFalse(dup.accepted(), "the same WWPN over a second link");
            assertEquals(Els.RJT_UNABLE, dup.rejectReason());
            assertEquals(Els.EXPL_INVALID_PORT_NAME, dup.rejectExplanation());

            // The refused link's teardown must not free the ID the first link still uses.
            second.close();
            FcLoginTest.eventually(() -> fixture.connections().size() == 1, "the second link gone");
            try (FcInitiator third = fixture.connect()) {
                assertNotEquals(id, third.flogi(), "an ID in use is never handed to another port");
            }
            assertTrue(fixture.fc.fabric().loggedIn(id));
            fixture.login(first);
            assertEquals(0, first.command(T, 0, new byte[6], null, 0).status());
        }
        try (FcInitiator again = FcInitiator.connect("127.0.0.1", fixture.port, WWPN, WWNN)) {
            again.timeoutMillis = 10_000;
            FcLoginTest.eventually(() -> fixture.connections().size() <= 1, "the first link gone");
            FcLoginTest.eventually(() -> fixture.fc.fabric().portCount() == 1, "its login released");
            again.flogi();   // once the first link is gone, the port name may log in elsewhere
        }
    }
}
