package org.jtgt.api.target;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Asymmetric logical unit access (SPC-4 5.16) per target, provided by the target daemon: the
 * target port groups configured for a target and their access states. All logical units of a
 * target share them. A target without configured groups has implicit access only, every port a
 * group of its own in the active/optimized state.
 *
 * @since 1.4
 */
@ProviderType
public interface PortGroupAdmin {
    /**
     * Replaces the configured groups of {@code target}. Group numbers are distinct, each port is
     * in at most one group, and a group holds at least one port. A change an initiator can see
     * (state, PREF, membership) is an implicit transition: every I_T nexus of the target gets
     * ASYMMETRIC ACCESS STATE CHANGED (2Ah/06h) and REPORT TARGET PORT GROUPS reports STATUS
     * CODE 02h for a group whose state changed. Listeners are not called for this change.
     *
     * @throws TargetAdminException for an unknown target or groups that break the rules above
     */
    void setPortGroups(String target, List<PortGroup> groups);

    /** The groups configured for {@code target}, by number; empty for implicit access only. */
    List<PortGroup> portGroups(String target);
}
