package org.jtgt.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.host.TransportControl;
import org.jtgt.api.metrics.DaemonMetrics;
import org.jtgt.api.metrics.LatencyHistogram;
import org.jtgt.api.metrics.NexusMetrics;
import org.jtgt.api.metrics.UnitMetrics;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.IoStatistics;
import org.jtgt.api.target.LunInfo;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.SessionInfo;
import org.jtgt.api.target.SessionSource;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.target.TargetInfo;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.DaemonGenerations;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
import org.jtgt.api.transport.TransportOccupancy;
import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The component with stand-in services: what {@code /metrics}, {@code /api/status}, {@code /}
 * and the MBeans show, the exposition checked by Prometheus's own parser ({@code promtool}).
 */
class MetricsComponentTest {
    private static final String TARGET = "iqn.2026-11.org.jtgt:test \"quoted\"";
    private static final Path WORK = Path.of("target", "metrics-test");

    private final LatencyHistogram latency = new LatencyHistogram();
    private volatile IoStatistics io = new IoStatistics(1000, 4096 * 600, 4096 * 390, 10);
    private final MetricsComponent component = new MetricsComponent();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void stop() {
        component.deactivate();
    }

    private void start(String http) {
        for (int i = 0; i < 1000; i++) {
            latency.record(50_000 + i * 10L);   // 50 us .. 60 us
        }
        latency.record(3_000_000);               // one slow command, 3 ms
        long[] senseKeys = new long[16];
        senseKeys[SenseKey.ILLEGAL_REQUEST] = 7;
        senseKeys[SenseKey.UNIT_ATTENTION] = 3;
        long[] tmf = new long[TaskManagementFunction.values().length];
        tmf[TaskManagementFunction.ABORT_TASK.ordinal()] = 2;
        component.daemon = new DaemonMetrics() {
            @Override
            public List<UnitMetrics> unitMetrics() {
                return List.of(new UnitMetrics(TARGET, 0, io, senseKeys.clone(), 3, latency));
            }

            @Override
            public List<NexusMetrics> nexusMetrics() {
                return List.of(new NexusMetrics(TARGET, "iqn.2026-11.org.example:host1,i,0x23d000000001", 1, 5, io,
                        senseKeys.clone(), tmf.clone()));
            }
        };
        LunInfo lun = new LunInfo(0, "memory", 64L << 20, 512, LunOptions.DEFAULT);
        TargetInfo target = new TargetInfo(TARGET, List.of(lun), List.of(), 1);
        component.admin = (TargetAdmin) Proxy.newProxyInstance(TargetAdmin.class.getClassLoader(),
                new Class<?>[] {TargetAdmin.class}, (p, m, a) -> {
                    if (m.getName().equals("targets")) {
                        return List.of(target);
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        component.transports = (TransportControl) Proxy.newProxyInstance(TransportControl.class.getClassLoader(),
                new Class<?>[] {TransportControl.class}, (p, m, a) -> switch (m.getName()) {
                    case "transports" -> List.of(new TransportControl.TransportState("direct", true, false),
                            new TransportControl.TransportState("shm", false, false));
                    case "activeTransport" -> "direct";
                    case "swapSummary" -> new TransportControl.SwapSummary(2, 40, 90, 40, 90);
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        component.addSessionSource(new SessionSource() {
            @Override
            public List<SessionInfo> sessions() {
                return List.of(new SessionInfo("iscsi", TARGET, "iqn.2026-11.org.example:host1", "ISID 0x23d000000001 TSIH 1",
                        1, 5, List.of(new SessionInfo.ConnectionInfo(0, "127.0.0.1:40000", "127.0.0.1:3260"))));
            }

            @Override
            public int endSessions(String t, String reason, long timeoutMillis) {
                return 0;
            }
        });
        component.addTransport(new RingTransport());
        component.activate(null, config(http, true));
    }

    /**
     * A transport with rings, as the shared-memory one: 3 events wait for the daemon, 1 for the
     * host; and, as its daemon side in the split shape, generation 5 after two daemon processes.
     */
    private static final class RingTransport implements Transport, TransportOccupancy, DaemonGenerations {
        @Override
        public long generation() {
            return 5;
        }

        @Override
        public long daemonsBefore() {
            return 2;
        }

        @Override
        public String name() {
            return "shm";
        }

        @Override
        public TransportEndpoint attachDaemon(EventSink sink) {
            throw new UnsupportedOperationException("metrics never attaches");
        }

        @Override
        public TransportEndpoint attachHost(EventSink sink) {
            throw new UnsupportedOperationException("metrics never attaches");
        }

        @Override
        public int queuedToDaemon() {
            return 3;
        }

        @Override
        public int queuedToHost() {
            return 1;
        }

        @Override
        public int capacity() {
            return 1024;
        }
    }

    private static MetricsComponent.Config config(String http, boolean jmx) {
        return (MetricsComponent.Config) Proxy.newProxyInstance(MetricsComponent.Config.class.getClassLoader(),
                new Class<?>[] {MetricsComponent.Config.class}, (p, m, a) -> switch (m.getName()) {
                    case "http" -> http;
                    case "jmx" -> jmx;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(base().resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private URI base() {
        return URI.create("http://127.0.0.1:" + component.httpAddress().getPort() + "/");
    }

    @Test
    void metricsAreValidPrometheusTextWithTheDaemonsValues() throws Exception {
        start("127.0.0.1:0");
        HttpResponse<String> r = get("metrics");
        assertEquals(200, r.statusCode());
        assertEquals(PrometheusText.CONTENT_TYPE, r.headers().firstValue("Content-Type").orElse(""));
        String text = r.body();
        String lun = "target=\"iqn.2026-11.org.jtgt:test \\\"quoted\\\"\",lun=\"0\"";
        assertTrue(text.contains("jtgt_lun_commands_total{" + lun + "} 1000\n"), text);
        assertTrue(text.contains("jtgt_lun_read_bytes_total{" + lun + "} " + 4096 * 600 + "\n"), text);
        assertTrue(text.contains("jtgt_lun_check_conditions_total{" + lun + ",sense_key=\"ILLEGAL_REQUEST\"} 7\n"), text);
        assertTrue(text.contains("jtgt_lun_tasks{" + lun + "} 3\n"), text);
        assertTrue(text.contains("jtgt_lun_latency_seconds_count{" + lun + "} 1001\n"), text);
        // 1000 values below 2^16 ns = 65.536 us, the slow one below 2^22 ns
        assertTrue(text.contains("jtgt_lun_latency_seconds_bucket{" + lun + ",le=\"0.000065535\"} 1000\n"), text);
        assertTrue(text.contains("jtgt_lun_latency_seconds_bucket{" + lun + ",le=\"0.002097151\"} 1000\n"), text);
        assertTrue(text.contains("jtgt_lun_latency_seconds_bucket{" + lun + ",le=\"0.004194303\"} 1001\n"), text);
        assertTrue(text.contains("jtgt_lun_latency_seconds_bucket{" + lun + ",le=\"+Inf\"} 1001\n"), text);
        double p50 = value(text, "jtgt_lun_recent_latency_seconds{" + lun + ",quantile=\"0.5\"}");
        assertTrue(p50 >= 55e-6 && p50 <= 55e-6 * 1.0625, "p50 " + p50);
        double p999 = value(text, "jtgt_lun_recent_latency_seconds{" + lun + ",quantile=\"0.999\"}");
        assertTrue(p999 >= 59e-6 && p999 < 64e-6, "p99.9 " + p999);
        assertTrue(text.contains("jtgt_session_task_management_total{target=\"iqn.2026-11.org.jtgt:test \\\"quoted\\\"\","
                + "initiator=\"iqn.2026-11.org.example:host1\",driver=\"iscsi\",session=\"1:5\",function=\"ABORT_TASK\"} 2\n"), text);
        assertTrue(text.contains("jtgt_transport_active{transport=\"direct\"} 1\n"), text);
        assertTrue(text.contains("jtgt_transport_active{transport=\"shm\"} 0\n"), text);
        assertTrue(text.contains("jtgt_transport_swaps_total 2\n"), text);
        assertTrue(text.contains("jtgt_transport_queued_events{transport=\"shm\",direction=\"to_daemon\"} 3\n"), text);
        assertTrue(text.contains("jtgt_transport_queued_events{transport=\"shm\",direction=\"to_host\"} 1\n"), text);
        assertTrue(text.contains("jtgt_transport_capacity_events{transport=\"shm\"} 1024\n"), text);
        assertTrue(text.contains("jtgt_split_daemon_restarts_total 2\n"), text);
        assertTrue(text.contains("jtgt_split_generation 5\n"), text);

        ExternalTool.require("promtool", "prometheus");
        Files.createDirectories(WORK);
        Path file = WORK.resolve("metrics.txt");
        Files.writeString(file, text);
        ExternalTool.Outcome check = new ExternalTool(WORK, Duration.ofSeconds(30))
                .execute("sh", "-c", "promtool check metrics < " + file.toAbsolutePath());
        assertEquals(0, check.exit(), check.describe());
        assertEquals("", check.output().strip(), check.describe());
    }

    private static double value(String text, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
        assertTrue(m.find(), series + " missing:\n" + text);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void mbeansShowTheSameValues() throws Exception {
        start("none");
        assertEquals(null, component.httpAddress());
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName lun = JmxBeans.lunName(TARGET, 0);
        assertTrue(server.isRegistered(lun), lun + " not registered");
        assertEquals(1000L, server.getAttribute(lun, "Commands"));
        assertEquals(4096L * 390, server.getAttribute(lun, "BytesWritten"));
        assertEquals(10L, server.getAttribute(lun, "CheckConditions"));
        assertEquals(3, server.getAttribute(lun, "TasksInFlight"));
        assertEquals(1001L, server.getAttribute(lun, "LatencyCount"));
        assertEquals(LatencyHistogram.quantile(latency.snapshot(), 0.99) / 1000.0, (Double) server.getAttribute(lun, "LatencyP99Micros"));
        ObjectName session = JmxBeans.sessionName(TARGET, "1:5");
        assertEquals("iqn.2026-11.org.example:host1", server.getAttribute(session, "Initiator"));
        assertEquals("127.0.0.1:40000", server.getAttribute(session, "Peer"));
        assertEquals("direct", server.getAttribute(JmxBeans.transportName(), "Active"));

        // the sampler's next view carries new counters and a rate
        io = new IoStatistics(3000, 4096 * 600, 4096 * 390, 10);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while ((Long) server.getAttribute(lun, "Commands") != 3000L && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(3000L, server.getAttribute(lun, "Commands"));
        assertTrue((Double) server.getAttribute(lun, "CommandsPerSecond") > 0);

        component.deactivate();
        assertTrue(!server.isRegistered(lun) && !server.isRegistered(session), "beans left registered");
        start("none");   // @AfterEach deactivates again
    }

    @Test
    void statusPageAndJsonNameTargetsLunsSessionsAndTransport() throws Exception {
        start("127.0.0.1:0");
        HttpResponse<String> page = get("");
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("const initial = {\"transport\":{\"active\":\"direct\""), page.body());
        HttpResponse<String> json = get("api/status");
        assertEquals("application/json", json.headers().firstValue("Content-Type").orElse(""));
        assertTrue(json.body().contains("\"name\":\"iqn.2026-11.org.jtgt:test \\\"quoted\\\"\""), json.body());
        assertTrue(json.body().contains("\"initiator\":\"iqn.2026-11.org.example:host1\""), json.body());
        assertTrue(json.body().contains("\"peer\":\"127.0.0.1:40000\""), json.body());
        assertTrue(json.body().contains("{\"name\":\"shm\",\"active\":false,\"failed\":false,\"queuedToDaemon\":3,"
                + "\"queuedToHost\":1,\"capacity\":1024}"), json.body());
        // an independent JSON parser reads what the page's script gets
        ExternalTool.require("python3", "python3");
        Files.createDirectories(WORK);
        Path file = WORK.resolve("status.json");
        Files.writeString(file, json.body());
        ExternalTool.Outcome parsed = new ExternalTool(WORK, Duration.ofSeconds(30)).execute("python3", "-c",
                "import json,sys; s=json.load(open(sys.argv[1])); print(s['luns'][0]['iops'] >= 0, s['totals']['iops'] >= 0,"
                        + " s['sessions'][0]['session'], s['transport']['active'])", file.toAbsolutePath().toString());
        assertEquals(0, parsed.exit(), parsed.describe());
        assertEquals("True True 1:5 direct", parsed.output().strip(), parsed.describe());
        assertEquals(404, get("nothing").statusCode());
        HttpResponse<String> post = client.send(HttpRequest.newBuilder(base().resolve("metrics"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
    }

    @Test
    void aPortInUseLeavesHttpOffAndTheRestRunning() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            start("127.0.0.1:" + taken.getLocalPort());
            assertEquals(null, component.httpAddress(), "HTTP off, not failing the component");
            assertEquals(1000L, ManagementFactory.getPlatformMBeanServer().getAttribute(JmxBeans.lunName(TARGET, 0), "Commands"));
        }
    }

    @Test
    void addressesAreParsedOrRefused() {
        assertEquals(9470, MetricsComponent.parse("127.0.0.1:9470").getPort());
        assertTrue(MetricsComponent.parse("[::1]:0").getAddress() instanceof java.net.Inet6Address);
        List<String> refused = new ArrayList<>();
        for (String bad : List.of("9470", "127.0.0.1:", "127.0.0.1:70000", "host:port")) {
            try {
                MetricsComponent.parse(bad);
            } catch (IllegalArgumentException e) {
                refused.add(bad);
            }
        }
        assertEquals(4, refused.size(), "refused " + refused);
        assertNotNull(PrometheusText.escape("a\\b\"c\nd"));
        assertEquals("a\\\\b\\\"c\\nd", PrometheusText.escape("a\\b\"c\nd"));
    }
}
