package org.jtgt.loopback;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.jtgt.api.target.TargetPorts;

/** The daemon's port registry reduced to a map: gives each port the identifier it asks for. */
final class FakePorts implements TargetPorts {
    final Map<Integer, Port> registered = new TreeMap<>();

    @Override
    public synchronized int register(String driver, String description, int preferredId) {
        registered.put(preferredId, new Port(preferredId, preferredId, driver, description));
        return preferredId;
    }

    @Override
    public synchronized void unregister(int relativeId) {
        registered.remove(relativeId);
    }

    @Override
    public synchronized List<Port> ports() {
        return List.copyOf(registered.values());
    }
}
