package org.jtgt.metrics;

import java.util.List;

import org.jtgt.api.host.TransportControl.SwapSummary;
import org.jtgt.api.host.TransportControl.TransportState;
import org.jtgt.api.metrics.NexusMetrics;
import org.jtgt.api.metrics.UnitMetrics;
import org.jtgt.api.target.LunInfo;
import org.jtgt.api.target.SessionInfo;
import org.jtgt.api.target.TargetInfo;

/**
 * Everything exposed, read at one moment from the daemon, the host side and the drivers.
 *
 * @param nanos {@link System#nanoTime} when it was read
 * @param transports the host side's transports, empty while it is not running
 * @param activeTransport the transport commands go to, or null
 * @param swaps swap pauses, or null while the host side is not running
 * @param occupancy the transports that tell how full their rings are
 * @param daemon in a daemon process of the split shape, its generation and the daemons before it; else null
 */
record Sample(long nanos, List<TargetInfo> targets, List<Lun> luns, List<Session> sessions, List<TransportState> transports,
              String activeTransport, SwapSummary swaps, List<Occupancy> occupancy, Generations daemon) {

    /** The split shape's daemon process: which generation it is and how many daemons the front had before it. */
    record Generations(long generation, long daemonsBefore) {
    }

    /** Events waiting in a transport's rings, per direction, and what each direction holds. */
    record Occupancy(String transport, int toDaemon, int toHost, int capacity) {
    }

    /**
     * A logical unit: its configuration, counters and a latency snapshot
     * ({@link org.jtgt.api.metrics.LatencyHistogram#SNAPSHOT_LENGTH} longs).
     */
    record Lun(UnitMetrics metrics, LunInfo info, long[] latency) {
        String key() {
            return metrics.target() + "\u0000" + metrics.lun();
        }
    }

    /**
     * An I_T nexus with the driver's session that carries it, when a driver names one (the
     * loopback driver's nexuses have none).
     */
    record Session(NexusMetrics metrics, SessionInfo session) {
        /** jtgtadm's session id: {@code HOST:NEXUS}. */
        String id() {
            return metrics.hostNo() + ":" + metrics.nexusId();
        }

        String key() {
            return metrics.target() + "\u0000" + id();
        }

        String driver() {
            return session == null ? "loopback" : session.driver();
        }

        String initiator() {
            return session == null ? metrics.initiatorPort() : session.initiator();
        }

        /** The initiator's address of the first connection, or "" for none. */
        String peer() {
            return session == null || session.connections().isEmpty() ? "" : session.connections().get(0).peer();
        }
    }
}
