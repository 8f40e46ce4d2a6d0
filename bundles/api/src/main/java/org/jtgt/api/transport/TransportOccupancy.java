package org.jtgt.api.transport;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Implemented by a {@link Transport} whose events wait in rings or queues of fixed size, so that
 * monitoring can show how full they are (the shared-memory transport: its two slot rings). The
 * figures are read without locks and may be a moment old; nothing on the data path uses them.
 *
 * @since 2.1
 */
@ConsumerType
public interface TransportOccupancy {
    /** Events sent host → daemon that the daemon's side has not consumed yet. */
    int queuedToDaemon();

    /** Events sent daemon → host that the host's side has not consumed yet. */
    int queuedToHost();

    /** How many events each direction holds; 0 while the transport is not open. */
    int capacity();
}
