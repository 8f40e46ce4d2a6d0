package org.jtgt.host;

import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;

/**
 * The host side's attachment to one transport, and what is in flight on it: commands,
 * task-management and nexus requests sent and not yet answered. A swap waits for
 * {@link #inFlight} to reach zero before closing the endpoint.
 */
final class TransportBinding {
    final Transport transport;
    final String name;
    final TransportEndpoint endpoint;
    final DataArea area;
    final long areaSize;
    final AtomicInteger inFlight = new AtomicInteger();
    volatile boolean failed;

    TransportBinding(Transport transport, TransportEndpoint endpoint) {
        this.transport = transport;
        this.name = transport.name();
        this.endpoint = endpoint;
        this.area = endpoint.dataArea();
        this.areaSize = area.size();
    }

    boolean usable() {
        return !failed && endpoint.isOpen();
    }

    @Override
    public String toString() {
        return name;
    }
}
