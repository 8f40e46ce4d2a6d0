package org.jtgt.api.config;

import java.util.List;

import org.jtgt.api.target.AccessState;
import org.jtgt.api.target.PortGroup;
import org.jtgt.api.target.TargetAdminException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The target port groups of the targets jtgtadm manages (SPC-4 5.16), kept in the daemon and in
 * {@code targets.conf} together, as {@link TargetConfiguration} keeps targets: each change
 * answers the line jtgtadm prints or throws {@link TargetAdminException} with the reason
 * ({@link IllegalStateException} while the daemon is not running), and a refused change changes
 * nothing. Initiators see each change as an implicit transition (ASYMMETRIC ACCESS STATE
 * CHANGED); states an initiator sets with SET TARGET PORT GROUPS are kept in the file as well.
 *
 * @since 1.2
 */
@ProviderType
public interface PortGroupConfiguration {
    /** A new group of target {@code tid}. */
    String newPortGroup(int tid, PortGroup group);

    /**
     * Changes a group in place; a {@code null} argument keeps that property.
     *
     * @param ports the group's ports from now on
     */
    String updatePortGroup(int tid, int group, List<Integer> ports, AccessState state, Boolean preferred);

    /** Removes a group: its ports become groups of their own again, active/optimized. */
    String deletePortGroup(int tid, int group);

    /** The configured groups of target {@code tid} with the states in force now, by number. */
    List<PortGroup> portGroups(int tid);
}
