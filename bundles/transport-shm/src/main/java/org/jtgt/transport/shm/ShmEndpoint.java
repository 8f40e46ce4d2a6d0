package org.jtgt.transport.shm;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
import org.jtgt.ring.SlotRing;

/**
 * One side's attachment: it produces into its outbound ring, and a {@link RingPump} consumes its
 * inbound ring and delivers to its sink.
 */
final class ShmEndpoint implements TransportEndpoint {
    private static final long SEND_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final ShmTransport transport;
    private final String side;
    private final SlotRing outbound;
    private final DataArea area;
    final RingPump pump;
    private volatile boolean open = true;

    ShmEndpoint(ShmTransport transport, String side, SlotRing outbound, SlotRing inbound, DataArea area, EventSink sink,
                boolean toDaemon) {
        this.transport = transport;
        this.side = side;
        this.outbound = outbound;
        this.area = area;
        this.pump = new RingPump("jtgt-shm-" + side, inbound, sink, this, toDaemon);
    }

    @Override
    public boolean offer(ByteBuffer src, int offset, int length) {
        return open && outbound.offer(src, offset, length);
    }

    @Override
    public boolean send(ByteBuffer src, int offset, int length) {
        while (open) {
            if (outbound.send(src, offset, length, SEND_SLICE_NANOS)) {
                return true;
            }
            if (Thread.currentThread().isInterrupted()) {
                return false;
            }
        }
        return false;
    }

    @Override public DataArea dataArea() { return area; }
    @Override public Transport transport() { return transport; }
    @Override public boolean isOpen() { return open && !pump.broken(); }

    @Override
    public void close() {
        if (open) {
            open = false;
            pump.stop();
            transport.detached(this);
        }
    }

    @Override
    public String toString() {
        return "shm " + side + " endpoint";
    }
}
