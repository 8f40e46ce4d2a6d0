package org.jtgt.api.transport;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Implemented by the transport a daemon process of the split shape attaches through (the
 * shared-memory transport's daemon side): which generation of the front's rings it uses, and how
 * many daemon processes the same front had before it, planned restarts and deaths alike, so that
 * monitoring can count daemon restarts while sessions stay.
 *
 * @since 2.2
 */
@ProviderType
public interface DaemonGenerations {
    /** The generation of the rings this daemon process uses (the front's count). */
    long generation();

    /** Daemon processes that attached to the same front before this one. */
    long daemonsBefore();
}
