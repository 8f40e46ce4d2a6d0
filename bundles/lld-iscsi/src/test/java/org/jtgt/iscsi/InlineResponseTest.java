package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;

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
