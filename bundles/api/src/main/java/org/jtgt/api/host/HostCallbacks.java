package org.jtgt.api.host;

import org.jtgt.api.event.TmfResponse;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Completions for one SCSI host, implemented by the LLD. Called on a transport thread: do
 * little, never block on the network, hand off if needed.
 */
@ConsumerType
public interface HostCallbacks {
    /**
     * The daemon answered {@code command}: status, sense, residual and Data-In are readable.
     * The LLD delivers the response and then calls {@link ScsiHost#done}.
     */
    void commandCompleted(HostCommand command);

    /** A task-management request finished. */
    void taskManagementCompleted(long mid, TmfResponse response);

    /** The daemon answered a nexus request: {@code op} of nexus {@code nexusId} ended in {@code result}. */
    void nexusResult(long nexusId, NexusOperation op, NexusResult result);
}
