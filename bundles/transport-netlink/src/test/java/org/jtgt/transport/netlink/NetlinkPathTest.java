package org.jtgt.transport.netlink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.host.HostCallbacks;
import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.NexusOperation;
import org.jtgt.api.host.NexusResult;
import org.jtgt.api.host.ResponseDelivery;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.transport.Transport;
import org.jtgt.backing.memory.MemoryStoreProvider;
import org.jtgt.daemon.TargetDaemon;
import org.jtgt.host.HostSide;
import org.jtgt.transport.shm.ShmTransport;
import org.junit.jupiter.api.Test;

/**
 * The whole path without a framework, through this transport: a test initiator → the real
 * {@link HostSide} → {@link NetlinkTransport} → the real {@link TargetDaemon} → a memory store;
 * and swaps between it and the shared-memory ring while I/O runs. {@code HostSide}'s DS methods
 * (activate, bind, unbind) are package-private, so they are called reflectively, as DS calls them.
 */
class NetlinkPathTest {
    private static final String TARGET = "iqn.2026-11.org.jtgt:netlink";
    private static final int BLOCK = 512;
    private static final int WRITE_16 = 0x8A;
    private static final int READ_16 = 0x88;
    private static final AtomicInteger FILES = new AtomicInteger();

    /** Host side, daemon and a LUN wired by hand; the test initiator is its {@link HostCallbacks}. */
    static final class Path2 implements HostCallbacks, AutoCloseable {
        final TargetDaemon daemon = new TargetDaemon();
        final HostSide hostSide = new HostSide();
        final ScsiHost host;
        private final Map<Long, CompletableFuture<NexusResult>> nexusResults = new ConcurrentHashMap<>();
        private final Map<Long, CompletableFuture<TmfResponse>> tmfResults = new ConcurrentHashMap<>();
        private long serviceIds = 100;
        long nexus;

        Path2(String preferred) throws Exception {
            daemon.createTarget(TARGET);
            daemon.addLun(TARGET, 0, new MemoryStoreProvider().open(null, 16 << 20, Map.of()), BLOCK, LunOptions.DEFAULT);
            call("activate", new Class<?>[] {HostSide.Config.class}, config(preferred));
            host = hostSide.addHost("netlink-test", this);
        }

        void login() throws Exception {
            nexus = host.createNexus("iqn.2026-11.org.jtgt:initiator,i,0x800000000001", TARGET, 1);
            assertEquals(NexusResult.OK, nexusResults.computeIfAbsent(nexus, k -> new CompletableFuture<>()).get(10, TimeUnit.SECONDS));
        }

        NetlinkTransport netlink() throws Exception {
            NetlinkTransport t = new NetlinkTransport();
            t.open(Pair.DIR.resolve("path-" + ProcessHandle.current().pid() + "-" + FILES.incrementAndGet() + ".sock"),
                    32 << 20, 256, 256);
            t.attachDaemon(daemon);
            return t;
        }

        ShmTransport shm() throws Exception {
            ShmTransport t = new ShmTransport();
            t.open(Path.of("target", "shm-test").resolve("region-" + ProcessHandle.current().pid() + "-"
                    + FILES.incrementAndGet()), 256, 256, 32 << 20);
            t.attachDaemon(daemon);
            return t;
        }

        void register(Transport t, String name, int ranking) throws Exception {
            call("bindTransport", new Class<?>[] {Transport.class, Map.class}, t,
                    Map.of(Transport.NAME_PROPERTY, name, "service.ranking", ranking, "service.id", serviceIds++));
        }

        void unregister(Transport t) throws Exception {
            call("unbindTransport", new Class<?>[] {Transport.class}, t);
        }

        private void call(String name, Class<?>[] types, Object... args) throws Exception {
            Method m = HostSide.class.getDeclaredMethod(name, types);
            m.setAccessible(true);
            m.invoke(hostSide, args);
        }

        /** One command, synchronously; Data-In lands in {@code in}. */
        int execute(byte[] cdb, ByteBuffer out, ByteBuffer in) throws Exception {
            int length = out != null ? out.remaining() : in != null ? in.remaining() : 0;
            HostCommand cmd = host.allocate(nexus, length, TimeUnit.SECONDS.toNanos(30));
            if (cmd == null) {
                throw new IllegalStateException("no command slot in 30 s");
            }
            CompletableFuture<Integer> done = new CompletableFuture<>();
            cmd.setLun(0).setCdb(cdb, 0, cdb.length).setExpectedLength(length)
                    .setDirection(out != null ? DataDirection.WRITE : in != null ? DataDirection.READ : DataDirection.NONE);
            if (out != null) {
                cmd.putData(0, out.duplicate());
            }
            cmd.setContext(new Object[] {done, in});
            host.submit(cmd);
            return done.get(30, TimeUnit.SECONDS);
        }

        @Override
        @SuppressWarnings("unchecked")
        public void commandCompleted(HostCommand command) {
            Object[] ctx = (Object[]) command.context();
            ByteBuffer in = (ByteBuffer) ctx[1];
            if (in != null) {
                ByteBuffer dst = in.duplicate();
                dst.limit(dst.position() + Math.min(dst.remaining(), command.dataInLength()));
                command.getData(0, dst);
            }
            int status = command.status();
            host.done(command, ResponseDelivery.DELIVERED);
            ((CompletableFuture<Integer>) ctx[0]).complete(status);
        }

        @Override
        public void taskManagementCompleted(long mid, TmfResponse response) {
            tmfResults.computeIfAbsent(mid, k -> new CompletableFuture<>()).complete(response);
        }

        TmfResponse awaitTmf(long mid) throws Exception {
            return tmfResults.computeIfAbsent(mid, k -> new CompletableFuture<>()).get(10, TimeUnit.SECONDS);
        }

