package org.jtgt.api.host;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The host side's entry point for low-level drivers: each LLD port adds a SCSI host and submits
 * its commands and task-management requests through it.
 */
@ProviderType
public interface HostService {
    /**
     * Adds a SCSI host with its own ordered queue.
     *
     * @param driverName the LLD's name, for logs and statistics ({@code iscsi}, {@code loopback})
     * @param callbacks where completions for this host are delivered
     */
    ScsiHost addHost(String driverName, HostCallbacks callbacks);
}
