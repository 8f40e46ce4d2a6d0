package org.jtgt.fc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Map;

import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.fc.initiator.FcInitiator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The target's side of an FCP image pair allocates nothing per command (STYLE.md): FCP_CMND,
 * FCP_XFER_RDY per burst, FCP_DATA both ways split at the frame size, FCP_RSP, measured on every
 * jtgt thread (the link's reader and sender, the host side and the transport's pumps, the daemon).
 * The initiator is the test's own and allocates as it likes on the test thread and on
 * {@code fc-initiator-rx}, which are not counted.
 */
@Timeout(180)
class AllocationTest {
    private static final int T = FcFabric.TARGET_PORT_ID;
    /**
     * Long enough for the JIT to settle on the daemon's side too: after 4,500 commands it still
     * allocated one-off KiBs there while recompiling, which the bound below cannot tell apart
     * from a per-command allocation.
     */
    private static final int WARMUP = 9_000;
    private static final int MEASURED = 9_000;
    private static final int BIG = 128 * 1024;
    /** Four FCP_XFER_RDYs per 128 KiB WRITE. */
    private static final int BURST = 32 * 1024;

    @Test
    void theFcpPathAllocatesNothingPerCommand() throws Exception {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "needs HotSpot's allocation counter");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
        assumeTrue(mx.isThreadAllocatedMemorySupported());
        mx.setThreadAllocatedMemoryEnabled(true);

        try (FcFixture f = new FcFixture(8L << 20, Map.of("maxBurstLength", BURST)); FcInitiator i = f.login()) {
            byte[] data = new byte[BIG];
            for (int k = 0; k < data.length; k++) {
                data[k] = (byte) (k * 31 + 7);
            }
            FcInitiator.Exchange first = i.submit(T, 0, FcIoTest.rw10(0x2A, 0, BIG / FcFixture.BLOCK), data, 0,
                    TaskAttribute.SIMPLE);
            assertEquals(0, i.await(first).status());
            assertEquals(BIG / BURST, first.xferRdys(), "one FCP_XFER_RDY per burst");
            run(i, data, WARMUP);
            Thread[] threads = jtgtThreads();
            long[] ids = Arrays.stream(threads).mapToLong(Thread::getId).toArray();
            assertTrue(ids.length >= 3, "the link's threads, the host side's and the transport's: " + ids.length);
            long[] before = mx.getThreadAllocatedBytes(ids);
            run(i, data, MEASURED);
            long[] after = mx.getThreadAllocatedBytes(ids);
            long allocated = 0;
            StringBuilder perThread = new StringBuilder();
            for (int k = 0; k < ids.length; k++) {
                long d = Math.max(0, after[k] - before[k]);
                allocated += d;
                if (d > 0) {
                    perThread.append(' ').append(threads[k].getName()).append('=').append(d);
                }
            }
            FcLoginTest.eventually(() -> f.connections().get(0).openExchanges() == 0, "every exchange ended");
            assertEquals(0, f.connections().get(0).droppedFrames(), "no frame was dropped");
            // Less than one byte per command: one object per command (16 bytes at least) would
            // be 144,000 bytes; a few KiB once (a late JIT recompile, a lazily grown buffer) are
            // not the hot path.
            assertTrue(allocated < MEASURED, allocated + " bytes allocated on the target's threads for " + MEASURED
                    + " commands (" + allocated / MEASURED + " per command):" + perThread);
        }
    }

    /** WRITE 128 KiB, READ it back (checked now and then), TEST UNIT READY, in turn. */
    private static void run(FcInitiator i, byte[] data, int commands) throws Exception {
        for (int k = 0; k < commands; k++) {
            int lba = (k / 3 % 32) * (BIG / FcFixture.BLOCK);
            FcInitiator.ScsiResult r;
            switch (k % 3) {
                case 0 -> r = i.command(T, 0, FcIoTest.rw10(0x2A, lba, BIG / FcFixture.BLOCK), data, 0);
                case 1 -> {
                    r = i.command(T, 0, FcIoTest.rw10(0x28, lba, BIG / FcFixture.BLOCK), null, BIG);
                    assertEquals(BIG, r.dataLength(), "READ length");
                    if (k % 300 == 1) {
                        assertArrayEquals(data, r.data(), "LBA " + lba);
                    }
                }
                default -> r = i.command(T, 0, new byte[6], null, 0);
            }
            assertEquals(0, r.status(), "command " + k + " sense " + Arrays.toString(r.sense()));
            assertEquals(0, r.residual(), "command " + k + " residual");
        }
    }

    private static Thread[] jtgtThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("jtgt-"))
                .toArray(Thread[]::new);
    }
}
