package org.jtgt.fc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import org.jtgt.api.fc.initiator.FcInitiator;
import org.jtgt.fc.wire.Els;
import org.jtgt.fc.wire.FcFrameHeader;
import org.jtgt.fc.wire.FcipFraming;
import org.jtgt.fc.wire.FcipHeader;
import org.jtgt.fc.wire.Fcp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Malformed input: each bad frame is dropped or rejected, counted, and the link (or, for an
 * unframeable stream, every other link) goes on serving.
 */
@Timeout(60)
class FcBadFrameTest {
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


    private static void assertStillWorks(FcInitiator i) throws Exception {
        FcInitiator.ScsiResult r = i.command(T, 0, FcIoTest.rw10(0x28, 0, 1), null, FcFixture.BLOCK);
        assertEquals(0, r.status());
        assertTrue(i.isOpen());
    }

    private static int dropped() {
        return fixture.connections().stream().mapToInt(FcLink::droppedFrames).sum();
    }

    private static byte[] toTarget(FcInitiator i, int rCtl, int type, int oxId, byte[] payload) {
        return FcipFraming.encode(rCtl, T, i.portId(), type, FcFrameHeader.F_CTL_REQUEST, 0, oxId,
                FcFrameHeader.UNASSIGNED_ID, 0, payload);
    }

    private static void awaitDropped(int atLeast) throws InterruptedException {
        FcLoginTest.eventually(() -> dropped() >= atLeast, "frame counted as dropped");
    }

    @Test
    void badCrcFrameIsDroppedAndTheLinkGoesOn() throws Exception {
        try (FcInitiator i = fixture.login()) {
            int before = dropped();
            byte[] f = toTarget(i, FcFrameHeader.R_CTL_UNSOL_COMMAND, FcFrameHeader.TYPE_FCP, i.nextOxId(),
                    Fcp.command(0, org.jtgt.api.event.TaskAttribute.SIMPLE, 0, new byte[6], false, false, 0));
            f[FcipHeader.FRAME_OFFSET + 30] ^= 0x10;
            i.sendRaw(f);
            awaitDropped(before + 1);
            assertStillWorks(i);
        }
    }

    @Test
    void unknownRctlAndDataForUnknownExchangeAreDropped() throws Exception {
        try (FcInitiator i = fixture.login()) {
            int before = dropped();
            i.sendRaw(toTarget(i, 0x44, FcFrameHeader.TYPE_FCP, i.nextOxId(), new byte[8]));
            i.sendRaw(toTarget(i, FcFrameHeader.R_CTL_DATA, FcFrameHeader.TYPE_FCP, 0x6666, new byte[512]));
            awaitDropped(before + 2);
            assertStillWorks(i);
        }
    }

    @Test
    void frameFromAPortWithoutFabricLoginIsDropped() throws Exception {
        try (FcInitiator i = fixture.login()) {
            int before = dropped();
            i.sendRaw(FcipFraming.encode(FcFrameHeader.R_CTL_ELS_REQUEST, T, 0x01EE00, FcFrameHeader.TYPE_ELS,
                    FcFrameHeader.F_CTL_REQUEST, 0, 0x10, FcFrameHeader.UNASSIGNED_ID, 0,
                    Els.prli(Els.PRLI, Els.PRLI_ESTABLISH_IMAGE_PAIR, Els.FCP_INITIATOR_FUNCTION)));
            awaitDropped(before + 1);
            assertStillWorks(i);
        }
    }

    @Test
    void commandWithoutPrliIsDroppedAndShortCommandIsRejected() throws Exception {
        try (FcInitiator i = fixture.connect()) {
            i.flogi();
            int before = dropped();
            FcInitiator.Exchange x = i.submit(T, 0, new byte[6], null, 0, org.jtgt.api.event.TaskAttribute.SIMPLE);
            awaitDropped(before + 1);
            assertTrue(!x.result().isDone());
        }
        try (FcInitiator i = fixture.login()) {
            int unexpected = i.unexpectedFrames();
            // 12 bytes cannot hold a CDB and FCP_DL: FCP_RSP with RSP_CODE "FCP_CMND fields invalid"
            i.sendRaw(toTarget(i, FcFrameHeader.R_CTL_UNSOL_COMMAND, FcFrameHeader.TYPE_FCP, 0x5555, new byte[12]));
            FcLoginTest.eventually(() -> i.unexpectedFrames() > unexpected, "an FCP_RSP for the bad command");
            assertStillWorks(i);
        }
    }

