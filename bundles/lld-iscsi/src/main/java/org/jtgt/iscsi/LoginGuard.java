package org.jtgt.iscsi;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What one source may cost the target before it has logged in: connections per source address,
 * and a growing delay before each failed CHAP answer per initiator name and source.
 *
 * <p>Connections: the global {@code maxConnections} alone let one host's idle sockets lock every
 * other initiator out until the login timeout; a cap per address leaves the rest for others.
 *
 * <p>Failed authentication: the {@code n}-th failure in a row of one (initiator name, address) is
 * answered after {@code min(first * 2^(n-1), 32 * first)} ({@code first}: 250 ms unless
 * configured, so at most 8 s); failures from one address under
 * any name count too, a quarter as much, so trying a new name each time does not escape the
 * delay. A successful login clears its (name, address) record; records idle for
 * {@link #FORGET_AFTER_NANOS} are forgotten. The delay holds the failing connection's own thread
 * (its reader), never a shared one; with the per-address cap that bounds one host to
 * {@code maxConnectionsPerAddress} guesses per delay instead of hundreds a second per thread.
 * Memory is bounded: at most {@link #MAX_RECORDS} records, the least recently used go first.
 */
final class LoginGuard {
    static final long FIRST_DELAY_MILLIS = 250;
    /** The longest delay, as a multiple of the first. */
    static final int MAX_DELAY_FACTOR = 32;
    static final long FORGET_AFTER_NANOS = TimeUnit.MINUTES.toNanos(15);
    static final int MAX_RECORDS = 4096;

    private static final class Failures {
        int count;
        long last;
    }

    private final long firstDelayMillis;
    private final Map<InetAddress, Integer> connections = new HashMap<>();
    private final LinkedHashMap<Object, Failures> failures = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Object, Failures> eldest) {
            return size() > MAX_RECORDS;
        }
    };

    /** With the first delay after a failed authentication; 0 turns delays off. */
    LoginGuard(long firstDelayMillis) {
        this.firstDelayMillis = Math.max(0, firstDelayMillis);
    }

    LoginGuard() {
        this(FIRST_DELAY_MILLIS);
    }

    /** Counts a new connection from {@code address} unless it already has {@code max}; false: refuse it. */
    synchronized boolean admit(InetAddress address, int max) {
        int n = connections.getOrDefault(address, 0);
        if (n >= max) {
            return false;
        }
        connections.put(address, n + 1);
        return true;
    }

    /** A connection {@link #admit admitted} from {@code address} has ended. */
    synchronized void release(InetAddress address) {
        Integer n = connections.get(address);
        if (n == null) {
            return;
        }
        if (n <= 1) {
            connections.remove(address);
        } else {
            connections.put(address, n - 1);
        }
    }

    synchronized int connections(InetAddress address) {
        return connections.getOrDefault(address, 0);
    }

    /**
     * Records a failed authentication of {@code initiatorName} from {@code address}.
     *
     * @return how long to wait before answering it, in milliseconds
     */
    synchronized long authenticationFailed(String initiatorName, InetAddress address, long nowNanos) {
        int byName = count(key(initiatorName, address), nowNanos);
        int bySource = count(address, nowNanos);
        return delayMillis(firstDelayMillis, Math.max(byName, bySource / 4));
    }

    /** A login of {@code initiatorName} from {@code address} authenticated: its failures are forgiven. */
    synchronized void authenticated(String initiatorName, InetAddress address) {
        failures.remove(key(initiatorName, address));
    }

    static long delayMillis(long first, int failures) {
        if (failures <= 0) {
            return 0;
        }
        int shift = Math.min(failures - 1, 30);
        return Math.min(first << shift, first * MAX_DELAY_FACTOR);
    }

    private int count(Object key, long now) {
        Failures f = failures.get(key);
        if (f == null || now - f.last > FORGET_AFTER_NANOS) {
            f = new Failures();
            failures.put(key, f);
        }
        f.count++;
        f.last = now;
        return f.count;
    }

    private static Object key(String initiatorName, InetAddress address) {
        return Map.entry(initiatorName == null ? "" : initiatorName.toLowerCase(java.util.Locale.ROOT), address);
    }
}
