package org.jtgt.transport.netlink;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;

/**
 * What {@link NetlinkTransport#attachDaemon} returns: the daemon's attachment as a whole. Each
 * host side that connects gets a {@link DaemonConnection} of its own (its own mirror area and
 * threads), and events arrive with that connection as {@code from}; answers go back through it,
 * as the {@link EventSink} contract says. This endpoint's own {@link #offer}, {@link #send} and
 * {@link #dataArea} address the newest open connection (the host side attaches one at a time,
 * closing the old one after a swap), and a size-0 area when none is connected.
 */
final class DaemonEndpoint implements TransportEndpoint {
    private static final NetlinkDataArea NONE = NetlinkDataArea.mirror(0);

    private final NetlinkTransport transport;
    final EventSink sink;
    private final List<DaemonConnection> connections = new CopyOnWriteArrayList<>();
    private volatile boolean open = true;

    DaemonEndpoint(NetlinkTransport transport, EventSink sink) {
        this.transport = transport;
        this.sink = sink;
    }

    void connected(DaemonConnection c) {
        connections.add(c);
    }

    void disconnected(DaemonConnection c) {
        connections.remove(c);
    }

    List<DaemonConnection> connections() {
        return List.copyOf(connections);
    }

    private DaemonConnection newest() {
        List<DaemonConnection> cs = connections;
        for (int i = cs.size() - 1; i >= 0; i--) {
            DaemonConnection c;
            try {
                c = cs.get(i);
            } catch (IndexOutOfBoundsException e) {
                continue; // removed meanwhile
            }
            if (c.isOpen()) {
                return c;
            }
        }
        return null;
    }

    @Override
    public boolean offer(ByteBuffer src, int offset, int length) {
        DaemonConnection c = open ? newest() : null;
        return c != null && c.offer(src, offset, length);
    }

    @Override
    public boolean send(ByteBuffer src, int offset, int length) {
        DaemonConnection c = open ? newest() : null;
        return c != null && c.send(src, offset, length);
    }

    @Override
    public DataArea dataArea() {
        DaemonConnection c = newest();
        return c == null ? NONE : c.dataArea();
    }

    @Override
    public Transport transport() {
        return transport;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** Detaches the daemon: every connection closes, and their host sides see the transport fail. */
    @Override
    public void close() {
        if (!open) {
            return;
        }
        open = false;
        transport.daemonDetached(this);
        for (DaemonConnection c : connections) {
            c.close();
        }
    }

    @Override
    public String toString() {
        return "netlink daemon endpoint (" + connections.size() + " connection(s))";
    }
}
