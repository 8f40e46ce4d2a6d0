package org.jtgt.backing.rbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import org.jtgt.api.store.NotAccessibleException;
import org.jtgt.api.target.AccessState;
import org.jtgt.testkit.CephCluster;
import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two gateways' stores on one image in one JVM ({@link RbdGateway}): the first one up owns the
 * image, the other follows and its writes are refused (standby) or forwarded to the owner
 * (active/non-optimized); a request moves ownership; a silent owner
 * is broken (blocklisted) after the takeover time and never acknowledges a write again.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class RbdGatewayTest {
    private static final String POOL = "jtgt";
    private static final long MIB = 1 << 20;
    private static final long HEARTBEAT_MS = 200;
    private static final long TAKEOVER_MS = 1500;
    private static CephCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = CephCluster.start(Path.of("target", "ceph-gateway-test"), POOL);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.stop();
        }
    }

    private static RbdStore gateway(String image, int number) throws IOException {
        return gateway(image, number, "standby");
    }

    private static RbdStore gateway(String image, int number, String follower) throws IOException {
        Map<String, String> o = new HashMap<>();
        o.put(RbdStoreProvider.OPTION_FOLLOWER, follower);
        o.put(RbdStoreProvider.OPTION_CONF, cluster.conf().toString());
        o.put(RbdStoreProvider.OPTION_KEYRING, cluster.adminKeyring().toString());
        o.put(RbdStoreProvider.OPTION_ID, cluster.clientId());
        o.put(RbdStoreProvider.OPTION_GATEWAY, Integer.toString(number));
        o.put(RbdStoreProvider.OPTION_HEARTBEAT, Long.toString(HEARTBEAT_MS));
        o.put(RbdStoreProvider.OPTION_TAKEOVER, Long.toString(TAKEOVER_MS));
        return (RbdStore) new RbdStoreProvider().open(POOL + "/" + image, 0, o);
    }

    /** The image as a client outside the gateway cluster reads it. */
    private static RbdStore plain(String image) throws IOException {
        Map<String, String> o = new HashMap<>();
        o.put(RbdStoreProvider.OPTION_CONF, cluster.conf().toString());
        o.put(RbdStoreProvider.OPTION_KEYRING, cluster.adminKeyring().toString());
        o.put(RbdStoreProvider.OPTION_ID, cluster.clientId());
        return (RbdStore) new RbdStoreProvider().open(POOL + "/" + image, 0, o);
    }

    /** A synchronous compare and write through the asynchronous call. */
    private static void compareAndWrite(RbdStore s, long offset, ByteBuffer expected, ByteBuffer data)
            throws Exception {
        java.util.concurrent.CompletableFuture<IOException> f = new java.util.concurrent.CompletableFuture<>();
        s.submitCompareAndWrite(offset, expected, data, false, f::complete);
        IOException e = f.get(30, TimeUnit.SECONDS);
        if (e != null) {
            throw e;
        }
    }

    private static NotAccessibleException assertTransitioning(IOException e) {
        NotAccessibleException n = assertInstanceOf(NotAccessibleException.class, e);
        assertTrue(n.transitioning(), n.getMessage());
        return n;
    }

    private static ByteBuffer pattern(int bytes, int seed) {
        ByteBuffer b = ByteBuffer.allocateDirect(bytes);
        for (int i = 0; i < bytes; i++) {
            b.put(i, (byte) (seed * 31 + i));
        }
        return b;
    }

    private static byte[] read(RbdStore s, long offset, int bytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(bytes);
        s.read(offset, b);
        byte[] out = new byte[bytes];
        b.get(0, out);
        return out;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.capacity()];
        b.get(0, out);
        return out;
    }

    /** Waits up to {@code ms} for {@code what}; returns the milliseconds it took. */
    private static long await(long ms, String message, BooleanSupplier what) throws InterruptedException {
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(ms);
        while (!what.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(message + " within " + ms + " ms");
            }
            Thread.sleep(50);
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void optionsAreChecked() {
        Map<String, String> o = new HashMap<>();
        o.put(RbdStoreProvider.OPTION_FOLLOWER, "standby");
        assertThrows(IllegalArgumentException.class, () -> new RbdStoreProvider().checkOptions(o));
        o.put(RbdStoreProvider.OPTION_GATEWAY, "0");
        assertThrows(IllegalArgumentException.class, () -> new RbdStoreProvider().checkOptions(o));
        o.put(RbdStoreProvider.OPTION_GATEWAY, "2");
        new RbdStoreProvider().checkOptions(o);
        o.put(RbdStoreProvider.OPTION_FOLLOWER, "unavailable");
        assertThrows(IllegalArgumentException.class, () -> new RbdStoreProvider().checkOptions(o));
        o.put(RbdStoreProvider.OPTION_FOLLOWER, "an");
        assertEquals(AccessState.ACTIVE_NON_OPTIMIZED, RbdStoreProvider.gatewayConfig(o).follower());
        o.put(RbdStoreProvider.OPTION_HEARTBEAT, "1000");
        o.put(RbdStoreProvider.OPTION_TAKEOVER, "2000");   // below three heartbeats
        assertThrows(IllegalArgumentException.class, () -> new RbdStoreProvider().checkOptions(o));
        // the implicit transition time covers takeover, two heartbeats and breaking the lock
        o.put(RbdStoreProvider.OPTION_TAKEOVER, "3000");
        assertEquals(6, RbdStoreProvider.gatewayConfig(o).transitionSeconds());
        o.put(RbdStoreProvider.OPTION_HEARTBEAT, "500");
        o.put(RbdStoreProvider.OPTION_TAKEOVER, "1600");
        assertEquals(4, RbdStoreProvider.gatewayConfig(o).transitionSeconds());
        o.put(RbdStoreProvider.OPTION_TAKEOVER, "3600000");
        assertEquals(255, RbdStoreProvider.gatewayConfig(o).transitionSeconds());
    }

    /**
     * A client killed while it holds the lock (here QEMU's rbd driver, which takes it for a write)
     * never wrote a heartbeat: a gateway starting then gives it one takeover time, then breaks its
     * lock (blocklisting it) and owns the image; opening the store does not wait for the dead
     * client's watch to time out.
     */
    @Test
    void aLockLeftByAKilledClientIsBrokenAfterTheTakeoverTime() throws Exception {
        ExternalTool.require("qemu-io", "qemu-utils and qemu-block-extra");
        ExternalTool.require("stdbuf", "coreutils");
        cluster.createImage(POOL, "orphan", 8 * MIB);
        Path out = Path.of("target", "ceph-gateway-test-qemu.txt").toAbsolutePath();
        Process q = new ProcessBuilder("stdbuf", "-oL", "qemu-io", "-f", "raw", "-c", "write -P 0x42 0 4k", "-c",
                "sleep 120000", cluster.qemuRbdUrl(POOL, "orphan")).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        try {
            await(60_000, "qemu-io wrote (and so holds the lock)",
                    () -> read(out).contains("wrote 4096/4096 bytes"));
            String before = cluster.ceph("osd", "blocklist", "ls");
            q.destroyForcibly();   // SIGKILL: the lock stays, its watch until the OSD's timeout
            assertTrue(q.waitFor(10, TimeUnit.SECONDS));
            long t0 = System.nanoTime();
            try (RbdStore g = gateway("orphan", 1)) {
                long opened = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(opened < TAKEOVER_MS, "opening waited " + opened + " ms for the dead client");
                await(2 * TAKEOVER_MS + 3 * HEARTBEAT_MS + 10_000, "gateway 1 owns the image", () -> g.owner() == 1 && g.gatewayPart().owns());
                long took = (System.nanoTime() - t0) / 1_000_000;
                String after = cluster.ceph("osd", "blocklist", "ls");
                assertTrue(after.lines().count() > before.lines().count(), "the killed client blocklisted:\n" + after);
                byte[] expected = new byte[4096];
                java.util.Arrays.fill(expected, (byte) 0x42);
                assertArrayEquals(expected, read(g, 0, 4096));
                g.write(4096, pattern(4096, 4), false);
                System.out.println("gateway opened in " + opened + " ms, owned the image " + took + " ms after the kill");
            }
        } finally {
            q.destroyForcibly();
        }
    }

    private static String read(Path p) {
        try {
            return java.nio.file.Files.exists(p) ? java.nio.file.Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void ownershipMovesAndASilentOwnerIsFenced() throws Exception {
        cluster.createImage(POOL, "shared", 8 * MIB);
        try (RbdStore a = gateway("shared", 1); RbdStore b = gateway("shared", 2)) {
            // the first one up owns the image; the other follows and its writes are refused
            assertEquals(1, a.owner());
            await(5_000, "gateway 2 sees gateway 1 own the image", () -> b.owner() == 1);
            a.write(0, pattern(4096, 1), false);
            NotAccessibleException refused = assertThrows(NotAccessibleException.class,
                    () -> b.write(4096, pattern(4096, 9), false));
            assertFalse(refused.fenced(), refused.getMessage());
            assertTrue(refused.getMessage().contains("gateway 2 does not own the image (gateway 1 does)"),
                    refused.getMessage());
            assertArrayEquals(bytes(pattern(4096, 1)), read(b, 0, 4096), "a follower reads the owner's write");

            // a request (SET TARGET PORT GROUPS on gateway 2) moves ownership; both see it
            AtomicInteger told = new AtomicInteger();
            b.ownershipListener(told::incrementAndGet);
            a.requestOwnership(2);
            long moved = await(10_000, "gateway 2 owns the image",
                    () -> b.owner() == 2 && a.owner() == 2 && b.gatewayPart().owns());
            assertTrue(told.get() > 0, "the listener was called");
            b.write(4096, pattern(4096, 2), false);
            NotAccessibleException nowRefused = assertThrows(NotAccessibleException.class,
                    () -> a.write(8192, pattern(4096, 9), false));
            assertFalse(nowRefused.fenced(), nowRefused.getMessage());
            assertFalse(a.fenced());

            // gateway 2 hangs: no heartbeat; gateway 1 breaks its lock (blocklisting it) and takes over
            String bAddress = b.clientAddress();
            b.gatewayPart().pause(true);
            long t0 = System.nanoTime();
            await(TAKEOVER_MS + 15_000, "gateway 1 takes over", () -> a.owner() == 1 && a.gatewayPart().owns());
            long takeover = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(takeover >= TAKEOVER_MS - HEARTBEAT_MS, "took over after " + takeover + " ms");
            a.write(8192, pattern(4096, 3), false);
            // the fenced gateway never acknowledges a write again, though it still believes it owns
            assertTrue(b.gatewayPart().owns(), "the hung gateway has not noticed yet");
            IOException fenced = null;
            for (int i = 0; i < 3; i++) {
                fenced = assertThrows(IOException.class, () -> b.write(12288, pattern(4096, 9), false));
            }
            NotAccessibleException n = assertInstanceOf(NotAccessibleException.class, fenced);
            assertTrue(n.fenced(), n.getMessage());
            assertTrue(n.getMessage().contains("ESHUTDOWN"), n.getMessage());
            String blocklist = cluster.ceph("osd", "blocklist", "ls");
            String nonce = bAddress.substring(bAddress.lastIndexOf('/'));
            assertTrue(blocklist.contains(nonce), "gateway 2 (" + bAddress + ") blocklisted: " + blocklist);
            // resumed, it finds itself fenced
            b.gatewayPart().pause(false);
            await(5_000, "gateway 2 knows it is fenced", b::fenced);
            assertEquals(0, b.owner());
            // every acknowledged write is there, the refused ones are not
            assertArrayEquals(bytes(pattern(4096, 1)), read(a, 0, 4096));
            assertArrayEquals(bytes(pattern(4096, 2)), read(a, 4096, 4096));
            assertArrayEquals(bytes(pattern(4096, 3)), read(a, 8192, 4096));
            assertArrayEquals(new byte[4096], read(a, 12288, 4096));
            System.out.println("move " + moved + " ms, takeover " + takeover + " ms after the last heartbeat");
        }
    }
    /**
     * An active/non-optimized follower serves writes by forwarding them to the owner: plain
     * writes (one over the notification's chunk size), compare and write (atomic on the owner,
     * a mismatch reported at its offset and nothing written), write zeroes and flush; the data
     * reads back through the owner, the follower and a client outside the cluster.
     */
    @Test
    void anActiveFollowerForwardsItsWritesToTheOwner() throws Exception {
        cluster.createImage(POOL, "forward", 8 * MIB);
        try (RbdStore a = gateway("forward", 1, "an"); RbdStore b = gateway("forward", 2, "an")) {
            assertEquals(1, a.owner());
            await(5_000, "gateway 2 sees gateway 1 own the image", () -> b.owner() == 1);
            b.write(0, pattern(4096, 1), false);
            int big = 3 * (int) MIB + 4096;   // 13 notifications in flight at once
            b.write(MIB, pattern(big, 2), true);
            b.flush();
            try (RbdStore outside = plain("forward")) {
                for (RbdStore s : new RbdStore[] {a, b, outside}) {
                    assertArrayEquals(bytes(pattern(4096, 1)), read(s, 0, 4096));
                    assertArrayEquals(bytes(pattern(big, 2)), read(s, MIB, big));
                }
            }
            assertFalse(b.gatewayPart().owns(), "forwarding moved no lock");
            assertTrue(a.gatewayPart().owns());

            // compare and write through the follower: a match writes, a mismatch names its offset
            ByteBuffer old = ByteBuffer.allocateDirect(512).put(0, bytes(pattern(4096, 1)), 512, 512);
            compareAndWrite(b, 512, old, pattern(512, 3));
            assertArrayEquals(bytes(pattern(512, 3)), read(a, 512, 512));
            ByteBuffer wrong = pattern(512, 3);
            wrong.put(100, (byte) (wrong.get(100) ^ 0x55));
            org.jtgt.api.store.MiscompareException m = assertThrows(org.jtgt.api.store.MiscompareException.class,
                    () -> compareAndWrite(b, 512, wrong, pattern(512, 4)));
            assertEquals(100, m.offset());
            assertArrayEquals(bytes(pattern(512, 3)), read(a, 512, 512), "nothing written on a miscompare");

            // write zeroes (UNMAP, WRITE SAME with UNMAP)
            b.deallocate(MIB, 8192);
            assertArrayEquals(new byte[8192], read(a, MIB, 8192));

            // the owner at its bound answers busy: the follower says transitioning, nothing is written
            a.gatewayPart().forwarding().ownerLimit(0);
            NotAccessibleException busy = assertTransitioning(
                    assertThrows(IOException.class, () -> b.write(2 * 4096, pattern(4096, 5), false)));
            assertTrue(busy.getMessage().contains("bound"), busy.getMessage());
            assertArrayEquals(new byte[4096], read(a, 2 * 4096, 4096));
            a.gatewayPart().forwarding().ownerLimit(RbdForwarding.OWNER_SLOTS);
            b.write(2 * 4096, pattern(4096, 5), false);
            assertArrayEquals(bytes(pattern(4096, 5)), read(a, 2 * 4096, 4096));
        }
    }

    /**
     * A follower whose owner is fenced (blocklisted) or gone never reports a write it did not see
     * done: the fenced owner's librbd refuses it (or its watch is gone), the follower answers NOT
     * READY, ASYMMETRIC ACCESS STATE TRANSITION, and the bytes are not there.
     */
    @Test
    void aFollowerWhoseOwnerIsFencedOrGoneAnswersTransitioning() throws Exception {
        cluster.createImage(POOL, "forward-fenced", 8 * MIB);
        RbdStore a = gateway("forward-fenced", 1, "an");
        String aAddress = a.clientAddress();
        try (RbdStore b = gateway("forward-fenced", 2, "an"); RbdStore outside = plain("forward-fenced")) {
            await(5_000, "gateway 2 sees gateway 1 own the image", () -> b.owner() == 1);
            b.write(0, pattern(4096, 1), false);
            // gateway 2 stops its heartbeat steps: it keeps believing in gateway 1 and never takes over
            b.gatewayPart().pause(true);
            cluster.ceph("osd", "blocklist", "add", aAddress);
            java.util.List<Long> acknowledged = new java.util.ArrayList<>();
            IOException refused = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (int i = 1; refused == null && System.nanoTime() < deadline; i++) {
                try {
                    b.write(i * 4096L, pattern(4096, 10 + i), false);
                    acknowledged.add((long) i);   // before the owner had the OSD map that names it
                    Thread.sleep(200);
                } catch (IOException e) {
                    refused = e;
                    NotAccessibleException n = assertTransitioning(e);
                    assertFalse(n.fenced(), "the follower itself is not fenced");
                    assertArrayEquals(new byte[4096], read(outside, i * 4096L, 4096), "a refused write is not there");
                }
            }
            assertTransitioning(refused);
            for (long i : acknowledged) {
                assertArrayEquals(bytes(pattern(4096, 10 + (int) i)), read(outside, i * 4096, 4096),
                        "every acknowledged write is there");
            }
            // the blocklisted owner stops setting its watch up again: fenced (its heartbeat ends) or
            // told so by the watch itself
            RbdGateway fenced = a.gatewayPart();
            await(30_000, "gateway 1 sees it is blocklisted", () -> fenced.fenced() || fenced.forwarding().blocklisted());
            int tries = fenced.forwarding().watchTries();
            Thread.sleep(3_500);
            assertEquals(tries, fenced.forwarding().watchTries(), "a blocklisted gateway's watch was tried again");
            // the owner gone altogether (its watch removed): no answer, transitioning
            a.close();
            NotAccessibleException gone = assertTransitioning(
                    assertThrows(IOException.class, () -> b.write(7 * MIB, pattern(4096, 9), false)));
            assertTrue(gone.getMessage().contains("no answer"), gone.getMessage());
            assertArrayEquals(new byte[4096], read(outside, 7 * MIB, 4096));
            b.gatewayPart().pause(false);
        } finally {
            a.close();
            cluster.ceph("osd", "blocklist", "rm", aAddress);
        }
    }

    /**
     * The owner executes a forwarded write and a compare and write only after the follower's
     * notification timed out (a slow librbd): the follower asks for the outcome until it is done
     * and answers it (GOOD, the data there), never NOT READY for an operation that executed.
     */
    @Test
    void aForwardedOperationExecutedLateIsAnsweredWithItsOutcome() throws Exception {
        cluster.createImage(POOL, "forward-late", 8 * MIB);
        try (RbdStore a = gateway("forward-late", 1, "an"); RbdStore b = gateway("forward-late", 2, "an")) {
            await(5_000, "gateway 2 sees gateway 1 own the image", () -> b.owner() == 1);
            long timeout = b.gatewayPart().forwarding().notifyTimeoutMillis();
            CountDownLatch slow = new CountDownLatch(1);
            a.gatewayPart().forwarding().slowNext(slow);
            CompletableFuture<IOException> w = new CompletableFuture<>();
            b.submitWrite(4096, pattern(4096, 1), false, w::complete);
            Thread.sleep(timeout + 1000);
            assertFalse(w.isDone(), "answered before the owner executed it: " + w.getNow(null));
            slow.countDown();
            assertNull(w.get(30, TimeUnit.SECONDS), "the write executed: GOOD");
            assertArrayEquals(bytes(pattern(4096, 1)), read(a, 4096, 4096));
        }
    }

    /**
     * A compare and write the owner executes only after the follower's notification timed out is
     * answered GOOD: answered NOT READY, its retry would miscompare against its own new data.
     */
    @Test
    void aCompareAndWriteExecutedLateIsAnsweredGood() throws Exception {
        cluster.createImage(POOL, "forward-late-caw", 8 * MIB);
        try (RbdStore a = gateway("forward-late-caw", 1, "an"); RbdStore b = gateway("forward-late-caw", 2, "an")) {
            await(5_000, "gateway 2 sees gateway 1 own the image", () -> b.owner() == 1);
            long timeout = b.gatewayPart().forwarding().notifyTimeoutMillis();
            a.write(4096, pattern(4096, 1), false);
            CountDownLatch slowCaw = new CountDownLatch(1);
            a.gatewayPart().forwarding().slowNext(slowCaw);
            ByteBuffer old = ByteBuffer.allocateDirect(512).put(0, bytes(pattern(4096, 1)), 0, 512);
            CompletableFuture<IOException> cw = new CompletableFuture<>();
            b.submitCompareAndWrite(4096, old, pattern(512, 2), false, cw::complete);
            Thread.sleep(timeout + 1000);
            assertFalse(cw.isDone(), "answered before the owner executed it: " + cw.getNow(null));
            slowCaw.countDown();
            assertNull(cw.get(30, TimeUnit.SECONDS), "the compare and write executed: GOOD");
            assertArrayEquals(bytes(pattern(512, 2)), read(a, 4096, 512));
        }
    }

    /**
     * A forwarded write whose notification reaches the owner only after the follower asked for its
     * outcome: the owner had marked it cancelled, the follower answered NOT READY, the initiator
     * wrote the block again (W2), and the late write (W1) is refused, not executed over W2.
     */
    @Test
    void aForwardedWriteArrivingAfterItsFollowerAskedIsRefused() throws Exception {
        cluster.createImage(POOL, "forward-cancel", 8 * MIB);
        try (RbdStore a = gateway("forward-cancel", 1, "an"); RbdStore b = gateway("forward-cancel", 2, "an")) {
            await(5_000, "gateway 2 sees gateway 1 own the image", () -> b.owner() == 1);
            CountDownLatch late = new CountDownLatch(1);
            CompletableFuture<Boolean> executed = a.gatewayPart().forwarding().holdNext(late);
            IOException refused = assertThrows(IOException.class, () -> b.write(8192, pattern(4096, 3), false));
            b.write(8192, pattern(4096, 4), false);   // the initiator writes that block again
            late.countDown();
            boolean ran = executed.get(30, TimeUnit.SECONDS);
            assertArrayEquals(bytes(pattern(4096, 4)), read(a, 8192, 4096), "the late write overwrote the newer one");
            assertFalse(ran, "the late notification was executed");
            NotAccessibleException n = assertTransitioning(refused);
            assertTrue(n.getMessage().contains("cancelled"), n.getMessage());
        }
    }

    /** A reset announced by one gateway reaches the others' listeners before the announcement completes. */
    @Test
    void aResetReachesTheOtherGateways() throws Exception {
        cluster.createImage(POOL, "reset", 8 * MIB);
        try (RbdStore a = gateway("reset", 1); RbdStore b = gateway("reset", 2, "an")) {
            java.util.List<String> heard = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            a.sharedResets().listen(k -> heard.add("1 " + k));
            b.sharedResets().listen(k -> heard.add("2 " + k));
            java.util.concurrent.CompletableFuture<Boolean> done = new java.util.concurrent.CompletableFuture<>();
            a.sharedResets().announce(org.jtgt.api.store.SharedUnitResets.Kind.LOGICAL_UNIT_RESET, ok -> {
                done.complete(ok && heard.contains("2 LOGICAL_UNIT_RESET"));
            });
            assertTrue(done.get(15, TimeUnit.SECONDS), "every gateway acknowledged, after its listener ran: " + heard);
            assertEquals(java.util.List.of("2 LOGICAL_UNIT_RESET"), heard, "not told of its own reset");
            assertEquals(null, plainResets());
        }
    }

    private static Object plainResets() throws IOException {
        try (RbdStore s = plain("reset")) {
            return s.sharedResets();
        }
    }
}
