package org.jtgt.api.target;

/**
 * A backing store that several gateways (target processes) serve at once, of which one at a
 * time owns the data (an RBD image's exclusive lock). A store that implements this with a
 * {@link #gateway()} other than 0 makes its target a gateway cluster's target: the daemon
 * derives the access states of the target's port groups from it (the owner's group
 * active/optimized, the other gateways' groups {@link #followerState()}, this gateway's group
 * unavailable once it is {@link #fenced()}, every group transitioning while no gateway owns
 * it), reports every configured group whatever ports this process has, and turns SET TARGET PORT
 * GROUPS naming a group active/optimized into {@link #requestOwnership}.
 */
public interface GatewayOwnership {
    /** This gateway's number, which is its target port group's; 0: not part of a gateway cluster. */
    int gateway();

    /** The owning gateway's number as last seen, or 0 while none owns (a move or a takeover under way). */
    int owner();

    /** Whether this gateway was fenced (cut off from the data by another gateway): it serves nothing again. */
    boolean fenced();

    /** The access state of the groups of gateways that do not own the store. */
    AccessState followerState();

    /**
     * The longest an implicit transition (a takeover of a lost owner) takes, in seconds: what
     * REPORT TARGET PORT GROUPS reports as IMPLICIT TRANSITION TIME, so an initiator waits that
     * long for a transitioning target before it gives up on the logical unit; 0: not specified.
     *
     * @since 1.6
     */
    default int implicitTransitionSeconds() {
        return 0;
    }

    /**
     * Asks the cluster to move ownership to gateway {@code gateway}; returns at once, the move
     * happens on the owner's and the new owner's next heartbeat and is told to the listener.
     */
    void requestOwnership(int gateway);

    /**
     * Sets the one listener, called on the store's own thread at every heartbeat and whenever
     * the owner or the fencing changes ({@code null} removes it).
     */
    void ownershipListener(Runnable listener);
}
