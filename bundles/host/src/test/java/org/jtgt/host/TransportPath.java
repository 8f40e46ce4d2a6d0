package org.jtgt.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.host.NexusResult;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.transport.Transport;
import org.jtgt.daemon.TargetDaemon;
import org.jtgt.transport.shm.ShmTransport;

/**
 * A transport's whole path without a framework, for the transport bundles' own tests: a test
 * initiator on a host of its own → the real {@link HostSide} → the transport under test → the
 * real {@link TargetDaemon} → a 16 MiB memory LUN ({@link TargetPath}), and the two checks every
 * transport passes: write, read and a task management function through it, and verified I/O from
 * four threads while the host side swaps between it and the shared-memory ring.
 */
public final class TransportPath implements AutoCloseable {
    public static final int BLOCK = 512;
    public static final int WRITE_16 = 0x8A;
    public static final int READ_16 = 0x88;

    public final TargetPath path;
    public final TargetDaemon daemon;
    public final HostSide hostSide;
    public final SyncInitiator initiator;
    public final ScsiHost host;
    private final String target;
    public long nexus;

    /** @param preferred the transport the host side is configured to prefer */
    public TransportPath(String target, String preferred, String initiatorName) throws Exception {
        this.target = target;
        path = TargetPath.builder(target).lun(16 << 20, BLOCK).preferredTransport(preferred).build();
        daemon = path.daemon();
        hostSide = path.hostSide();
        initiator = new SyncInitiator(hostSide, initiatorName);
        host = initiator.host();
    }

    public void login() throws Exception {
        nexus = initiator.createNexus("iqn.2026-11.org.jtgt:initiator,i,0x800000000001", target);
        assertEquals(NexusResult.OK, initiator.awaitNexus(nexus));
    }

    public ShmTransport shm() throws Exception {
        return path.newShm("region", 32 << 20);
    }

    public void register(Transport t, String name, int ranking) {
        path.bind(t, name, ranking);
    }

    public void unregister(Transport t) {
        path.unbind(t);
    }

    /** One command, synchronously; Data-In lands in {@code in}. */
    public int execute(byte[] cdb, ByteBuffer out, ByteBuffer in) throws Exception {
        return initiator.execute(nexus, 0, cdb, out, in);
    }

    public TmfResponse awaitTmf(long mid) throws Exception {
        return initiator.awaitTmf(mid);
    }

    /**
     * With {@code name} registered and active: 32 KiB written and read back, then a LOGICAL UNIT
     * RESET whose unit attention the next command reports (the TMF ran in order), and nothing
     * left outstanding.
     */
    public void writeReadAndReset(String name) throws Exception {
        login();
        byte[] pattern = pattern(7, 1, 64);
        assertEquals(ScsiStatus.GOOD, execute(rw16(WRITE_16, 8, 64), ByteBuffer.wrap(pattern), null));
        ByteBuffer in = ByteBuffer.allocate(pattern.length);
        assertEquals(ScsiStatus.GOOD, execute(rw16(READ_16, 8, 64), null, in));
        assertArrayEquals(pattern, in.array());
        long mid = host.taskManagement(nexus, TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0);
        assertEquals(TmfResponse.FUNCTION_COMPLETE, awaitTmf(mid));
        assertEquals(ScsiStatus.CHECK_CONDITION, execute(rw16(READ_16, 0, 1), null, ByteBuffer.allocate(BLOCK)));
        assertEquals(0, host.outstanding());
        assertEquals(name, hostSide.activeTransport());
    }

    /**
     * Four initiator threads do verified I/O while the host side is swapped ten times between the
     * shared-memory ring and {@code other} (both registered): nothing is lost, nothing fails,
     * every read verifies, and the KEVENT_CMD_DONE records of the old transport are flushed before
     * its endpoint closes. Bounded at 120 s.
     */
    public void ioSurvivesSwaps(String other) {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            login();
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
                            int s = execute(rw16(WRITE_16, lba, 16), ByteBuffer.wrap(p), null);
                            ByteBuffer in = ByteBuffer.allocate(p.length);
                            int r = execute(rw16(READ_16, lba, 16), null, in);
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
                String to = cycle % 2 == 0 ? other : "shm";
                assertEquals(to, hostSide.swapTo(to).to());
            }
            long before = commands.get();
            Thread.sleep(200);
            stop.set(true);
            for (Thread t : workers) {
                t.join(30_000);
            }
            assertTrue(errors.isEmpty(), errors.toString());
            assertTrue(commands.get() > before, "I/O resumed after the last swap");
            assertTrue(hostSide.swapStatistics().count() >= 10, hostSide.swapStatistics().toString());
            assertEquals(0, host.outstanding());
        });
    }

    public static byte[] pattern(int worker, int generation, int blocks) {
        byte[] p = new byte[blocks * BLOCK];
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) (worker * 31 + generation * 7 + i / BLOCK * 3 + i);
        }
        return p;
    }

    public static byte[] rw16(int opcode, long lba, int blocks) {
        return SyncInitiator.rw16(opcode, lba, blocks);
    }

    @Override
    public void close() throws Exception {
        initiator.close();
        path.close();
    }
}
