package org.jtgt.daemon;

import java.util.List;

import org.jtgt.api.target.GatewayOwnership;
import org.jtgt.api.target.PortGroup;
import org.jtgt.api.target.PortGroupAdmin;
import org.jtgt.api.target.TargetAdminException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane of asymmetric access ({@link PortGroupAdmin}): the administrator's changes
 * of a target's port groups, made under the admin lock (so a target cannot be deleted or made
 * meanwhile) and published by the target's {@link AccessStates}.
 */
final class PortGroupControl implements PortGroupAdmin {
    /** Logs under the daemon's name, as {@link TargetControl} does. */
    private static final Logger LOG = LoggerFactory.getLogger(TargetDaemon.class);

    private final DaemonState state;

    PortGroupControl(DaemonState state) {
        this.state = state;
    }

    @Override
    public void setPortGroups(String targetName, List<PortGroup> groups) {
        List<PortGroup> copy = List.copyOf(groups);
        boolean changed;
        synchronized (state.lock) {
            Target t = target(targetName);
            // a gateway cluster's target shows the states its store's owner gives, from the start:
            // installing the configured states first would announce a change at the next heartbeat
            GatewayOwnership g = t.gateway();
            if (g != null) {
                copy = GatewayStates.derive(state, copy, g).groups();
            }
            changed = t.accessStates().replace(copy);
            if (changed) {
                AccessStates.announce(t, null);
            }
        }
        if (changed) {
            LOG.info("Target {} port groups: {}", targetName, copy.isEmpty() ? "each port its own, active/optimized"
                    : describe(copy));
        }
    }

    @Override
    public List<PortGroup> portGroups(String targetName) {
        return target(targetName).accessStates().list();
    }

    private Target target(String name) {
        Target t = state.targets.get(name);
        if (t == null || t.closed()) {
            throw new TargetAdminException("no target " + name);
        }
        return t;
    }

    static String describe(List<PortGroup> groups) {
        StringBuilder s = new StringBuilder();
        for (PortGroup g : groups) {
            if (s.length() > 0) {
                s.append("; ");
            }
            s.append("group ").append(g.id()).append(" ports ").append(g.ports()).append(' ').append(g.state());
            if (g.preferred()) {
                s.append(" preferred");
            }
        }
        return s.toString();
    }
}
