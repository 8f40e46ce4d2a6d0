package org.jtgt.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.event.LittleEndian;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
import org.jtgt.transport.netlink.NetlinkTransport;
import org.jtgt.transport.shm.ShmTransport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * The shared-memory ring against the netlink-style socket, through the {@link Transport} SPI
 * only (no daemon, no host side): host threads send {@code KEVENT_CMD_REQ} records for a 6-byte
 * TEST UNIT READY without data, and the daemon endpoint's sink answers each at once with a GOOD
 * {@code UEVENT_CMD_RSP} through the endpoint it came from. Both transports are created through
 * their framework-free entry points ({@code open}/{@code deactivate}), files under
 * {@code -Djtgt.bench.dir} (default {@code target/transport-bench}).
 *
 * <ul>
 * <li>{@code throughput1}/{@code throughput4}: 1 or 4 host threads, each its own host number,
 *     each keeping up to {@value #WINDOW} commands outstanding; the score is commands sent per
 *     second, which in steady state is commands answered per second.
 * <li>{@code latency}: one host thread, one command outstanding; JMH's sample-time mode gives
 *     the round trip's percentiles.
 * </ul>
 *
 * A host thread waiting for answers spins briefly, yields, then parks, and the host sink unparks
 * it when an answer for its host number arrives; the same for both transports.
 */
@State(Scope.Benchmark)
public class TransportBench {
    /** Commands each host thread keeps outstanding in the throughput runs. */
    static final int WINDOW = 32;
    static final int MAX_HOSTS = 8;
    static final int DATA_AREA_SIZE = 16 << 20;
    static final int QUEUE_SLOTS = 1024;
    static final byte[] TEST_UNIT_READY = new byte[6];

    @Param({"shm", "netlink"})
    public String transport;

    private ShmTransport shm;
    private NetlinkTransport netlink;
    private TransportEndpoint host;
    final Completions completions = new Completions();
    final AtomicInteger hostNumbers = new AtomicInteger();

    @Setup(Level.Trial)
    public void open() throws IOException {
        Path dir = Path.of(System.getProperty("jtgt.bench.dir", "target/transport-bench")).toAbsolutePath();
        Files.createDirectories(dir);
        String name = transport + "-" + ProcessHandle.current().pid();
        Transport t;
        if (transport.equals("shm")) {
            shm = new ShmTransport();
            shm.open(dir.resolve(name + ".region"), QUEUE_SLOTS, 256, DATA_AREA_SIZE);
            t = shm;
        } else {
            netlink = new NetlinkTransport();
            netlink.open(dir.resolve(name + ".sock"), DATA_AREA_SIZE, QUEUE_SLOTS, QUEUE_SLOTS);
            t = netlink;
        }
        t.attachDaemon(new Responder());
        host = t.attachHost(completions);
    }

    /** Both transports close their host side (netlink: flushing it), then the daemon side. */
    @TearDown(Level.Trial)
    public void close() throws IOException {
        if (shm != null) {
            shm.deactivate();
        }
        if (netlink != null) {
            netlink.deactivate();
        }
    }

    /** One host thread: its host number, its command record and how many it has sent. */
    @State(Scope.Thread)
    public static class Host {
        int hostNo;
        long sent;
        final ByteBuffer command = ByteBuffer.allocateDirect(CmdReqEvent.LENGTH);

        @Setup(Level.Trial)
        public void setup(TransportBench bench) {
            hostNo = bench.hostNumbers.getAndIncrement();
            if (hostNo >= MAX_HOSTS) {
                throw new IllegalStateException("more than " + MAX_HOSTS + " host threads");
            }
            CmdReqEvent.write(command, 0, hostNo, 0, 1, 0, TEST_UNIT_READY, TEST_UNIT_READY.length, 0, 0, 0, 0,
                    DataDirection.NONE.code(), TaskAttribute.SIMPLE.code(), 0);
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Threads(1)
    public void throughput1(Host h) {
        completions.await(h.hostNo, h.sent + 1 - WINDOW);
        send(h);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Threads(4)
    public void throughput4(Host h) {
        completions.await(h.hostNo, h.sent + 1 - WINDOW);
        send(h);
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Threads(1)
    public void latency(Host h) {
        send(h);
        completions.await(h.hostNo, h.sent);
    }

    private void send(Host h) {
        LittleEndian.putI64(h.command, CmdReqEvent.CID_OFFSET, h.sent);
        int tries = 0;
        while (!host.offer(h.command, 0, CmdReqEvent.LENGTH)) {
            if (++tries < 100) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        h.sent++;
    }

    /** The daemon's side: answers every command at once, through the endpoint it came from. */
    static final class Responder implements EventSink {
        private final ThreadLocal<ByteBuffer> answers =
                ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(CmdRspEvent.LENGTH));

        @Override
        public void onEvent(ByteBuffer b, int o, int length, TransportEndpoint from) {
            if (EventHeader.type(b, o) != EventType.KEVENT_CMD_REQ.code()) {
                return;
            }
            ByteBuffer answer = answers.get();
            CmdRspEvent.write(answer, 0, EventHeader.hostNo(b, o), CmdReqEvent.cid(b, o), 0, 0, 0, ScsiStatus.GOOD);
            // False only once the endpoint closes, at the end of a trial: the answer has nobody to go to.
            from.send(answer, 0, CmdRspEvent.LENGTH);
        }

        @Override
        public void onTransportFailure(TransportEndpoint endpoint, String reason) {
            System.err.println("daemon side: transport failed: " + reason);
        }
    }

    /**
     * The host's side: counts answers per host number and wakes a host thread that parked
     * waiting for them. Counters and flags sit 128 bytes apart (no false sharing between hosts).
     */
    static final class Completions implements EventSink {
        private static final int STRIDE = 16;
        private static final int SPINS = 200;
        private static final int YIELDS = 20;
        private static final long PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

        private final AtomicLongArray answered = new AtomicLongArray(MAX_HOSTS * STRIDE);
        private final AtomicIntegerArray waiting = new AtomicIntegerArray(MAX_HOSTS * STRIDE);
        private final Thread[] waiters = new Thread[MAX_HOSTS];

        @Override
        public void onEvent(ByteBuffer b, int o, int length, TransportEndpoint from) {
            if (EventHeader.type(b, o) != EventType.UEVENT_CMD_RSP.code()) {
                return;
            }
            int i = EventHeader.hostNo(b, o) * STRIDE;
            answered.incrementAndGet(i);
            if (waiting.get(i) != 0) {
                LockSupport.unpark(waiters[i / STRIDE]);
            }
        }

        @Override
        public void onTransportFailure(TransportEndpoint endpoint, String reason) {
            System.err.println("host side: transport failed: " + reason);
        }

        /** Returns once at least {@code target} answers for {@code hostNo} have arrived. */
        void await(int hostNo, long target) {
            int i = hostNo * STRIDE;
            if (answered.get(i) >= target) {
                return;
            }
            for (int n = 0; n < SPINS + YIELDS; n++) {
                if (n < SPINS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
                if (answered.get(i) >= target) {
                    return;
                }
            }
            waiters[hostNo] = Thread.currentThread();
            while (true) {
                waiting.set(i, 1); // volatile: the sink's increment then its flag read see this or we see it
                if (answered.get(i) >= target) {
                    waiting.set(i, 0);
                    return;
                }
                LockSupport.parkNanos(this, PARK_NANOS);
                waiting.set(i, 0);
                if (answered.get(i) >= target) {
                    return;
                }
            }
        }
    }
}
