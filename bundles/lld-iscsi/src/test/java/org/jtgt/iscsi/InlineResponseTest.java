package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/**
 * Responses written by the thread that completes the command, when the connection's sender is
 * idle: in StatSN order, with the data right, and never at the cost of holding that thread on a
 * socket whose initiator does not read.
 */
class InlineResponseTest {
    private static final int BLOCKS_4K = 4096 / IscsiFixture.BLOCK;

    /** QD1: the sender is idle at every completion, so the completing thread writes the responses. */
    @Test
    void atQueueDepthOneTheCompletingThreadWritesTheResponse() throws Exception {
        try (IscsiFixture f = new IscsiFixture(8L << 20);
                TestInitiator c = new TestInitiator(f.port)) {
            assertEquals(0, c.login(IscsiFixture.TARGET, Map.of()).loginStatus());
            byte[] data = new byte[4096];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 13 + 5);
            }
            assertEquals(0, c.command(0, TestInitiator.rw10(true, 8, BLOCKS_4K), 4096, false, data).status);
            int lastStatSn = c.expStatSn - 1;
            for (int i = 0; i < 200; i++) {
                TestInitiator.Result r = c.command(0, TestInitiator.rw10(false, 8, BLOCKS_4K), 4096, true, null);
                assertEquals(0, r.status);
                assertArrayEquals(data, r.data);
                assertEquals(lastStatSn + 1, c.expStatSn - 1, "StatSN advances by one per response");
                lastStatSn = c.expStatSn - 1;
            }
            long inline = f.iscsi.connections().get(0).inlineResponses();
            assertTrue(inline >= 190, "responses written by the completing thread: " + inline + " of 201");
        }
    }

    /**
     * Sixteen reads in flight at once, held by the store and then let go together: while others
     * are in flight an answer goes to the connection's sender, which writes what has gathered
     * with one call, not one write per completing thread. The answers are all there, each with
     * its own data, and StatSN advances by one per response.
     */
    @Test
    void whileOtherCommandsAreInFlightTheSenderWritesTheAnswers() throws Exception {
        long lun1 = 0x0001_0000_0000_0000L;
        int reads = 16;
        InFlightAbortTest.HeldReads store = new InFlightAbortTest.HeldReads(1 << 20);
        try (IscsiFixture f = new IscsiFixture(1 << 20); TestInitiator c = new TestInitiator(f.port)) {
            f.daemon.addLun(IscsiFixture.TARGET, 1, store, IscsiFixture.BLOCK, LunOptions.DEFAULT);
            assertEquals(0, c.login(IscsiFixture.TARGET, Map.of()).loginStatus());
            for (int i = 0; i < 5 && c.command(lun1, TestInitiator.testUnitReady(), 0, false, null).status != ScsiStatus.GOOD; i++) {
                // the unit attentions of a new nexus
            }
            for (int i = 0; i < reads; i++) {
                byte[] block = new byte[IscsiFixture.BLOCK];
                java.util.Arrays.fill(block, (byte) (i + 1));
                assertEquals(ScsiStatus.GOOD, c.command(lun1, TestInitiator.rw10(true, i, 1), block.length, false, block).status);
            }
            IscsiConnection connection = f.connections().get(0);
            long inlineBefore = connection.inlineResponses();
            Map<Integer, Integer> blockOfItt = new HashMap<>();
            for (int i = 0; i < reads; i++) {
                int itt = c.itt++;
                byte[] h = c.commandHeader(lun1, TestInitiator.rw10(false, i, 1), IscsiFixture.BLOCK, true, false, true);
                ByteBuffer.wrap(h).putInt(16, itt);
                c.send(h, null);
                c.cmdSn++;
                blockOfItt.put(itt, i);
            }
            store.awaitHeld(reads);
            store.releaseAll();
            int lastStatSn = c.expStatSn - 1;
            for (int i = 0; i < reads; i++) {
                TestInitiator.Pdu p = c.next();
                assertEquals(0x25, p.opcode(), "Data-In with the status: " + p);
                assertEquals(0x81, p.flags() & 0x81, "final, with status");
                assertEquals(ScsiStatus.GOOD, p.byte3());
                Integer block = blockOfItt.remove(p.itt());
                assertTrue(block != null, "an answer for a command in flight: " + p);
                byte[] expected = new byte[IscsiFixture.BLOCK];
                java.util.Arrays.fill(expected, (byte) (block + 1));
                assertArrayEquals(expected, p.data);
                assertEquals(lastStatSn + 1, p.statSn(), "StatSN advances by one per response");
                lastStatSn = p.statSn();
            }
            long inline = connection.inlineResponses() - inlineBefore;
            assertTrue(inline <= 1, "answers written by the completing thread while others were in flight: " + inline);
        }
    }

    /**
     * One initiator sends 60 reads of 128 KiB and reads none of the responses, so its socket
     * fills up; another session on the same host (the same completing thread) must still get
     * its answers at once. Written inline regardless of the socket, the first response that did
     * not fit would hold the completing thread until the connection ended.
     */
    @Test
    void anInitiatorThatDoesNotReadNeverHoldsTheCompletingThread() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (IscsiFixture f = new IscsiFixture(16L << 20);
                    TestInitiator stuck = new TestInitiator(f.port);
                    TestInitiator other = new TestInitiator(f.port)) {
                assertEquals(0, stuck.login(IscsiFixture.TARGET, Map.of()).loginStatus());
                assertEquals(0, other.login(IscsiFixture.TARGET, Map.of()).loginStatus());
                int length = 128 << 10;
                for (int i = 0; i < 60; i++) {
                    byte[] h = stuck.commandHeader(0, TestInitiator.rw10(false, 0, length / IscsiFixture.BLOCK), length,
                            true, false, true);
                    ByteBuffer.wrap(h).putInt(16, stuck.itt++);
                    stuck.send(h, null);
                    stuck.cmdSn++;
                }
                Thread.sleep(500);   // let the target answer what it can into the full socket
                for (int i = 0; i < 20; i++) {
                    long start = System.nanoTime();
                    TestInitiator.Result r = other.command(0, TestInitiator.rw10(false, 0, BLOCKS_4K), 4096, true, null);
                    assertEquals(0, r.status);
                    long millis = (System.nanoTime() - start) / 1_000_000;
                    assertTrue(millis < 2_000, "the other session's command took " + millis + " ms");
                }
            }
        });
    }
}
