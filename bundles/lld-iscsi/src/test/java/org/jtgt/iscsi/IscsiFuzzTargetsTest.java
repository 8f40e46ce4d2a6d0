package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import org.jtgt.api.target.TargetInfo;

/**
 * Coverage-guided fuzz targets (Jazzer) for what the iSCSI driver reads from an initiator: PDU
 * framing with AHS and digests, the key=value text of Login and Text PDUs with key negotiation,
 * and the login state machine fed whole login requests. Under {@code mvn verify} each target runs
 * over the inputs in {@code IscsiFuzzTargetsTestInputs/<method>/}; with {@code JAZZER_FUZZ=1} (see
 * {@code scripts/fuzz-long.sh}) one target is fuzzed.
 *
 * <p>Each target checks more than "no exception": a decoder returns a consistent result or throws
 * its documented checked exception, never an unchecked one; lengths are bounded before anything
 * is read; every login request gets a well-formed answer; CHAP is never bypassed.
 */
class IscsiFuzzTargetsTest {
    private static final String TARGET = "iqn.2026-11.org.jtgt:t";
    private static final String SECRET = "fuzz-secret-0123";

    /**
     * A stream of PDUs framed by {@link PduDecoder}, read in chunks of a size the input chooses.
     * The first two bytes set the decoder's phase, digests and limit; the rest is the stream.
     */
    @FuzzTest(maxDuration = "")
    void pduFraming(byte[] input) throws IOException {
        if (input.length < 2) {
            return;
        }
        int mode = input[0] & 0xFF;
        int limit = 512 << (input[1] & 7);              // 512 .. 64 KiB
        boolean headerDigest = (mode & 1) != 0;
        boolean dataDigest = (mode & 2) != 0;
        boolean login = (mode & 4) != 0;
        boolean place = (mode & 8) != 0;
        int chunk = 1 + (mode >>> 4) * 7;                 // 1 .. 106 bytes per read
        PduDecoder decoder = new PduDecoder(64 * 1024, TargetSettings.LOGIN_DATA_SEGMENT_LENGTH);
        if (!login) {
            decoder.fullFeaturePhase();
            decoder.limit(limit);
        }
        decoder.digests(headerDigest, dataDigest);
        int expectedLimit = login ? TargetSettings.LOGIN_DATA_SEGMENT_LENGTH : Math.min(limit, 64 * 1024);
        assertEquals(expectedLimit, decoder.limit());

        ChunkedChannel channel = new ChunkedChannel(input, 2, chunk);
        ByteBuffer placed = ByteBuffer.allocate(4 + 64 * 1024);
        PduDecoder.Placement placement = place ? (h, length) -> placed.clear().position(4).limit(4 + length) : null;
        CRC32C crc = new CRC32C();
        for (int pdus = 0; pdus < 64; pdus++) {
            // Decoded so far: what the decoder took from the channel less what it holds read ahead.
            int before = channel.consumed() - decoder.readAheadBytes();
            try {
                decoder.read(channel, placement);
            } catch (EOFException e) {
                assertEquals(PduDecoder.State.BAD_MESSAGE, decoder.state());
                assertTrue(channel.atEnd(), "EOF only at the end of the stream");
                return;
            } catch (PduDecoder.FramingException e) {
                assertEquals(PduDecoder.State.BAD_MESSAGE, decoder.state());
                assertThrowsFraming(decoder, channel);
                return;
            }
            assertEquals(PduDecoder.State.COMPLETE, decoder.state());
            ByteBuffer h = decoder.header();
            int ahs = decoder.ahsLength();
            int data = decoder.dataLength();
            assertEquals(Bhs.totalAhsLength(h), ahs);
            assertEquals(Bhs.dataSegmentLength(h), data);
            assertTrue(ahs >= 0 && ahs <= Bhs.MAX_AHS_LENGTH, "AHS length " + ahs);
            assertTrue(data >= 0 && data <= decoder.limit(), "data segment of " + data + " over the limit " + decoder.limit());
            if (login) {
                assertEquals(Bhs.LOGIN_REQUEST, Bhs.opcode(h));
            }
            if (ahs > 0) {
                assertEquals(Bhs.SCSI_COMMAND, Bhs.opcode(h), "AHS only on a SCSI Command");
            }
            int digests = (headerDigest ? Bhs.DIGEST_LENGTH : 0) + (dataDigest && data > 0 ? Bhs.DIGEST_LENGTH : 0);
            assertEquals(Bhs.LENGTH + ahs + data + Digests.padding(data) + digests,
                    channel.consumed() - decoder.readAheadBytes() - before, "bytes consumed by one PDU");
            if (headerDigest) {
                assertEquals(Digests.crc32c(crc, h, 0, Bhs.LENGTH + ahs), Digests.get(h, Bhs.LENGTH + ahs),
                        "a PDU with a wrong header digest was accepted");
            }
            if (data > 0) {
                byte[] segment = decoder.dataBytes();
                int at = 2 + before + Bhs.LENGTH + ahs + (headerDigest ? Bhs.DIGEST_LENGTH : 0);
                assertArrayEquals(Arrays.copyOfRange(input, at, at + data), segment, "data segment");
                assertEquals(place, !decoder.dataInOwnBuffer());
            }
            if (!dataDigest || data == 0) {
                assertTrue(decoder.dataDigestOk());
            }
        }
    }

