package org.jtgt.transport.netlink;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.TransportEndpoint;
import org.junit.jupiter.api.Test;

/**
 * The four threads of a connection pair (reader and writer on each side) allocate nothing per
 * event once warm: commands with 4 KiB of Data-Out and 4 KiB of Data-In, answered by a sink that
 * allocates nothing either.
 */
class AllocationTest {
    private static final int ROUNDS = 20_000;

    @Test
    void theReadersAndWritersAllocateNothingPerEvent() throws Exception {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assumeTrue(mx instanceof com.sun.management.ThreadMXBean, "needs per-thread allocation counters");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) mx;
        assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);

        NetlinkTransport t = new NetlinkTransport();
        t.open(Pair.DIR.resolve("alloc-" + ProcessHandle.current().pid() + ".sock"), 1 << 20, 64, 64);
        try {
            AtomicLong answered = new AtomicLong();
            ByteBuffer rsp = ByteBuffer.allocateDirect(CmdRspEvent.LENGTH);
            EventSink daemon = new EventSink() {
                @Override
                public void onEvent(ByteBuffer b, int o, int l, TransportEndpoint from) {
                    long at = CmdReqEvent.dataOffset(b, o);
                    CmdRspEvent.write(rsp, 0, EventHeader.hostNo(b, o), CmdReqEvent.cid(b, o), at, 4096, 0, 0);
                    from.send(rsp, 0, CmdRspEvent.LENGTH);
                }
            };
            EventSink host = new EventSink() {
                @Override
                public void onEvent(ByteBuffer b, int o, int l, TransportEndpoint from) {
                    if (EventHeader.type(b, o) == EventType.UEVENT_CMD_RSP.code()) {
                        answered.incrementAndGet();
                    }
                }
            };
            t.attachDaemon(daemon);
            HostConnection h = (HostConnection) t.attachHost(host);
            long at = h.dataArea().allocate(4096);
            ByteBuffer cmd = Events.cmdReq(0, 1, DataDirection.BIDIRECTIONAL, at, 4096, Events.TEST_UNIT_READY, 0);

            run(h, cmd, answered, ROUNDS); // warm up: buffers, JIT, the JDK's per-thread I/O vectors
            DaemonConnection d = t.daemonConnections().get(0);
            List<Thread> four = List.of(h.reader, h.writer, d.reader, d.writer);
            long before = allocated(threads, four);
            run(h, cmd, answered, ROUNDS);
            long after = allocated(threads, four);
            long perEvent = (after - before) / ROUNDS;
            assertTrue(after - before < 64 * 1024, (after - before) + " bytes allocated for " + ROUNDS
                    + " round trips (" + perEvent + " per round trip)");
        } finally {
            t.deactivate();
        }
    }

    private static void run(HostConnection h, ByteBuffer cmd, AtomicLong answered, int n) {
        long target = answered.get() + n;
        for (int i = 0; i < n; i++) {
            if (!h.send(cmd, 0, cmd.capacity())) {
                throw new AssertionError("send failed");
            }
            long want = target - n + i + 1 - 16; // at most 16 outstanding
            while (answered.get() < want) {
                Thread.onSpinWait();
            }
        }
        Recorder.await(() -> answered.get() >= target, Duration.ofSeconds(30), () -> answered.get() + " of " + target);
    }

    private static long allocated(com.sun.management.ThreadMXBean threads, List<Thread> list) {
        long sum = 0;
        for (Thread t : list) {
            sum += threads.getThreadAllocatedBytes(t.getId());
        }
        return sum;
    }
}