    @Test
    void specialFrameFirstIsEchoedLaterIsDropped() throws Exception {
        try (FcInitiator i = fixture.connect()) {
            assertTrue(i.specialFrame(0x1000000000000abcL, 0x5eedL), "FSF echoed unchanged");
            fixture.login(i);
            int before = dropped();
            i.sendRaw(FcipHeader.specialFrame(0x1000000000000abcL, 0, 1, FcipHeader.FSF_USAGE_CLASS3, 0, 0, 10_000));
            awaitDropped(before + 1);
            assertStillWorks(i);
            assertEquals(0, i.unexpectedFrames(), "no second echo");
        }
    }

    @Test
    void unframeableStreamEndsOnlyItsOwnLink() throws Exception {
        try (FcInitiator good = fixture.login(); FcInitiator bad = fixture.connect()) {
            bad.flogi();
            byte[] garbage = new byte[64];
            ByteBuffer.wrap(garbage).putInt(0, 0x01010000);   // protocol 1, complements wrong
            bad.sendRaw(garbage);
            FcLoginTest.eventually(() -> !bad.isOpen(), "the bad link closed");
            assertStillWorks(good);
        }
    }

    @Test
    void wrongFrameLengthComplementEndsTheLink() throws Exception {
        try (FcInitiator good = fixture.login(); FcInitiator bad = fixture.login()) {
            byte[] f = toTarget(bad, FcFrameHeader.R_CTL_UNSOL_COMMAND, FcFrameHeader.TYPE_FCP, 0x10, new byte[32]);
            f[FcipHeader.FLAGS_LENGTH_N_OFFSET + 1] ^= 1;
            bad.sendRaw(f);
            FcLoginTest.eventually(() -> !bad.isOpen(), "the bad link closed");
            assertStillWorks(good);
        }
    }

    @Test
    void badFramesDoNotDisturbAnOpenExchange() throws Exception {
        try (FcInitiator i = fixture.login()) {
            byte[] data = new byte[4 * FcFixture.BLOCK];
            new java.util.Random(11).nextBytes(data);
            FcInitiator.Exchange x = i.submit(T, 0, FcIoTest.rw10(0x2A, 100, 4), data, 0,
                    org.jtgt.api.event.TaskAttribute.SIMPLE, true);
            FcLoginTest.eventually(() -> i.xferRdyHeld(x), "FCP_XFER_RDY");
            int before = dropped();
            byte[] badCrc = toTarget(i, FcFrameHeader.R_CTL_DATA, FcFrameHeader.TYPE_FCP, x.oxId(), new byte[512]);
            badCrc[FcipHeader.FRAME_OFFSET + FcFrameHeader.LENGTH + 7] ^= 1;
            i.sendRaw(badCrc);
            // data at an offset that does not continue the exchange's data: dropped, exchange intact
            i.sendRaw(FcipFraming.encode(FcFrameHeader.R_CTL_DATA, T, i.portId(), FcFrameHeader.TYPE_FCP,
                    FcFrameHeader.F_CTL_RELATIVE_OFFSET, 0, x.oxId(), 0, 1024, new byte[512]));
            i.sendRaw(toTarget(i, 0x44, FcFrameHeader.TYPE_FCP, x.oxId(), new byte[8]));
            awaitDropped(before + 3);
            i.releaseWriteData(x);
            assertEquals(0, i.await(x).status());
            FcInitiator.ScsiResult r = i.command(T, 0, FcIoTest.rw10(0x28, 100, 4), null, data.length);
            org.junit.jupiter.api.Assertions.assertArrayEquals(data, r.data());
        }
    }

    @Test
    void shortElsPayloadsAreRejected() throws Exception {
        try (FcInitiator i = fixture.connect()) {
            i.flogi();
            FcInitiator.Reply plogi = i.els(T, new byte[] {Els.PLOGI, 0, 0, 0, 0x20, 0x20});
            assertEquals(Els.RJT_PROTOCOL_ERROR, plogi.rejectReason());
            assertTrue(i.plogi(T).accepted());
            FcInitiator.Reply prli = i.els(T, new byte[] {Els.PRLI, 0x10, 0, 8});
            assertEquals(Els.RJT_PROTOCOL_ERROR, prli.rejectReason());
            assertTrue(i.prli(T).accepted());
        }
    }
}
