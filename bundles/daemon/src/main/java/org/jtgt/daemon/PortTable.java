package org.jtgt.daemon;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.jtgt.api.target.PortGroup;
import org.jtgt.api.target.PortGroupListener;
import org.jtgt.api.target.TargetAdminException;
import org.jtgt.api.target.TargetPorts;
import org.jtgt.api.target.TargetPorts.Port;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The target ports low-level drivers registered ({@link TargetPorts}); each target groups them
 * into target port groups ({@link AccessStates}), by default each port a group of its own
 * numbered as the port's relative target port identifier. Readers (INQUIRY, REPORT TARGET PORT
 * GROUPS on the transport threads) see an immutable array sorted by identifier through a
 * volatile field; changes, under the daemon's admin lock, publish a new one.
 *
 * <p>A nexus may arrive on a port no driver registered (a driver that predates registration, a
 * test host): that port is still reported, in the group its target puts it in, for as
 * long as a nexus of the target uses it, so that what VPD page 83h says a nexus's group is,
 * REPORT TARGET PORT GROUPS lists.
 */
final class PortTable {
    private static final Logger LOG = LoggerFactory.getLogger(PortTable.class);
    private static final Port[] NONE = new Port[0];

    private volatile Port[] ports = NONE;
    private final List<PortGroupListener> listeners = new CopyOnWriteArrayList<>();

    /** Admin lock held. */
    int register(String driver, String description, int preferredId) {
        if (preferredId < TargetPorts.MIN_ID || preferredId > TargetPorts.MAX_ID) {
            throw new TargetAdminException("relative target port identifier " + preferredId + " is outside "
                    + TargetPorts.MIN_ID + ".." + TargetPorts.MAX_ID);
        }
        Port[] old = ports;
        int id = preferredId;
        while (find(old, id) != null) {
            id = id == TargetPorts.MAX_ID ? TargetPorts.MIN_ID : id + 1;
            if (id == preferredId) {
                throw new TargetAdminException("every relative target port identifier is taken");
            }
        }
        Port[] next = Arrays.copyOf(old, old.length + 1);
        int i = old.length;
        while (i > 0 && next[i - 1].relativeId() > id) {
            next[i] = next[i - 1];
            i--;
        }
        next[i] = new Port(id, id, driver, description);
        ports = next;
        return id;
    }

    /** Admin lock held. The port removed, or {@code null}. */
    Port unregister(int relativeId) {
        Port[] old = ports;
        for (int i = 0; i < old.length; i++) {
            if (old[i].relativeId() == relativeId) {
                Port[] next = new Port[old.length - 1];
                System.arraycopy(old, 0, next, 0, i);
                System.arraycopy(old, i + 1, next, i, old.length - i - 1);
                ports = next;
                return old[i];
            }
        }
        return null;
    }

    /** The registered ports, sorted by relative identifier; never modify. */
    Port[] ports() {
        return ports;
    }

    List<Port> list() {
        return List.of(ports);
    }

    /** Whether a driver registered a port with this relative identifier. Allocation-free. */
    boolean contains(int relativeId) {
        return find(ports, relativeId) != null;
    }

    /** Tells every listener that an initiator changed a target's access states; one failing does not stop the others. */
    void portGroupsChanged(String target, List<PortGroup> groups) {
        for (PortGroupListener l : listeners) {
            try {
                l.portGroupsChanged(target, groups);
            } catch (RuntimeException e) {
                LOG.warn("a port group listener failed on the change of {}: {}", target, e.toString());
            }
        }
    }

    /** Whiteboard of {@link PortGroupListener}s (DS bind/unbind). */
    void addListener(PortGroupListener l) {
        listeners.add(l);
    }

    void removeListener(PortGroupListener l) {
        listeners.remove(l);
    }

    /** Binary search; allocation-free. */
    private static Port find(Port[] sorted, int relativeId) {
        int lo = 0;
        int hi = sorted.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int id = sorted[mid].relativeId();
            if (id < relativeId) {
                lo = mid + 1;
            } else if (id > relativeId) {
                hi = mid - 1;
            } else {
                return sorted[mid];
            }
        }
        return null;
    }
}
