package org.jtgt.transport.direct;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;

/**
 * One side's attachment to the {@link DirectTransport}: it queues into its outbound
 * {@link DirectChannel} and, where the rules allow, delivers on the calling thread. Safe for any
 * number of sending threads.
 */
final class DirectEndpoint implements TransportEndpoint {
    /** How long a send beyond the queue's limit sleeps before it looks again. */
    private static final long FULL_PARK_NANOS = 50_000;

    private final DirectTransport transport;
    private final String side;
    private final boolean daemonSide;
    private final DirectChannel outbound;
    private final DirectChannel inbound;
    private final DataArea area;
    private volatile boolean open = true;
    private volatile boolean broken;

    DirectEndpoint(DirectTransport transport, boolean daemonSide, DirectChannel outbound, DirectChannel inbound,
                   DataArea area) {
        this.transport = transport;
        this.side = daemonSide ? "daemon" : "host";
        this.daemonSide = daemonSide;
        this.outbound = outbound;
        this.inbound = inbound;
        this.area = area;
    }

    @Override
    public boolean offer(ByteBuffer src, int offset, int length) {
        return put(src, offset, length, false);
    }

    /** Never waits for the receiver (the queue grows instead), except beyond the queue's limit. */
    @Override
    public boolean send(ByteBuffer src, int offset, int length) {
        while (isOpen()) {
            if (put(src, offset, length, true)) {
                return true;
            }
            if (Thread.currentThread().isInterrupted()) {
                return false;
            }
            LockSupport.parkNanos(this, FULL_PARK_NANOS);
        }
        return false;
    }

    private boolean put(ByteBuffer src, int offset, int length, boolean mayGrow) {
        if (!open || broken) {
            return false;
        }
        if (daemonSide) {
            // The daemon's code is on this thread's stack while it sends: nothing may enter the
            // daemon again from here (see Delivery).
            Delivery.enterDaemon();
            try {
                if (!outbound.enqueue(src, offset, length, mayGrow)) {
                    return false;
                }
                transport.deliver(outbound);
                return true;
            } finally {
                Delivery.exitDaemon();
            }
        }
        if (!outbound.enqueue(src, offset, length, mayGrow)) {
            return false;
        }
        transport.deliver(outbound);
        return true;
    }

    @Override public DataArea dataArea() { return area; }
    @Override public Transport transport() { return transport; }
    @Override public boolean isOpen() { return open && !broken; }

    /** The peer broke the protocol or the sink failed: the endpoint is unusable. */
    void broken() {
        broken = true;
    }

    @Override
    public void close() {
        if (open) {
            open = false;
            inbound.detach(this);
            transport.detached(this);
        }
    }

    @Override
    public String toString() {
        return "direct " + side + " endpoint";
    }
}
