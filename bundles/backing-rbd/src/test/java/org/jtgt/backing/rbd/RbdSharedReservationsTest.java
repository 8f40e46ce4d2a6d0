package org.jtgt.backing.rbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.jtgt.api.store.NotAccessibleException;
import org.jtgt.api.store.SharedReservations;
import org.jtgt.api.store.SharedReservations.Versioned;
import org.jtgt.testkit.CephCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link RbdSharedReservations}: two stores on one image, each with its own cluster handle (two
 * gateways), against a one-node Ceph cluster under {@code target/}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RbdSharedReservationsTest {
    private static final String POOL = "jtgt";
    private static final AtomicInteger IMAGES = new AtomicInteger();
    private static CephCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = CephCluster.start(Path.of("target", "ceph-shared-pr-test"), POOL);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.stop();
        }
    }

    private static Map<String, String> options() {
        return Map.of(RbdStoreProvider.OPTION_CONF, cluster.conf().toString(), RbdStoreProvider.OPTION_KEYRING,
                cluster.adminKeyring().toString(), RbdStoreProvider.OPTION_ID, cluster.clientId());
    }

    private static String newImage() throws Exception {
        String image = "pr" + IMAGES.incrementAndGet();
        cluster.createImage(POOL, image, 4 << 20);
        return image;
    }

    private static RbdStore open(String image) throws IOException {
        return RbdStore.open(RbdStoreProvider.connection(options()), POOL, image);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A write through one gateway's record is read, and heard, through the other's before compareAndSet returns. */
    @Test
    void aWriteIsSeenByTheOtherGatewayBeforeItReturns() throws Exception {
        String image = newImage();
        try (RbdStore a = open(image); RbdStore b = open(image);
             SharedReservations ra = a.sharedReservations(); SharedReservations rb = b.sharedReservations()) {
            assertTrue(ra.describe().contains(RbdSharedReservations.PREFIX), ra.describe());
            assertEquals(0, ra.load().version(), "no record yet");
            assertFalse(ra.othersListening());
            AtomicReference<Versioned> heardByB = new AtomicReference<>();
            ra.listen(v -> { });
            rb.listen(v -> {
                if (v != null) {
                    heardByB.set(v);
                }
            });
            assertTrue(ra.othersListening(), "b watches the record");
            assertTrue(ra.current() && rb.current());
            Versioned v0 = ra.load();   // the watch created the object
            Versioned w = ra.compareAndSet(v0.version(), bytes("one"));
            assertNotNull(w);
            assertTrue(w.version() > v0.version());
            Versioned heard = heardByB.get();
            assertNotNull(heard, "b acknowledged the notify before a's write returned");
            assertEquals(w.version(), heard.version());
            assertArrayEquals(bytes("one"), heard.data());
            Versioned rbLoad = rb.load();
            assertEquals(w.version(), rbLoad.version());
            assertArrayEquals(bytes("one"), rbLoad.data());
            // b still holds the old version: its write is refused, and after a load it succeeds
            assertNull(rb.compareAndSet(v0.version(), bytes("stale")));
            assertArrayEquals(bytes("one"), ra.load().data());
            Versioned w2 = rb.compareAndSet(rbLoad.version(), bytes("two"));
            assertNotNull(w2);
            assertArrayEquals(bytes("two"), ra.load().data());
            assertEquals(w2.version(), ra.load().version());
        }
    }

    /**
     * An idle watch stays current: librados confirms it more often than {@link RbdSharedReservations#STALE_MS},
     * so a healthy gateway never answers NOT READY for want of news. And the bound leaves the
     * check's period below the notify timeout.
     */
    @Test
    void anIdleWatchStaysCurrent() throws Exception {
        assertTrue(RbdSharedReservations.STALE_MS + 1_000 < RbdSharedReservations.NOTIFY_TIMEOUT_MS);
        String image = newImage();
        try (RbdStore a = open(image); SharedReservations ra = a.sharedReservations()) {
            ra.listen(v -> { });
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < end) {
                assertTrue(ra.current(), "the watch was not confirmed within the bound");
                Thread.sleep(100);
            }
        }
    }

    /**
     * A gateway that watches but never acknowledges (hung, or cut off before its watch expired):
     * a write still returns, after the notify timeout, and counts it as listening.
     */
    @Test
    void aWatcherThatDoesNotAcknowledgeDelaysAWriteOnlyUpToTheBound() throws Exception {
        String image = newImage();
        try (RbdStore a = open(image); RbdStore hung = open(image); SharedReservations ra = a.sharedReservations()) {
            ra.listen(v -> { });
            RbdSharedReservations.WatchCallback silent = (arg, notifyId, cookie, notifier, data, length) -> { };
            RbdSharedReservations.WatchErrorCallback ignore = (arg, cookie, err) -> { };
            long cluster = hung.clusterHandle();
            long ioctx;
            try (com.sun.jna.Memory out = new com.sun.jna.Memory(8)) {
                assertEquals(0, RbdNative.Rados.rados_ioctx_create(cluster, POOL, out));
                ioctx = out.getLong(0);
                String oid = ra.describe().replaceAll(".*\\((.*)\\)$", "$1");
                assertEquals(0, RbdSharedReservations.Calls.rados_watch2(ioctx, oid, out, silent, ignore, null));
                long cookie = out.getLong(0);
                try {
                    assertTrue(ra.othersListening(), "a watcher that does not answer still counts");
                    long t0 = System.nanoTime();
                    Versioned w = ra.compareAndSet(ra.load().version(), bytes("late"));
                    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                    assertNotNull(w, "written");
                    assertTrue(ms >= RbdSharedReservations.NOTIFY_TIMEOUT_MS - 500
                            && ms < RbdSharedReservations.NOTIFY_TIMEOUT_MS + 5_000, "returned after " + ms + " ms");
                    assertArrayEquals(bytes("late"), ra.load().data());
                } finally {
                    RbdSharedReservations.Calls.rados_unwatch2(ioctx, cookie);
                    RbdNative.Rados.rados_ioctx_destroy(ioctx);
                }
            }
        }
    }

    /** 50 appends from each side, racing: the version guard loses none. */
    @Test
    void racingWritersLoseNoUpdate() throws Exception {
        String image = newImage();
        try (RbdStore a = open(image); RbdStore b = open(image);
             SharedReservations ra = a.sharedReservations(); SharedReservations rb = b.sharedReservations()) {
            ra.listen(v -> { });
            rb.listen(v -> { });
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger conflicts = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (SharedReservations r : List.of(ra, rb)) {
                String side = r == ra ? "a" : "b";
                Thread t = new Thread(() -> {
                    try {
                        go.await();
                        for (int i = 0; i < 50; i++) {
                            while (true) {
                                Versioned v = r.load();
                                String next = new String(v.data(), StandardCharsets.UTF_8) + side + i + "\n";
                                if (r.compareAndSet(v.version(), bytes(next)) != null) {
                                    break;
                                }
                                conflicts.incrementAndGet();
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
                t.start();
                threads.add(t);
            }
            go.countDown();
            for (Thread t : threads) {
                t.join(120_000);
            }
            assertTrue(failures.isEmpty(), failures.toString());
            Set<String> lines = new HashSet<>(List.of(new String(ra.load().data(), StandardCharsets.UTF_8).split("\n")));
            for (int i = 0; i < 50; i++) {
                assertTrue(lines.contains("a" + i) && lines.contains("b" + i), "lost an append: " + i + " " + lines);
            }
            assertEquals(100, lines.size());
            System.out.println("racing appends: " + conflicts.get() + " version conflicts, none lost");
        }
    }

    /** A blocklisted gateway's write fails as not accessible (fenced) and changes nothing. */
    @Test
    void aBlocklistedGatewayCannotWrite() throws Exception {
        String image = newImage();
        try (RbdStore a = open(image); RbdStore b = open(image);
             SharedReservations ra = a.sharedReservations(); SharedReservations rb = b.sharedReservations()) {
            ra.listen(v -> { });
            rb.listen(v -> { });
            Versioned v = ra.compareAndSet(ra.load().version(), bytes("before"));
            assertNotNull(v);
            String address = a.clientAddress();
            cluster.ceph("osd", "blocklist", "add", address);
            try {
                IOException failed = null;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (failed == null && System.nanoTime() < deadline) {
                    try {
                        Versioned w = ra.compareAndSet(v.version(), bytes("after"));
                        if (w != null) {
                            v = w;   // not yet fenced: its client has not the new OSD map
                        }
                        Thread.sleep(200);
                    } catch (IOException e) {
                        failed = e;
                    }
                }
                NotAccessibleException n = assertInstanceOf(NotAccessibleException.class, failed);
                assertTrue(n.fenced(), n.getMessage());
                Versioned seen = rb.load();
                assertEquals(v.version(), seen.version(), "the refused write changed nothing");
                // the fenced gateway's watch is lost: it stops trusting its copy
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (ra.current() && System.nanoTime() < until) {
                    Thread.sleep(100);
                }
                assertFalse(ra.current(), "a blocklisted gateway's record is not current");
                assertTrue(rb.current());
                // ... and stops setting its watch up again once that finds it blocklisted
                RbdSharedReservations fenced = (RbdSharedReservations) ra;
                until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!fenced.blocklisted() && System.nanoTime() < until) {
                    Thread.sleep(100);
                }
                assertTrue(fenced.blocklisted(), "setting the watch up again never found the client blocklisted");
                int tries = fenced.watchTries();
                Thread.sleep(3_500);   // three checks and a half
                assertEquals(tries, fenced.watchTries(), "a blocklisted client's watch was tried again");
            } finally {
                cluster.ceph("osd", "blocklist", "rm", address);
            }
        }
    }
}
