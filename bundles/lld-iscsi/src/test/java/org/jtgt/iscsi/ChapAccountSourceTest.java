package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.jtgt.api.target.ChapAccounts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Security fails closed: a target with CHAP accounts bound never admits a login without CHAP,
 * whether the account source is there, gone, or being replaced (in either order). Logins with
 * AuthMethod=None through the real driver.
 */
@Timeout(60)
class ChapAccountSourceTest {
    /** An account source (a new one each time) with one account bound to the fixture's target. */
    private static ChapAccounts protecting() {
        return new ChapAccounts() {
            @Override
            public TargetChap forTarget(String target) {
                return target.equalsIgnoreCase(IscsiFixture.TARGET)
                        ? new TargetChap(Map.of("bob", "bob-secret-1234"), null, null) : null;
            }
        };
    }

    /** A Normal-session login offering only AuthMethod=None; the status that ends it (0: admitted). */
    private static int loginWithoutChap(int port) throws Exception {
        try (TestInitiator c = new TestInitiator(port)) {
            Map<String, String> keys = new LinkedHashMap<>();
            keys.put("InitiatorName", TestInitiator.INITIATOR);
            keys.put("SessionType", "Normal");
            keys.put("TargetName", IscsiFixture.TARGET);
            keys.put("AuthMethod", "None");
            TestInitiator.Pdu security = c.loginRequest(0x80 | 0 << 2 | 1, 0, keys);
            if (security.loginStatus() != 0) {
                return security.loginStatus();
            }
            c.itt++;
            TestInitiator.Pdu operational = c.loginRequest(0x80 | 1 << 2 | 3, 0, Map.of("HeaderDigest", "None"));
            return operational.loginStatus();
        }
    }

    private static int discoveryLogin(int port) throws Exception {
        try (TestInitiator c = new TestInitiator(port)) {
            return c.login(null, Map.of()).loginStatus();
        }
    }

    @Test
    void aTargetWithAccountsRefusesEveryLoginWithoutChapWhileItsSourceIsGoneOrReplaced() throws Exception {
        try (IscsiFixture f = new IscsiFixture(1 << 20)) {
            assertEquals(0, loginWithoutChap(f.port), "no account bound anywhere: no CHAP");

            ChapAccounts first = protecting();
            f.iscsi.bindChapAccounts(first);            // a replacement, bind before unbind
            f.iscsi.unbindChapAccounts(f.accounts);
            assertEquals(LoginStatus.AUTHENTICATION_FAILURE, loginWithoutChap(f.port), "the bound account applies");

            f.iscsi.unbindChapAccounts(first);          // a replacement, unbind before bind: the gap
            assertEquals(LoginStatus.SERVICE_UNAVAILABLE, loginWithoutChap(f.port), "no source: refused, not admitted");
            assertEquals(LoginStatus.SERVICE_UNAVAILABLE, discoveryLogin(f.port), "discovery too");
            ChapAccounts second = protecting();
            f.iscsi.bindChapAccounts(second);
            assertEquals(LoginStatus.AUTHENTICATION_FAILURE, loginWithoutChap(f.port));

            f.iscsi.unbindChapAccounts(first);          // a late unbind of the old one changes nothing
            assertEquals(LoginStatus.AUTHENTICATION_FAILURE, loginWithoutChap(f.port));
            assertEquals(0, discoveryLogin(f.port));
        }
    }

    @Test
    void swappingTheSourceInBothOrdersNeverAdmitsALoginWithoutChap() throws Exception {
        // Hundreds of failed logins from one initiator: without the delay meant for guessers.
        try (IscsiFixture f = new IscsiFixture(1 << 20, Map.of("chapFailureDelayMillis", 0))) {
            AtomicReference<ChapAccounts> bound = new AtomicReference<>(protecting());
            f.iscsi.bindChapAccounts(bound.get());
            f.iscsi.unbindChapAccounts(f.accounts);
            AtomicBoolean done = new AtomicBoolean();
            Thread swapper = new Thread(() -> {
                for (int i = 0; !done.get(); i++) {
                    ChapAccounts old = bound.get();
                    ChapAccounts next = protecting();
                    if (i % 2 == 0) {
                        f.iscsi.bindChapAccounts(next);
                        f.iscsi.unbindChapAccounts(old);
                    } else {
                        f.iscsi.unbindChapAccounts(old);
                        Thread.yield();
                        f.iscsi.bindChapAccounts(next);
                    }
                    bound.set(next);
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "account-swapper");
            swapper.start();
            int refused = 0;
            int unavailable = 0;
            long deadline = System.nanoTime() + 3_000_000_000L;
            try {
                while (refused + unavailable < 300 && System.nanoTime() < deadline) {
                    int status = loginWithoutChap(f.port);
                    if (status == LoginStatus.AUTHENTICATION_FAILURE) {
                        refused++;
                    } else if (status == LoginStatus.SERVICE_UNAVAILABLE) {
                        unavailable++;
                    } else {
                        fail("a login without CHAP ended with status 0x" + Integer.toHexString(status) + " after "
                                + refused + " authentication failures and " + unavailable + " refusals");
                    }
                }
            } finally {
                done.set(true);
                swapper.join(10_000);
            }
            assertTrue(refused > 0 && unavailable > 0, refused + " authentication failures, " + unavailable
                    + " refusals: both states were not seen");
        }
    }

    @Test
    void withTheSourceNotRequiredTheConfiguredAccountApplies() throws Exception {
        try (IscsiFixture f = new IscsiFixture(1 << 20, Map.of("requireChapAccounts", false))) {
            f.iscsi.unbindChapAccounts(f.accounts);
            assertEquals(0, loginWithoutChap(f.port), "opted out, nothing configured: no CHAP");
        }
        try (IscsiFixture f = new IscsiFixture(1 << 20, Map.of("requireChapAccounts", false, "chapUser", "alice",
                "chapSecret", "alice-secret-123"))) {
            f.iscsi.unbindChapAccounts(f.accounts);
            assertEquals(LoginStatus.AUTHENTICATION_FAILURE, loginWithoutChap(f.port), "opted out: the configured user");
        }
        try (IscsiFixture f = new IscsiFixture(1 << 20)) {
            f.iscsi.unbindChapAccounts(f.accounts);
            assertEquals(LoginStatus.SERVICE_UNAVAILABLE, loginWithoutChap(f.port), "the default is to require it");
        }
    }
}
