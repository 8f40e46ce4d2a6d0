package org.jtgt.backing.rbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
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
 * image, the other follows and its writes are refused; a request moves ownership; a silent owner
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
        Map<String, String> o = new HashMap<>();
        o.put(RbdStoreProvider.OPTION_CONF, cluster.conf().toString());
        o.put(RbdStoreProvider.OPTION_KEYRING, cluster.adminKeyring().toString());
        o.put(RbdStoreProvider.OPTION_ID, cluster.clientId());
        o.put(RbdStoreProvider.OPTION_GATEWAY, Integer.toString(number));
        o.put(RbdStoreProvider.OPTION_HEARTBEAT, Long.toString(HEARTBEAT_MS));
        o.put(RbdStoreProvider.OPTION_TAKEOVER, Long.toString(TAKEOVER_MS));
        return (RbdStore) new RbdStoreProvider().open(POOL + "/" + image, 0, o);
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
}
