package org.jtgt.host;

/**
 * What one session (I_T nexus) of a host holds: command slots and data, counted in
 * {@link ShareLimits#UNIT} blocks. One per nexus, made when the nexus is asked for; guarded by its
 * host's slot lock. A command keeps a reference to its share, so a nexus destroyed while its
 * commands are still out is accounted correctly until the last of them is freed.
 */
final class SessionShare {
    final long nexusId;
    int commands;
    long bytes;

    SessionShare(long nexusId) {
        this.nexusId = nexusId;
    }

    @Override
    public String toString() {
        return "nexus " + nexusId + ": " + commands + " commands, " + bytes + " bytes";
    }
}