    private static void assertThrowsFraming(PduDecoder decoder, ChunkedChannel channel) throws IOException {
        try {
            decoder.read(channel, null);
            fail("a decoder in BAD_MESSAGE decoded another PDU");
        } catch (PduDecoder.FramingException expected) {
            assertEquals(PduDecoder.State.BAD_MESSAGE, decoder.state());
        }
    }

    /**
     * The text of a Login or Text data segment, parsed and every key negotiated as the operational
     * stage does: parsing returns pairs within the RFC's limits or throws its FormatException;
     * negotiation answers each key once and leaves the session parameters within their ranges.
     */
    @FuzzTest(maxDuration = "")
    void textNegotiation(byte[] input) {
        List<TextParameters.Pair> pairs;
        try {
            pairs = TextParameters.parse(input, input.length);
        } catch (TextParameters.FormatException e) {
            assertNotNull(e.getMessage());
            return;
        }
        SessionParameters params = new SessionParameters();
        Negotiation negotiation = new Negotiation(TargetSettings.defaults(), params);
        TextParameters answer = new TextParameters();
        for (TextParameters.Pair p : pairs) {
            byte[] key = p.key().getBytes(StandardCharsets.UTF_8);
            assertTrue(key.length > 0 && key.length <= TextParameters.MAX_KEY_LENGTH, p.key());
            assertTrue(p.value().getBytes(StandardCharsets.UTF_8).length <= TextParameters.MAX_VALUE_LENGTH * 3);
            int before = answer.pairs().size();
            boolean declaredBefore = negotiation.declaredOwnMaxRecv();
            boolean known = negotiation.negotiate(p.key(), p.value(), answer);
            int added = answer.pairs().size() - before;
            if (known && p.key().equals("MaxRecvDataSegmentLength") && negotiation.declaredOwnMaxRecv() && added == 0) {
                // Declarative: a repeat is recorded without an answer once ours was declared.
                assertTrue(declaredBefore, "MaxRecvDataSegmentLength unanswered the first time");
            } else if (known) {
                assertTrue(added >= 1 && added <= 2, added + " answers to " + p.key());
                assertEquals(p.key(), answer.pairs().get(before).key());
            } else {
                assertEquals(0, added, "unknown key " + p.key() + " answered by negotiate");
            }
        }
        assertTrue(params.initiatorMaxRecvDataSegmentLength >= TargetSettings.MIN_LENGTH
                && params.initiatorMaxRecvDataSegmentLength <= TargetSettings.MAX_LENGTH);
        assertTrue(params.maxBurstLength >= TargetSettings.MIN_LENGTH && params.maxBurstLength <= TargetSettings.MAX_LENGTH);
        assertTrue(params.firstBurstLength >= TargetSettings.MIN_LENGTH && params.firstBurstLength <= TargetSettings.MAX_LENGTH);
        assertTrue(params.effectiveFirstBurstLength() <= params.maxBurstLength);
        assertTrue(params.maxOutstandingR2T >= 1 && params.maxOutstandingR2T <= 65535);
        assertTrue(params.defaultTime2Wait >= 0 && params.defaultTime2Wait <= 3600);
        assertTrue(params.defaultTime2Retain >= 0 && params.defaultTime2Retain <= 3600);
        assertEquals(1, params.maxConnections);
        assertEquals(0, params.errorRecoveryLevel);
        // The answer is itself well-formed text.
        byte[] out = answer.toBytes();
        try {
            assertEquals(answer.pairs().size(), TextParameters.parse(out, out.length).size());
        } catch (TextParameters.FormatException e) {
            fail("answer is not well-formed: " + e.getMessage());
        }
    }

