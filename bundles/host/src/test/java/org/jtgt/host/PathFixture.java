package org.jtgt.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.daemon.TargetDaemon;
import org.jtgt.transport.shm.ShmTransport;

/**
 * The whole path without a framework: a test initiator ({@link SyncInitiator}) → {@link HostSide}
 * → {@link ShmTransport} → {@link TargetDaemon} → memory store, wired by {@link TargetPath} the
 * way DS wires it.
 */
final class PathFixture implements AutoCloseable {
    static final String TARGET = "iqn.2026-11.org.jtgt:test";
    static final int BLOCK = 512;

    final TargetPath path;
    final TargetDaemon daemon;
    final HostSide hostSide;
    final SyncInitiator initiator;
    final ScsiHost host;
    final long nexus;
    /** Completions of a command that had been completed already: each must come exactly once. */
    final AtomicInteger repeatedCompletions;

    PathFixture(long lunBytes) throws Exception {
        this(lunBytes, 10);
    }

    /** @param drainTimeoutSeconds how long a swap waits for the old transport's answers */
    PathFixture(long lunBytes, int drainTimeoutSeconds) throws Exception {
        path = TargetPath.builder(TARGET).lun(lunBytes, BLOCK).commandsPerHost(256)
                .drainTimeoutSeconds(drainTimeoutSeconds).build();
        daemon = path.daemon();
        hostSide = path.hostSide();
        initiator = new SyncInitiator(hostSide, "test");
        host = initiator.host();
        repeatedCompletions = initiator.repeatedCompletions;
        // Answered once a transport is bound; the request waits in the host's queue until then.
        nexus = initiator.createNexus("iqn.2026-11.org.jtgt:initiator,i,0x800000000001", TARGET);
    }

    org.jtgt.api.host.NexusResult awaitNexus() throws Exception {
        return initiator.awaitNexus(nexus);
    }

    /** A new shm transport with the daemon attached, not yet offered to the host side. */
    ShmTransport newTransport() throws IOException {
        return path.newShm("region", 32 << 20);
    }

    void register(ShmTransport t, int ranking) {
        path.bind(t, "shm", ranking);
    }

    void unregister(ShmTransport t) {
        path.unbind(t);
    }

    /** Runs one command synchronously and returns its status; Data-In lands in {@code in}. */
    int execute(byte[] cdb, ByteBuffer out, ByteBuffer in) throws Exception {
        return execute(0, cdb, out, in);
    }

    /** As {@link #execute(byte[], ByteBuffer, ByteBuffer)}, on the logical unit {@code lun} (0..255). */
    int execute(int lun, byte[] cdb, ByteBuffer out, ByteBuffer in) throws Exception {
        return initiator.execute(nexus, lun, cdb, out, in);
    }

    TmfResponse awaitTmf(long mid) throws Exception {
        return initiator.awaitTmf(mid);
    }

    @Override
    public void close() throws IOException {
        initiator.close();
        path.close();
    }

    static byte[] rw16(int opcode, long lba, int blocks) {
        return SyncInitiator.rw16(opcode, lba, blocks);
    }

    static HostSide.Config config(int commands) {
        return config(commands, 10);
    }

    static HostSide.Config config(int commands, int drainTimeoutSeconds) {
        return TargetPath.config(TargetPath.builder(TARGET).commandsPerHost(commands)
                .drainTimeoutSeconds(drainTimeoutSeconds));
    }
}
