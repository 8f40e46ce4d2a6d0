package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;

import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.target.TargetInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Raw-bytes tests: a hand-made initiator against the real path (iSCSI driver, host side, shm
 * transport, daemon, memory store). Good PDUs get the right answers; bad ones get a Reject or a
 * closed connection, never a hang, and other sessions keep working.
 */
@Timeout(60)
class RawPduTest {
    private static IscsiFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = new IscsiFixture(64L << 20, Map.of("loginTimeoutSeconds", 2));
    }

    @AfterAll
    static void stop() throws Exception {
        fixture.close();
    }

    private static TestInitiator loggedIn() throws Exception {
        return loggedIn(Map.of());
    }

    private static TestInitiator loggedIn(Map<String, String> keys) throws Exception {
        TestInitiator c = new TestInitiator(fixture.port);
        TestInitiator.Pdu rsp = c.login(IscsiFixture.TARGET, keys);
        assertEquals(0x23, rsp.opcode());
        assertEquals(0, rsp.loginStatus(), "login status");
        assertEquals(0x83 | 1 << 2, rsp.flags(), "T=1, CSG=1, NSG=3");
        assertTrue(rsp.tsih() != 0, "TSIH in the final response");
        return c;
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void loginInquiryWriteReadRoundTrip() throws Exception {
        try (TestInitiator c = loggedIn(Map.of("MaxOutstandingR2T", "4", "MaxBurstLength", "131072"))) {
            TestInitiator.Result inq = c.command(0, TestInitiator.inquiry(96), 96, true, null);
            assertEquals(ScsiStatus.GOOD, inq.status);
            assertEquals(0x00, inq.data[0] & 0x1F, "direct access block device");
            assertTrue(inq.data.length >= 36, "standard INQUIRY data");

            // 1 MiB: immediate data, unsolicited Data-Out up to FirstBurstLength, then R2Ts; the
            // read comes back split at our MaxRecvDataSegmentLength (65536) with phase collapse.
            byte[] data = pattern(1 << 20, 1);
            TestInitiator.Result w = c.command(0, TestInitiator.rw10(true, 100, 2048), data.length, false, data);
            assertEquals(ScsiStatus.GOOD, w.status);
            // 64 KiB immediate (FirstBurstLength) + 960 KiB in 128 KiB bursts, up to 4 R2Ts at once.
            assertEquals(8, w.r2ts, "the rest was solicited with R2Ts of MaxBurstLength");
            TestInitiator.Result r = c.command(0, TestInitiator.rw10(false, 100, 2048), data.length, true, null);
            assertEquals(ScsiStatus.GOOD, r.status);
            assertEquals(16, r.dataInPdus, "1 MiB in 64 KiB segments");
            assertArrayEquals(data, r.data);
            assertEquals(0, r.residualFlags);
        }
    }

    @Test
    void residualsAndSenseComeBack() throws Exception {
        try (TestInitiator c = loggedIn()) {
            // READ of one block with EDTL 10000: underflow of 10000 - 512.
            TestInitiator.Result r = c.command(0, TestInitiator.rw10(false, 0, 1), 10_000, true, null);
            assertEquals(ScsiStatus.GOOD, r.status);
            assertEquals(512, r.data.length);
            assertEquals(0x02, r.residualFlags, "U bit");
            assertEquals(10_000 - 512, r.residual);
            // READ beyond the end: CHECK CONDITION with sense (ILLEGAL REQUEST, LBA out of range).
            TestInitiator.Result bad = c.command(0, TestInitiator.rw10(false, Integer.MAX_VALUE, 1), 512, true, null);
            assertEquals(ScsiStatus.CHECK_CONDITION, bad.status);
            assertTrue(bad.sense.length >= 14, "sense data in the response");
            assertEquals(0x05, bad.sense[2] & 0x0F);
            assertEquals(0x21, bad.sense[12] & 0xFF);
        }
    }

    @Test
    void digestsBothWays() throws Exception {
        try (TestInitiator c = loggedIn(Map.of("HeaderDigest", "CRC32C,None", "DataDigest", "CRC32C"))) {
            assertTrue(c.headerDigest && c.dataDigest);
            byte[] data = pattern(200_000, 2);
            assertEquals(ScsiStatus.GOOD, c.command(0, TestInitiator.rw10(true, 5000, 391), 200_192, false,
                    java.util.Arrays.copyOf(data, 200_192)).status);
            TestInitiator.Result r = c.command(0, TestInitiator.rw10(false, 5000, 391), 200_192, true, null);
            assertEquals(ScsiStatus.GOOD, r.status);
            assertArrayEquals(java.util.Arrays.copyOf(data, 200_192), r.data);
        }
    }

    @Test
    void badHeaderDigestClosesTheConnection() throws Exception {
        try (TestInitiator c = loggedIn(Map.of("HeaderDigest", "CRC32C"))) {
            byte[] h = TestInitiator.header(0x40, 0x80);   // NOP-Out
            ByteBuffer.wrap(h).putInt(16, 7).putInt(20, -1);
            byte[] bytes = new byte[52];
            System.arraycopy(h, 0, bytes, 0, 48);
            bytes[48] = 1;   // not its CRC32C
            c.sendRaw(bytes);
            assertTrue(c.closedByTarget());
        }
    }

    @Test
    void unknownOpcodeIsRejectedAndTheSessionGoesOn() throws Exception {
        try (TestInitiator c = loggedIn()) {
            byte[] h = TestInitiator.header(0x0F, 0x80);
            ByteBuffer.wrap(h).putInt(16, 0x4242);
            c.send(h, new byte[] {1, 2, 3});
            TestInitiator.Pdu reject = c.next();
            assertEquals(0x3F, reject.opcode());
            assertEquals(0x04, reject.byte2(), "protocol error");
            assertEquals(48, reject.data.length, "the rejected header comes back");
            assertEquals(0x0F, reject.data[0] & 0x3F);
            assertEquals(-1, reject.itt());
            assertEquals(ScsiStatus.GOOD, c.command(0, TestInitiator.testUnitReady(), 0, false, null).status);
        }
    }

    /**
     * Data-Out for an ITT that names no task is an invalid PDU field (Reject 09h) and the session
     * goes on; Data-Out for a task the target has just aborted is discarded without a word
     * (RFC 7143 11.5.1).
     */
    @Test
    void dataOutForAnUnknownTaskIsRejectedAndForAnAbortedOneDiscarded() throws Exception {
        try (TestInitiator c = loggedIn()) {
            // More than the connection logs as warnings: every one still gets its Reject.
            for (int i = 0; i < IscsiConnection.BAD_PDU_WARNINGS + 5; i++) {
                c.sendData(0x7777 + i, -1, new byte[512], 0, 512, 0);
                TestInitiator.Pdu reject = c.next();
                assertEquals(0x3F, reject.opcode());
                assertEquals(0x09, reject.byte2(), "invalid PDU field");
                assertEquals(48, reject.data.length, "the rejected header comes back");
                assertEquals(0x05, reject.data[0] & 0x3F, "a Data-Out");
                assertEquals(0x7777 + i, ByteBuffer.wrap(reject.data).getInt(16));
            }

            // A write waiting for its R2T data, aborted; then the data comes anyway.
            c.immediateData = false;
            c.initialR2T = true;
            byte[] h = c.commandHeader(0, TestInitiator.rw10(true, 800, 1), 512, false, true, true);
            int writeItt = c.itt++;
            int writeCmdSn = c.cmdSn++;
            c.send(h, null);
            TestInitiator.Pdu r2t = c.next();
            assertEquals(0x31, r2t.opcode());
            byte[] tmf = TestInitiator.header(0x42, 0x80 | 1);
            ByteBuffer.wrap(tmf).putInt(16, 0x998).putInt(20, writeItt).putInt(24, c.cmdSn).putInt(32, writeCmdSn);
            c.send(tmf, null);
            assertEquals(0x22, c.next().opcode());
            c.sendData(writeItt, r2t.ttt(), new byte[512], 0, 512, 0);
            // The next PDU is the answer to this command: no Reject came for the discarded data.
            assertEquals(ScsiStatus.GOOD, c.command(0, TestInitiator.testUnitReady(), 0, false, null).status);
        }
    }

    @Test
    void loginPduInFullFeaturePhaseIsRejected() throws Exception {
        try (TestInitiator c = loggedIn()) {
            byte[] h = TestInitiator.header(0x43, 0x87);
            ByteBuffer.wrap(h).putInt(16, c.itt);
            c.send(h, TestInitiator.text(Map.of("InitiatorName", TestInitiator.INITIATOR)));
            TestInitiator.Pdu reject = c.next();
            assertEquals(0x3F, reject.opcode());
            assertEquals(0x04, reject.byte2());
            assertEquals(ScsiStatus.GOOD, c.command(0, TestInitiator.testUnitReady(), 0, false, null).status);
        }
    }

    @Test
    void dataSegmentOverTheLimitIsRejectedAndClosed() throws Exception {
        try (TestInitiator c = loggedIn()) {
            byte[] h = TestInitiator.header(0x40, 0x80);   // immediate NOP-Out
            ByteBuffer b = ByteBuffer.wrap(h);
            b.putInt(16, 9).putInt(20, -1);
            b.put(5, (byte) 0x10);   // DataSegmentLength 1 MiB > 262144 declared
            c.sendRaw(h);
            TestInitiator.Pdu reject = c.read();
            assertEquals(0x3F, reject.opcode());
            assertEquals(0x04, reject.byte2());
            assertTrue(c.closedByTarget());
        }
    }

    @Test
    void garbageClosesTheConnectionAndOtherSessionsKeepWorking() throws Exception {
        try (TestInitiator good = loggedIn()) {
            byte[] data = pattern(8192, 3);
            assertEquals(ScsiStatus.GOOD, good.command(0, TestInitiator.rw10(true, 200, 16), 8192, false, data).status);

            byte[] http = ("GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test\r\nAccept: */*\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            // Before login: an HTTP request.
            try (TestInitiator g = new TestInitiator(fixture.port)) {
                g.sendRaw(http);
                assertTrue(g.closedByTarget());
            }
            // After login: the same bytes, then random bytes on a third session.
            try (TestInitiator g = loggedIn()) {
                g.sendRaw(http);
                assertTrue(g.closedByTarget());
            }
            try (TestInitiator g = loggedIn()) {
                byte[] junk = pattern(4096, 4);
                junk[4] = 0;   // no AHS: the junk is framed as a PDU with a huge data segment
                junk[5] = (byte) 0x7F;
                g.sendRaw(junk);
                assertTrue(g.closedByTarget());
            }
            // A client that starts a PDU and stops: closed by the login timeout (2 s here).
            try (TestInitiator g = new TestInitiator(fixture.port)) {
                g.sendRaw(new byte[] {0x43, (byte) 0x87, 0, 0});
                assertTrue(g.closedByTarget());
            }
            TestInitiator.Result r = good.command(0, TestInitiator.rw10(false, 200, 16), 8192, true, null);
            assertEquals(ScsiStatus.GOOD, r.status);
            assertArrayEquals(data, r.data);
        }
    }

    @Test
    void cmdSnOutsideTheWindowIsDroppedWithoutHanging() throws Exception {
        try (TestInitiator c = loggedIn()) {
            assertEquals(ScsiStatus.GOOD, c.command(0, TestInitiator.testUnitReady(), 0, false, null).status);
            int exp = c.expCmdSnFromTarget;
            int max = c.maxCmdSn;
            assertEquals(exp, c.cmdSn);
            assertTrue(max - exp + 1 >= 1, "window open");
            c.socket.setSoTimeout(1_000);
            for (int bad : new int[] {max + 1, exp - 1, exp + 0x40000000}) {
                c.cmdSn = bad;
                int itt = c.itt;
                byte[] h = c.commandHeader(0, TestInitiator.testUnitReady(), 0, false, false, true);
                c.send(h, null);
                c.itt++;
                assertThrows(SocketTimeoutException.class, c::read, "CmdSN " + Integer.toUnsignedString(bad)
                        + " outside [" + exp + "," + max + "] must be silently ignored (ITT 0x" + Integer.toHexString(itt) + ")");
            }
            c.socket.setSoTimeout(10_000);
            c.cmdSn = exp;
            assertEquals(ScsiStatus.GOOD, c.command(0, TestInitiator.testUnitReady(), 0, false, null).status);
        }
    }

    @Test
    void outOfOrderCommandsWaitForTheGap() throws Exception {
        try (TestInitiator c = loggedIn()) {
            int first = c.cmdSn;
            // CmdSN first+1 arrives before first: held, answered only after first arrives.
            c.cmdSn = first + 1;
            byte[] later = c.commandHeader(0, TestInitiator.testUnitReady(), 0, false, false, true);
            ByteBuffer.wrap(later).putInt(16, 0x777);
            c.send(later, null);
            c.socket.setSoTimeout(500);
            assertThrows(SocketTimeoutException.class, c::read);
            c.socket.setSoTimeout(10_000);
            c.cmdSn = first;
            byte[] earlier = c.commandHeader(0, TestInitiator.testUnitReady(), 0, false, false, true);
            ByteBuffer.wrap(earlier).putInt(16, 0x776);
            c.send(earlier, null);
            TestInitiator.Pdu a = c.next();
            TestInitiator.Pdu b = c.next();
            assertEquals(0x776, a.itt(), "CmdSN order");
            assertEquals(0x777, b.itt());
            assertEquals(first + 2, b.expCmdSn());
        }
    }

    @Test
    void aWriteTooLongForTheHostWithImmediateDataIsAnsweredAndTheSessionGoesOn() throws Exception {
        try (TestInitiator c = loggedIn()) {
            // EDTL beyond the host's largest buffer: answered by the driver itself, so the
            // immediate data has no command buffer to land in and must be read and dropped.
            int edtl = 64 << 20;
            byte[] h = c.commandHeader(0, TestInitiator.rw10(true, 0, edtl / 512 & 0xFFFF), edtl, false, true, true);
            int itt = c.itt++;
            c.send(h, new byte[4096]);
            c.cmdSn++;
            TestInitiator.Pdu rsp = c.next();
            assertEquals(0x21, rsp.opcode());
            assertEquals(itt, rsp.itt());
            assertEquals(ScsiStatus.CHECK_CONDITION, rsp.byte3());
            assertEquals(0x05, rsp.data[2 + 2] & 0x0F, "ILLEGAL REQUEST");
            assertEquals(0x24, rsp.data[2 + 12] & 0xFF, "INVALID FIELD IN CDB");
            assertEquals(ScsiStatus.GOOD, c.command(0, TestInitiator.testUnitReady(), 0, false, null).status);
        }
    }

    @Test
    void wrongDataSnEndsTheCommandWithCheckCondition() throws Exception {
        try (TestInitiator c = loggedIn()) {
            c.immediateData = false;
            byte[] h = c.commandHeader(0, TestInitiator.rw10(true, 300, 2), 1024, false, true, false);
            int itt = c.itt++;
            c.send(h, null);
            c.cmdSn++;
            byte[] d = TestInitiator.header(0x05, 0x80);
            ByteBuffer.wrap(d).putInt(16, itt).putInt(20, -1).putInt(36, 27).putInt(40, 0);
            c.send(d, new byte[1024]);
            TestInitiator.Pdu reject = c.next();
            assertEquals(0x3F, reject.opcode());
            assertEquals(0x09, reject.byte2(), "invalid PDU field");
            TestInitiator.Pdu rsp = c.next();
            assertEquals(0x21, rsp.opcode());
            assertEquals(itt, rsp.itt());
            assertEquals(ScsiStatus.CHECK_CONDITION, rsp.byte3());
            assertEquals(0x0B, rsp.data[2 + 2] & 0x0F, "ABORTED COMMAND");
            assertEquals(0x0C, rsp.data[2 + 12] & 0xFF);
            assertEquals(0x0D, rsp.data[2 + 13] & 0xFF);
            // The session goes on.
            assertEquals(ScsiStatus.GOOD, c.command(0, TestInitiator.testUnitReady(), 0, false, null).status);
        }
    }

    @Test
    void dataDigestErrorOnDataOutEndsTheCommandNotTheSession() throws Exception {
        try (TestInitiator c = loggedIn(Map.of("DataDigest", "CRC32C"))) {
            assertTrue(c.dataDigest);
            c.immediateData = false;
            byte[] h = c.commandHeader(0, TestInitiator.rw10(true, 300, 1), 512, false, true, false);
            int itt = c.itt++;
            c.send(h, null);
            c.cmdSn++;
            byte[] d = TestInitiator.header(0x05, 0x80);
            ByteBuffer.wrap(d).putInt(16, itt).putInt(20, -1).putInt(36, 0).putInt(40, 0);
            byte[] pdu = new byte[48 + 512 + 4];
            System.arraycopy(d, 0, pdu, 0, 48);
            pdu[6] = 0x02;   // DataSegmentLength 512
            pdu[48 + 512] = 0x5A;   // a wrong data digest
            c.sendRaw(pdu);
            TestInitiator.Pdu reject = c.next();
            assertEquals(0x3F, reject.opcode());
            assertEquals(0x02, reject.byte2(), "data digest error");
            TestInitiator.Pdu rsp = c.next();
            assertEquals(0x21, rsp.opcode());
            assertEquals(ScsiStatus.CHECK_CONDITION, rsp.byte3());
            assertEquals(0x47, rsp.data[2 + 12] & 0xFF);
            assertEquals(ScsiStatus.GOOD, c.command(0, TestInitiator.testUnitReady(), 0, false, null).status);
        }
    }

    @Test
    void closedConnectionDestroysItsNexus() throws Exception {
        waitFor(() -> nexusCount() == 0, "earlier tests' sessions gone");
        TestInitiator c = loggedIn();
        waitFor(() -> nexusCount() == 1, "nexus created");
        c.close();
        waitFor(() -> nexusCount() == 0, "nexus destroyed after the connection dropped");
    }

    @Test
    void abortTaskOfAWriteWaitingForDataAnswersFunctionComplete() throws Exception {
        try (TestInitiator c = loggedIn()) {
            // A write with no data sent yet: the target answers with an R2T and waits.
            c.immediateData = false;
            c.initialR2T = true;
            byte[] h = c.commandHeader(0, TestInitiator.rw10(true, 400, 8), 4096, false, true, true);
            int writeItt = c.itt++;
            int writeCmdSn = c.cmdSn++;
            c.send(h, null);
            TestInitiator.Pdu r2t = c.next();
            assertEquals(0x31, r2t.opcode());
            assertEquals(0, r2t.bufferOffset());
            assertEquals(4096, r2t.word44());
            byte[] tmf = TestInitiator.header(0x42, 0x80 | 1);   // immediate ABORT TASK
            ByteBuffer.wrap(tmf).putInt(16, 0x999).putInt(20, writeItt).putInt(24, c.cmdSn).putInt(32, writeCmdSn);
            c.send(tmf, null);
            TestInitiator.Pdu rsp = c.next();
            assertEquals(0x22, rsp.opcode());
            assertEquals(0x999, rsp.itt());
            assertEquals(0, rsp.byte2(), "FUNCTION COMPLETE");
            // The session goes on, and the aborted task's window slot came back.
            assertEquals(ScsiStatus.GOOD, c.command(0, TestInitiator.testUnitReady(), 0, false, null).status);
            assertEquals(c.cmdSn + 63, c.maxCmdSn, "full window of 64 again");
        }
    }

    @Test
    void lunResetIsAnsweredInOrder() throws Exception {
        try (TestInitiator c = loggedIn()) {
            byte[] tmf = TestInitiator.header(0x42, 0x80 | 5);   // immediate LOGICAL UNIT RESET
            ByteBuffer.wrap(tmf).putLong(8, 0).putInt(16, 0x555).putInt(20, -1).putInt(24, c.cmdSn);
            c.send(tmf, null);
            TestInitiator.Pdu rsp = c.next();
            assertEquals(0x22, rsp.opcode());
            assertEquals(0, rsp.byte2());
            // The reset's unit attention: CHECK CONDITION, UNIT ATTENTION on the next command.
            TestInitiator.Result r = c.command(0, TestInitiator.testUnitReady(), 0, false, null);
            assertEquals(ScsiStatus.CHECK_CONDITION, r.status);
            assertEquals(0x06, r.sense[2] & 0x0F);
        }
    }

    @Test
    void nopOutPingIsAnswered() throws Exception {
        try (TestInitiator c = loggedIn()) {
            byte[] h = TestInitiator.header(0x40, 0x80);
            ByteBuffer.wrap(h).putInt(16, 0x321).putInt(20, -1).putInt(24, c.cmdSn);
            c.send(h, "ping".getBytes(StandardCharsets.US_ASCII));
            TestInitiator.Pdu nop = c.next();
            assertEquals(0x20, nop.opcode());
            assertEquals(0x321, nop.itt());
            assertEquals(-1, nop.ttt());
            assertEquals("ping", new String(nop.data, StandardCharsets.US_ASCII));
        }
    }

    @Test
    void logoutClosesAndDestroysTheNexus() throws Exception {
        try (TestInitiator c = loggedIn()) {
            waitFor(() -> nexusCount() >= 1, "nexus created");
            byte[] h = TestInitiator.header(0x46, 0x80);   // immediate Logout, close the session
            ByteBuffer.wrap(h).putInt(16, 0xABC).putInt(24, c.cmdSn).putInt(28, c.expStatSn);
            c.send(h, null);
            TestInitiator.Pdu rsp = c.next();
            assertEquals(0x26, rsp.opcode());
            assertEquals(0, rsp.byte2());
            assertTrue(c.closedByTarget());
        }
        waitFor(() -> nexusCount() == 0, "nexus destroyed after logout");
    }

    @Test
    void discoverySendTargetsListsTheTargetWithThisPortal() throws Exception {
        try (TestInitiator c = new TestInitiator(fixture.port)) {
            TestInitiator.Pdu rsp = c.login(null, Map.of("MaxBurstLength", "262144"));
            assertEquals(0, rsp.loginStatus());
            assertEquals("Irrelevant", rsp.keys().get("MaxBurstLength"), "a Normal-only key in a Discovery session");
            byte[] h = TestInitiator.header(0x04, 0x80);
            ByteBuffer.wrap(h).putInt(16, 0x10).putInt(20, -1).putInt(24, c.cmdSn).putInt(28, c.expStatSn);
            c.send(h, TestInitiator.text(Map.of("SendTargets", "All")));
            TestInitiator.Pdu text = c.next();
            assertEquals(0x24, text.opcode());
            assertEquals(0x80, text.flags());
            Map<String, String> keys = text.keys();
            assertEquals(IscsiFixture.TARGET, keys.get("TargetName"));
            assertEquals("127.0.0.1:" + fixture.port + ",1", keys.get("TargetAddress"));
            // SCSI commands are not for discovery sessions.
            c.send(c.commandHeader(0, TestInitiator.testUnitReady(), 0, false, false, true), null);
            assertEquals(0x3F, c.next().opcode());
        }
    }

    @Test
    void longSendTargetsAnswersContinueWithTargetTransferTags() throws Exception {
        for (int i = 0; i < 12; i++) {
            fixture.daemon.createTarget("iqn.2026-11.org.jtgt:continuation-target-with-a-long-name-" + i);
        }
        try (TestInitiator c = new TestInitiator(fixture.port)) {
            assertEquals(0, c.login(null, Map.of("MaxRecvDataSegmentLength", "512")).loginStatus());
            byte[] h = TestInitiator.header(0x04, 0x80);
            ByteBuffer.wrap(h).putInt(16, 0x20).putInt(20, -1).putInt(24, c.cmdSn).putInt(28, c.expStatSn);
            c.send(h, TestInitiator.text(Map.of("SendTargets", "All")));
            c.cmdSn++;
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            int pdus = 0;
            while (true) {
                TestInitiator.Pdu p = c.next();
                assertEquals(0x24, p.opcode());
                assertTrue(p.data.length <= 512, "segments respect the initiator's MaxRecvDataSegmentLength");
                all.write(p.data);
                pdus++;
                if ((p.flags() & 0x80) != 0) {
                    assertEquals(-1, p.ttt());
                    break;
                }
                assertEquals(0x40, p.flags(), "C bit while more follows");
                byte[] more = TestInitiator.header(0x04, 0x80);
                ByteBuffer.wrap(more).putInt(16, 0x20).putInt(20, p.ttt()).putInt(24, c.cmdSn).putInt(28, c.expStatSn);
                c.send(more, null);
                c.cmdSn++;
            }
            assertTrue(pdus > 2, "continued over " + pdus + " PDUs");
            String text = new String(all.toByteArray(), StandardCharsets.UTF_8);
            assertEquals(13, text.split("TargetName=", -1).length - 1, text);
        } finally {
            for (int i = 0; i < 12; i++) {
                fixture.daemon.deleteTarget("iqn.2026-11.org.jtgt:continuation-target-with-a-long-name-" + i, true);
            }
        }
    }

    /** A Text Request (immediate, F=1) in a fresh negotiation; returns the first PDU of the answer. */
    private static TestInitiator.Pdu text(TestInitiator c, int itt, byte[] data) throws Exception {
        byte[] h = TestInitiator.header(0x44, 0x80);
        ByteBuffer.wrap(h).putInt(16, itt).putInt(20, -1).putInt(24, c.cmdSn).putInt(28, c.expStatSn);
        c.send(h, data);
        return c.next();
    }

    /** Repeated SendTargets (RFC 7143 6.4): one Reject, not a multiplied answer; the session goes on. */
    @Test
    void repeatedSendTargetsIsRejectedInsteadOfAnsweredOncePerCopy() throws Exception {
        try (TestInitiator c = new TestInitiator(fixture.port)) {
            assertEquals(0, c.login(null, Map.of()).loginStatus());
            java.io.ByteArrayOutputStream flood = new java.io.ByteArrayOutputStream();
            byte[] one = TestInitiator.text("SendTargets", "All");
            while (flood.size() + one.length <= 262_144) {
                flood.write(one);
            }
            TestInitiator.Pdu rsp = text(c, 0x31, flood.toByteArray());
            assertEquals(0x3F, rsp.opcode(), "Reject, not " + rsp);
            assertEquals(0x04, rsp.byte2(), "protocol error");
            assertEquals(48, rsp.data.length, "the rejected header, nothing more");
            // Twice with different values is the same error; once is answered.
            assertEquals(0x3F, text(c, 0x32, TestInitiator.text("SendTargets", "All", "SendTargets",
                    IscsiFixture.TARGET)).opcode());
            TestInitiator.Pdu answer = text(c, 0x33, TestInitiator.text("SendTargets", "All"));
            assertEquals(0x24, answer.opcode());
            assertEquals(IscsiFixture.TARGET, answer.keys().get("TargetName"));
        }
    }

    /** Many distinct keys, each answered NotUnderstood: more than the answer bound is refused, not held. */
    @Test
    void aTextAnswerBeyondItsBoundIsRejected() throws Exception {
        try (TestInitiator c = new TestInitiator(fixture.port)) {
            assertEquals(0, c.login(null, Map.of()).loginStatus());
            String[] kv = new String[2 * 20_000];
            for (int i = 0; i < 20_000; i++) {
                kv[2 * i] = "X-k" + i;
                kv[2 * i + 1] = "";
            }
            byte[] request = TestInitiator.text(kv);
            assertTrue(request.length <= 262_144);
            TestInitiator.Pdu rsp = text(c, 0x41, request);
            assertEquals(0x3F, rsp.opcode(), "Reject, not " + rsp);
            assertEquals(0x0A, rsp.byte2(), "long operation reject: out of resources");
            assertEquals(0x24, text(c, 0x42, TestInitiator.text("X-k1", "")).opcode(), "the session goes on");
        }
    }

    /** More targets than fit: the SendTargets answer stops at a whole target within the bound. */
    @Test
    void sendTargetsStopsAtTheAnswerBound() throws Exception {
        String prefix = "iqn.2026-11.org.jtgt:" + "x".repeat(170) + "-";
        int extra = 1_100;
        for (int i = 0; i < extra; i++) {
            fixture.daemon.createTarget(prefix + i);
        }
        try (TestInitiator c = new TestInitiator(fixture.port)) {
            assertEquals(0, c.login(null, Map.of()).loginStatus());
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            TestInitiator.Pdu p = text(c, 0x51, TestInitiator.text("SendTargets", "All"));
            while (true) {
                assertEquals(0x24, p.opcode());
                all.write(p.data);
                if ((p.flags() & 0x80) != 0) {
                    break;
                }
                byte[] more = TestInitiator.header(0x44, 0x80);
                ByteBuffer.wrap(more).putInt(16, 0x51).putInt(20, p.ttt()).putInt(24, c.cmdSn).putInt(28, c.expStatSn);
                c.send(more, null);
                p = c.next();
            }
            assertTrue(all.size() <= TextHandler.MAX_TEXT_ANSWER, all.size() + " bytes");
            String text = all.toString(StandardCharsets.UTF_8);
            int names = text.split("TargetName=", -1).length - 1;
            assertEquals(names, text.split("TargetAddress=", -1).length - 1, "every listed target with its portal");
            assertTrue(names > 900 && names < extra + 1, names + " targets listed");
            assertTrue(text.endsWith("\0"), "whole pairs only");
        } finally {
            for (int i = 0; i < extra; i++) {
                fixture.daemon.deleteTarget(prefix + i, true);
            }
        }
    }

    @Test
    void maxBurstLengthTwiceAtLoginIsAnInitiatorError() throws Exception {
        try (TestInitiator c = new TestInitiator(fixture.port)) {
            TestInitiator.Pdu rsp = c.loginRequest(0x80 | 1 << 2 | 3, 0, TestInitiator.text("InitiatorName",
                    TestInitiator.INITIATOR, "TargetName", IscsiFixture.TARGET, "MaxBurstLength", "262144",
                    "MaxBurstLength", "512"));
            assertEquals(0x0200, rsp.loginStatus(), "initiator error (RFC 7143 6.3)");
            assertEquals(0, rsp.tsih());
            assertTrue(c.closedByTarget());
        }
    }

    @Test
    void loginFailuresCarryTheRightStatus() throws Exception {
        try (TestInitiator c = new TestInitiator(fixture.port)) {
            assertEquals(0x0203, c.login("iqn.2026-11.org.jtgt:nope", Map.of()).loginStatus(), "target not found");
            assertTrue(c.closedByTarget());
        }
        try (TestInitiator c = new TestInitiator(fixture.port)) {
            assertEquals(0x0207, c.loginRequest(0x87, 0, Map.of("SessionType", "Normal")).loginStatus(), "no InitiatorName");
        }
        try (TestInitiator c = new TestInitiator(fixture.port)) {
            assertEquals(0x020A, c.loginRequest(0x87, 77, Map.of("InitiatorName", TestInitiator.INITIATOR,
                    "TargetName", IscsiFixture.TARGET)).loginStatus(), "no session with TSIH 77");
        }
        fixture.daemon.setAcl(IscsiFixture.TARGET, List.of("iqn.2026-11.org.jtgt:somebody-else"));
        try {
            try (TestInitiator c = new TestInitiator(fixture.port)) {
                assertEquals(0x0202, c.login(IscsiFixture.TARGET, Map.of()).loginStatus(), "not in the ACL");
            }
            try (TestInitiator c = new TestInitiator(fixture.port)) {
                assertEquals(0, c.login(null, Map.of()).loginStatus());
                byte[] h = TestInitiator.header(0x04, 0x80);
                ByteBuffer.wrap(h).putInt(16, 0x10).putInt(20, -1).putInt(24, c.cmdSn);
                c.send(h, TestInitiator.text(Map.of("SendTargets", "All")));
                TestInitiator.Pdu text = c.next();
                assertFalse(text.keys().containsKey("TargetName"), "a target whose ACL excludes us is not listed");
            }
        } finally {
            fixture.daemon.setAcl(IscsiFixture.TARGET, List.of());
        }
    }

    @Test
    void sessionReinstatementReplacesTheOldSession() throws Exception {
        try (TestInitiator a = loggedIn(); TestInitiator b = new TestInitiator(fixture.port)) {
            b.isid = a.isid;
            assertEquals(0, b.login(IscsiFixture.TARGET, Map.of()).loginStatus());
            assertTrue(a.closedByTarget(), "the old session is closed");
            assertEquals(ScsiStatus.GOOD, b.command(0, TestInitiator.testUnitReady(), 0, false, null).status);
        }
    }

    @Test
    void aClientThatStopsReadingIsClosedAndOthersGoOn() throws Exception {
        try (TestInitiator good = loggedIn(); TestInitiator lazy = loggedIn()) {
            int before = fixture.openConnections();
            byte[] payload = new byte[60_000];
            boolean failed = false;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            int sent = 0;
            try {
                while (System.nanoTime() < deadline) {
                    byte[] h = TestInitiator.header(0x40, 0x80);   // immediate NOP-Out ping, never read back
                    ByteBuffer.wrap(h).putInt(16, sent++).putInt(20, -1);
                    lazy.send(h, payload);
                }
            } catch (java.io.IOException e) {
                failed = true;
            }
            assertTrue(failed, "the target closed the connection after " + sent + " unread pings");
            waitFor(() -> fixture.openConnections() == before - 1, "the lazy connection is gone");
            assertEquals(ScsiStatus.GOOD, good.command(0, TestInitiator.testUnitReady(), 0, false, null).status);
        }
    }

    private static int nexusCount() {
        for (TargetInfo t : fixture.daemon.targets()) {
            if (t.name().equals(IscsiFixture.TARGET)) {
                return t.nexusCount();
            }
        }
        return -1;
    }

    static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting: " + what);
            }
            Thread.sleep(20);
        }
    }
}
