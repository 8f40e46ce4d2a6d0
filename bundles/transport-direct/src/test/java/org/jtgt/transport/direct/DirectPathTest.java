package org.jtgt.transport.direct;

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
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.transport.Transport;
import org.jtgt.daemon.TargetDaemon;
import org.jtgt.host.HostSide;
import org.jtgt.host.SyncInitiator;
import org.jtgt.host.TargetPath;
import org.jtgt.transport.shm.ShmTransport;
import org.junit.jupiter.api.Test;

/**
 * The whole path without a framework, through this transport: a test initiator → the real
 * {@link HostSide} → {@link DirectTransport} → the real {@link TargetDaemon} → a memory store;
 * and swaps between it and the shared-memory ring while I/O runs. The host side, daemon and LUN
 * are the host test kit's {@link TargetPath}.
 */
class DirectPathTest {
    private static final String TARGET = "iqn.2026-11.org.jtgt:direct";
    private static final int BLOCK = 512;
    private static final int WRITE_16 = 0x8A;
    private static final int READ_16 = 0x88;

    /** Host side, daemon and a LUN wired as DS does, and a test initiator on a host of its own. */
    static final class Path2 implements AutoCloseable {
        final TargetPath path;
        final TargetDaemon daemon;
        final HostSide hostSide;
        final SyncInitiator initiator;
        final ScsiHost host;
        long nexus;

        Path2(String preferred) throws Exception {
            path = TargetPath.builder(TARGET).lun(16 << 20, BLOCK).preferredTransport(preferred).build();
            daemon = path.daemon();
            hostSide = path.hostSide();
            initiator = new SyncInitiator(hostSide, "direct-test");
            host = initiator.host();
        }

        void login() throws Exception {
            nexus = initiator.createNexus("iqn.2026-11.org.jtgt:initiator,i,0x800000000001", TARGET);
            assertEquals(org.jtgt.api.host.NexusResult.OK, initiator.awaitNexus(nexus));
        }

        DirectTransport direct() {
            DirectTransport t = new DirectTransport();
            t.open(256, 32L << 20);
            t.attachDaemon(daemon);
            return t;
        }

        ShmTransport shm() throws Exception {
            return path.newShm("region", 32 << 20);
        }

        void register(Transport t, String name, int ranking) {
            path.bind(t, name, ranking);
        }

        void unregister(Transport t) {
            path.unbind(t);
        }

        /** One command, synchronously; Data-In lands in {@code in}. */
        int execute(byte[] cdb, ByteBuffer out, ByteBuffer in) throws Exception {
            return initiator.execute(nexus, 0, cdb, out, in);
        }

        TmfResponse awaitTmf(long mid) throws Exception {
            return initiator.awaitTmf(mid);
        }

        @Override
        public void close() throws Exception {
            initiator.close();
            path.close();
        }
    }

    @Test
    void writeReadAndTaskManagementOnTheCallingThread() throws Exception {
        try (Path2 f = new Path2("direct")) {
            DirectTransport t = f.direct();
            try {
                f.register(t, "direct", 0);
                f.login();
                byte[] pattern = pattern(7, 1, 64); // 32 KiB of Data-Out in the shared area
                assertEquals(ScsiStatus.GOOD, f.execute(rw16(WRITE_16, 8, 64), ByteBuffer.wrap(pattern), null));
                ByteBuffer in = ByteBuffer.allocate(pattern.length);
                assertEquals(ScsiStatus.GOOD, f.execute(rw16(READ_16, 8, 64), null, in));
                assertArrayEquals(pattern, in.array());
                long mid = f.host.taskManagement(f.nexus, TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0);
                assertEquals(TmfResponse.FUNCTION_COMPLETE, f.awaitTmf(mid));
                // The reset's unit attention comes back on the next command: the TMF ran in order.
                assertEquals(ScsiStatus.CHECK_CONDITION, f.execute(rw16(READ_16, 0, 1), null, ByteBuffer.allocate(BLOCK)));
                assertEquals(0, f.host.outstanding());
                assertEquals("direct", f.hostSide.activeTransport());
                assertEquals(0, t.toDaemon().queued());
                assertEquals(0, t.toHost().queued());
                assertEquals(t.area().size(), t.area().freeBytes(), "every buffer went back");
            } finally {
                f.unregister(t);
                t.deactivate();
            }
        }
    }

    /**
     * Four initiator threads do verified I/O while the host side is swapped between the ring and
     * the direct transport, back and forth: nothing is lost, nothing fails, every read verifies,
     * and the KEVENT_CMD_DONE records of the old transport are flushed before its endpoint closes.
     */
    @Test
    void ioSurvivesSwapsBetweenTheRingAndTheDirectTransport() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            try (Path2 f = new Path2("shm")) {
                ShmTransport shm = f.shm();
                DirectTransport direct = f.direct();
                f.register(shm, "shm", 0);
                f.register(direct, "direct", 0);
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
                    String to = cycle % 2 == 0 ? "direct" : "shm";
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
                f.unregister(direct);
                shm.deactivate();
                direct.deactivate();
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
        return SyncInitiator.rw16(opcode, lba, blocks);
    }
}
