package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Map;

import org.jtgt.api.scsi.ScsiStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The target's side of an iSCSI session allocates nothing per command (STYLE.md): SCSI Command
 * PDUs with immediate data, unsolicited and solicited Data-Out (R2T), multi-PDU Data-In and
 * status-only responses, measured on every jtgt thread (the connection's reader and sender, the
 * host side and the transport's pumps, the daemon). The initiator is the test's own and
 * allocates as it likes on the test thread, which is not counted.
 */
@Timeout(120)
class AllocationTest {
    private static final int WARMUP = 6_000;
    private static final int MEASURED = 18_000;
    private static final int BIG = 128 * 1024;
    private static int lastR2ts;

    @Test
    void theIscsiPathAllocatesNothingPerCommand() throws Exception {
        measure(Map.of("InitialR2T", "No", "MaxRecvDataSegmentLength", "16384"));
    }

    /** CRC32C header and data digests, computed on every PDU both ways, allocate nothing either. */
    @Test
    void withDigestsTooNothingIsAllocatedPerCommand() throws Exception {
        measure(Map.of("InitialR2T", "No", "MaxRecvDataSegmentLength", "16384", "HeaderDigest", "CRC32C",
                "DataDigest", "CRC32C"));
    }

    private static void measure(Map<String, String> keys) throws Exception {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "needs HotSpot's allocation counter");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
        assumeTrue(mx.isThreadAllocatedMemorySupported());
        mx.setThreadAllocatedMemoryEnabled(true);

        try (IscsiFixture f = new IscsiFixture(8L << 20);
                TestInitiator c = new TestInitiator(f.port)) {
            // Immediate data up to 8 KiB, unsolicited Data-Out up to 64 KiB, R2Ts for the rest.
            TestInitiator.Pdu login = c.login(IscsiFixture.TARGET, keys);
            assertEquals(0, login.loginStatus(), "login status");
            c.targetMaxRecv = Math.min(c.targetMaxRecv, 16384);
            byte[] data = new byte[BIG];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 31 + 7);
            }
            run(c, data, WARMUP);
            Thread[] threads = jtgtThreads();
            long[] ids = Arrays.stream(threads).mapToLong(Thread::getId).toArray();
            assertTrue(ids.length >= 3, "the connection's threads, the host side's and the transport's: " + ids.length);
            long[] before = mx.getThreadAllocatedBytes(ids);
            run(c, data, MEASURED);
            long[] after = mx.getThreadAllocatedBytes(ids);
            long allocated = 0;
            StringBuilder perThread = new StringBuilder();
            for (int i = 0; i < ids.length; i++) {
                long d = Math.max(0, after[i] - before[i]);
                allocated += d;
                if (d > 0) {
                    perThread.append(' ').append(threads[i].getName()).append('=').append(d);
                }
            }
            System.out.printf("iSCSI target threads (%s): %d bytes allocated for %d commands (%d R2Ts seen by the last write):%s%n",
                    keys, allocated, MEASURED, lastR2ts, perThread);
            assertTrue(lastR2ts > 0, "the writes took R2Ts");
            assertEquals(0, f.iscsi.connections().get(0).taskCount(), "every task was answered");
            // Less than one byte per command: one object per command (16 bytes at least) would
            // be 96,000 bytes; a few KiB once (a late JIT recompile, a lazily grown buffer) are
            // not the hot path.
            assertTrue(allocated < MEASURED, allocated + " bytes allocated on the target's threads for " + MEASURED
                    + " commands (" + allocated / MEASURED + " per command):" + perThread);
        }
    }

    /** WRITE 128 KiB, READ it back (checked now and then), TEST UNIT READY, in turn. */
    private static void run(TestInitiator c, byte[] data, int commands) throws Exception {
        for (int i = 0; i < commands; i++) {
            int lba = (i / 3 % 32) * (BIG / IscsiFixture.BLOCK);
            TestInitiator.Result r;
            switch (i % 3) {
                case 0 -> {
                    r = c.command(0, TestInitiator.rw10(true, lba, BIG / IscsiFixture.BLOCK), BIG, false, data);
                    lastR2ts = r.r2ts;
                }
                case 1 -> {
                    r = c.command(0, TestInitiator.rw10(false, lba, BIG / IscsiFixture.BLOCK), BIG, true, null);
                    if (i % 300 == 1) {
                        assertArrayEquals(data, r.data, "LBA " + lba);
                    }
                }
                default -> r = c.command(0, TestInitiator.testUnitReady(), 0, false, null);
            }
            assertEquals(ScsiStatus.GOOD, r.status, "command " + i + " sense " + Arrays.toString(r.sense));
        }
    }

    private static Thread[] jtgtThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("jtgt-"))
                .toArray(Thread[]::new);
    }
}
