package org.jtgt.transport.shm;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;

import org.jtgt.api.target.ChapAccounts;
import org.jtgt.api.target.TargetAdminException;
import org.jtgt.api.target.TargetCatalog;
import org.jtgt.api.target.TargetInfo;
import org.jtgt.api.target.TargetPorts;

/**
 * The daemon's services as the front's drivers see them in the split shape: the targets and
 * their CHAP accounts as the daemon last sent them (so discovery and logins go on while the
 * daemon restarts; {@link FrontShm} registers this as the {@link ChapAccounts} source only while
 * the daemon's catalog says it has one, so that logins fail closed without it), and the target ports, numbered here by the daemon's rule and told to every
 * daemon that attaches, so that a port keeps its identifier across daemon restarts.
 */
final class FrontCatalog implements TargetCatalog, ChapAccounts, TargetPorts {
    /** Registration changes for the attached daemon: {@code [id, registered?]}. */
    record PortChange(Port port, boolean registered) {
    }

    private volatile CatalogCodec.Catalog catalog = CatalogCodec.Catalog.EMPTY;
    private final TreeMap<Integer, Port> ports = new TreeMap<>();
    private final Consumer<PortChange> daemon;

    FrontCatalog(Consumer<PortChange> daemon) {
        this.daemon = daemon;
    }

    void update(CatalogCodec.Catalog c) {
        catalog = c;
    }

    /** Whether the daemon's last catalog came with its CHAP account source. */
    boolean accountSource() {
        return catalog.accountSource();
    }

    @Override
    public List<TargetInfo> targets() {
        return catalog.targets();
    }

    @Override
    public TargetChap forTarget(String target) {
        return catalog.accounts().get(target);
    }

    @Override
    public int register(String driver, String description, int preferredId) {
        if (preferredId < MIN_ID || preferredId > MAX_ID) {
            throw new TargetAdminException("relative target port identifier " + preferredId + " is outside "
                    + MIN_ID + ".." + MAX_ID);
        }
        Port port;
        synchronized (ports) {
            int id = preferredId;
            while (ports.containsKey(id)) {
                id = id == MAX_ID ? MIN_ID : id + 1;
                if (id == preferredId) {
                    throw new TargetAdminException("every relative target port identifier is taken");
                }
            }
            port = new Port(id, id, driver, description);
            ports.put(id, port);
        }
        daemon.accept(new PortChange(port, true));
        return port.relativeId();
    }

    @Override
    public void unregister(int relativeId) {
        Port port;
        synchronized (ports) {
            port = ports.remove(relativeId);
        }
        if (port != null) {
            daemon.accept(new PortChange(port, false));
        }
    }

    /** The daemon's view when it has sent one (groups as it configures them), else the ports here. */
    @Override
    public List<Port> ports() {
        List<Port> fromDaemon = catalog.ports();
        return fromDaemon.isEmpty() ? registered() : fromDaemon;
    }

    /** The ports the front's drivers registered, for a daemon that attaches. */
    List<Port> registered() {
        synchronized (ports) {
            return new ArrayList<>(ports.values());
        }
    }
}
