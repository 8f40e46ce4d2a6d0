package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.jtgt.api.scsi.ScsiStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Random PDUs in the full feature phase, well framed but with random opcodes, flags, tags,
 * sequence numbers, AHS and data: after each one the connection either still answers a NOP-Out
 * ping or was closed by the target, never hangs; a second session does verified I/O throughout
 * and is never disturbed; and when it is over the driver holds no task and no connection but the
 * healthy one, and the host side has every command slot back. The seed is fixed, so a failure
 * names a PDU that can be sent again.
 */
@Timeout(180)
class PduFuzzTest {
    private static final int PDUS = 3_000;
    private static final long SEED = 0x6A7467_7450L;
    /** CDBs for the fuzzed SCSI Command PDUs: TEST UNIT READY, INQUIRY, READ (10), READ CAPACITY (10). */
    private static final byte[][] HARMLESS = {
        {0x00, 0, 0, 0, 0, 0},
        {0x12, 0, 0, 0, (byte) 0xFF, 0},
        {0x28, 0, 0, 0, 0, 8, 0, 0, 8, 0},
        {0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    };
    /** The initiator's opcodes (RFC 7143 11.1.1), drawn more often than the rest. */
    private static final int[] INITIATOR_OPCODES = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x10};

    @Test
    void randomPdusGetAnAnswerOrAClosedConnectionAndNothingElseIsDisturbed() throws Exception {
        try (IscsiFixture f = new IscsiFixture(8L << 20, Map.of("loginTimeoutSeconds", 2));
                TestInitiator healthy = loggedIn(f)) {
            Random random = new Random(SEED);
            byte[] block = new byte[4096];
            Map<String, Integer> outcomes = new TreeMap<>();
            TestInitiator c = null;
            int pingItt = 0x7000_0000;
            for (int i = 0; i < PDUS; i++) {
                if (c == null) {
                    c = loggedIn(f);
                }
                byte[] bhs = bhs(random, c);
                byte[] ahs = new byte[random.nextInt(6) == 0 ? 4 * (1 + random.nextInt(3)) : 0];
                random.nextBytes(ahs);
                byte[] data = random.nextInt(3) == 0 ? new byte[random.nextInt(9000)] : null;
                if (data != null) {
                    random.nextBytes(data);
                }
                String pdu = "PDU " + i + " " + hex(bhs);
                String outcome;
                try {
                    c.send(bhs, ahs, data);
                    outcome = ping(c, pingItt++, pdu);
                } catch (EOFException | SocketException e) {
                    outcome = "closed";
                }
                if (outcome.equals("closed")) {
                    c.close();
                    c = null;
                }
                outcomes.merge(outcome, 1, Integer::sum);

                if (i % 100 == 0) {
                    // The other session goes on as if nothing happened.
                    random.nextBytes(block);
                    int lba = 8 * (i / 100 % 64);
                    assertEquals(ScsiStatus.GOOD, healthy.command(0, TestInitiator.rw10(true, lba, 8), 4096, false, block).status,
                            "healthy write after " + pdu);
                    TestInitiator.Result r = healthy.command(0, TestInitiator.rw10(false, lba, 8), 4096, true, null);
                    assertEquals(ScsiStatus.GOOD, r.status, "healthy read after " + pdu);
                    assertTrue(java.util.Arrays.equals(block, r.data), "healthy data after " + pdu);
                }
            }
            if (c != null) {
                c.close();
            }
            RawPduTest.waitFor(() -> f.iscsi.connections().size() == 1, "only the healthy connection left");
            IscsiConnection left = f.iscsi.connections().get(0);
            RawPduTest.waitFor(() -> left.taskCount() == 0, "the healthy connection holds no task");
            assertTrue(outcomes.getOrDefault("answered", 0) > PDUS / 10 && outcomes.getOrDefault("closed", 0) > 0,
                    "the fuzz reached both outcomes: " + outcomes);
            System.out.println("PduFuzzTest: " + PDUS + " PDUs: " + outcomes);
        }
    }

    private static TestInitiator loggedIn(IscsiFixture f) throws Exception {
        TestInitiator c = new TestInitiator(f.port);
        c.socket.setSoTimeout(5_000);
        TestInitiator.Pdu rsp = c.login(IscsiFixture.TARGET, Map.of());
        assertEquals(0, rsp.loginStatus(), "login status");
        return c;
    }

    /** A BHS with an opcode, flags and fields at random; sequence numbers near the session's now and then. */
    private static byte[] bhs(Random random, TestInitiator c) {
        byte[] h = new byte[48];
        random.nextBytes(h);
        int opcode = random.nextInt(4) == 0 ? random.nextInt(64) : INITIATOR_OPCODES[random.nextInt(INITIATOR_OPCODES.length)];
        h[0] = (byte) ((random.nextInt(4) == 0 ? 0x40 : 0) | opcode);
        ByteBuffer b = ByteBuffer.wrap(h);
        if (opcode == 0x01) {
            // The PDU's fields are the fuzz; the CDB is one that changes nothing another session
            // would see (random CDBs are CdbFuzzTest's: a reservation or a stopped unit would
            // rightly disturb the healthy session).
            byte[] cdb = HARMLESS[random.nextInt(HARMLESS.length)];
            java.util.Arrays.fill(h, 32, 48, (byte) 0);
            System.arraycopy(cdb, 0, h, 32, cdb.length);
        } else if (opcode == 0x02) {
            // Task management on the fuzzing session's own tasks only: a LUN, target or task set
            // reset rightly raises a unit attention on the healthy session too.
            int[] own = {0, 1, 2, 4, 8, 9, 0x7F};
            h[1] = (byte) (h[1] & 0x80 | own[random.nextInt(own.length)]);
        }
        if (random.nextBoolean()) {
            b.putInt(24, c.cmdSn + random.nextInt(3));
            b.putInt(28, c.expStatSn);
            b.putLong(8, 0);   // LUN 0
        }
        if (random.nextBoolean()) {
            b.putInt(20, random.nextInt(1 << 17));   // a modest EDTL
        }
        return h;
    }

    /**
     * A NOP-Out ping after the PDU: "answered" when its NOP-In comes (whatever came before it),
     * "closed" when the target closed the connection. Silence is a hang and fails the test.
     */
    private static String ping(TestInitiator c, int itt, String pdu) throws IOException {
        byte[] nop = TestInitiator.header(0x40, 0x80);   // immediate NOP-Out
        ByteBuffer b = ByteBuffer.wrap(nop);
        b.putInt(16, itt);
        b.putInt(20, -1);
        b.putInt(24, c.cmdSn);
        b.putInt(28, c.expStatSn);
        c.send(nop, null);
        try {
            while (true) {
                TestInitiator.Pdu p = c.next();
                if (p.opcode() == 0x20 && p.itt() == itt) {
                    c.cmdSn = p.expCmdSn();   // commands the fuzz got accepted moved the window
                    return "answered";
                }
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError(pdu + ": neither an answer to a ping nor a closed connection within 5 s", e);
        } catch (EOFException | SocketException e) {
            return "closed";
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
