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

    /** The transport an endpoint belongs to, told when the endpoint closes. */
    interface Owner {
        Transport transport();

        void detached(ShmEndpoint endpoint);
    }

    /** Whether this side may still produce: a daemon in another process stops once fenced. */
    interface Fence {
        Fence NONE = () -> true;

        boolean current();
    }

    private final Owner owner;
    private final Fence fence;
    private final String side;
    private final SlotRing outbound;
    private final DataArea area;
    final RingPump pump;
    private volatile boolean open = true;

    ShmEndpoint(Owner owner, String side, SlotRing outbound, SlotRing inbound, DataArea area, EventSink sink,
                boolean toDaemon) {
        this(owner, Fence.NONE, side, outbound, inbound, area, sink, toDaemon);
    }

    ShmEndpoint(Owner owner, Fence fence, String side, SlotRing outbound, SlotRing inbound, DataArea area,
                EventSink sink, boolean toDaemon) {
        this.owner = owner;
        this.fence = fence;
        this.side = side;
        this.outbound = outbound;
        this.area = area;
        this.pump = new RingPump("jtgt-shm-" + side, inbound, sink, this, toDaemon, fence);
    }

    @Override
    public boolean offer(ByteBuffer src, int offset, int length) {
        return open && fence.current() && outbound.offer(src, offset, length);
    }

    @Override
    public boolean send(ByteBuffer src, int offset, int length) {
        while (open && fence.current()) {
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
    @Override public Transport transport() { return owner.transport(); }
    @Override public boolean isOpen() { return open && !pump.broken() && fence.current(); }

    @Override
    public void close() {
        if (open) {
            open = false;
            pump.stop();
            owner.detached(this);
        }
    }

    @Override
    public String toString() {
        return "shm " + side + " endpoint";
    }
}
