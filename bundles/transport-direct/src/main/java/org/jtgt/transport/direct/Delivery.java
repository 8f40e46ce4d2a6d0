package org.jtgt.transport.direct;

/**
 * How deep the current thread is inside the daemon through this transport: delivering an event
 * to the daemon's sink, or inside a daemon endpoint's {@code offer} or {@code send}. A thread
 * inside the daemon never delivers a host → daemon event itself, since that would run the
 * daemon again under its own stack frames (its per-thread context, the locks it holds); it
 * leaves the event to the thread delivering on that direction, or to the courier.
 */
final class Delivery {
    private static final ThreadLocal<int[]> DAEMON_DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private Delivery() {
    }

    static void enterDaemon() {
        DAEMON_DEPTH.get()[0]++;
    }

    static void exitDaemon() {
        DAEMON_DEPTH.get()[0]--;
    }

    static boolean insideDaemon() {
        return DAEMON_DEPTH.get()[0] > 0;
    }
}
