package org.jtgt.host;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.host.HostCallbacks;
import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.NexusOperation;
import org.jtgt.api.host.NexusResult;
import org.jtgt.api.host.ResponseDelivery;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.target.LunOptions;
import org.jtgt.backing.memory.MemoryStoreProvider;
import org.jtgt.daemon.TargetDaemon;
import org.jtgt.transport.shm.ShmTransport;

/**
 * The whole path without a framework: a test initiator → {@link HostSide} → {@link ShmTransport}
 * → {@link TargetDaemon} → memory store, wired by hand the way DS wires it.
 */
final class PathFixture implements HostCallbacks, AutoCloseable {
    static final String TARGET = "iqn.2026-11.org.jtgt:test";
    static final int BLOCK = 512;

    final TargetDaemon daemon = new TargetDaemon();
    final HostSide hostSide = new HostSide();
    final ScsiHost host;
    final long nexus;
    private final Map<Long, CompletableFuture<NexusResult>> nexusResults = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<TmfResponse>> tmfResults = new ConcurrentHashMap<>();
    private long serviceIds = 100;
    /** Completions of a command that had been completed already: each must come exactly once. */
    final AtomicInteger repeatedCompletions = new AtomicInteger();
    /** Region files are numbered across fixtures, so a fixture never maps another one's live file. */
    private static final java.util.concurrent.atomic.AtomicInteger FILES = new java.util.concurrent.atomic.AtomicInteger();

    PathFixture(long lunBytes) throws Exception {
        this(lunBytes, 10);
    }

    /** @param drainTimeoutSeconds how long a swap waits for the old transport's answers */
    PathFixture(long lunBytes, int drainTimeoutSeconds) throws Exception {
        daemon.createTarget(TARGET);
        daemon.addLun(TARGET, 0, new MemoryStoreProvider().open(null, lunBytes, Map.of()), BLOCK, LunOptions.DEFAULT);
        hostSide.activate(config(256, drainTimeoutSeconds));
        host = hostSide.addHost("test", this);
        nexus = host.createNexus("iqn.2026-11.org.jtgt:initiator,i,0x800000000001", TARGET, 1);
        // Answered once a transport is bound; the request waits in the host's queue until then.
        nexusResults.computeIfAbsent(nexus, k -> new CompletableFuture<>());
    }

    NexusResult awaitNexus() throws Exception {
        return nexusResults.get(nexus).get(10, TimeUnit.SECONDS);
    }

    /** A new shm transport with the daemon attached, not yet offered to the host side. */
    ShmTransport newTransport() throws IOException {
        ShmTransport t = new ShmTransport();
        Path dir = Paths.get("target", "shm-test");
        t.open(dir.resolve("region-" + ProcessHandle.current().pid() + "-" + FILES.getAndIncrement()), 256, 256, 32 << 20);
        t.attachDaemon(daemon);
        return t;
    }

    void register(ShmTransport t, int ranking) {
        hostSide.bindTransport(t, Map.of("jtgt.transport", "shm", "service.ranking", ranking, "service.id", serviceIds++));
    }

    void unregister(ShmTransport t) {
        hostSide.unbindTransport(t);
    }

    /** Runs one command synchronously and returns its status; Data-In lands in {@code in}. */
    int execute(byte[] cdb, ByteBuffer out, ByteBuffer in) throws Exception {
        return execute(0, cdb, out, in);
    }

    /** As {@link #execute(byte[], ByteBuffer, ByteBuffer)}, on the logical unit {@code lun} (0..255). */
    int execute(int lun, byte[] cdb, ByteBuffer out, ByteBuffer in) throws Exception {
        int length = out != null ? out.remaining() : in != null ? in.remaining() : 0;
        HostCommand cmd = host.allocate(nexus, length, TimeUnit.SECONDS.toNanos(30));
        if (cmd == null) {
            throw new IllegalStateException("no command slot in 30 s");
        }
        CompletableFuture<Integer> done = new CompletableFuture<>();
        cmd.setLun((long) lun << 48).setCdb(cdb, 0, cdb.length).setExpectedLength(length)
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
        if (!((CompletableFuture<Integer>) ctx[0]).complete(status)) {
            repeatedCompletions.incrementAndGet();
        }
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
    public void close() {
        host.close();
        hostSide.deactivate();
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

    static HostSide.Config config(int commands) {
        return config(commands, 10);
    }

    static HostSide.Config config(int commands, int drainTimeoutSeconds) {
        return new HostSide.Config() {
            @Override public Class<? extends Annotation> annotationType() { return HostSide.Config.class; }
            @Override public String transport() { return "shm"; }
            @Override public int commandsPerHost() { return commands; }
            @Override public int maxDataLength() { return 1 << 20; }
            @Override public int stagingAreaSize() { return 8 << 20; }
            @Override public int drainTimeoutSeconds() { return drainTimeoutSeconds; }
            @Override public int sessionDataSharePercent() { return 25; }
            @Override public int sessionCommandSharePercent() { return 25; }
            @Override public int hostDataSharePercent() { return 50; }
            @Override public int reservePercent() { return 25; }
        };
    }
}
