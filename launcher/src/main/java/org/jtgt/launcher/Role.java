package org.jtgt.launcher;

import java.util.Locale;

/**
 * What this process is ({@code --role}): the whole target in one process (the default), or one of
 * the two processes of the split shape, which share one {@code --config} directory. The front has
 * the drivers, the host side and the region (it owns portals, sessions and connections); the daemon
 * has the target daemon, the backing stores, {@code targets.conf} and management. They find each
 * other through the directory, in either start order, and the daemon may stop, die or be replaced
 * while the front keeps its sessions.
 */
enum Role {
    EMBEDDED(""),
    FRONT("-front"),
    DAEMON("-daemon");

    /** Framework property the bundles read their role from. */
    static final String PROPERTY = "jtgt.role";

    private final String storageSuffix;

    Role(String storageSuffix) {
        this.storageSuffix = storageSuffix;
    }

    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Appended to the framework's storage directory: each process of the split shape has its own. */
    String storageSuffix() {
        return storageSuffix;
    }

    /** The lock only this role's process holds ({@code jtgt-front.lock}, {@code jtgt-daemon.lock}); none when embedded. */
    String roleLock() {
        return this == EMBEDDED ? null : "jtgt" + storageSuffix + ".lock";
    }

    /** Whether a bundle tagged with {@code roles} (empty: every role) runs in this one. */
    boolean runs(java.util.List<String> roles) {
        return roles.isEmpty() || roles.contains(id());
    }

    static Role named(String id) {
        for (Role r : values()) {
            if (r.id().equals(id)) {
                return r;
            }
        }
        throw new IllegalArgumentException("--role is embedded, front or daemon, not '" + id + "'");
    }
}
