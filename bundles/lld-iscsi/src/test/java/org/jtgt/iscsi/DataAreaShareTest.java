package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.target.LunOptions;
import org.jtgt.backing.memory.MemoryStoreProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One initiator cannot starve the others through the data area. Four sessions send WRITEs and
 * never send their Data-Out (the R2Ts are ignored), holding all they can of the 64 MiB shared
 * data area; a session on another target of the same iSCSI host still gets its READs and WRITEs
 * through at once. After the Data-Out timeout the stalled connections are closed and everything
 * they held is back: bytes, slots, the whole area.
 *
 * <p>Without the shares this is the reported starvation: the 8 MiB WRITEs take 56 MiB and leave
 * 8 MiB in two pieces (the allocator's rotating first fit starts where earlier I/O ended), the
 * 512 KiB and 4 KiB ones take the rest block by block, and the other session's 512-byte READ
 * waits the allocate timeout (5 s) and gets TASK SET FULL. Without the 4 KiB sessions a few
 * blocks stay free: the READ passes, the 1 MiB WRITE still gets TASK SET FULL.
 */
@Timeout(90)
class DataAreaShareTest {
    private static final String OTHER = "iqn.2026-11.org.jtgt:other";
    private static final int MIB = 1 << 20;
    /** How long one of the other session's commands may take while the data area is contested. */
    private static final long PROMPT_MILLIS = 2_000;

    private IscsiFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new IscsiFixture(64L << 20, Map.of("dataOutTimeoutSeconds", 3));
        fixture.daemon.createTarget(OTHER);
        fixture.daemon.addLun(OTHER, 0, new MemoryStoreProvider().open(null, 16L << 20, Map.of()), IscsiFixture.BLOCK,
                LunOptions.DEFAULT);
    }

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    /** What a session that ignores its R2Ts got back. */
    private static final class Answers {
        final Set<Integer> solicited = new HashSet<>();
        final List<Integer> statuses = new ArrayList<>();
    }

    /** Sends WRITEs of {@code length} bytes (F set, no data) back to back, never answering an R2T. */
    private static void writesWithoutData(TestInitiator c, int count, int length) throws IOException {
        for (int i = 0; i < count; i++) {
            byte[] h = c.commandHeader(0, TestInitiator.rw10(true, 0, length / IscsiFixture.BLOCK), length, false, true,
                    true);
            c.send(h, null);
            c.itt++;
            c.cmdSn++;
        }
    }

    /** Reads until the target has been quiet for half a second (at most {@code maxMillis}). */
    private static Answers answers(TestInitiator c, long maxMillis) throws IOException {
        Answers a = new Answers();
        int timeout = c.socket.getSoTimeout();
        c.socket.setSoTimeout(500);
        long deadline = System.currentTimeMillis() + maxMillis;
        try {
            while (System.currentTimeMillis() < deadline) {
                TestInitiator.Pdu p = c.read();
                if (p.opcode() == 0x31) {
                    a.solicited.add(p.itt());
                } else if (p.opcode() == 0x21) {
                    a.statuses.add(p.byte3());
                }
            }
        } catch (SocketTimeoutException quiet) {
            // done
        } finally {
            c.socket.setSoTimeout(timeout);
        }
        return a;
    }

    private static TestInitiator login(int port, String target) throws Exception {
        TestInitiator c = new TestInitiator(port);
        TestInitiator.Pdu rsp = c.login(target, Map.of());
        assertEquals(0, rsp.loginStatus(), "login to " + target);
        return c;
    }

    private long nexusOf(TestInitiator c) {
        for (IscsiConnection conn : fixture.connections()) {
            if (conn.isid() == c.isid) {
                return conn.nexusId();
            }
        }
        throw new AssertionError("no connection with ISID " + Long.toHexString(c.isid));
    }

    /** The other session's I/O: each command GOOD within PROMPT_MILLIS, data verified. */
    private static void promptIo(TestInitiator c, int seed) throws Exception {
        long t0 = System.nanoTime();
        TestInitiator.Result r = c.command(0, TestInitiator.rw10(false, 7, 1), 512, true, null);
        long readMillis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(ScsiStatus.GOOD, r.status, "512-byte READ on the other target (status 0x"
                + Integer.toHexString(r.status) + " after " + readMillis + " ms)");
        assertTrue(readMillis < PROMPT_MILLIS, "512-byte READ took " + readMillis + " ms");

        byte[] data = new byte[MIB];
        new Random(seed).nextBytes(data);
        t0 = System.nanoTime();
        TestInitiator.Result w = c.command(0, TestInitiator.rw10(true, 2048, MIB / IscsiFixture.BLOCK), MIB, false, data);
        TestInitiator.Result back = c.command(0, TestInitiator.rw10(false, 2048, MIB / IscsiFixture.BLOCK), MIB, true, null);
        long rwMillis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(ScsiStatus.GOOD, w.status, "1 MiB WRITE on the other target");
        assertEquals(ScsiStatus.GOOD, back.status, "1 MiB READ on the other target");
        assertArrayEquals(data, back.data);
        assertTrue(rwMillis < 2 * PROMPT_MILLIS, "1 MiB WRITE and READ took " + rwMillis + " ms");
    }

    @Test
    void sessionsThatNeverSendTheirDataOutLeaveAnotherSessionsIoAlone() throws Exception {
        try (TestInitiator big = login(fixture.port, IscsiFixture.TARGET);
                TestInitiator many = login(fixture.port, IscsiFixture.TARGET);
                TestInitiator tiny = login(fixture.port, IscsiFixture.TARGET);
                TestInitiator tinyToo = login(fixture.port, IscsiFixture.TARGET);
                TestInitiator other = login(fixture.port, OTHER)) {
            promptIo(other, 1);

            // Ten 8 MiB WRITEs (80 MiB, more than the whole area), then forty of 512 KiB, then
            // 4 KiB ones in two more sessions: without shares the big ones leave the free space
            // in pieces, the 512 KiB ones take the pieces they fit, and the 4 KiB ones the last
            // blocks, until not one block is left for a 512-byte READ (the reported case).
            writesWithoutData(big, 10, 8 * MIB);
            Answers bigAnswers = answers(big, 3_000);
            writesWithoutData(many, 40, 512 * 1024);
            Answers manyAnswers = answers(many, 3_000);
            writesWithoutData(tiny, 64, 4096);
            writesWithoutData(tinyToo, 64, 4096);
            Answers tinyAnswers = answers(tiny, 3_000);
            Answers tinyTooAnswers = answers(tinyToo, 1_000);

            promptIo(other, 2);

            // Each stalled session holds at most its share (a quarter of 64 MiB) and was told
            // TASK SET FULL, in its own session, for what did not fit.
            long[] bigHeld = fixture.path.held(0, nexusOf(big));
            long[] manyHeld = fixture.path.held(0, nexusOf(many));
            assertTrue(bigHeld[1] <= 16L * MIB, "the 8 MiB writer holds " + bigHeld[1] + " bytes");
            assertTrue(manyHeld[1] <= 16L * MIB, "the 512 KiB writer holds " + manyHeld[1] + " bytes");
            assertEquals(bigHeld[0], bigAnswers.solicited.size(), "R2Ts for each WRITE admitted");
            assertEquals(10, bigAnswers.solicited.size() + bigAnswers.statuses.size(), "every WRITE answered or solicited");
            assertTrue(bigAnswers.statuses.stream().allMatch(s -> s == ScsiStatus.TASK_SET_FULL), "refused with TASK SET FULL: "
                    + bigAnswers.statuses);
            assertEquals(40, manyAnswers.solicited.size() + manyAnswers.statuses.size());
            assertTrue(manyAnswers.statuses.stream().allMatch(s -> s == ScsiStatus.TASK_SET_FULL));
            // The 4 KiB writers come after the host's half of the area is taken: each still gets
            // its guaranteed part (an eighth of the reserved 64 slots), the rest TASK SET FULL.
            for (Answers a : List.of(tinyAnswers, tinyTooAnswers)) {
                assertTrue(a.solicited.size() >= 8, "4 KiB WRITEs admitted: " + a.solicited.size());
                assertEquals(64, a.solicited.size() + a.statuses.size());
                assertTrue(a.statuses.stream().allMatch(s -> s == ScsiStatus.TASK_SET_FULL));
            }

            // The Data-Out timeout (3 s here) ends both stalled connections ...
            assertTrue(big.closedByTarget(), "the 8 MiB writer's connection closed after the Data-Out timeout");
            assertTrue(many.closedByTarget(), "the 512 KiB writer's connection closed after the Data-Out timeout");
            assertTrue(tiny.closedByTarget() && tinyToo.closedByTarget(), "the 4 KiB writers' connections closed");
            // ... and what they held is back, exactly: nothing held, every slot free, the area whole.
            long deadline = System.currentTimeMillis() + 5_000;
            while (fixture.path.heldBytes() != 0 && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(0, fixture.path.heldBytes(), "data still held after the stalled sessions ended");
            assertEquals(256, fixture.path.freeSlots(), "command slots of the iSCSI host");
            assertTrue(fixture.path.areaWhollyFree(), "the shared data area has no reservation left");

            promptIo(other, 3);
        }
    }
}
