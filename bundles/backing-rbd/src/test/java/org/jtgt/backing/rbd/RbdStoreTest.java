package org.jtgt.backing.rbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.api.store.AsyncBackingStore;
import org.jtgt.api.store.IoCompletion;
import org.jtgt.api.store.MiscompareException;
import org.jtgt.api.store.StorePlan;
import org.jtgt.testkit.CephCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link RbdStore} and {@link RbdStoreProvider} against a one-node Ceph cluster started for this
 * class under {@code target/} ({@link CephCluster}); skipped where Ceph is not installed, failed
 * then under {@code CI=true}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RbdStoreTest {
    private static final String POOL = "jtgt";
    private static final long MIB = 1 << 20;
    private static CephCluster cluster;
    private static final AtomicInteger IMAGES = new AtomicInteger();

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = CephCluster.start(Path.of("target", "ceph-store-test"), POOL);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster == null) {
            return;
        }
        List<Long> pids = cluster.daemonPids();
        assertEquals(2, pids.size(), "monitor and OSD");
        cluster.stop();
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                    "Ceph daemon " + pid + " still runs after stop");
        }
    }

    private static Map<String, String> options() {
        return Map.of(RbdStoreProvider.OPTION_CONF, cluster.conf().toString(), RbdStoreProvider.OPTION_KEYRING,
                cluster.adminKeyring().toString(), RbdStoreProvider.OPTION_ID, cluster.clientId());
    }

    /** A new image of {@code bytes} and its store, opened through the provider as the daemon does. */
    private static RbdStore newStore(long bytes) throws Exception {
        String image = "img" + IMAGES.incrementAndGet();
        cluster.createImage(POOL, image, bytes);
        RbdStoreProvider p = new RbdStoreProvider();
        StorePlan plan = p.plan(POOL + "/" + image, null, false, options());
        assertEquals(bytes, plan.size());
        assertEquals(POOL + "/" + image, plan.path());
        assertFalse(plan.creates());
        return (RbdStore) p.open(plan.path(), plan.size(), p.openOptions(false, plan.storeOptions()));
    }

    private static ByteBuffer direct(int n, int fill) {
        ByteBuffer b = ByteBuffer.allocateDirect(n);
        for (int i = 0; i < n; i++) {
            b.put(i, (byte) (fill == -1 ? i * 7 + 3 : fill));
        }
        return b;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    /** Completes once; the failure (or null) through the future. */
    private static final class Done extends CompletableFuture<IOException> implements IoCompletion {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public void ioDone(IOException failure) {
            calls.incrementAndGet();
            complete(failure);
        }

        IOException result() throws Exception {
            return get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void writesAndReadsBackThroughDirectAndHeapBuffers() throws Exception {
        try (RbdStore s = newStore(16 * MIB)) {
            assertEquals(16 * MIB, s.size());
            assertEquals("rbd " + POOL + "/img" + IMAGES.get(), s.describe());
            assertTrue(s.comparesAndWrites());
            ByteBuffer w = direct(256 * 1024, -1);
            w.position(512);   // from the buffer's position: the first 512 bytes are not written
            Done d = new Done();
            s.submitWrite(4 * MIB - 4096, w, false, d);   // across an object boundary
            assertNull(d.result());
            ByteBuffer r = ByteBuffer.allocateDirect(256 * 1024 - 512);
            Done d2 = new Done();
            s.submitRead(4 * MIB - 4096, r, d2);
            assertNull(d2.result());
            assertArrayEquals(bytes(w), bytes(r));

            byte[] heap = new byte[8192];
            Arrays.fill(heap, (byte) 0x5a);
            s.write(MIB, ByteBuffer.wrap(heap), true);
            ByteBuffer back = ByteBuffer.allocate(8192 + 16);
            back.position(16);
            s.read(MIB, back);
            assertArrayEquals(heap, Arrays.copyOfRange(back.array(), 16, 16 + 8192));
            s.flush();
            // never written: zeros
            ByteBuffer unwritten = direct(4096, 0x77);
            s.read(10 * MIB, unwritten);
            assertArrayEquals(new byte[4096], bytes(unwritten.flip()));
        }
    }

    /**
     * The synchronous read and write leave the buffer's position at its limit, as the memory and
     * file stores and a channel do: the daemon's VERIFY, EXTENDED COPY and token copy read a
     * chunk and flip it, which on a position left where it was compared nothing (MISCOMPARE on
     * every VERIFY with BYTCHK) and copied nothing.
     */
    @Test
    void synchronousReadsAndWritesAdvanceTheBufferLikeAChannel() throws Exception {
        try (RbdStore s = newStore(4 * MIB)) {
            for (ByteBuffer w : List.of(direct(8192, -1), ByteBuffer.wrap(bytes(direct(8192, -1))))) {
                ByteBuffer src = w.duplicate();
                src.position(512);
                s.write(MIB, src, false);
                assertEquals(src.limit(), src.position(), "write: position at the limit");
                for (ByteBuffer r : List.of(ByteBuffer.allocate(8192 - 512), ByteBuffer.allocateDirect(8192 - 512))) {
                    s.read(MIB, r);
                    assertEquals(r.limit(), r.position(), "read: position at the limit");
                    assertArrayEquals(bytes(w.duplicate().position(512)), bytes(r.flip()));
                }
            }
        }
    }

    @Test
    void deallocatedRangesReadZeros() throws Exception {
        try (RbdStore s = newStore(16 * MIB)) {
            s.write(0, direct((int) (12 * MIB), 0x33), false);
            // a range with partial objects at both ends and a whole object inside
            Done d = new Done();
            s.submitDeallocate(MIB + 512, 8 * MIB, d);
            assertNull(d.result());
            ByteBuffer r = ByteBuffer.allocateDirect((int) (12 * MIB));
            s.read(0, r);
            byte[] all = bytes(r.flip());
            for (int i = 0; i < all.length; i++) {
                boolean zero = i >= MIB + 512 && i < 9 * MIB + 512;
                if (all[i] != (zero ? 0 : 0x33)) {
                    throw new AssertionError("byte " + i + " is " + all[i] + ", expected " + (zero ? 0 : 0x33));
                }
            }
            assertTrue(s.freesSpace());
        }
    }

    @Test
    void compareAndWriteWritesOnlyWhenTheSectorMatches() throws Exception {
        try (RbdStore s = newStore(8 * MIB)) {
            assertEquals(512, s.compareAndWriteLimit());
            long at = 4 * MIB + 3 * 512;   // in the second object
            s.write(at, direct(512, 0x11), false);

            // match: written
            Done d = new Done();
            s.submitCompareAndWrite(at, direct(512, 0x11), direct(512, 0x22), false, d);
            assertNull(d.result());
            ByteBuffer r = ByteBuffer.allocateDirect(512);
            s.read(at, r);
            assertArrayEquals(bytes(direct(512, 0x22)), bytes(r.flip()));

            // mismatch at byte 300 of the sector: nothing written, the offset from the range's start
            ByteBuffer expected = direct(512, 0x22);
            expected.put(300, (byte) 0x23);
            Done m = new Done();
            s.submitCompareAndWrite(at, expected, direct(512, 0x44), false, m);
            MiscompareException e = assertInstanceOf(MiscompareException.class, m.result());
            assertEquals(300, e.offset());
            r.clear();
            s.read(at, r);
            assertArrayEquals(bytes(direct(512, 0x22)), bytes(r.flip()));

            // an object never written compares against zeros
            ByteBuffer zeros = direct(512, 0);
            zeros.put(7, (byte) 1);
            Done z = new Done();
            s.submitCompareAndWrite(2 * MIB + 1024, zeros, direct(512, 0x55), false, z);
            assertEquals(7, assertInstanceOf(MiscompareException.class, z.result()).offset());

            // heap buffers go through the slot's bounce memory
            Done h = new Done();
            s.submitCompareAndWrite(at, ByteBuffer.wrap(bytes(direct(512, 0x22))), ByteBuffer.wrap(bytes(direct(512, 0x66))),
                    false, h);
            assertNull(h.result());
            r.clear();
            s.read(at, r);
            assertArrayEquals(bytes(direct(512, 0x66)), bytes(r.flip()));

            // more than one sector, or across one: refused (librbd 16.2 cannot), nothing written
            Done big = new Done();
            s.submitCompareAndWrite(0, direct(4096, 0), direct(4096, 1), false, big);
            IOException refused = big.result();
            assertNotNull(refused);
            assertTrue(refused.getMessage().contains("512-byte sector"), refused.getMessage());
            assertFalse(refused instanceof MiscompareException);
        }
    }

    @Test
    void outOfRangeAndEmptyRequestsCompleteWithoutTouchingTheImage() throws Exception {
        try (RbdStore s = newStore(4 * MIB)) {
            Done d = new Done();
            s.submitRead(4 * MIB - 512, ByteBuffer.allocateDirect(1024), d);
            IOException e = d.result();
            assertNotNull(e);
            assertTrue(e.getMessage().contains("outside"), e.getMessage());
            Done empty = new Done();
            s.submitWrite(0, ByteBuffer.allocateDirect(0), false, empty);
            assertNull(empty.result());
        }
    }

    @Test
    void aMissingImageOrPoolIsRefusedWithTheReason() throws Exception {
        RbdStoreProvider p = new RbdStoreProvider();
        IOException noImage = assertThrows(IOException.class, () -> p.plan(POOL + "/nosuch", null, false, options()));
        assertTrue(noImage.getMessage().contains("no such image in pool " + POOL), noImage.getMessage());
        IOException noPool = assertThrows(IOException.class, () -> p.plan("nopool/img", null, false, options()));
        assertTrue(noPool.getMessage().contains("no such pool"), noPool.getMessage());
        IOException syntax = assertThrows(IOException.class, () -> p.plan("justanimage", null, false, options()));
        assertTrue(syntax.getMessage().contains("POOL/IMAGE"), syntax.getMessage());
        cluster.createImage(POOL, "sized", 4 * MIB);
        IOException size = assertThrows(IOException.class, () -> p.plan(POOL + "/sized", 8 * MIB, false, options()));
        assertTrue(size.getMessage().contains("has 4194304 bytes, not 8388608"), size.getMessage());
        IllegalArgumentException option = assertThrows(IllegalArgumentException.class,
                () -> p.plan(POOL + "/sized", null, false, Map.of("direct", "1")));
        assertTrue(option.getMessage().contains("conf=PATH"), option.getMessage());
        IllegalArgumentException relative = assertThrows(IllegalArgumentException.class,
                () -> p.checkOptions(Map.of("conf", "ceph.conf")));
        assertTrue(relative.getMessage().contains("absolute"), relative.getMessage());
    }

    @Test
    void aClusterThatIsNotThereIsAnErrorWithinTheTimeout() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();   // closed again: nothing listens there
        }
        Path conf = Path.of("target", "nocluster.conf").toAbsolutePath();
        Files.writeString(conf, "[global]\nmon host = v2:127.0.0.1:" + port + "\nlog file = "
                + conf.getParent().resolve("nocluster.log") + "\nadmin socket = \n", StandardCharsets.US_ASCII);
        RbdConnection how = new RbdConnection(conf.toString(), cluster.adminKeyring().toString(), "admin", 3, 4);
        long t0 = System.nanoTime();
        IOException e = assertThrows(IOException.class, () -> RbdStore.open(how, POOL, "img"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(e.getMessage().contains("cannot connect to the Ceph cluster"), e.getMessage());
        assertTrue(ms < 15_000, "took " + ms + " ms");
    }

    @Test
    void closingWithIoInFlightCompletesEveryOperationOnce() throws Exception {
        RbdStore s = newStore(64 * MIB);
        int n = 400;   // more than the store's slots: submitters also wait for free ones
        Done[] done = new Done[n];
        Thread submitter = new Thread(() -> {
            ByteBuffer[] bufs = new ByteBuffer[8];
            for (int i = 0; i < bufs.length; i++) {
                bufs[i] = direct(64 * 1024, i);
            }
            for (int i = 0; i < n; i++) {
                done[i] = new Done();
                s.submitWrite((long) (i % 1000) * 64 * 1024, bufs[i % 8].duplicate(), false, done[i]);
            }
        });
        submitter.start();
        Thread.sleep(50);
        s.close();
        submitter.join(60_000);
        assertFalse(submitter.isAlive());
        assertTrue(s.isClosed());
        assertEquals(0, s.inFlight());
        int ok = 0;
        int refused = 0;
        for (Done d : done) {
            IOException e = d.result();
            assertEquals(1, d.calls.get());
            if (e == null) {
                ok++;
            } else {
                assertTrue(e.getMessage().contains("is closed"), e.getMessage());
                refused++;
            }
        }
        assertEquals(n, ok + refused);
        Done after = new Done();
        s.submitFlush(after);
        assertTrue(after.result().getMessage().contains("is closed"));
        s.close();   // twice is nothing
    }

    @Test
    void storeIsAnAsyncStoreForTheDaemon() throws Exception {
        try (RbdStore s = newStore(4 * MIB)) {
            AsyncBackingStore a = s;
            Done d = new Done();
            a.submitWork(() -> s.write(0, direct(4096, 9), false), d);
            assertNull(d.result());
            ByteBuffer r = ByteBuffer.allocateDirect(4096);
            s.read(0, r);
            assertArrayEquals(bytes(direct(4096, 9)), bytes(r.flip()));
            // work runs on several threads: one piece waiting for another does not hold it back
            java.util.concurrent.CountDownLatch second = new java.util.concurrent.CountDownLatch(1);
            Done waiting = new Done();
            a.submitWork(() -> {
                try {
                    if (!second.await(20, TimeUnit.SECONDS)) {
                        throw new IOException("the second piece of work never ran");
                    }
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }, waiting);
            Done releasing = new Done();
            a.submitWork(second::countDown, releasing);
            assertNull(releasing.result());
            assertNull(waiting.result());
        }
    }

    /** Counts completions without allocating (the submitting thread waits on it spinning). */
    private static final class Counter extends AtomicInteger implements IoCompletion {
        volatile IOException failure;

        @Override
        public void ioDone(IOException f) {
            if (f != null) {
                failure = f;
            }
            incrementAndGet();
        }
    }

    /**
     * Submitting reads and writes on direct buffers (the daemon's data area) allocates nothing on
     * the submitting thread once warm: slots, completions and buffer addresses are reused.
     */
    @Test
    void submittingAllocatesNothingOnceWarm() throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory
                .getThreadMXBean();
        try (RbdStore s = newStore(16 * MIB)) {
            ByteBuffer area = ByteBuffer.allocateDirect(1 << 20);
            ByteBuffer w = area.duplicate();
            ByteBuffer r = area.duplicate();
            Counter done = new Counter();
            int rounds = 20;
            int batch = 32;
            long before = 0;
            for (int round = 0; round < rounds; round++) {
                if (round == rounds / 2) {
                    before = mx.getCurrentThreadAllocatedBytes();
                }
                int target = done.get() + 2 * batch;
                for (int i = 0; i < batch; i++) {
                    w.clear().position(i * 4096).limit(i * 4096 + 4096);
                    s.submitWrite((long) i * 4096, w, false, done);
                    r.clear().position(512 * 1024 + i * 4096).limit(512 * 1024 + i * 4096 + 4096);
                    s.submitRead((long) i * 4096, r, done);
                }
                while (done.get() < target) {
                    Thread.onSpinWait();
                }
            }
            long allocated = mx.getCurrentThreadAllocatedBytes() - before;
            assertNull(done.failure);
            assertTrue(allocated < 4096, "the submitting thread allocated " + allocated + " bytes for "
                    + rounds / 2 * batch * 2 + " operations");
        }
    }

    /**
     * The errors of a shared image, from librbd itself: another client holding the exclusive lock
     * in exclusive mode (as a gateway that owns the image will) makes this store's writes fail
     * with EROFS, a blocklisted client's with ESHUTDOWN; both are {@link org.jtgt.api.store.NotAccessibleException},
     * the second one fenced.
     */
    @Test
    void aLockHeldElsewhereAndABlocklistAreNotAccessible() throws Exception {
        try (RbdStore s = newStore(4 * MIB)) {
            s.write(0, direct(4096, 1), false);   // this client takes the lock
            RbdConnection how = RbdStoreProvider.connection(options());
            long other = how.connect();
            long ioctx = 0;
            long image = 0;
            try (com.sun.jna.Memory out = new com.sun.jna.Memory(8)) {
                assertEquals(0, RbdNative.Rados.rados_ioctx_create(other, POOL, out));
                ioctx = out.getLong(0);
                assertEquals(0, RbdNative.Rbd.rbd_open(ioctx, "img" + IMAGES.get(), out, null));
                image = out.getLong(0);
                // the other client takes the lock for good: the store's librbd hands it over on request
                assertEquals(0, RbdNative.Rbd.rbd_lock_acquire(image, RbdNative.Rbd.LOCK_MODE_EXCLUSIVE));
                Done w = new Done();
                s.submitWrite(8192, direct(4096, 2), false, w);
                org.jtgt.api.store.NotAccessibleException e =
                        assertInstanceOf(org.jtgt.api.store.NotAccessibleException.class, w.result());
                assertFalse(e.fenced());
                assertTrue(e.getMessage().contains("EROFS"), e.getMessage());
                // reads go on
                ByteBuffer r = ByteBuffer.allocateDirect(4096);
                s.read(0, r);
                assertArrayEquals(bytes(direct(4096, 1)), bytes(r.flip()));
                assertEquals(0, RbdNative.Rbd.rbd_lock_release(image));
            } finally {
                if (image != 0) {
                    RbdNative.Rbd.rbd_close(image);
                }
                if (ioctx != 0) {
                    RbdNative.Rados.rados_ioctx_destroy(ioctx);
                }
                RbdNative.Rados.rados_shutdown(other);
            }
            s.write(8192, direct(4096, 3), false);   // the lock is free again: it writes
            cluster.ceph("osd", "blocklist", "add", s.clientAddress());
            IOException fenced = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (fenced == null && System.nanoTime() < deadline) {
                Done w = new Done();
                s.submitWrite(16384, direct(4096, 4), false, w);
                fenced = w.result();
                if (fenced == null) {
                    Thread.sleep(200);   // until this client has the OSD map that names it
                }
            }
            org.jtgt.api.store.NotAccessibleException n =
                    assertInstanceOf(org.jtgt.api.store.NotAccessibleException.class, fenced);
            assertTrue(n.fenced(), n.getMessage());
            assertTrue(n.getMessage().contains("ESHUTDOWN"), n.getMessage());
            cluster.ceph("osd", "blocklist", "rm", s.clientAddress());
        }
    }
}
