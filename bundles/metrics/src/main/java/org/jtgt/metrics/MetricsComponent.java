package org.jtgt.metrics;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.host.TransportControl;
import org.jtgt.api.metrics.DaemonMetrics;
import org.jtgt.api.target.SessionSource;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.transport.Transport;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators' view of a running jtgt: samples the daemon's counters, the host side's
 * transports and the drivers' sessions once a second (rates, latency windows), serves them over
 * HTTP ({@code /metrics} in the Prometheus text format, the status page at {@code /}) and as
 * MBeans in the platform MBeanServer. Read-only: nothing here changes jtgt.
 *
 * <p>A change of the configuration restarts the component (no {@code @Modified}): the HTTP
 * address is bound once per activation.
 */
@Component(configurationPid = MetricsComponent.PID, immediate = true, service = {})
@Designate(ocd = MetricsComponent.Config.class)
public final class MetricsComponent {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsComponent.class);
    static final String PID = "org.jtgt.metrics";
    /** Framework property that overrides {@link Config#http()}: the launcher's {@code --http}. */
    public static final String HTTP_PROPERTY = "jtgt.metrics.http";
    static final String DEFAULT_HTTP = "127.0.0.1:9470";
    static final long INTERVAL_MILLIS = 1000;

    @ObjectClassDefinition(name = "jtgt metrics", description = "Prometheus metrics, the status page and JMX MBeans")
    public @interface Config {
        @AttributeDefinition(name = "HTTP address", description = "HOST:PORT to serve /metrics and the status page on"
                + " ([addr]:port for IPv6, port 0 picks a free one), or none. The framework property jtgt.metrics.http"
                + " overrides it.")
        String http() default DEFAULT_HTTP;

        @AttributeDefinition(name = "JMX", description = "register the MBeans (org.jtgt:type=...) in the platform MBeanServer")
        boolean jmx() default true;
    }

    @Reference
    TargetAdmin admin;
    @Reference
    DaemonMetrics daemon;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile TransportControl transports;
    private final List<SessionSource> sessionSources = new CopyOnWriteArrayList<>();
    /** Every registered transport, for the occupancy of those that tell it; never attached to. */
    private final List<Transport> transportServices = new CopyOnWriteArrayList<>();

    private Collector collector;
    private final View.History history = new View.History();
    private volatile View view;
    private HttpEndpoint http;
    private JmxBeans jmx;
    private Thread sampler;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, unbind = "removeSessionSource")
    void addSessionSource(SessionSource source) {
        sessionSources.add(source);
    }

    void removeSessionSource(SessionSource source) {
        sessionSources.remove(source);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, unbind = "removeTransport")
    void addTransport(Transport transport) {
        transportServices.add(transport);
    }

    void removeTransport(Transport transport) {
        transportServices.remove(transport);
    }

    @Activate
    void activate(BundleContext context, Config config) {
        collector = new Collector(() -> admin, () -> daemon, () -> transports, () -> sessionSources,
                () -> transportServices);
        view = history.add(collector.collect());
        if (config.jmx()) {
            jmx = new JmxBeans(ManagementFactory.getPlatformMBeanServer());
            jmx.update(view);
        }
        String override = context == null ? null : context.getProperty(HTTP_PROPERTY);
        String address = override != null ? override.trim() : config.http().trim();
        if ("none".equalsIgnoreCase(address) || address.isEmpty()) {
            LOG.info("metrics: HTTP off{}", jmx != null ? "; MBeans under " + JmxBeans.DOMAIN : "");
        } else {
            try {
                http = HttpEndpoint.start(parse(address), this::metricsText, this::statusJson);
                InetSocketAddress bound = http.address();
                LOG.info("metrics: HTTP on http://{}:{}/ (Prometheus at /metrics){}", host(bound), bound.getPort(),
                        jmx != null ? "; MBeans under " + JmxBeans.DOMAIN : "");
            } catch (IOException | IllegalArgumentException e) {
                LOG.error("metrics: cannot serve HTTP on {}: {}; HTTP off", address, e.toString());
            }
        }
        sampler = new Thread(this::sample, "jtgt-metrics-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    @Deactivate
    void deactivate() {
        if (sampler != null) {
            sampler.interrupt();
            try {
                sampler.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (http != null) {
            http.close();
        }
        if (jmx != null) {
            jmx.close();
        }
    }

    private void sample() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(INTERVAL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            try {
                View v = history.add(collector.collect());
                view = v;
                if (jmx != null) {
                    jmx.update(v);
                }
            } catch (RuntimeException e) {
                LOG.warn("metrics: sampling failed: {}", e.toString());
            }
        }
    }

    /** The Prometheus text: counters read now, latency windows from the latest view. */
    String metricsText() {
        return PrometheusText.render(collector.collect(), view);
    }

    String statusJson() {
        return StatusJson.render(view);
    }

    /** The address HTTP listens on, or null. */
    InetSocketAddress httpAddress() {
        return http == null ? null : http.address();
    }

    /** {@code HOST:PORT} or {@code [v6]:PORT}. */
    static InetSocketAddress parse(String address) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new IllegalArgumentException("HOST:PORT or none, not '" + address + "'");
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("HOST:PORT with a port 0..65535, not '" + address + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("HOST:PORT with a port 0..65535, not '" + address + "'");
        }
        return new InetSocketAddress(host, port);
    }

    private static String host(InetSocketAddress a) {
        String h = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        return h.contains(":") ? "[" + h + "]" : h;
    }
}
