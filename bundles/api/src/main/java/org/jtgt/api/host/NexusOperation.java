package org.jtgt.api.host;

/** What a nexus request asked of the daemon, as {@link HostCallbacks#nexusResult} reports it. */
public enum NexusOperation {
    /** {@link ScsiHost#createNexus}. */
    CREATE,
    /** {@link ScsiHost#destroyNexus}. */
    DESTROY
}
