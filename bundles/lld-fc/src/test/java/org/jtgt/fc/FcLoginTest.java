package org.jtgt.fc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.jtgt.api.fc.initiator.FcInitiator;
import org.jtgt.fc.wire.CtIu;
import org.jtgt.fc.wire.Els;
import org.jtgt.fc.wire.FcFrameHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Fabric login, name server, port login, process login and logout against the real host path. */
@Timeout(60)
class FcLoginTest {
    private static final int T = FcFabric.TARGET_PORT_ID;
    private static FcFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = new FcFixture(1 << 20);
    }

    @AfterAll
    static void stop() throws Exception {
        fixture.close();
    }

    /**
     * The links of the test before close asynchronously (the reader tears down its nexuses): wait
     * for them, so the nexus counts a test starts from are settled.
     */
    @BeforeEach
    void earlierLinksGone() throws InterruptedException {
        eventually(() -> fixture.connections().isEmpty() && fixture.nexusCount() == 0, "links of earlier tests gone");
    }

    static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 5 s: " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void loginSequenceCreatesAndEndsOneNexus() throws Exception {
        int before = fixture.nexusCount();
        try (FcInitiator i = fixture.connect()) {
            int id = i.flogi();
            assertEquals(FcFabric.DOMAIN, id >>> 16, "N_Port ID in the fabric's domain");
            assertNotEquals(T, id);
            List<Integer> targets = i.discoverTargets();
            assertEquals(List.of(T), targets);

            FcInitiator.Reply plogi = i.plogi(T);
            assertTrue(plogi.accepted());
            assertEquals(0x500140a0f1c0e001L, ByteBuffer.wrap(plogi.payload()).getLong(Els.PORT_NAME_OFFSET));

            FcInitiator.Reply prli = i.prli(T);
            assertTrue(prli.accepted());
            ByteBuffer p = ByteBuffer.wrap(prli.payload());
            assertEquals(FcFrameHeader.TYPE_FCP, p.get(Els.PRLI_TYPE_OFFSET));
            assertEquals(Els.PRLI_ESTABLISH_IMAGE_PAIR | Els.PRLI_REQUEST_EXECUTED, p.get(Els.PRLI_FLAGS_OFFSET));
            assertTrue((p.getInt(Els.PRLI_SERVICE_OFFSET) & Els.FCP_TARGET_FUNCTION) != 0);
            eventually(() -> fixture.nexusCount() == before + 1, "nexus created");

            FcFixture.clearUnitAttention(i);
            FcInitiator.ScsiResult inq = i.command(T, 0, new byte[] {0x12, 0, 0, 0, 96, 0}, null, 96);
            assertEquals(0, inq.status());
            assertEquals(0, inq.data()[0] & 0x1F, "direct-access block device");
            assertFalse(new String(inq.data(), 8, 8, StandardCharsets.US_ASCII).isBlank());

            assertTrue(i.prlo(T).accepted());
            eventually(() -> fixture.nexusCount() == before, "nexus destroyed by PRLO");
            assertTrue(i.prli(T).accepted());
            eventually(() -> fixture.nexusCount() == before + 1, "nexus created again");
            assertTrue(i.logo(T).accepted());
            eventually(() -> fixture.nexusCount() == before, "nexus destroyed by LOGO");
        }
    }

    @Test
    void prliWithoutPlogiIsRejected() throws Exception {
        try (FcInitiator i = fixture.connect()) {
            i.flogi();
            FcInitiator.Reply r = i.prli(T);
            assertFalse(r.accepted());
            assertEquals(Els.RJT_UNABLE, r.rejectReason());
            assertEquals(Els.EXPL_LOGIN_REQUIRED, r.rejectExplanation());
        }
    }

    @Test
    void unknownElsIsRejectedAndTheLinkGoesOn() throws Exception {
        try (FcInitiator i = fixture.login()) {
            FcInitiator.Reply r = i.els(T, new byte[] {0x7E, 0, 0, 0});
            assertEquals(Els.RJT_NOT_SUPPORTED, r.rejectReason());
            assertEquals(0, i.command(T, 0, new byte[6], null, 0).status());
        }
    }

    @Test
    void fabricKeepsAnIdPerPortNameAndClosingTheLinkEndsTheNexus() throws Exception {
        int before = fixture.nexusCount();
        int first;
        try (FcInitiator a = fixture.login(); FcInitiator b = fixture.login()) {
            assertNotEquals(a.portId(), b.portId());
            first = a.portId();
            eventually(() -> fixture.nexusCount() == before + 2, "two nexuses");
            List<Integer> fcp = a.discoverTargets();
            assertTrue(fcp.contains(T) && fcp.contains(b.portId()), "GID_FT lists every port registered for FCP");
            assertEquals(first, a.flogi(), "a second FLOGI with the same WWPN keeps the N_Port ID");
            eventually(() -> fixture.nexusCount() == before + 1, "a new fabric login ends the port's old image pair");
            assertEquals(0, b.command(T, 0, new byte[6], null, 0).status(), "the other port is not disturbed");
        }
        eventually(() -> fixture.nexusCount() == before, "nexuses destroyed when the links closed");
        eventually(() -> fixture.connections().isEmpty(), "links gone");
        eventually(() -> fixture.fc.fabric().portCount() == 1, "fabric logins released");
    }

    @Test
    void nameServerRejectsUnknownCommandsAndUnregisteredTypes() throws Exception {
        try (FcInitiator i = fixture.connect()) {
            i.flogi();
            i.discoverTargets();
            FcInitiator.Reply r = i.nameServer(0x0123, new byte[4]);
            assertFalse(r.accepted());
            FcInitiator.Reply none = i.nameServer(CtIu.GID_FT, new byte[] {0, 0, 0, 0x05});
            assertFalse(none.accepted());
            assertEquals(CtIu.FS_EXPL_TYPES_NOT_REGISTERED, none.payload()[14]);
        }
    }
}