        @Override
        public void nexusResult(long nexusId, NexusOperation op, NexusResult result) {
            nexusResults.computeIfAbsent(nexusId, k -> new CompletableFuture<>()).complete(result);
        }

        @Override
        public void close() throws Exception {
            host.close();
            call("deactivate", new Class<?>[0]);
        }

        private static HostSide.Config config(String transport) {
            return new HostSide.Config() {
                @Override public Class<? extends Annotation> annotationType() { return HostSide.Config.class; }
                @Override public String transport() { return transport; }
                @Override public int commandsPerHost() { return 256; }
                @Override public int maxDataLength() { return 1 << 20; }
                @Override public int stagingAreaSize() { return 8 << 20; }
                @Override public int drainTimeoutSeconds() { return 10; }
                @Override public int sessionDataSharePercent() { return 25; }
                @Override public int sessionCommandSharePercent() { return 25; }
                @Override public int hostDataSharePercent() { return 50; }
                @Override public int reservePercent() { return 25; }
            };
        }
    }

    @Test
    void writeReadAndTaskManagementThroughTheSocket() throws Exception {
        try (Path2 f = new Path2("netlink")) {
            NetlinkTransport t = f.netlink();
            try {
                f.register(t, "netlink", 0);
                f.login();
                byte[] pattern = pattern(7, 1, 64); // 32 KiB of Data-Out, inline in one frame
                assertEquals(ScsiStatus.GOOD, f.execute(rw16(WRITE_16, 8, 64), ByteBuffer.wrap(pattern), null));
                ByteBuffer in = ByteBuffer.allocate(pattern.length);
                assertEquals(ScsiStatus.GOOD, f.execute(rw16(READ_16, 8, 64), null, in));
                assertArrayEquals(pattern, in.array());
                long mid = f.host.taskManagement(f.nexus, TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0);
                assertEquals(TmfResponse.FUNCTION_COMPLETE, f.awaitTmf(mid));
                // The reset's unit attention comes back on the next command: the TMF ran in order.
                assertEquals(ScsiStatus.CHECK_CONDITION, f.execute(rw16(READ_16, 0, 1), null, ByteBuffer.allocate(BLOCK)));
                assertEquals(0, f.host.outstanding());
                assertEquals("netlink", f.hostSide.activeTransport());
            } finally {
                f.unregister(t);
                t.deactivate();
            }
        }
    }

    /**
     * Four initiator threads do verified I/O while the host side is swapped between the ring and
     * the socket, back and forth: nothing is lost, nothing fails, every read verifies, and the
     * KEVENT_CMD_DONE records of the old transport are flushed before its endpoint closes.
     */
    @Test
    void ioSurvivesSwapsBetweenTheRingAndTheSocket() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            try (Path2 f = new Path2("shm")) {
                ShmTransport shm = f.shm();
                NetlinkTransport netlink = f.netlink();
                f.register(shm, "shm", 0);
                f.register(netlink, "netlink", 0);
                f.login();
                AtomicBoolean stop = new AtomicBoolean();
                AtomicLong commands = new AtomicLong();
                ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
                List<Thread> workers = new ArrayList<>();
                for (int w = 0; w < 4; w++) {
                    int worker = w;
                    Thread t = new Thread(() -> {
                        int generation = 0;
                        try {
                            while (!stop.get()) {
                                generation++;
                                long lba = worker * 4096L + (generation * 16L) % 4096;
                                byte[] p = pattern(worker, generation, 16);
                                int s = f.execute(rw16(WRITE_16, lba, 16), ByteBuffer.wrap(p), null);
                                ByteBuffer in = ByteBuffer.allocate(p.length);
                                int r = f.execute(rw16(READ_16, lba, 16), null, in);
                                commands.addAndGet(2);
                                if (s != ScsiStatus.GOOD || r != ScsiStatus.GOOD) {
                                    errors.add("worker " + worker + " status " + s + "/" + r);
                                } else if (!Arrays.equals(p, in.array())) {
                                    errors.add("worker " + worker + " read back other bytes at LBA " + lba);
                                }
                            }
                        } catch (Exception e) {
                            errors.add("worker " + worker + ": " + e);
                        }
                    });
                    t.start();
                    workers.add(t);
                }
                for (int cycle = 0; cycle < 10; cycle++) {
                    Thread.sleep(30);
                    String to = cycle % 2 == 0 ? "netlink" : "shm";
                    assertEquals(to, f.hostSide.swapTo(to).to());
                }
                long before = commands.get();
                Thread.sleep(200);
                stop.set(true);
                for (Thread t : workers) {
                    t.join(30_000);
                }
                assertTrue(errors.isEmpty(), errors.toString());
                assertTrue(commands.get() > before, "I/O resumed after the last swap");
                assertTrue(f.hostSide.swapStatistics().count() >= 10, f.hostSide.swapStatistics().toString());
                assertEquals(0, f.host.outstanding());
                f.unregister(shm);
                f.unregister(netlink);
                shm.deactivate();
                netlink.deactivate();
            }
        });
    }

    static byte[] pattern(int worker, int generation, int blocks) {
        byte[] p = new byte[blocks * BLOCK];
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) (worker * 31 + generation * 7 + i / BLOCK * 3 + i);
        }
        return p;
    }

    static byte[] rw16(int opcode, long lba, int blocks) {
        byte[] c = new byte[16];
        c[0] = (byte) opcode;
        for (int i = 0; i < 8; i++) {
            c[2 + i] = (byte) (lba >>> (56 - 8 * i));
        }
        c[10] = (byte) (blocks >>> 24);
        c[11] = (byte) (blocks >>> 16);
        c[12] = (byte) (blocks >>> 8);
        c[13] = (byte) blocks;
        return c;
    }
}