    /**
     * A login of up to 12 requests with fuzzed header fields and text, against a target that
     * requires CHAP or one that does not. Every request gets a well-formed answer with a known
     * status; a failure ends the login; the full feature phase is reached only through valid stage
     * transitions, and with CHAP only after the harness computed the response from the real secret.
     */
    @FuzzTest(maxDuration = "")
    void loginNegotiation(FuzzedDataProvider in) {
        boolean chap = in.consumeBoolean();
        TargetSettings d = TargetSettings.defaults();
        TargetSettings settings = new TargetSettings(d.portalGroupTag(), chap ? "user" : "", chap ? SECRET : "",
                chap ? "target" : "", chap ? "mutual-secret-01" : "", d.maxRecvDataSegmentLength(), d.maxBurstLength(),
                d.firstBurstLength(), d.initialR2T(), d.immediateData(), d.maxOutstandingR2T(), d.defaultTime2Wait(),
                d.defaultTime2Retain(), d.window(), d.immediateCommands(), d.loginTimeoutMillis(), d.nopInIntervalMillis(),
                d.nopInTimeoutMillis(), d.stalledWriteMillis(), d.allocateTimeoutMillis(), "alias");
        LoginNegotiator n = new LoginNegotiator(settings,
                name -> name.equals(TARGET) ? new TargetInfo(TARGET, List.of(), List.of(), 0) : null);
        String challenge = null;
        int identifier = -1;
        boolean answeredWithSecret = false;
        int stage = -1;
        StringBuilder trace = new StringBuilder(chap ? "CHAP required;" : "no CHAP;");
        for (int i = 0; i < 12 && in.remainingBytes() > 0; i++) {
            int flags = in.consumeInt(0, 255);
            byte[] text = text(in, challenge, identifier);
            if (text == null) {
                text = in.consumeBytes(in.consumeInt(0, 600));
            } else if (challenge != null && new String(text, StandardCharsets.UTF_8).contains("CHAP_R=")) {
                answeredWithSecret = true;
            }
            LoginNegotiator.Request request = new LoginNegotiator.Request((flags & 0x80) != 0, (flags & 0x40) != 0,
                    (flags >> 2) & 3, flags & 3, in.consumeInt(0, 2), in.consumeInt(0, 1), text);
            LoginNegotiator.Reply reply = n.process(request);
            assertNotNull(reply);
            trace.append(" request T=").append(request.transit()).append(" C=").append(request.cont())
                    .append(" CSG=").append(request.csg()).append(" NSG=").append(request.nsg())
                    .append(" min=").append(request.versionMin()).append(" -> reply T=").append(reply.transit())
                    .append(" CSG=").append(reply.csg()).append(" NSG=").append(reply.nsg())
                    .append(" status=").append(Integer.toHexString(reply.status())).append(';');
            assertTrue(KNOWN_STATUS.contains(reply.status()), "status " + Integer.toHexString(reply.status()) + trace);
            assertTrue(reply.csg() == LoginNegotiator.STAGE_SECURITY || reply.csg() == LoginNegotiator.STAGE_OPERATIONAL,
                    "CSG " + reply.csg() + ":" + trace);
            assertTrue(reply.text().length <= TargetSettings.LOGIN_DATA_SEGMENT_LENGTH);
            Map<String, String> keys;
            try {
                keys = new java.util.LinkedHashMap<>();
                for (TextParameters.Pair p : TextParameters.parse(reply.text(), reply.text().length)) {
                    keys.put(p.key(), p.value());
                }
            } catch (TextParameters.FormatException e) {
                throw new AssertionError("malformed login answer", e);
            }
            if (reply.failed()) {
                assertFalse(reply.transit());
                assertFalse(reply.enterFullFeature());
                assertNotNull(reply.reason());
                return;   // the connection closes
            }
            if (stage >= 0 && !reply.transit()) {
                assertEquals(stage, reply.csg(), "the stage moved without a transit:" + trace);
            }
            if (reply.transit()) {
                assertTrue(reply.nsg() > reply.csg(), "transit backwards: " + reply.csg() + " -> " + reply.nsg());
                assertTrue(reply.nsg() == 1 || reply.nsg() == 3);
                stage = reply.nsg();
            } else {
                stage = reply.csg();
            }
            assertEquals(reply.transit() && reply.nsg() == 3, reply.enterFullFeature());
            if (reply.enterFullFeature()) {
                if (chap) {
                    assertTrue(answeredWithSecret, "full feature phase without a CHAP response computed from the secret");
                    assertEquals("user", n.authenticatedUser());
                }
                return;
            }
            if (keys.containsKey("CHAP_C")) {
                challenge = keys.get("CHAP_C");
                identifier = Integer.parseInt(keys.get("CHAP_I"));
            }
        }
    }

