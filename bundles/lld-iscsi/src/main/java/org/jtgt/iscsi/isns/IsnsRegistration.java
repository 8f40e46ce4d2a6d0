package org.jtgt.iscsi.isns;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import org.jtgt.iscsi.isns.IsnsPdu.Attribute;
import org.jtgt.iscsi.isns.IsnsPdu.Response;
import org.jtgt.util.lld.LogLimiter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one network entity registered with an iSNS server (RFC 4171): the driver's targets as
 * iSCSI storage nodes of type Target, its portals, and a portal group object for every target
 * and portal pair carrying the portal's TPGT.
 *
 * <p>A background thread polls the driver's {@link State} every few seconds and, when it differs
 * from what the server last accepted, sends the whole entity again as a DevAttrReg with the
 * Replace flag (5.6.5.1), so targets and portals that went away go with it; an empty state
 * deregisters the entity (DevDereg, 5.6.5.4). The latest state is all there is to send, so no
 * change is ever queued behind another. The same registration is sent again before half the
 * Registration Period the server returned has passed (or every {@link #DEFAULT_REFRESH_MILLIS}
 * when it returned none), so the server does not expire the entity. ESI is not requested.
 *
 * <p>The iSCSI data path and the driver's activation never wait for the server: an unreachable
 * server or a refusal is logged (WARN, a few a minute) and retried with a backoff from 1 s to
 * 60 s. {@link #close(long)} deregisters, bounded by its timeout.
 */
public final class IsnsRegistration implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IsnsRegistration.class);

    /** Re-registration interval when the server says nothing about its Registration Period. */
    public static final long DEFAULT_REFRESH_MILLIS = TimeUnit.MINUTES.toMillis(5);
    static final long MAX_BACKOFF_MILLIS = 60_000;
    static final int REQUEST_TIMEOUT_MILLIS = 5_000;

    /** A portal as registered: the address initiators connect to, its TCP port and its TPGT. */
    public record Portal(InetAddress address, int port, int groupTag) {
    }

    /** What should be registered: target names and portals, in a stable order. */
    public record State(List<String> targets, List<Portal> portals) {
        public State {
            targets = List.copyOf(targets);
            portals = List.copyOf(portals);
        }

        boolean isEmpty() {
            return targets.isEmpty() || portals.isEmpty();
        }
    }

    private final IsnsClient client;
    private final String configuredEntityId;
    private final Supplier<State> source;
    private final long pollMillis;
    private final LogLimiter failures = new LogLimiter("iSNS failures", 3, 60, TimeUnit.SECONDS);
    /** Held while talking to the server: close() takes it so no registration follows the deregistration. */
    private final ReentrantLock exchange = new ReentrantLock();
    private final Thread thread;
    private volatile boolean closed;
    /** What the server last accepted (null: nothing, or unknown after a failure). */
    private volatile State registered;
    /** The node name the entity was registered under: the source of the next request. */
    private volatile String registeredSource;
    private String entityId;
    private long refreshAt;
    /** How often the registration is sent again while nothing changes. */
    private volatile long refreshMillis;

    /**
     * @param entityId the Entity Identifier; empty: {@code jtgt:<host name>:<first portal's port>}
     * @param pollMillis how often the state is compared with what was registered
     */
    public IsnsRegistration(InetSocketAddress server, String entityId, Supplier<State> source, long pollMillis) {
        this.client = new IsnsClient(server, REQUEST_TIMEOUT_MILLIS);
        this.configuredEntityId = entityId == null ? "" : entityId.trim();
        this.source = source;
        this.pollMillis = Math.max(10, pollMillis);
        this.thread = new Thread(this::run, "jtgt-isns");
        this.thread.setDaemon(true);
    }

    /** Starts the background thread; returns at once. */
    public IsnsRegistration start() {
        LOG.info("iSNS: registering with {} (in the background)", describe(client.server()));
        thread.start();
        return this;
    }

    /** What the server last accepted, or null. */
    public State registered() {
        return registered;
    }

    /** How often an unchanged registration is sent again: half the server's Registration Period. */
    public long refreshMillis() {
        return refreshMillis;
    }

    /** The Entity Identifier in use (null before the first attempt). */
    public synchronized String entityId() {
        return entityId;
    }

    private void run() {
        long backoff = 0;
        while (!closed) {
            try {
                State want = source.get();
                if (!want.equals(registered) || registered != null && !registered.isEmpty()
                        && System.nanoTime() - refreshAt >= 0) {
                    sync(want);
                }
                backoff = 0;
                sleep(pollMillis);
            } catch (IOException | IsnsFormatException | RefusedException e) {
                registered = null;   // unknown: send everything again
                backoff = Math.min(Math.max(1_000, backoff * 2), MAX_BACKOFF_MILLIS);
                failures.warn(LOG, "iSNS: registration with {} failed: {}; retrying in {} s", describe(client.server()), e.getMessage() == null ? e.toString() : e.getMessage(),
                        backoff / 1000);
                sleep(backoff);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("iSNS: registration failed", e);
                sleep(MAX_BACKOFF_MILLIS);
            }
        }
    }

    private void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    private void sync(State want) throws IOException, InterruptedException {
        exchange.lockInterruptibly();
        try {
            if (closed) {
                return;
            }
            String eid = entityId(want);
            if (want.isEmpty()) {
                if (registeredSource != null) {
                    deregister(client, eid, registeredSource);
                    LOG.info("iSNS: entity {} deregistered from {}: no target or no portal left", eid,
                            describe(client.server()));
                }
                registeredSource = null;
                registered = want;
                return;
            }
            String src = sourceFor(want);
            Response r = client.exchange(IsnsPdu.DEV_ATTR_REG, IsnsPdu.FLAG_REPLACE, registration(eid, src, want));
            if (r.status() != 0) {
                throw new RefusedException("DevAttrReg refused: " + IsnsPdu.statusName(r.status()));
            }
            long seconds = registrationPeriod(r);
            if (seconds < 0) {
                // open-isns answers with the keys only: ask for the period the entity got (6.2.6).
                Response q = client.exchange(IsnsPdu.DEV_ATTR_QRY, 0, periodQuery(eid, src));
                seconds = q.status() == 0 ? registrationPeriod(q) : -1;
            }
            long refresh = seconds > 0 ? TimeUnit.SECONDS.toMillis(seconds) / 2 : DEFAULT_REFRESH_MILLIS;
            refreshMillis = Math.max(1_000, refresh);
            refreshAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(refreshMillis);
            if (!want.equals(registered)) {
                LOG.info("iSNS: entity {} registered with {}: {} target(s), {} portal(s); refreshed every {} s", eid,
                        describe(client.server()), want.targets().size(), want.portals().size(),
                        refreshMillis / 1000);
            }
            registeredSource = src;
            registered = want;
        } finally {
            exchange.unlock();
        }
    }

    /** A name the server knows for this entity if there is one still wanted, else the first wanted. */
    private String sourceFor(State want) {
        String previous = registeredSource;
        if (previous != null && want.targets().contains(previous)) {
            return previous;
        }
        State before = registered;
        if (before != null) {
            for (String t : want.targets()) {
                if (before.targets().contains(t)) {
                    return t;
                }
            }
        }
        return want.targets().get(0);
    }

    private synchronized String entityId(State want) {
        if (entityId == null) {
            if (!configuredEntityId.isEmpty()) {
                entityId = configuredEntityId;
            } else {
                String host;
                try {
                    host = InetAddress.getLocalHost().getHostName();
                } catch (IOException e) {
                    host = "localhost";
                }
                int port = want.portals().isEmpty() ? 0 : want.portals().get(0).port();
                entityId = "jtgt:" + host + ":" + port;
            }
        }
        return entityId;
    }

    /** The DevAttrReg message: source, the entity as key, then entity, portals, nodes, portal groups. */
    static List<Attribute> registration(String entityId, String sourceName, State state) {
        List<Attribute> a = new ArrayList<>();
        a.add(Attribute.string(IsnsPdu.TAG_ISCSI_NAME, sourceName));
        a.add(Attribute.string(IsnsPdu.TAG_ENTITY_IDENTIFIER, entityId));
        a.add(Attribute.delimiter());
        a.add(Attribute.string(IsnsPdu.TAG_ENTITY_IDENTIFIER, entityId));
        a.add(Attribute.u32(IsnsPdu.TAG_ENTITY_PROTOCOL, IsnsPdu.ENTITY_PROTOCOL_ISCSI));
        for (Portal p : state.portals()) {
            a.add(Attribute.address(IsnsPdu.TAG_PORTAL_IP_ADDRESS, p.address()));
            a.add(Attribute.tcpPort(IsnsPdu.TAG_PORTAL_PORT, p.port()));
        }
        for (String t : state.targets()) {
            a.add(Attribute.string(IsnsPdu.TAG_ISCSI_NAME, t));
            a.add(Attribute.u32(IsnsPdu.TAG_ISCSI_NODE_TYPE, IsnsPdu.NODE_TYPE_TARGET));
        }
        for (String t : state.targets()) {
            for (Portal p : state.portals()) {
                a.add(Attribute.string(IsnsPdu.TAG_PG_ISCSI_NAME, t));
                a.add(Attribute.address(IsnsPdu.TAG_PG_PORTAL_IP_ADDRESS, p.address()));
                a.add(Attribute.tcpPort(IsnsPdu.TAG_PG_PORTAL_PORT, p.port()));
                a.add(Attribute.u32(IsnsPdu.TAG_PG_TAG, p.groupTag()));
            }
        }
        return a;
    }

    /** The Registration Period in a response, in seconds (0: never expires); -1 if absent. */
    static long registrationPeriod(Response r) {
        Attribute period = r.find(IsnsPdu.TAG_REGISTRATION_PERIOD);
        return period != null && period.value().length == 4 ? Integer.toUnsignedLong(period.asInt()) : -1;
    }

    /** DevAttrQry for the entity's Registration Period (5.6.5.2): the EID as key, the tag with no value. */
    static List<Attribute> periodQuery(String entityId, String sourceName) {
        return List.of(Attribute.string(IsnsPdu.TAG_ISCSI_NAME, sourceName),
                Attribute.string(IsnsPdu.TAG_ENTITY_IDENTIFIER, entityId), Attribute.delimiter(),
                new Attribute(IsnsPdu.TAG_REGISTRATION_PERIOD, new byte[0]));
    }

    /** The DevDereg message: source, no key, the Entity Identifier as operating attribute. */
    static List<Attribute> deregistration(String entityId, String sourceName) {
        return List.of(Attribute.string(IsnsPdu.TAG_ISCSI_NAME, sourceName), Attribute.delimiter(),
                Attribute.string(IsnsPdu.TAG_ENTITY_IDENTIFIER, entityId));
    }

    private static void deregister(IsnsClient via, String eid, String src) throws IOException {
        Response r = via.exchange(IsnsPdu.DEV_DEREG, 0, deregistration(eid, src));
        if (r.status() != 0) {
            throw new RefusedException("DevDereg refused: " + IsnsPdu.statusName(r.status()));
        }
    }

    /**
     * Stops the thread and deregisters the entity, taking at most about {@code timeoutMillis}
     * for each of the wait and the request; failures are logged, never thrown.
     */
    public void close(long timeoutMillis) {
        closed = true;
        thread.interrupt();
        boolean locked = false;
        try {
            locked = exchange.tryLock(timeoutMillis, TimeUnit.MILLISECONDS);
            String src = registeredSource;
            String eid = entityId();
            if (src != null && eid != null) {
                IsnsClient quick = new IsnsClient(client.server(), (int) Math.max(100, Math.min(timeoutMillis,
                        REQUEST_TIMEOUT_MILLIS)));
                deregister(quick, eid, src);
                registeredSource = null;
                registered = null;
                LOG.info("iSNS: entity {} deregistered from {}", eid, describe(client.server()));
            }
        } catch (IOException | IsnsFormatException | RefusedException e) {
            LOG.warn("iSNS: deregistering from {} failed: {}", describe(client.server()), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (locked) {
                exchange.unlock();
            }
        }
        try {
            thread.join(timeoutMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(2_000);
    }

    /**
     * The addresses to register for a portal bound to {@code bound}: itself, or for a wildcard
     * bind every address of the interfaces that are up (no link-local ones), loopback last resort.
     */
    public static List<InetAddress> advertised(InetAddress bound) {
        if (!bound.isAnyLocalAddress()) {
            return List.of(bound);
        }
        List<InetAddress> out = new ArrayList<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!ni.isUp() || ni.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    boolean sameFamily = (a instanceof Inet6Address) == (bound instanceof Inet6Address);
                    if (!a.isLinkLocalAddress() && (sameFamily || bound instanceof Inet6Address)) {
                        out.add(a);
                    }
                }
            }
        } catch (SocketException e) {
            LOG.debug("listing network interfaces failed", e);
        }
        if (out.isEmpty()) {
            out.add(InetAddress.getLoopbackAddress());
        }
        return out;
    }

    /** Parses {@code HOST[:PORT]} (IPv6 in brackets), the port defaulting to 3205; unresolved. */
    public static InetSocketAddress parseServer(String spec) {
        String s = spec.trim();
        String host = s;
        int port = IsnsClient.DEFAULT_PORT;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("isnsServer " + spec + ": missing ]");
            }
            host = s.substring(1, close);
            if (close + 1 < s.length()) {
                if (s.charAt(close + 1) != ':') {
                    throw new IllegalArgumentException("isnsServer " + spec + ": expected :PORT after ]");
                }
                port = parsePort(spec, s.substring(close + 2));
            }
        } else if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':')) {
            host = s.substring(0, s.indexOf(':'));
            port = parsePort(spec, s.substring(s.indexOf(':') + 1));
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("isnsServer " + spec + ": no host");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    private static int parsePort(String spec, String port) {
        try {
            int p = Integer.parseInt(port);
            if (p < 1 || p > 0xFFFF) {
                throw new IllegalArgumentException("isnsServer " + spec + ": port outside 1..65535");
            }
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("isnsServer " + spec + ": bad port " + port);
        }
    }

    private static String describe(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    /** The server answered with a status code other than Successful. */
    static final class RefusedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RefusedException(String message) {
            super(message);
        }
    }
}
