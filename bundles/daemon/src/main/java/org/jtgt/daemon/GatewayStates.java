package org.jtgt.daemon;

import java.util.ArrayList;
import java.util.List;

import org.jtgt.api.target.AccessState;
import org.jtgt.api.target.GatewayOwnership;
import org.jtgt.api.target.PortGroup;
import org.jtgt.api.target.TargetAdminException;
import org.jtgt.api.target.TargetPorts.Port;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gateway cluster's target ({@link GatewayOwnership}): the access states of the target's port
 * groups follow the owner of its first gateway LUN's store. The owner's group is
 * active/optimized, every other configured group (one per gateway, the same {@code portgroup}
 * lines on every gateway) is in the store's follower state, this gateway's group is unavailable
 * once it is fenced, and every group is transitioning while no gateway owns the store; this
 * gateway's ports that no configured group holds are in its own group. Each
 * change is an implicit transition (STATUS CODE 02h) with ASYMMETRIC ACCESS STATE CHANGED on
 * every nexus of the target; nothing is written to {@code targets.conf} (the state is the
 * image's, not this process's).
 */
final class GatewayStates {
    private static final Logger LOG = LoggerFactory.getLogger(TargetDaemon.class);

    private GatewayStates() {
    }

    /** Admin lock held: makes {@code target} follow {@code g} if it follows no store yet. */
    static void attach(DaemonState state, Target target, GatewayOwnership g) {
        if (g.gateway() == 0 || target.gateway() != null) {
            return;
        }
        target.gateway(g);
        g.ownershipListener(() -> apply(state, target, g));
        apply(state, target, g);
    }

    /** Admin lock held: {@code unit} leaves {@code target}; the target stops following its store. */
    static void detach(Target target, LogicalUnit unit) {
        GatewayOwnership g = target.gateway();
        if (g != null && unit.store() == g) {
            g.ownershipListener(null);
            target.gateway(null);
        }
    }

    /** The state of group {@code id} for a gateway cluster whose owner is {@code owner} (0: none). */
    static AccessState stateOf(int id, int self, int owner, boolean fenced, AccessState follower) {
        if (fenced && id == self) {
            return AccessState.UNAVAILABLE;
        }
        if (owner == 0) {
            return AccessState.TRANSITIONING;
        }
        return id == owner ? AccessState.ACTIVE_OPTIMIZED : follower;
    }

    /** The groups a gateway target shows, and this gateway's ports that another gateway's group holds. */
    record Derived(List<PortGroup> groups, List<Integer> misplaced) {
    }

    /**
     * State lock held: the groups a gateway target shows for the configured {@code groups}: each
     * in the state the store's owner gives it, and this gateway's ports that no configured group
     * holds (say the loopback driver's) in its own group, so through this gateway they are in its
     * state, never active by default.
     */
    static Derived derive(DaemonState state, List<PortGroup> groups, GatewayOwnership g) {
        int self = g.gateway();
        int owner = g.owner();
        boolean fenced = g.fenced();
        AccessState follower = g.followerState();
        List<Integer> loose = new ArrayList<>();
        List<Integer> misplaced = new ArrayList<>();
        for (Port port : state.ports.ports()) {
            boolean held = false;
            for (PortGroup p : groups) {
                held |= p.id() != self && p.ports().contains(port.relativeId());
            }
            if (!held) {
                loose.add(port.relativeId());
            } else {
                misplaced.add(port.relativeId());
            }
        }
        List<PortGroup> next = new ArrayList<>(groups.size() + 1);
        boolean own = false;
        for (PortGroup p : groups) {
            List<Integer> ports = p.ports();
            if (p.id() == self) {
                own = true;
                ports = union(ports, loose);
            }
            next.add(new PortGroup(p.id(), ports, stateOf(p.id(), self, owner, fenced, follower), p.preferred()));
        }
        if (!own) {
            // this gateway's group is the one numbered as itself, holding the port of that number
            next.add(new PortGroup(self, union(List.of(self), loose), stateOf(self, self, owner, fenced, follower),
                    false));
        }
        return new Derived(next, misplaced);
    }

    /** Recomputes the target's groups from the store and publishes them if they changed. */
    static void apply(DaemonState state, Target target, GatewayOwnership g) {
        Derived d;
        boolean changed;
        synchronized (state.lock) {
            if (target.closed() || target.gateway() != g || state.targets.get(target.name()) != target) {
                return;
            }
            AccessStates access = target.accessStates();
            d = derive(state, access.list(), g);
            try {
                changed = access.replace(d.groups());
            } catch (TargetAdminException e) {
                LOG.warn("Target {}: the gateway cluster's port groups cannot be applied: {}", target.name(),
                        e.getMessage());
                return;
            }
            if (changed) {
                AccessStates.announce(target, null);
            }
        }
        if (changed) {
            int owner = g.owner();
            LOG.info("Target {} (gateway {}, owner {}): {}", target.name(), g.gateway(), owner == 0 ? "none" : owner,
                    PortGroupControl.describe(d.groups()));
            if (!d.misplaced().isEmpty()) {
                // e.g. two gateways both with portalGroupTag 1: the initiator would see this gateway's
                // port in the other's state
                LOG.warn("Target {}: this gateway's ports {} are in another gateway's port group; give each gateway"
                        + " its own relative port identifiers (portalGroupTag = {} in org.jtgt.iscsi)", target.name(),
                        d.misplaced(), g.gateway());
            }
        }
    }

    private static List<Integer> union(List<Integer> a, List<Integer> b) {
        List<Integer> out = new ArrayList<>(a);
        for (Integer x : b) {
            if (!out.contains(x)) {
                out.add(x);
            }
        }
        out.sort(null);
        return out;
    }

    /**
     * SET TARGET PORT GROUPS on a gateway cluster's target: the first group named active/optimized
     * is asked to own the store (the move happens on the gateways' next heartbeats, each change
     * announced as an implicit transition); other descriptors change nothing, since every other
     * state follows from the owner.
     */
    static void set(GatewayOwnership g, int[] ids, AccessState[] states, int count) {
        for (int i = 0; i < count; i++) {
            if (states[i] == AccessState.ACTIVE_OPTIMIZED) {
                if (ids[i] != g.owner()) {
                    g.requestOwnership(ids[i]);
                }
                return;
            }
        }
    }
}
