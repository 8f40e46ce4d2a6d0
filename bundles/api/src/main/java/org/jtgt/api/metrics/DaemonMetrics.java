package org.jtgt.api.metrics;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The daemon's counters as they are now, for exposition (Prometheus, JMX, a status page). Each
 * call makes a new list of copies; only {@link UnitMetrics#latency()} is live, and is read with
 * {@link LatencyHistogram#snapshot}.
 */
@ProviderType
public interface DaemonMetrics {
    /** Every logical unit of every target, sorted by target and LUN. */
    List<UnitMetrics> unitMetrics();

    /** Every I_T nexus of every target, sorted by target, host and nexus id. */
    List<NexusMetrics> nexusMetrics();
}
