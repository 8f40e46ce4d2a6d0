package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.jtgt.util.lld.LogLimiter;

/**
 * What one source may cost before login: connections per address, and a growing delay before a
 * failed CHAP answer (against the real driver over sockets, and {@link LoginGuard} on its own).
 */
@Timeout(60)
class LoginLimitsTest {
    private static final String USER = "alice";
    private static final String SECRET = "alice-secret-12";

    @Test
    void oneAddressCannotTakeEveryConnection() throws Exception {
        try (IscsiFixture f = new IscsiFixture(1 << 20, Map.of("maxConnectionsPerAddress", 2))) {
            try (TestInitiator a = new TestInitiator(f.port, "127.0.0.1");
                    TestInitiator b = new TestInitiator(f.port, "127.0.0.1")) {
                assertEquals(0, a.login(IscsiFixture.TARGET, Map.of()).loginStatus());
                assertEquals(0, b.login(IscsiFixture.TARGET, Map.of()).loginStatus());
                try (TestInitiator c = new TestInitiator(f.port, "127.0.0.1")) {
                    assertTrue(c.closedByTarget(), "a third connection from the same address is closed at once");
                }
                try (TestInitiator other = new TestInitiator(f.port, "127.0.0.2")) {
                    assertEquals(0, other.login(IscsiFixture.TARGET, Map.of()).loginStatus(),
                            "another address still gets in");
                }
            }
            // Both closed: the address has its connections back.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (f.iscsi.loginGuard().connections(InetAddress.getByName("127.0.0.1")) > 0) {
                assertTrue(System.nanoTime() < deadline, "connections of 127.0.0.1 released");
                Thread.sleep(10);
            }
            try (TestInitiator again = new TestInitiator(f.port, "127.0.0.1")) {
                assertEquals(0, again.login(IscsiFixture.TARGET, Map.of()).loginStatus());
            }
        }
    }

    /** A CHAP login (security stage, then operational); returns the login status of its last response. */
    private static int chapLogin(TestInitiator c, String initiatorName, String secret) throws Exception {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("InitiatorName", initiatorName);
        keys.put("SessionType", "Normal");
        keys.put("TargetName", IscsiFixture.TARGET);
        keys.put("AuthMethod", "CHAP");
        TestInitiator.Pdu r = c.loginRequest(0x00 | 0 << 2, 0, keys);   // CSG 0, stay in security
        if (r.loginStatus() != 0) {
            return r.loginStatus();
        }
        r = c.loginRequest(0x00, 0, Map.of("CHAP_A", "5"));
        if (r.loginStatus() != 0) {
            return r.loginStatus();
        }
        Map<String, String> got = r.keys();
        int id = Integer.parseInt(got.get("CHAP_I"));
        byte[] challenge = Chap.decodeBinary(got.get("CHAP_C"));
        Map<String, String> answer = new LinkedHashMap<>();
        answer.put("CHAP_N", USER);
        answer.put("CHAP_R", Chap.hex(Chap.response(id, secret, challenge)));
        r = c.loginRequest(0x80 | 0 << 2 | 1, 0, answer);   // T=1, CSG 0 -> NSG 1
        if (r.loginStatus() != 0) {
            return r.loginStatus();
        }
        r = c.loginRequest(0x80 | 1 << 2 | 3, 0, Map.of("HeaderDigest", "None", "DataDigest", "None"));
        return r.loginStatus();
    }

    @Test
    void failedChapAnswersComeLaterAndLater() throws Exception {
        try (IscsiFixture f = new IscsiFixture(1 << 20, Map.of("chapUser", USER, "chapSecret", SECRET))) {
            String name = "iqn.2026-11.org.example:guesser";
            long[] millis = new long[3];
            for (int i = 0; i < 3; i++) {
                try (TestInitiator c = new TestInitiator(f.port, "127.0.0.3")) {
                    long start = System.nanoTime();
                    assertEquals(LoginStatus.AUTHENTICATION_FAILURE, chapLogin(c, name, "wrong-secret-" + i));
                    millis[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                }
            }
            assertTrue(millis[0] >= LoginGuard.delayMillis(LoginGuard.FIRST_DELAY_MILLIS, 1), "first failure waits: " + millis[0] + " ms");
            assertTrue(millis[2] >= LoginGuard.delayMillis(LoginGuard.FIRST_DELAY_MILLIS, 3), "third failure waits longer: " + millis[2] + " ms");
            try (TestInitiator c = new TestInitiator(f.port, "127.0.0.3")) {
                assertEquals(0, chapLogin(c, name, SECRET), "the right secret still logs in");
            }
            assertEquals(LoginGuard.delayMillis(LoginGuard.FIRST_DELAY_MILLIS, 1), f.iscsi.loginGuard().authenticationFailed(name,
                    InetAddress.getByName("127.0.0.3"), System.nanoTime()), "success forgave the name's failures");
        }
    }

    @Test
    void theDelayGrowsPerNameAndSourceAndCannotBeDodgedByNewNames() throws Exception {
        LoginGuard g = new LoginGuard();
        InetAddress a = InetAddress.getByName("192.0.2.1");
        InetAddress b = InetAddress.getByName("192.0.2.2");
        long now = 0;
        assertEquals(250, g.authenticationFailed("iqn.x", a, now));
        assertEquals(500, g.authenticationFailed("IQN.X", a, now), "names fold case");
        assertEquals(1000, g.authenticationFailed("iqn.x", a, now));
        assertEquals(250, g.authenticationFailed("iqn.x", b, now), "another source has its own record");
        for (int i = 0; i < 40; i++) {
            g.authenticationFailed("iqn.new-" + i, a, now);
        }
        assertEquals(LoginGuard.FIRST_DELAY_MILLIS * LoginGuard.MAX_DELAY_FACTOR, g.authenticationFailed("iqn.another", a, now),
                "a new name from a busy source is delayed as well");
        g.authenticated("iqn.x", a);
        assertTrue(g.authenticationFailed("iqn.x", a, now) >= 250);
        long later = now + LoginGuard.FORGET_AFTER_NANOS + 1;
        assertEquals(250, g.authenticationFailed("iqn.y", b, later), "old failures are forgotten");
        for (int i = 0; i < LoginGuard.MAX_RECORDS * 2; i++) {
            g.authenticationFailed("iqn.flood-" + i, b, later);
        }
        assertFalse(g.connections(a) > 0);
        assertTrue(g.admit(a, 1));
        assertFalse(g.admit(a, 1));
        g.release(a);
        assertTrue(g.admit(a, 1));
    }

    @Test
    void aZeroFirstDelayTurnsDelaysOff() throws Exception {
        LoginGuard g = new LoginGuard(0);
        for (int i = 0; i < 10; i++) {
            assertEquals(0, g.authenticationFailed("iqn.x", InetAddress.getByName("192.0.2.9"), 0));
        }
    }

    @Test
    void aLimiterLetsABurstThroughAndCountsTheRest() {
        LogLimiter l = new LogLimiter("test lines", 3, 1, TimeUnit.HOURS);
        org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LoginLimitsTest.class);
        for (int i = 0; i < 10; i++) {
            l.warn(log, "line {}", i);
        }
        assertEquals(7, l.suppressed());
    }
}
