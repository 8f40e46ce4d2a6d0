package org.jtgt.config;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.jtgt.api.store.BackingStoreProvider;
import org.jtgt.api.target.PortGroup;
import org.jtgt.api.target.PortGroupAdmin;
import org.jtgt.api.target.SessionSource;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.target.TargetAdminException;

/**
 * A {@link PortGroupAdmin} over a {@link FakeDaemon}'s targets that keeps what it is told and
 * refuses what the daemon refuses (an unknown target, a port in two groups, a group twice).
 * Public for the command tests of the admin bundle.
 */
public final class FakePortGroups implements PortGroupAdmin {
    private final FakeDaemon daemon;
    public final Map<String, List<PortGroup>> groups = new TreeMap<>();
    /** How many times the groups were set. */
    public int changes;

    public FakePortGroups(FakeDaemon daemon) {
        this.daemon = daemon;
    }

    /** The environment of {@link ConfiguredTargets}: the daemon's and these port groups. */
    public ConfiguredTargets.Environment environment() {
        return new ConfiguredTargets.Environment() {
            @Override
            public TargetAdmin targetAdmin() {
                return daemon;
            }

            @Override
            public BackingStoreProvider provider(String type) {
                return daemon.provider(type);
            }

            @Override
            public List<SessionSource> sessionSources() {
                return daemon.sessionSources();
            }

            @Override
            public List<String> storeTypes() {
                return daemon.storeTypes();
            }

            @Override
            public PortGroupAdmin portGroupAdmin() {
                return FakePortGroups.this;
            }
        };
    }

    @Override
    public void setPortGroups(String target, List<PortGroup> next) {
        if (!daemon.targets.containsKey(target)) {
            throw new TargetAdminException("no target " + target);
        }
        Set<Integer> ids = new HashSet<>();
        Set<Integer> ports = new HashSet<>();
        for (PortGroup g : next) {
            if (!ids.add(g.id())) {
                throw new TargetAdminException("target port group " + g.id() + " is given twice");
            }
            for (int p : g.ports()) {
                if (!ports.add(p)) {
                    throw new TargetAdminException("port " + p + " is in two target port groups");
                }
            }
        }
        groups.put(target, List.copyOf(next));
        changes++;
    }

    @Override
    public List<PortGroup> portGroups(String target) {
        if (!daemon.targets.containsKey(target)) {
            throw new TargetAdminException("no target " + target);
        }
        return groups.getOrDefault(target, List.of());
    }
}
