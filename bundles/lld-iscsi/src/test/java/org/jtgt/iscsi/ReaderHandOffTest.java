package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.store.BackingStore;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/**
 * With the in-process transport a command over a blocking store that is its connection's only one
 * runs on the connection's reader, which first hands the reading over to a second reader thread
 * ({@code HandOff}): no store worker is woken for it, and the connection goes on reading while the
 * command waits. Deterministic: LUN 1's store holds writes at a gate until the test opens it.
 */
class ReaderHandOffTest {
    /** LUN 1 in the single-level SAM format the initiator puts in the BHS. */
    private static final long LUN1 = 0x0001_0000_0000_0000L;
    private static final int SIZE = 1 << 20;

    /** A synchronous store (it blocks) whose writes wait at a gate while it is closed; records who wrote. */
    static final class GatedStore implements BackingStore {
        private final byte[] bytes = new byte[SIZE];
        final List<String> writers = new CopyOnWriteArrayList<>();
        private volatile CountDownLatch gate = new CountDownLatch(0);

        void close(boolean closed) {
            gate = new CountDownLatch(closed ? 1 : 0);
        }

        void open() {
            gate.countDown();
        }

        @Override public boolean blocks() { return true; }
        @Override public long size() { return SIZE; }
        @Override public String describe() { return "gated writes"; }
        @Override public void close() { }
        @Override public void flush() { }

        @Override
        public synchronized void read(long offset, ByteBuffer dst) {
            dst.put(bytes, (int) offset, dst.remaining());
        }

        @Override
        public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
            writers.add(Thread.currentThread().getName());
            try {
                if (!gate.await(10, TimeUnit.SECONDS)) {
                    throw new IOException("gate never opened");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            synchronized (this) {
                src.get(bytes, (int) offset, src.remaining());
            }
        }

        void awaitWriters(int n) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (writers.size() < n) {
                assertTrue(System.nanoTime() < deadline, "only " + writers.size() + " of " + n + " writes reached the store");
                Thread.sleep(1);
            }
        }
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    private static GatedStore gatedLun(IscsiFixture f) {
        GatedStore store = new GatedStore();
        f.daemon.addLun(IscsiFixture.TARGET, 1, store, IscsiFixture.BLOCK, LunOptions.DEFAULT);
        return store;
    }

    /** Logs in and clears the unit attention the LUN added before the login did not raise (none) or did. */
    private static TestInitiator login(IscsiFixture f) throws IOException {
        TestInitiator c = new TestInitiator(f.port);
        assertEquals(0, c.login(IscsiFixture.TARGET, Map.of()).loginStatus());
        c.command(LUN1, TestInitiator.testUnitReady(), 0, false, null);
        return c;
    }

    /** Sends a WRITE(10) of {@code data} with immediate data and does not wait for its answer; its ITT. */
    private static int sendWrite(TestInitiator c, long lun, int lba, byte[] data) throws IOException {
        int myItt = c.itt++;
        byte[] h = c.commandHeader(lun, TestInitiator.rw10(true, lba, data.length / IscsiFixture.BLOCK), data.length,
                false, true, true);
        ByteBuffer.wrap(h).putInt(16, myItt);
        c.send(h, data);
        c.cmdSn++;
        return myItt;
    }