    private static final Set<Integer> KNOWN_STATUS = Set.of(LoginStatus.SUCCESS, LoginStatus.INITIATOR_ERROR,
            LoginStatus.AUTHENTICATION_FAILURE, LoginStatus.AUTHORIZATION_FAILURE, LoginStatus.NOT_FOUND,
            LoginStatus.TARGET_REMOVED, LoginStatus.UNSUPPORTED_VERSION, LoginStatus.TOO_MANY_CONNECTIONS,
            LoginStatus.MISSING_PARAMETER, LoginStatus.CANT_INCLUDE_IN_SESSION, LoginStatus.SESSION_TYPE_NOT_SUPPORTED,
            LoginStatus.SESSION_DOES_NOT_EXIST, LoginStatus.INVALID_DURING_LOGIN, LoginStatus.TARGET_ERROR,
            LoginStatus.SERVICE_UNAVAILABLE, LoginStatus.OUT_OF_RESOURCES);

    private static final String[] KEYS = {"InitiatorName", "TargetName", "SessionType", "AuthMethod", "CHAP_A", "CHAP_N",
        "CHAP_R", "CHAP_I", "CHAP_C", "HeaderDigest", "DataDigest", "MaxRecvDataSegmentLength", "MaxBurstLength",
        "FirstBurstLength", "InitialR2T", "ImmediateData", "MaxOutstandingR2T", "ErrorRecoveryLevel", "MaxConnections",
        "DefaultTime2Wait", "DefaultTime2Retain", "IFMarker", "OFMarkInt", "InitiatorAlias", "X-com.example.Foo"};
    private static final String[] VALUES = {"iqn.2026-11.org.jtgt:i", TARGET, "Normal", "Discovery", "CHAP", "None",
        "CHAP,None", "5", "7", "user", "None,CRC32C", "CRC32C", "Yes", "No", "512", "65536", "0x10000", "16777215",
        "16777216", "0", "1", "3600", "2048~8192", "0b", "0xz"};

    /**
     * Login text built from known keys and values when the input's next byte is even (so the
     * fuzzer reaches the deeper states quickly); null for raw bytes. With a pending challenge it
     * may answer with the response computed from the real secret.
     */
    private static byte[] text(FuzzedDataProvider in, String challenge, int identifier) {
        if (in.consumeBoolean()) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        int count = in.consumeInt(0, 8);
        for (int i = 0; i < count; i++) {
            String key = KEYS[in.consumeInt(0, KEYS.length - 1)];
            String value = in.consumeBoolean() ? VALUES[in.consumeInt(0, VALUES.length - 1)] : in.consumeAsciiString(24);
            sb.append(key).append('=').append(value).append('\0');
        }
        if (challenge != null && in.consumeBoolean()) {
            byte[] c = Chap.decodeBinary(challenge);
            String name = in.consumeBoolean() ? "user" : "other";
            sb.append("CHAP_N=").append(name).append('\0')
                    .append("CHAP_R=0x").append(Chap.hex(Chap.response(identifier, SECRET, c))).append('\0');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
