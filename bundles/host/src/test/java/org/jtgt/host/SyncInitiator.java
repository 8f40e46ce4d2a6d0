package org.jtgt.host;

import java.nio.ByteBuffer;
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
import org.jtgt.api.host.HostService;
import org.jtgt.api.host.ScsiHost;

/**
 * A test initiator on a SCSI host of its own: runs one command at a time per calling thread,
 * synchronously, as a driver would submit it; the answers to nexus and task management requests
 * are futures to wait for. Tests of the host side and of the transports drive a
 * {@link TargetPath} with it.
 */
public final class SyncInitiator implements HostCallbacks, AutoCloseable {
    private final ScsiHost host;
    private final Map<Long, CompletableFuture<NexusResult>> nexusResults = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<TmfResponse>> tmfResults = new ConcurrentHashMap<>();
    /** Completions of a command that had been completed already: each must come exactly once. */
    public final AtomicInteger repeatedCompletions = new AtomicInteger();

    /** Adds a SCSI host named {@code name} to {@code hostService}, with this initiator as its callbacks. */
    public SyncInitiator(HostService hostService, String name) {
        host = hostService.addHost(name, this);
    }

    public ScsiHost host() {
        return host;
    }

    /** Asks for an I_T nexus to {@code target}; its result is answered once a transport is bound. */
    public long createNexus(String initiatorPort, String target) {
        long nexus = host.createNexus(initiatorPort, target, 1);
        nexusResults.computeIfAbsent(nexus, k -> new CompletableFuture<>());
        return nexus;
    }

    /** The result of the nexus request (0: created), within 10 s. */
    public NexusResult awaitNexus(long nexus) throws Exception {
        return nexusResults.computeIfAbsent(nexus, k -> new CompletableFuture<>()).get(10, TimeUnit.SECONDS);
    }

    /** Runs one command on logical unit {@code lun} (0..255) and returns its status; Data-In lands in {@code in}. */
    public int execute(long nexus, int lun, byte[] cdb, ByteBuffer out, ByteBuffer in) throws Exception {
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

    /** The response to the task management request {@code mid}, within 10 s. */
    public TmfResponse awaitTmf(long mid) throws Exception {
        return tmfResults.computeIfAbsent(mid, k -> new CompletableFuture<>()).get(10, TimeUnit.SECONDS);
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

    @Override
    public void nexusResult(long nexusId, NexusOperation op, NexusResult result) {
        nexusResults.computeIfAbsent(nexusId, k -> new CompletableFuture<>()).complete(result);
    }

    /** Removes the SCSI host. */
    @Override
    public void close() {
        host.close();
    }

    /** READ(16)/WRITE(16)-shaped CDB: {@code opcode}, 8-byte LBA, 4-byte transfer length in blocks. */
    public static byte[] rw16(int opcode, long lba, int blocks) {
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
