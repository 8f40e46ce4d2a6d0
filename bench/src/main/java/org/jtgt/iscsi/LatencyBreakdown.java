package org.jtgt.iscsi;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.host.HostCallbacks;
import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.HostService;
import org.jtgt.api.host.NexusOperation;
import org.jtgt.api.host.NexusResult;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
import org.jtgt.host.TargetPath;
import org.jtgt.transport.direct.DirectTransport;
import org.jtgt.transport.shm.ShmTransport;

/**
 * Where the time of a QD1 4 KiB READ goes, stage by stage, in one JVM: a raw initiator on a
 * loopback socket → the iSCSI driver → the host side → a transport ({@code shm} or
 * {@code direct}) → the daemon with a memory LUN, and back. Time stamps (System.nanoTime, one
 * clock) are taken where each stage hands over:
 * <pre>
 *   send      the initiator writes the SCSI Command PDU
 *   submit    the driver hands the command to the host side (ScsiHost.submit): socket, reader
 *             wake-up, PDU decode, admission
 *   execute   the daemon's sink receives KEVENT_CMD_REQ: host queue and transport, host → daemon
 *   answer    the daemon sends UEVENT_CMD_RSP: CDB decode, the read from the store
 *   complete  the driver's commandCompleted: transport, daemon → host
 *   received  the initiator has read the whole response: the response is rendered and written
 *             (inline or by the sender thread), the initiator wakes up and reads it
 *   done      the driver's ScsiHost.done (after the write; not on the initiator's path)
 * </pre>
 * Usage: {@code LatencyBreakdown TRANSPORT [COMMANDS [WARMUP]]}; prints p50 and mean per stage.
 */
public final class LatencyBreakdown {
    private static final String TARGET = "iqn.2026-11.org.jtgt:latency";
    private static final int BLOCK = 512;

    private static volatile long submit;
    private static volatile long execute;
    private static volatile long answer;
    private static volatile long complete;
    private static volatile long done;
    private static volatile long doneCount;

    private LatencyBreakdown() {
    }

