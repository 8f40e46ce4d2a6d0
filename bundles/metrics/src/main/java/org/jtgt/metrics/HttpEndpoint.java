package org.jtgt.metrics;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read-only HTTP side on the JDK's server: {@code /metrics} (Prometheus text), {@code /}
 * (the status page, with the current status inline) and {@code /api/status} (what the page
 * polls). GET and HEAD only; anything else is 405, another path 404. Two threads answer.
 */
final class HttpEndpoint implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpEndpoint.class);
    private static final String PAGE = loadPage();

    private final HttpServer server;
    private final ExecutorService threads;

    private HttpEndpoint(HttpServer server, ExecutorService threads) {
        this.server = server;
        this.threads = threads;
    }

    /**
     * Listens on {@code address} and serves until {@link #close}.
     *
     * @param metrics the Prometheus text of this moment
     * @param status the status JSON of the sampler's latest view
     */
    static HttpEndpoint start(InetSocketAddress address, Supplier<String> metrics, Supplier<String> status)
            throws IOException {
        HttpServer server = HttpServer.create(address, 16);
        AtomicInteger n = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "jtgt-metrics-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        server.createContext("/", exchange -> {
            try (exchange) {
                serve(exchange, metrics, status);
            } catch (IOException | RuntimeException e) {
                LOG.debug("HTTP {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
            }
        });
        server.start();
        return new HttpEndpoint(server, threads);
    }

    InetSocketAddress address() {
        return server.getAddress();
    }

    private static void serve(HttpExchange exchange, Supplier<String> metrics, Supplier<String> status) throws IOException {
        String method = exchange.getRequestMethod();
        boolean head = "HEAD".equals(method);
        if (!head && !"GET".equals(method)) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            send(exchange, 405, "text/plain; charset=utf-8", "only GET and HEAD\n", false);
            return;
        }
        String path = exchange.getRequestURI().getPath();
        switch (path) {
            case "/metrics" -> send(exchange, 200, PrometheusText.CONTENT_TYPE, metrics.get(), head);
            case "/api/status" -> send(exchange, 200, "application/json", status.get(), head);
            case "/", "/index.html" -> send(exchange, 200, "text/html; charset=utf-8",
                    PAGE.replace("/*STATUS*/null", status.get()), head);
            default -> send(exchange, 404, "text/plain; charset=utf-8", "not found: /metrics, /api/status or /\n", head);
        }
    }

    private static void send(HttpExchange exchange, int code, String type, String body, boolean head) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        if (head) {
            exchange.getResponseHeaders().set("Content-Length", Integer.toString(bytes.length));
            exchange.sendResponseHeaders(code, -1);
            return;
        }
        exchange.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String loadPage() {
        try (InputStream in = HttpEndpoint.class.getResourceAsStream("status.html")) {
            if (in == null) {
                throw new IllegalStateException("status.html missing from the bundle");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("status.html unreadable", e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
