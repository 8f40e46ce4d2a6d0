package org.jtgt.fc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;

import org.jtgt.api.fc.initiator.FcInitiator;
import org.jtgt.fc.wire.CtIu;
import org.jtgt.fc.wire.Els;
import org.jtgt.fc.wire.FcFrameHeader;
import org.jtgt.fc.wire.FcipFraming;
import org.jtgt.fc.wire.FcipHeader;
import org.jtgt.fc.wire.Fcp;
import org.junit.jupiter.api.AfterAll;

/**
 * Coverage-guided fuzz targets (Jazzer) for what the FC driver reads from an FCIP link: the
 * framing of the byte stream, the name server's CT_IU requests, and ELS and FCP_CMND payloads
 * sent by a logged-in N_Port to a running target. Under {@code mvn verify} each target runs over
 * the inputs in {@code FcFuzzTargetsTestInputs/<method>/}; see {@code scripts/fuzz-long.sh}.
 */
class FcFuzzTargetsTest {
    private static final int T = FcFabric.TARGET_PORT_ID;
    private static FcFixture fixture;

    @AfterAll
    static void stop() throws IOException {
        if (fixture != null) {
            fixture.close();
            fixture = null;
        }
    }

    /**
     * An FCIP byte stream: {@link FcipFraming#read} hands out frames whose lengths lie inside the
     * receive buffer and that encode back to the same fields, returns null only at a clean end,
     * and otherwise throws EOFException or BadFrameException; after a lost stream every read
     * throws a lost-stream BadFrameException.
     */
    @FuzzTest(maxDuration = "")
    void fcipStream(byte[] input) throws IOException {
        FcipFraming framing = new FcipFraming(new ByteArrayInputStream(input));
        boolean lost = false;
        for (int i = 0; i < 32; i++) {
            FcipFraming.Frame f;
            try {
                f = framing.read();
            } catch (EOFException e) {
                assertFalse(lost);
                return;
            } catch (FcipFraming.BadFrameException e) {
                assertTrue(!lost || e.streamLost(), "a lost stream stays lost");
                lost |= e.streamLost();
                continue;
            }
            assertFalse(lost, "a frame after the stream was lost");
            if (f == null) {
                return;
            }
            if (f.special()) {
                assertEquals(FcipHeader.FSF_BYTES, f.specialFrameCopy().length);
                continue;
            }
            int n = f.payloadLength();
            assertTrue(n >= 0 && n <= FcipHeader.MAX_PAYLOAD, "payload length " + n);
            assertTrue(f.payloadOffset() + n <= f.buffer.capacity());
            assertTrue(FcipHeader.isSof(f.sof()) && FcipHeader.isEof(f.eof()));
            byte[] payload = f.payloadCopy();
            // What was accepted encodes back to a frame that reads the same.
            int fill = f.fCtl() & FcFrameHeader.F_CTL_FILL_MASK;
            byte[] again = FcipFraming.encode(f.rCtl(), f.dId(), f.sId(), f.type(), f.fCtl() & ~FcFrameHeader.F_CTL_FILL_MASK,
                    f.seqId(), f.oxId(), f.rxId(), f.parameter(), payload);
            FcipFraming.Frame g;
            try {
                g = new FcipFraming(new ByteArrayInputStream(again)).read();
            } catch (FcipFraming.BadFrameException e) {
                throw new AssertionError("re-encoded frame (fill " + fill + ") refused: " + e.getMessage(), e);
            }
            assertNotNull(g);
            assertEquals(f.toString(), g.toString());
            assertTrue(Arrays.equals(payload, g.payloadCopy()));
        }
    }

