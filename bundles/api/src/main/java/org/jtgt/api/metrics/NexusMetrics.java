package org.jtgt.api.metrics;

import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.target.IoStatistics;

/**
 * One I_T nexus's counters; the drivers' sessions name their nexus by (host number, nexus id).
 *
 * @param io commands answered, bytes moved, CHECK CONDITIONs
 * @param checkConditions CHECK CONDITIONs by sense key (index 0h to Fh), a copy
 * @param taskManagement task management functions received, indexed by
 *        {@link TaskManagementFunction#ordinal()}, a copy
 */
public record NexusMetrics(String target, String initiatorPort, int hostNo, long nexusId, IoStatistics io,
                           long[] checkConditions, long[] taskManagement) {
    /** How many {@code function} requests this nexus sent. */
    public long taskManagement(TaskManagementFunction function) {
        return function.ordinal() < taskManagement.length ? taskManagement[function.ordinal()] : 0;
    }
}
