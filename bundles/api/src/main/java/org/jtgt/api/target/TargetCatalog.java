package org.jtgt.api.target;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * What the low-level drivers need to know about the targets: their names, ACLs and units, for
 * discovery and login. The target daemon provides it (every {@link TargetAdmin} is one); in the
 * split shape the front process provides a copy the daemon keeps up to date, so logins and
 * discovery go on while the daemon restarts.
 *
 * @since 1.4
 */
@ProviderType
public interface TargetCatalog {
    /** Every target, sorted by name. */
    List<TargetInfo> targets();
}
