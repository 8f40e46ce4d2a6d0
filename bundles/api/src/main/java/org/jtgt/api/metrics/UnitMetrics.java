package org.jtgt.api.metrics;

import org.jtgt.api.target.IoStatistics;

/**
 * One logical unit's counters.
 *
 * @param io commands answered, bytes moved, CHECK CONDITIONs
 * @param checkConditions CHECK CONDITIONs by sense key (index 0h to Fh), a copy
 * @param tasks commands the unit holds now (running or waiting in its task set): its queue depth
 * @param latency the unit's latency histogram, live: from the daemon receiving a command to its
 *        answer, every answered command once
 */
public record UnitMetrics(String target, int lun, IoStatistics io, long[] checkConditions, int tasks,
                          LatencyHistogram latency) {
}