    @Test
    void theOnlyCommandRunsOnTheReaderAndTheConnectionReadsOnMeanwhile() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (IscsiFixture f = IscsiFixture.direct(8L << 20)) {
                GatedStore store = gatedLun(f);
                try (TestInitiator c = login(f)) {
                    byte[] first = pattern(4096, 1);
                    byte[] second = pattern(4096, 2);
                    store.close(true);
                    int itt1 = sendWrite(c, LUN1, 0, first);
                    store.awaitWriters(1);
                    assertTrue(store.writers.get(0).startsWith("jtgt-iscsi-rx-"),
                            "the connection's only command ran on its reader, not on " + store.writers.get(0));

                    // The reading went on in the second reader: a second write to the held unit is
                    // read (and goes to a worker: the connection has two commands now) ...
                    int itt2 = sendWrite(c, LUN1, 8, second);
                    store.awaitWriters(2);
                    assertFalse(store.writers.get(1).startsWith("jtgt-iscsi-rx-"),
                            "with two commands on the connection a worker runs the second, not " + store.writers.get(1));
                    // ... and LUN 0 (memory) answers while both wait.
                    byte[] other = pattern(4096, 3);
                    assertEquals(0, c.command(0, TestInitiator.rw10(true, 0, 8), 4096, false, other).status);
                    TestInitiator.Result r0 = c.command(0, TestInitiator.rw10(false, 0, 8), 4096, true, null);
                    assertEquals(0, r0.status);
                    assertArrayEquals(other, r0.data);

                    store.open();
                    TestInitiator.Pdu a = c.next();
                    TestInitiator.Pdu b = c.next();
                    assertEquals(0x21, a.opcode());
                    assertEquals(0x21, b.opcode());
                    assertEquals(0, a.byte3());
                    assertEquals(0, b.byte3());
                    assertEquals(List.of(itt1, itt2).stream().sorted().toList(),
                            List.of(a.itt(), b.itt()).stream().sorted().toList());

                    TestInitiator.Result back = c.command(LUN1, TestInitiator.rw10(false, 0, 16), 8192, true, null);
                    assertEquals(0, back.status);
                    byte[] both = new byte[8192];
                    System.arraycopy(first, 0, both, 0, 4096);
                    System.arraycopy(second, 0, both, 4096, 4096);
                    assertArrayEquals(both, back.data);
                }
            }
        });
    }

    /** At QD1 the two reader threads take turns: each write runs on the one that read it, and every byte comes back. */
    @Test
    void atQueueDepthOneTheReadersTakeTurns() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (IscsiFixture f = IscsiFixture.direct(8L << 20)) {
                GatedStore store = gatedLun(f);
                try (TestInitiator c = login(f)) {
                    for (int i = 0; i < 100; i++) {
                        byte[] data = pattern(4096, i);
                        int lba = (i % 64) * 8;
                        assertEquals(0, c.command(LUN1, TestInitiator.rw10(true, lba, 8), 4096, false, data).status);
                        TestInitiator.Result r = c.command(LUN1, TestInitiator.rw10(false, lba, 8), 4096, true, null);
                        assertEquals(0, r.status);
                        assertArrayEquals(data, r.data, "write " + i);
                    }
                    // Each write ran on a reader unless the other reader was still on its way back
                    // from the command before (then on a worker): timing, so only both readers
                    // having served is asserted, and the first, which nothing can precede.
                    assertEquals(100, store.writers.size());
                    assertTrue(store.writers.get(0).startsWith("jtgt-iscsi-rx-"), store.writers.get(0));
                    String first = store.writers.get(0);
                    assertTrue(store.writers.contains(first + "-2"), "the second reader ran writes too: " + store.writers);
                }
            }
        });
    }

    /** The connection ends while a reader holds a command and the other reads: both threads end, the command is answered to nobody. */
    @Test
    void aConnectionThatEndsWhileItsReaderWaitsLeavesNoThreadBehind() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (IscsiFixture f = IscsiFixture.direct(8L << 20)) {
                GatedStore store = gatedLun(f);
                String prefix;
                try (TestInitiator c = login(f)) {
                    store.close(true);
                    sendWrite(c, LUN1, 0, pattern(4096, 9));
                    store.awaitWriters(1);
                    prefix = store.writers.get(0);
                }
                // The initiator is gone; the second reader sees the end and ends the connection.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (f.openConnections() > 0) {
                    assertTrue(System.nanoTime() < deadline, "the connection did not end");
                    Thread.sleep(5);
                }
                store.open();
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (readersAlive(prefix) > 0) {
                    assertTrue(System.nanoTime() < deadline, readersAlive(prefix) + " reader threads of " + prefix + " still alive");
                    Thread.sleep(5);
                }
                // And the target serves a new connection.
                try (TestInitiator c = login(f)) {
                    byte[] data = pattern(4096, 10);
                    assertEquals(0, c.command(LUN1, TestInitiator.rw10(true, 0, 8), 4096, false, data).status);
                    assertArrayEquals(data, c.command(LUN1, TestInitiator.rw10(false, 0, 8), 4096, true, null).data);
                }
            }
        });
    }

    /** Threads named like the connection's two readers: {@code base} (the first) and {@code base-2}. */
    private static long readersAlive(String base) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && (t.getName().equals(base) || t.getName().equals(base + "-2")))
                .count();
    }
}
