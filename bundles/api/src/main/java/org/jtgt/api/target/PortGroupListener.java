package org.jtgt.api.target;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard: told when an initiator changed access states with SET TARGET PORT GROUPS, so that
 * the change can be kept (the config bundle writes it to {@code targets.conf}). Called on the
 * thread that ran the command, after the change is in force: an implementation must not block
 * (hand the work to a thread of its own).
 *
 * @since 1.4
 */
@ConsumerType
public interface PortGroupListener {
    /** {@code groups}: all configured groups of {@code target} after the change. */
    void portGroupsChanged(String target, List<PortGroup> groups);
}
