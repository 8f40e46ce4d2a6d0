package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jtgt.api.target.ChapAccounts;
import org.jtgt.api.target.TargetInfo;
import org.junit.jupiter.api.Test;

/** The login state machine and key negotiation as plain logic (RFC 7143 6.3, 12.1.3, 13). */
class LoginNegotiatorTest {
    private static final String TARGET = "iqn.2026-11.org.jtgt:t";
    private static final String INITIATOR = "iqn.2026-11.org.jtgt:i";

    private static TargetSettings settings(String chapUser, String chapSecret, String mutualUser, String mutualSecret) {
        TargetSettings d = TargetSettings.defaults();
        return new TargetSettings(d.portalGroupTag(), chapUser, chapSecret, mutualUser, mutualSecret,
                d.maxRecvDataSegmentLength(), d.maxBurstLength(), d.firstBurstLength(), d.initialR2T(), d.immediateData(),
                d.maxOutstandingR2T(), d.defaultTime2Wait(), d.defaultTime2Retain(), d.window(), d.immediateCommands(),
                d.loginTimeoutMillis(), d.nopInIntervalMillis(), d.nopInTimeoutMillis(), d.stalledWriteMillis(),
                d.allocateTimeoutMillis(), "");
    }

    private static LoginNegotiator negotiator(TargetSettings s, List<String> acl) {
        return new LoginNegotiator(s, name -> name.equals(TARGET) ? new TargetInfo(TARGET, List.of(), acl, 0) : null);
    }

    private static LoginNegotiator.Request request(boolean transit, int csg, int nsg, Map<String, String> keys) {
        return new LoginNegotiator.Request(transit, false, csg, nsg, 0, 0, TestInitiator.text(keys));
    }

