package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.List;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.LittleEndian;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.target.AccessState;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.PortGroup;
import org.junit.jupiter.api.Test;

/**
 * The READ/WRITE/TEST UNIT READY path allocates nothing per command (STYLE.md): inline over a
 * store that never blocks, through an asynchronous store, and on a unit's store workers.
 */
class AllocationTest {
    private static final int WARMUP = 30_000;
    private static final int MEASURED = 30_000;

    @Test
    void hotPathIsAllocationFree() {
        measure(Harness.withLun());
    }

    /** The persistent reservation check with a reservation held (and other registrants) allocates nothing either. */
    @Test
    void hotPathIsAllocationFreeUnderAPersistentReservation() {
        Harness h = Harness.withLun();
        for (int i = 0; i < 8; i++) {
            h.login("iqn.2026-11.org.jtgt:other" + i + ",i,0x1", Harness.TARGET, 50 + i);
            byte[] list = PersistentReservationTest.basicList(0, 0x100 + i, 0);
            h.command(50 + i, 0, PersistentReservationTest.proutCdb(0x06, 0, 0, 24), DataDirection.WRITE, 24, list).assertGood();
        }
        byte[] list = PersistentReservationTest.basicList(0, 0xA1, 0);
        h.command(Harness.NEXUS, 0, PersistentReservationTest.proutCdb(0x06, 0, 0, 24), DataDirection.WRITE, 24, list).assertGood();
        list = PersistentReservationTest.basicList(0xA1, 0, 0);
        h.command(Harness.NEXUS, 0, PersistentReservationTest.proutCdb(0x01, 0, 1, 24), DataDirection.WRITE, 24, list).assertGood();
        measure(h);
    }

    /**
     * With a target port group that is not active, each command looks its port's group and state
     * up (the nexus's own group active/non-optimized: every command is processed) and allocates
     * nothing doing so; nor does refusing them all with NOT READY through a standby group.
     */
    @Test
    void accessStateChecksAreAllocationFree() {
        Harness h = Harness.withLun();
        h.daemon.setPortGroups(Harness.TARGET, List.of(
                new PortGroup(2, List.of(2, 5), AccessState.ACTIVE_NON_OPTIMIZED, true),
                new PortGroup(7, List.of(1, 3, 4), AccessState.STANDBY, false)));
        h.command(Harness.NEXUS, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null);   // takes the unit attention
        measure(h);
        Harness refused = Harness.withLun();
        refused.daemon.setPortGroups(Harness.TARGET, List.of(new PortGroup(2, List.of(2), AccessState.STANDBY, false)));
        refused.command(Harness.NEXUS, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null);
        refused.command(Harness.NEXUS, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null)
                .assertSense(org.jtgt.api.scsi.SenseKey.NOT_READY, 0x04, 0x0B);
        measure(refused);
    }

    /** Through an asynchronous store that completes inline, as the memory store does. */
    @Test
    void asynchronousStorePathIsAllocationFree() {
        HeldStore store = new HeldStore(Harness.SIZE);
        store.holding = false;
        measure(Harness.withLun(new Harness(), LunOptions.DEFAULT, store));
    }

