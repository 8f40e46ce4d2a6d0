package org.jtgt.api.loopback;

import java.io.IOException;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An in-process SCSI initiator: the loopback low-level driver. Commands take the full path:
 * loopback → per-host queue → transport → target daemon → backing store, and back.
 */
@ProviderType
public interface LoopbackInitiator {
    /**
     * Opens an I_T nexus to a target.
     *
     * @throws IOException if the daemon refuses it (no such target, not in the ACL) or does not
     *         answer in time
     */
    LoopbackSession login(String initiatorName, String targetName) throws IOException;
}
