package org.jtgt.daemon;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.jtgt.api.metrics.DaemonMetrics;
import org.jtgt.api.metrics.NexusMetrics;
import org.jtgt.api.metrics.UnitMetrics;

/**
 * {@link DaemonMetrics} over the published target snapshot: reads the counters the command path
 * keeps (opaque reads of {@link IoCounters}, the units' histograms), takes no lock.
 */
final class MetricsView implements DaemonMetrics {
    private final DaemonState state;

    MetricsView(DaemonState state) {
        this.state = state;
    }

    @Override
    public List<UnitMetrics> unitMetrics() {
        List<UnitMetrics> out = new ArrayList<>();
        for (Target t : state.targets.values()) {
            for (LogicalUnit u : t.luns()) {
                IoCounters c = u.counters();
                out.add(new UnitMetrics(t.name(), u.lun(), c.snapshot(), c.senseKeys(), u.tasksInFlight(), u.latency()));
            }
        }
        out.sort(Comparator.comparing(UnitMetrics::target).thenComparingInt(UnitMetrics::lun));
        return List.copyOf(out);
    }

    @Override
    public List<NexusMetrics> nexusMetrics() {
        List<NexusMetrics> out = new ArrayList<>();
        for (Target t : state.targets.values()) {
            for (Nexus n : t.nexuses()) {
                IoCounters c = n.counters();
                out.add(new NexusMetrics(t.name(), n.initiatorPortName(), n.hostNo(), n.id(), c.snapshot(),
                        c.senseKeys(), c.taskManagement()));
            }
        }
        out.sort(Comparator.comparing(NexusMetrics::target).thenComparingInt(NexusMetrics::hostNo)
                .thenComparingLong(NexusMetrics::nexusId));
        return List.copyOf(out);
    }
}