    /**
     * A CT_IU request to the name server from a logged-in port (payload from the input): the
     * answer is always a CT_IU with FS_ACC or FS_RJT, and an accepted GID_FT lists logged-in
     * ports with the last entry flagged.
     */
    @FuzzTest(maxDuration = "")
    void nameServer(byte[] input) throws IOException {
        FcFabric fabric = new FcFabric(8, 0x2100_0000_0000_0001L, 0x2000_0000_0000_0001L);
        Object link = new Object();
        int a = fabric.login(0x1000_0000_0000_0001L, 0x2000_0000_0000_0002L, link);
        int b = fabric.login(0x1000_0000_0000_0002L, 0x2000_0000_0000_0003L, link);
        assertTrue(a > 0 && b > 0);
        byte[] payload = Arrays.copyOf(input, Math.min(input.length, FcipHeader.MAX_PAYLOAD));
        byte[] frame = FcipFraming.encode(FcFrameHeader.R_CTL_UNSOL_CONTROL, FcFrameHeader.DIRECTORY_SERVER, a,
                FcFrameHeader.TYPE_CT, FcFrameHeader.F_CTL_REQUEST, 0, 1, FcFrameHeader.UNASSIGNED_ID, 0, payload);
        FcipFraming.Frame f;
        try {
            f = new FcipFraming(new ByteArrayInputStream(frame)).read();
        } catch (FcipFraming.BadFrameException e) {
            throw new AssertionError(e);
        }
        byte[] rsp = fabric.nameServer(a, f);
        assertTrue(rsp.length >= CtIu.PREAMBLE_LENGTH && rsp.length <= CtIu.PREAMBLE_LENGTH + 4 * 8,
                "CT_IU of " + rsp.length + " bytes");
        ByteBuffer r = ByteBuffer.wrap(rsp);
        assertEquals(CtIu.REVISION, r.get(0));
        assertEquals((byte) CtIu.GS_TYPE_DIRECTORY, r.get(4));
        assertEquals(CtIu.GS_SUBTYPE_NAME_SERVER, r.get(5));
        int code = r.getShort(CtIu.COMMAND_OFFSET) & 0xFFFF;
        assertTrue(code == CtIu.FS_ACC || code == CtIu.FS_RJT, "CT code " + Integer.toHexString(code));
        if (code == CtIu.FS_ACC && rsp.length > CtIu.PREAMBLE_LENGTH) {
            int entries = (rsp.length - CtIu.PREAMBLE_LENGTH) / 4;
            for (int i = 0; i < entries; i++) {
                int e = r.getInt(CtIu.PREAMBLE_LENGTH + 4 * i);
                assertEquals(i == entries - 1, e < 0, "last-entry flag");
                int id = e & 0xFFFFFF;
                assertTrue(id == a || id == b || id == T, "unknown port " + Integer.toHexString(id));
            }
        }
    }

    private static final int[] ELS = {Els.PLOGI, Els.FLOGI, Els.LOGO, Els.PRLI, Els.PRLO, Els.FDISC, 0x10, 0x52};

    /**
     * A logged-in N_Port sends up to four frames to a running target: ELS requests to the target
     * port or the fabric login server (a known command or any byte, then fuzzed bytes) or
     * FCP_CMND frames with a fuzzed payload. Every ELS request is answered (LS_ACC or LS_RJT),
     * and a well-framed frame never costs the link: afterwards the target port still answers an
     * ELS (an unknown command, which it rejects).
     */
    @FuzzTest(maxDuration = "")
    void elsAndFcp(FuzzedDataProvider in) throws Exception {
        if (fixture == null) {
            fixture = new FcFixture(1 << 20);
        }
        // The target listens on loopback: connecting to it is the point, not a forged request.
        try (SilentCloseable loopback = BugDetectors.allowNetworkConnections(
                (host, port) -> host.equals("localhost") || host.equals("127.0.0.1"));
                FcInitiator i = fixture.login()) {
            i.timeoutMillis = 5_000;
            for (int k = 0; k < 4 && in.remainingBytes() > 0; k++) {
                int kind = in.consumeInt(0, 2);
                int command = in.consumeBoolean() ? ELS[in.consumeInt(0, ELS.length - 1)] : in.consumeInt(0, 255);
                byte[] rest = in.consumeBytes(in.consumeInt(0, 300));
                byte[] payload = new byte[Math.max(4, 1 + rest.length)];
                payload[0] = (byte) command;
                System.arraycopy(rest, 0, payload, 1, rest.length);
                String what = "frame " + k + " kind " + kind + " payload " + hex(payload);
                if (kind == 2) {
                    i.sendRaw(FcipFraming.encode(FcFrameHeader.R_CTL_UNSOL_COMMAND, T, i.portId(), FcFrameHeader.TYPE_FCP,
                            FcFrameHeader.F_CTL_REQUEST, 0, i.nextOxId(), FcFrameHeader.UNASSIGNED_ID, 0, payload));
                    continue;
                }
                int did = kind == 0 ? T : FcFrameHeader.FABRIC_LOGIN_SERVER;
                FcInitiator.Reply reply = i.els(did, payload);
                assertNotNull(reply, what + ": no answer");
                assertTrue(reply.payload().length > 0, what + ": empty answer");
                int code = reply.payload()[0] & 0xFF;
                assertTrue(code == Els.LS_ACC || code == Els.LS_RJT, what + ": answer " + code);
                if (kind == 1 && command == Els.LOGO && code == Els.LS_ACC) {
                    return;   // the port left the fabric: its frames are dropped from now on
                }
                if (kind == 1 && (command == Els.FLOGI || command == Els.FDISC) && code == Els.LS_ACC) {
                    return;   // a new fabric login: the port may have another id now
                }
            }
            FcInitiator.Reply ping = i.els(T, new byte[] {0x7F, 0, 0, 0});
            assertNotNull(ping, "target port silent after the fuzzed frames");
            assertEquals(Els.LS_RJT, ping.payload()[0] & 0xFF);
            assertTrue(i.isOpen());
        }
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x));
        }
        return s.toString();
    }
}