    /**
     * Through a store that blocks: READ and WRITE run on the unit's worker threads, whose
     * allocations count as well. One command at a time, each answered before the next.
     */
    @Test
    void storeWorkerPathIsAllocationFree() {
        IsolationTest.BlockingStore store = new IsolationTest.BlockingStore(Harness.SIZE);
        store.gate.countDown();
        Harness h = Harness.withLun(new Harness(), LunOptions.DEFAULT, store);
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "needs HotSpot's allocation counter");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
        mx.setThreadAllocatedMemoryEnabled(true);
        h.endpoint.discard = true;
        ByteBuffer[] requests = requests(h);
        ByteBuffer done = doneRecord();
        runAnswered(h, requests, done, 0, WARMUP);
        long[] ids = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("jtgt-lun0-") || t == Thread.currentThread())
                .mapToLong(Thread::getId).toArray();
        assertTrue(ids.length > 1, "the store workers ran");
        long recorded = latencyCount(h);
        long before = java.util.Arrays.stream(mx.getThreadAllocatedBytes(ids)).sum();
        runAnswered(h, requests, done, WARMUP, MEASURED);
        long allocated = java.util.Arrays.stream(mx.getThreadAllocatedBytes(ids)).sum() - before;
        assertEquals(MEASURED, latencyCount(h) - recorded, "the unit's latency histogram recorded every command");
        assertEquals(WARMUP + MEASURED, h.endpoint.discarded, "every command was answered");
        assertTrue(allocated < MEASURED, allocated + " bytes allocated for " + MEASURED + " commands on "
                + ids.length + " threads");
    }

    /** Commands in LUN 0's latency histogram (read outside the measured stretch: a snapshot allocates). */
    private static long latencyCount(Harness h) {
        return org.jtgt.api.metrics.LatencyHistogram.count(h.daemon.unitMetrics().get(0).latency().snapshot());
    }

    private static ByteBuffer[] requests(Harness h) {
        long data = h.endpoint.allocate(8 * 512);
        return new ByteBuffer[] {
            request(Cdbs.rw10(true, 16, 8, 0), DataDirection.WRITE, data, 8 * 512),
            request(Cdbs.rw10(false, 16, 8, 0), DataDirection.READ, data, 8 * 512),
            request(Cdbs.rw16(false, 100, 4, 0), DataDirection.READ, data, 4 * 512),
            request(Cdbs.testUnitReady(), DataDirection.NONE, 0, 0),
        };
    }

    private static ByteBuffer doneRecord() {
        ByteBuffer done = ByteBuffer.allocate(CmdDoneEvent.LENGTH);
        CmdDoneEvent.write(done, 0, Harness.HOST, 0, CmdDoneEvent.DELIVERED);
        return done;
    }

    /** Like {@link #run}, waiting for each answer (the worker sends it) before the next command. */
    private static void runAnswered(Harness h, ByteBuffer[] requests, ByteBuffer done, int from, int count) {
        for (int i = from; i < from + count; i++) {
            ByteBuffer req = requests[i % requests.length];
            LittleEndian.putI64(req, CmdReqEvent.CID_OFFSET, i);
            LittleEndian.putI32(req, CmdReqEvent.TAG_OFFSET, i);
            h.daemon.onEvent(req, 0, CmdReqEvent.LENGTH, h.endpoint);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (h.endpoint.discarded < i + 1) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("command " + i + " was not answered");
                }
                Thread.onSpinWait();
            }
            LittleEndian.putI64(done, CmdDoneEvent.CID_OFFSET, i);
            h.daemon.onEvent(done, 0, CmdDoneEvent.LENGTH, h.endpoint);
        }
    }

    private static void measure(Harness h) {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "needs HotSpot's allocation counter");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
        assumeTrue(mx.isThreadAllocatedMemorySupported());
        mx.setThreadAllocatedMemoryEnabled(true);

        h.endpoint.discard = true;
        ByteBuffer[] requests = requests(h);
        ByteBuffer done = doneRecord();

        run(h, requests, done, 0, WARMUP);
        long recorded = latencyCount(h);
        long before = mx.getCurrentThreadAllocatedBytes();
        run(h, requests, done, WARMUP, MEASURED);
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertEquals(MEASURED, latencyCount(h) - recorded, "the unit's latency histogram recorded every command");

        assertEquals(WARMUP + MEASURED, h.endpoint.discarded, "every command was answered");
        Nexus n = h.daemon.nexus(Harness.HOST, Harness.NEXUS);
        assertEquals(0, n.tasks().size(), "every CMD_DONE dropped its task");
        // Less than one byte per command: one object per command (16 bytes at least) would be
        // 480,000 bytes; a few KiB allocated once (class initialisation, a late JIT recompile
        // with its deoptimisation) have been seen on a cold JVM and are not the hot path.
        assertTrue(allocated < MEASURED, allocated + " bytes allocated for " + MEASURED + " commands");
    }

    private static ByteBuffer request(byte[] cdb, DataDirection dir, long dataOffset, int length) {
        ByteBuffer b = ByteBuffer.allocate(EventHeader.MAX_RECORD_LENGTH);
        CmdReqEvent.write(b, 0, Harness.HOST, 0, Harness.NEXUS, 0, cdb, cdb.length, 0, length, dataOffset, length,
                dir.code(), TaskAttribute.SIMPLE.code(), 0);
        return b;
    }

    private static void run(Harness h, ByteBuffer[] requests, ByteBuffer done, int from, int count) {
        for (int i = from; i < from + count; i++) {
            ByteBuffer req = requests[i % requests.length];
            LittleEndian.putI64(req, CmdReqEvent.CID_OFFSET, i);
            LittleEndian.putI32(req, CmdReqEvent.TAG_OFFSET, i);
            h.daemon.onEvent(req, 0, CmdReqEvent.LENGTH, h.endpoint);
            LittleEndian.putI64(done, CmdDoneEvent.CID_OFFSET, i);
            h.daemon.onEvent(done, 0, CmdDoneEvent.LENGTH, h.endpoint);
        }
    }
}