    private static Map<String, String> keys(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private static Map<String, String> answer(LoginNegotiator.Reply r) {
        return TestInitiator.parseKeys(r.text());
    }

    @Test
    void operationalKeysGetTheirResultFunctions() {
        LoginNegotiator n = negotiator(TargetSettings.defaults(), List.of());
        LoginNegotiator.Reply r = n.process(request(true, 1, 3, keys("InitiatorName", INITIATOR, "TargetName", TARGET,
                "SessionType", "Normal", "HeaderDigest", "None,CRC32C", "DataDigest", "CRC32C,None",
                "MaxRecvDataSegmentLength", "65536", "MaxBurstLength", "16776192", "FirstBurstLength", "1024",
                "InitialR2T", "No", "ImmediateData", "No", "MaxOutstandingR2T", "100", "DataPDUInOrder", "No",
                "DataSequenceInOrder", "No", "ErrorRecoveryLevel", "2", "MaxConnections", "8", "DefaultTime2Wait", "0",
                "DefaultTime2Retain", "3600", "IFMarker", "Yes", "OFMarkInt", "2048~8192", "X-com.example.Foo", "bar",
                "NoSuchKey", "1")));
        assertEquals(0, r.status(), r.reason());
        assertTrue(r.transit());
        assertTrue(r.enterFullFeature());
        Map<String, String> a = answer(r);
        assertEquals("1", a.get("TargetPortalGroupTag"), "TPGT in the first response of a Normal session");
        assertEquals("None", a.get("HeaderDigest"), "the initiator's first choice that we support");
        assertEquals("CRC32C", a.get("DataDigest"));
        assertEquals("262144", a.get("MaxRecvDataSegmentLength"), "declarative: ours");
        assertEquals("1048576", a.get("MaxBurstLength"), "minimum");
        assertEquals("1024", a.get("FirstBurstLength"), "minimum");
        assertEquals("No", a.get("InitialR2T"), "OR of No and No");
        assertEquals("No", a.get("ImmediateData"), "AND");
        assertEquals("16", a.get("MaxOutstandingR2T"));
        assertEquals("Yes", a.get("DataPDUInOrder"), "OR with our Yes");
        assertEquals("Yes", a.get("DataSequenceInOrder"));
        assertEquals("0", a.get("ErrorRecoveryLevel"));
        assertEquals("1", a.get("MaxConnections"));
        assertEquals("2", a.get("DefaultTime2Wait"), "maximum");
        assertEquals("20", a.get("DefaultTime2Retain"), "minimum");
        assertEquals("No", a.get("IFMarker"));
        assertEquals("Irrelevant", a.get("OFMarkInt"));
        assertEquals("NotUnderstood", a.get("X-com.example.Foo"));
        assertEquals("NotUnderstood", a.get("NoSuchKey"));
        SessionParameters p = n.parameters();
        assertFalse(p.headerDigest);
        assertTrue(p.dataDigest);
        assertEquals(65536, p.initiatorMaxRecvDataSegmentLength);
        assertEquals(1024, p.effectiveFirstBurstLength());
        assertFalse(p.immediateData);
    }

    @Test
    void outOfRangeValuesAreRejectedAndDefaultsStay() {
        LoginNegotiator n = negotiator(TargetSettings.defaults(), List.of());
        LoginNegotiator.Reply r = n.process(request(true, 1, 3, keys("InitiatorName", INITIATOR, "TargetName", TARGET,
                "MaxBurstLength", "100", "MaxRecvDataSegmentLength", "16777216", "InitialR2T", "Maybe")));
        Map<String, String> a = answer(r);
        assertEquals("Reject", a.get("MaxBurstLength"));
        assertEquals("Reject", a.get("MaxRecvDataSegmentLength"));
        assertEquals("Reject", a.get("InitialR2T"));
        assertEquals(262_144, n.parameters().maxBurstLength);
        assertEquals(8192, n.parameters().initiatorMaxRecvDataSegmentLength);
    }

    @Test
    void leadingLoginChecks() {
        assertEquals(LoginStatus.MISSING_PARAMETER, negotiator(TargetSettings.defaults(), List.of())
                .process(request(true, 1, 3, keys("TargetName", TARGET))).status());
        assertEquals(LoginStatus.MISSING_PARAMETER, negotiator(TargetSettings.defaults(), List.of())
                .process(request(true, 1, 3, keys("InitiatorName", INITIATOR))).status(), "Normal needs TargetName");
        assertEquals(LoginStatus.NOT_FOUND, negotiator(TargetSettings.defaults(), List.of())
                .process(request(true, 1, 3, keys("InitiatorName", INITIATOR, "TargetName", "iqn.x:y"))).status());
        assertEquals(LoginStatus.AUTHORIZATION_FAILURE, negotiator(TargetSettings.defaults(), List.of("iqn.other:x"))
                .process(request(true, 1, 3, keys("InitiatorName", INITIATOR, "TargetName", TARGET))).status());
        assertEquals(LoginStatus.SESSION_TYPE_NOT_SUPPORTED, negotiator(TargetSettings.defaults(), List.of())
                .process(request(true, 1, 3, keys("InitiatorName", INITIATOR, "SessionType", "Weird"))).status());
        assertEquals(LoginStatus.UNSUPPORTED_VERSION, negotiator(TargetSettings.defaults(), List.of())
                .process(new LoginNegotiator.Request(true, false, 1, 3, 2, 1, new byte[0])).status());
        LoginNegotiator.Reply discovery = negotiator(TargetSettings.defaults(), List.of())
                .process(request(true, 1, 3, keys("InitiatorName", INITIATOR, "SessionType", "Discovery",
                        "MaxBurstLength", "4096")));
        assertEquals(0, discovery.status());
        assertEquals("Irrelevant", answer(discovery).get("MaxBurstLength"));
        assertNull(answer(discovery).get("TargetPortalGroupTag"));
    }

    @Test
    void securityStageWithNoneThenOperational() {
        LoginNegotiator n = negotiator(TargetSettings.defaults(), List.of());
        LoginNegotiator.Reply r1 = n.process(request(true, 0, 1, keys("InitiatorName", INITIATOR, "TargetName", TARGET,
                "AuthMethod", "CHAP,None")));
        assertEquals(0, r1.status());
        assertEquals("None", answer(r1).get("AuthMethod"));
        assertTrue(r1.transit());
        assertEquals(0, r1.csg());
        assertEquals(1, r1.nsg());
        LoginNegotiator.Reply r2 = n.process(request(true, 1, 3, keys("HeaderDigest", "None")));
        assertTrue(r2.enterFullFeature());
        assertEquals(LoginStatus.INITIATOR_ERROR, negotiator(TargetSettings.defaults(), List.of())
                .process(request(true, 2, 3, keys("InitiatorName", INITIATOR))).status(), "stage 2 is reserved");
    }

    @Test
    void chapIsRequiredWhenConfigured() {
        TargetSettings s = settings("alice", "alice-secret-123", "", "");
        assertEquals(LoginStatus.AUTHENTICATION_FAILURE, negotiator(s, List.of())
                .process(request(true, 1, 3, keys("InitiatorName", INITIATOR, "TargetName", TARGET))).status(),
                "skipping the security stage");
        assertEquals(LoginStatus.AUTHENTICATION_FAILURE, negotiator(s, List.of())
                .process(request(true, 0, 1, keys("InitiatorName", INITIATOR, "TargetName", TARGET, "AuthMethod", "None")))
                .status(), "offering only None");
    }

    @Test
    void oneWayAndMutualChap() {
        TargetSettings s = settings("alice", "alice-secret-123", "tgt", "target-secret-456");
        for (boolean mutual : new boolean[] {false, true}) {
            LoginNegotiator n = negotiator(s, List.of());
            LoginNegotiator.Reply r1 = n.process(request(true, 0, 1, keys("InitiatorName", INITIATOR, "TargetName", TARGET,
                    "AuthMethod", "None,CHAP")));
            assertEquals("CHAP", answer(r1).get("AuthMethod"));
            assertFalse(r1.transit(), "not before the exchange");
            LoginNegotiator.Reply r2 = n.process(request(false, 0, 1, keys("CHAP_A", "7,5")));
            Map<String, String> a2 = answer(r2);
            assertEquals("5", a2.get("CHAP_A"));
            int id = Integer.parseInt(a2.get("CHAP_I"));
            byte[] challenge = Chap.decodeBinary(a2.get("CHAP_C"));
            assertNotNull(challenge);
            assertEquals(Chap.CHALLENGE_LENGTH, challenge.length);
            Map<String, String> rsp = keys("CHAP_N", "alice", "CHAP_R",
                    Chap.hex(Chap.response(id, "alice-secret-123", challenge)).toUpperCase().replace("0X", "0x"));
            byte[] myChallenge = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
            if (mutual) {
                rsp.put("CHAP_I", "77");
                rsp.put("CHAP_C", "0b" + java.util.Base64.getEncoder().encodeToString(myChallenge));
            }
            LoginNegotiator.Reply r3 = n.process(request(true, 0, 1, rsp));
            assertEquals(0, r3.status(), r3.reason());
            assertTrue(r3.transit());
            assertEquals("alice", n.authenticatedUser());
            Map<String, String> a3 = answer(r3);
            if (mutual) {
                assertEquals("tgt", a3.get("CHAP_N"));
                assertArrayEquals(Chap.response(77, "target-secret-456", myChallenge), Chap.decodeBinary(a3.get("CHAP_R")));
            } else {
                assertNull(a3.get("CHAP_R"));
            }
        }
    }

    /** A target with bound accounts, another without; the configured (global) account is "alice". */
    private static LoginNegotiator perTarget(TargetSettings s) {
        String other = "iqn.2026-11.org.jtgt:open";
        return new LoginNegotiator(s, new LoginNegotiator.TargetDirectory() {
            @Override
            public TargetInfo find(String name) {
                return name.equals(TARGET) || name.equals(other) ? new TargetInfo(name, List.of(), List.of(), 0) : null;
            }

            @Override
            public ChapAccounts accounts() {
                return name -> name.equals(TARGET) ? new ChapAccounts.TargetChap(
                        Map.of("bob", "bob-secret-1234", "carol", "carol-secret-12"), "tgt-out", "target-out-9876") : null;
            }
        });
    }

    /** Runs CHAP as {@code user} with {@code secret} against {@code target}; the final status. */
    private static int chapLogin(LoginNegotiator n, String target, String user, String secret) {
        LoginNegotiator.Reply r1 = n.process(request(true, 0, 1, keys("InitiatorName", INITIATOR, "TargetName", target,
                "AuthMethod", "CHAP,None")));
        if (r1.failed()) {
            return r1.status();
        }
        if (!"CHAP".equals(answer(r1).get("AuthMethod"))) {
            return -1;   // None was chosen
        }
        Map<String, String> a2 = answer(n.process(request(false, 0, 1, keys("CHAP_A", "5"))));
        int id = Integer.parseInt(a2.get("CHAP_I"));
        byte[] challenge = Chap.decodeBinary(a2.get("CHAP_C"));
        return n.process(request(true, 0, 1, keys("CHAP_N", user, "CHAP_R",
                Chap.hex(Chap.response(id, secret, challenge))))).status();
    }

    @Test
    void accountsBoundToATargetReplaceTheConfiguredOne() {
        TargetSettings s = settings("alice", "alice-secret-123", "", "");
        assertEquals(0, chapLogin(perTarget(s), TARGET, "bob", "bob-secret-1234"));
        assertEquals(0, chapLogin(perTarget(s), TARGET, "carol", "carol-secret-12"));
        assertEquals(LoginStatus.AUTHENTICATION_FAILURE, chapLogin(perTarget(s), TARGET, "alice", "alice-secret-123"),
                "the configured account does not open a target with its own accounts");
        assertEquals(LoginStatus.AUTHENTICATION_FAILURE, chapLogin(perTarget(s), TARGET, "bob", "carol-secret-12"));
        assertEquals(LoginStatus.AUTHENTICATION_FAILURE, chapLogin(perTarget(s), TARGET, "dave", "bob-secret-1234"));
        assertEquals(0, chapLogin(perTarget(s), "iqn.2026-11.org.jtgt:open", "alice", "alice-secret-123"),
                "a target without accounts uses the configured one");
        // No configured account: the bound accounts still require CHAP on their target only.
        TargetSettings none = TargetSettings.defaults();
        assertEquals(LoginStatus.AUTHENTICATION_FAILURE, perTarget(none).process(request(true, 1, 3, keys(
                "InitiatorName", INITIATOR, "TargetName", TARGET))).status(), "skipping security");
        assertEquals(-1, chapLogin(perTarget(none), "iqn.2026-11.org.jtgt:open", "x", "y"), "None is chosen");
        // Mutual CHAP answers with the target's outgoing account.
        LoginNegotiator n = perTarget(none);
        n.process(request(true, 0, 1, keys("InitiatorName", INITIATOR, "TargetName", TARGET, "AuthMethod", "CHAP")));
        Map<String, String> a2 = answer(n.process(request(false, 0, 1, keys("CHAP_A", "5"))));
        byte[] mine = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
        LoginNegotiator.Reply r3 = n.process(request(true, 0, 1, keys("CHAP_N", "bob", "CHAP_R", Chap.hex(Chap.response(
                Integer.parseInt(a2.get("CHAP_I")), "bob-secret-1234", Chap.decodeBinary(a2.get("CHAP_C")))),
                "CHAP_I", "3", "CHAP_C", Chap.hex(mine))));
        assertEquals(0, r3.status(), r3.reason());
        assertEquals("tgt-out", answer(r3).get("CHAP_N"));
        assertArrayEquals(Chap.response(3, "target-out-9876", mine), Chap.decodeBinary(answer(r3).get("CHAP_R")));
    }

    /** A directory whose account source is whatever {@code source} holds at each login. */
    private static LoginNegotiator withSource(TargetSettings s, java.util.function.Supplier<ChapAccounts> source) {
        return new LoginNegotiator(s, new LoginNegotiator.TargetDirectory() {
            @Override
            public TargetInfo find(String name) {
                return name.equals(TARGET) ? new TargetInfo(name, List.of(), List.of(), 0) : null;
            }

            @Override
            public ChapAccounts accounts() {
                return source.get();
            }
        });
    }

    @Test
    void withoutAnAccountSourceEveryLoginIsRefusedAsServiceUnavailable() {
        for (TargetSettings s : List.of(TargetSettings.defaults(), settings("alice", "alice-secret-123", "", ""))) {
            LoginNegotiator.Reply normal = withSource(s, () -> null).process(request(true, 1, 3, keys(
                    "InitiatorName", INITIATOR, "TargetName", TARGET)));
            assertEquals(LoginStatus.SERVICE_UNAVAILABLE, normal.status(), "operational stage only");
            assertFalse(normal.enterFullFeature());
            assertEquals(LoginStatus.SERVICE_UNAVAILABLE, withSource(s, () -> null).process(request(true, 0, 1, keys(
                    "InitiatorName", INITIATOR, "TargetName", TARGET, "AuthMethod", "None,CHAP"))).status(),
                    "security stage, None offered");
            assertEquals(LoginStatus.SERVICE_UNAVAILABLE, withSource(s, () -> null).process(request(true, 1, 3, keys(
                    "InitiatorName", INITIATOR, "SessionType", "Discovery"))).status(), "discovery");
            assertEquals(LoginStatus.SERVICE_UNAVAILABLE, withSource(s, () -> null).process(request(true, 1, 3, keys(
                    "InitiatorName", INITIATOR, "TargetName", "iqn.2026-11.org.jtgt:nope"))).status(),
                    "refused before the target is looked up: nothing is revealed");
        }
        assertEquals(0, withSource(TargetSettings.defaults(), () -> LoginNegotiator.NO_ACCOUNTS).process(request(true, 1,
                3, keys("InitiatorName", INITIATOR, "TargetName", TARGET))).status(), "a source with no account bound");
        assertEquals(LoginStatus.SERVICE_UNAVAILABLE, withSource(TargetSettings.defaults(), () -> name -> {
            throw new IllegalStateException("service unregistered");
        }).process(request(true, 0, 1, keys("InitiatorName", INITIATOR, "TargetName", TARGET, "AuthMethod", "None")))
                .status(), "a source that fails");
    }

    @Test
    void aKeySentTwiceInALoginIsAnInitiatorError() {
        LoginNegotiator.Reply twice = negotiator(TargetSettings.defaults(), List.of()).process(new LoginNegotiator.Request(
                true, false, 1, 3, 0, 0, TestInitiator.text("InitiatorName", INITIATOR, "TargetName", TARGET,
                        "MaxBurstLength", "262144", "MaxBurstLength", "512")));
        assertEquals(LoginStatus.INITIATOR_ERROR, twice.status(), "MaxBurstLength twice in one request");
        assertFalse(twice.enterFullFeature());

        LoginNegotiator n = negotiator(TargetSettings.defaults(), List.of());
        assertEquals(0, n.process(request(false, 1, 3, keys("InitiatorName", INITIATOR, "TargetName", TARGET,
                "MaxBurstLength", "262144"))).status());
        assertEquals(LoginStatus.INITIATOR_ERROR, n.process(request(true, 1, 3, keys("MaxBurstLength", "512"))).status(),
                "MaxBurstLength again in a later request of the login");

        n = negotiator(TargetSettings.defaults(), List.of());
        assertEquals(0, n.process(request(true, 0, 1, keys("InitiatorName", INITIATOR, "TargetName", TARGET,
                "AuthMethod", "None", "HeaderDigest", "None"))).status());
        assertEquals(LoginStatus.INITIATOR_ERROR, n.process(request(true, 1, 3, keys("HeaderDigest", "CRC32C")))
                .status(), "a key of the security stage offered again in the operational stage");

        // The leading declaratives again with the same value, as libiscsi sends them: accepted.
        n = negotiator(TargetSettings.defaults(), List.of());
        assertEquals(0, n.process(request(true, 0, 1, keys("InitiatorName", INITIATOR, "TargetName", TARGET,
                "SessionType", "Normal", "AuthMethod", "None"))).status());
        LoginNegotiator.Reply again = n.process(request(true, 1, 3, keys("InitiatorName", INITIATOR, "TargetName", TARGET,
                "SessionType", "Normal", "MaxBurstLength", "262144")));
        assertEquals(0, again.status(), again.reason());
        assertTrue(again.enterFullFeature());
        // ... but not with another value.
        n = negotiator(TargetSettings.defaults(), List.of());
        n.process(request(true, 0, 1, keys("InitiatorName", INITIATOR, "TargetName", TARGET, "AuthMethod", "None")));
        assertEquals(LoginStatus.INITIATOR_ERROR, n.process(request(true, 1, 3, keys("TargetName",
                "iqn.2026-11.org.jtgt:other"))).status(), "TargetName changed during the login");
    }

    @Test
    void chapFailures() {
        TargetSettings s = settings("alice", "alice-secret-123", "", "");
        // Wrong secret.
        LoginNegotiator n = chapStarted(s);
        byte[][] challenge = new byte[1][];
        int id = challenge(n, challenge);
        assertEquals(LoginStatus.AUTHENTICATION_FAILURE, n.process(request(true, 0, 1, keys("CHAP_N", "alice", "CHAP_R",
                Chap.hex(Chap.response(id, "wrong-secret-12", challenge[0]))))).status());
        // Wrong name with the right secret.
        n = chapStarted(s);
        id = challenge(n, challenge);
        assertEquals(LoginStatus.AUTHENTICATION_FAILURE, n.process(request(true, 0, 1, keys("CHAP_N", "mallory", "CHAP_R",
                Chap.hex(Chap.response(id, "alice-secret-123", challenge[0]))))).status());
        // Mutual asked for, none configured.
        n = chapStarted(s);
        id = challenge(n, challenge);
        assertEquals(LoginStatus.AUTHENTICATION_FAILURE, n.process(request(true, 0, 1, keys("CHAP_N", "alice", "CHAP_R",
                Chap.hex(Chap.response(id, "alice-secret-123", challenge[0])), "CHAP_I", "1", "CHAP_C", "0x0102"))).status());
        // The target's own challenge reflected back.
        TargetSettings m = settings("alice", "alice-secret-123", "tgt", "target-secret-456");
        n = chapStarted(m);
        id = challenge(n, challenge);
        assertEquals(LoginStatus.AUTHENTICATION_FAILURE, n.process(request(true, 0, 1, keys("CHAP_N", "alice", "CHAP_R",
                Chap.hex(Chap.response(id, "alice-secret-123", challenge[0])), "CHAP_I", "1",
                "CHAP_C", Chap.hex(challenge[0])))).status());
        // No MD5 among the algorithms.
        n = chapStarted(s);
        assertEquals(LoginStatus.AUTHENTICATION_FAILURE, n.process(request(false, 0, 1, keys("CHAP_A", "6,7"))).status());
    }

    private static LoginNegotiator chapStarted(TargetSettings s) {
        LoginNegotiator n = negotiator(s, List.of());
        assertEquals(0, n.process(request(true, 0, 1, keys("InitiatorName", INITIATOR, "TargetName", TARGET,
                "AuthMethod", "CHAP"))).status());
        return n;
    }

    private static int challenge(LoginNegotiator n, byte[][] out) {
        Map<String, String> a = answer(n.process(request(false, 0, 1, keys("CHAP_A", "5"))));
        out[0] = Chap.decodeBinary(a.get("CHAP_C"));
        return Integer.parseInt(a.get("CHAP_I"));
    }

    @Test
    void chapResponseMatchesRfc1994() throws Exception {
        // MD5(identifier || secret || challenge), computed independently.
        java.security.MessageDigest md5 = java.security.MessageDigest.getInstance("MD5");
        md5.update((byte) 0x2A);
        md5.update("s3cr3t".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        md5.update(new byte[] {9, 8, 7});
        assertArrayEquals(md5.digest(), Chap.response(0x2A, "s3cr3t", new byte[] {9, 8, 7}));
        assertArrayEquals(new byte[] {(byte) 0xAB, 0x01}, Chap.decodeBinary("0xab01"));
        assertArrayEquals(new byte[] {(byte) 0xAB, 0x01}, Chap.decodeBinary("0XAB01"));
        assertNull(Chap.decodeBinary("ab01"));
        assertNull(Chap.decodeBinary("0xzz"));
    }

    @Test
    void continuationIsAnsweredEmptyUntilComplete() {
        LoginNegotiator n = negotiator(TargetSettings.defaults(), List.of());
        byte[] all = TestInitiator.text(keys("InitiatorName", INITIATOR, "TargetName", TARGET, "HeaderDigest", "None"));
        byte[] first = java.util.Arrays.copyOf(all, 20);
        byte[] rest = java.util.Arrays.copyOfRange(all, 20, all.length);
        LoginNegotiator.Reply r1 = n.process(new LoginNegotiator.Request(false, true, 1, 3, 0, 0, first));
        assertEquals(0, r1.status());
        assertEquals(0, r1.text().length);
        assertFalse(r1.transit());
        LoginNegotiator.Reply r2 = n.process(new LoginNegotiator.Request(true, false, 1, 3, 0, 0, rest));
        assertTrue(r2.enterFullFeature());
        assertEquals("None", answer(r2).get("HeaderDigest"));
    }
}