    public static void main(String[] args) throws Exception {
        String transportName = args.length > 0 ? args[0] : "direct";
        int commands = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
        Path dir = Path.of(System.getProperty("jtgt.bench.dir", "target/latency-breakdown")).toAbsolutePath();
        Files.createDirectories(dir);

        TargetPath path = TargetPath.builder(TARGET).lun(64L << 20, BLOCK).preferredTransport(transportName)
                .commandsPerHost(256).maxDataLength(8 << 20).stagingAreaSize(16 << 20).build();
        EventSink timedDaemon = new TimedDaemon(path.daemon());
        Transport transport;
        Runnable closeTransport;
        if (transportName.equals("shm")) {
            ShmTransport shm = new ShmTransport();
            Path region = dir.resolve("latency-" + ProcessHandle.current().pid() + ".region");
            shm.open(region, 1024, 256, 64L << 20);
            shm.attachDaemon(timedDaemon);
            transport = shm;
            closeTransport = () -> {
                try {
                    shm.deactivate();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
        } else if (transportName.equals("direct")) {
            DirectTransport direct = new DirectTransport();
            direct.open(1024, 64L << 20);
            direct.attachDaemon(timedDaemon);
            transport = direct;
            closeTransport = direct::deactivate;
        } else {
            throw new IllegalArgumentException("transport shm or direct, not " + transportName);
        }
        path.bind(transport, transportName, 10);

        IscsiTarget iscsi = new IscsiTarget();
        iscsi.hostService = timedHostService(path.hostSide());
        iscsi.catalog = path.daemon();
        iscsi.targetPorts = path.daemon();
        iscsi.bindChapAccounts(target -> null);
        Map<String, Object> values = new HashMap<>();
        values.put("portals", "127.0.0.1:0");
        values.put("nopInIntervalSeconds", 0);
        iscsi.start(config(values), null);
        int port = iscsi.boundPorts().get(0);

        long[][] stages = new long[6][commands];
        try (TestInitiator c = new TestInitiator(port)) {
            if (c.login(TARGET, Map.of()).loginStatus() != 0) {
                throw new IllegalStateException("login failed");
            }
            byte[] data = new byte[4096];
            Arrays.fill(data, (byte) 0x5a);
            for (int lba = 0; lba < 1024; lba += 8) {
                check(c.command(0, TestInitiator.rw10(true, lba, 8), 4096, false, data));
            }
            for (int i = -warmup; i < commands; i++) {
                int lba = (i & 127) * 8;
                long before = doneCount;
                long send = System.nanoTime();
                TestInitiator.Result r = c.command(0, TestInitiator.rw10(false, lba, 8), 4096, true, null);
                long received = System.nanoTime();
                check(r);
                while (doneCount == before) {
                    Thread.onSpinWait();
                }
                if (i >= 0) {
                    stages[0][i] = submit - send;
                    stages[1][i] = execute - submit;
                    stages[2][i] = answer - execute;
                    stages[3][i] = complete - answer;
                    stages[4][i] = received - complete;
                    stages[5][i] = received - send;
                }
            }
            long inline = iscsi.connections().get(0).inlineResponses();
            String[] names = {"rx: socket, reader wake-up, decode, admission",
                    "host queue + transport, host -> daemon",
                    "daemon: CDB decode, store read",
                    "transport, daemon -> host",
                    "response write (inline or sender) + initiator read",
                    "total (initiator send -> response read)"};
            System.out.printf("%s transport, %d QD1 4 KiB READs (after %d warm-up), %d responses written inline%n",
                    transportName, commands, warmup, inline);
            System.out.printf("  %-52s %9s %9s%n", "stage", "p50 us", "mean us");
            for (int s = 0; s < stages.length; s++) {
                long[] v = stages[s];
                double mean = Arrays.stream(v).average().orElse(0) / 1000.0;
                long[] sorted = v.clone();
                Arrays.sort(sorted);
                System.out.printf("  %-52s %9.1f %9.1f%n", names[s], sorted[sorted.length / 2] / 1000.0, mean);
            }
        } finally {
            iscsi.stop();
            path.unbind(transport);
            closeTransport.run();
            path.close();
        }
    }

    private static void check(TestInitiator.Result r) {
        if (r.status != 0) {
            throw new IllegalStateException("command failed with status " + r.status);
        }
    }

    /** The daemon behind a sink that notes when a command arrives and when its answer leaves. */
    static final class TimedDaemon implements EventSink {
        private final EventSink daemon;
        private TransportEndpoint lastFrom;
        private TransportEndpoint timedFrom;

        TimedDaemon(EventSink daemon) {
            this.daemon = daemon;
        }

        @Override
        public void onEvent(ByteBuffer buffer, int offset, int length, TransportEndpoint from) {
            if (EventHeader.type(buffer, offset) == EventType.KEVENT_CMD_REQ.code()) {
                execute = System.nanoTime();
            }
            if (from != lastFrom) {
                lastFrom = from;
                timedFrom = new TimedEndpoint(from);
            }
            daemon.onEvent(buffer, offset, length, timedFrom);
        }

        @Override
        public void onTransportFailure(TransportEndpoint endpoint, String reason) {
            daemon.onTransportFailure(endpoint, reason);
        }
    }

    /** The daemon's endpoint, noting when a command's answer is sent. */
    static final class TimedEndpoint implements TransportEndpoint {
        private final TransportEndpoint endpoint;

        TimedEndpoint(TransportEndpoint endpoint) {
            this.endpoint = endpoint;
        }

        @Override
        public boolean offer(ByteBuffer src, int offset, int length) {
            note(src, offset);
            return endpoint.offer(src, offset, length);
        }

        @Override
        public boolean send(ByteBuffer src, int offset, int length) {
            note(src, offset);
            return endpoint.send(src, offset, length);
        }

        private static void note(ByteBuffer src, int offset) {
            if (EventHeader.type(src, offset) == EventType.UEVENT_CMD_RSP.code()) {
                answer = System.nanoTime();
            }
        }

        @Override public DataArea dataArea() { return endpoint.dataArea(); }
        @Override public Transport transport() { return endpoint.transport(); }
        @Override public boolean isOpen() { return endpoint.isOpen(); }
        @Override public void close() { endpoint.close(); }
    }

    /** The host side, with the driver's submit, completion and done noted. */
    static HostService timedHostService(HostService real) {
        return (HostService) Proxy.newProxyInstance(HostService.class.getClassLoader(), new Class<?>[] {HostService.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("addHost")) {
                        HostCallbacks driver = (HostCallbacks) args[1];
                        ScsiHost host = real.addHost((String) args[0], new TimedCallbacks(driver));
                        return timedHost(host);
                    }
                    return invoke(real, method, args);
                });
    }

    static ScsiHost timedHost(ScsiHost real) {
        return (ScsiHost) Proxy.newProxyInstance(ScsiHost.class.getClassLoader(), new Class<?>[] {ScsiHost.class},
                (proxy, method, args) -> {
                    String name = method.getName();
                    if (name.equals("submit")) {
                        submit = System.nanoTime();
                    }
                    Object result = invoke(real, method, args);
                    if (name.equals("done")) {
                        done = System.nanoTime();
                        doneCount++;
                    }
                    return result;
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** The driver's callbacks, noting when a completion reaches it. */
    static final class TimedCallbacks implements HostCallbacks {
        private final HostCallbacks driver;

        TimedCallbacks(HostCallbacks driver) {
            this.driver = driver;
        }

        @Override
        public void commandCompleted(HostCommand command) {
            complete = System.nanoTime();
            driver.commandCompleted(command);
        }

        @Override
        public void taskManagementCompleted(long mid, TmfResponse response) {
            driver.taskManagementCompleted(mid, response);
        }

        @Override
        public void nexusResult(long nexusId, NexusOperation op, NexusResult result) {
            driver.nexusResult(nexusId, op, result);
        }
    }

    static IscsiTarget.Config config(Map<String, Object> values) {
        return (IscsiTarget.Config) Proxy.newProxyInstance(IscsiTarget.Config.class.getClassLoader(),
                new Class<?>[] {IscsiTarget.Config.class}, (proxy, method, args) -> {
                    if (method.getName().equals("annotationType")) {
                        return IscsiTarget.Config.class;
                    }
                    if (values.containsKey(method.getName())) {
                        return values.get(method.getName());
                    }
                    Object d = method.getDefaultValue();
                    if (d == null) {
                        throw new IllegalStateException("no value for " + method.getName());
                    }
                    return d;
                });
    }
}
