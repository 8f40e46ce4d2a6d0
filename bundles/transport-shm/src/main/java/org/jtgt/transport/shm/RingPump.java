package org.jtgt.transport.shm;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.event.EventFormatException;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.TransportEndpoint;
import org.jtgt.ring.RingFormatException;
import org.jtgt.ring.SlotRing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer of one ring: drains every ready slot per wake-up (batches of up to
 * {@value #BATCH}), validates each record's header and direction, and delivers it to the sink in
 * place (no copy). A record that is not a valid event for this direction means the peer is broken
 * or hostile: the pump stops and reports the failure instead of guessing (as TCMU does).
 */
final class RingPump implements Runnable, SlotRing.RecordHandler {
    private static final Logger LOG = LoggerFactory.getLogger(RingPump.class);
    static final int BATCH = 64;
    private static final long AWAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final String name;
    private final SlotRing ring;
    private final EventSink sink;
    private final TransportEndpoint endpoint;
    private final boolean toDaemon;
    private final Thread thread;
    private final ShmEndpoint.Fence fence;
    private volatile boolean running = true;
    private volatile boolean broken;
    private long delivered;

    RingPump(String name, SlotRing ring, EventSink sink, TransportEndpoint endpoint, boolean toDaemon) {
        this(name, ring, sink, endpoint, toDaemon, ShmEndpoint.Fence.NONE);
    }

    RingPump(String name, SlotRing ring, EventSink sink, TransportEndpoint endpoint, boolean toDaemon,
             ShmEndpoint.Fence fence) {
        this.fence = fence;
        this.name = name;
        this.ring = ring;
        this.sink = sink;
        this.endpoint = endpoint;
        this.toDaemon = toDaemon;
        this.thread = new Thread(this, name);
        this.thread.setDaemon(true);
    }

    void start() {
        ring.setConsumerThread(thread);
        thread.start();
    }

    boolean broken() {
        return broken;
    }

    long delivered() {
        return delivered;
    }

    @Override
    public void run() {
        try {
            while (running) {
                if (!fence.current()) {
                    // The region's owner gave the rings to another generation: what they hold now
                    // is not for this consumer.
                    broken = true;
                    LOG.warn("{}: fenced (the rings belong to a newer generation); stopped", name);
                    sink.onTransportFailure(endpoint, "fenced: the rings belong to a newer generation");
                    return;
                }
                if (ring.drain(this, BATCH) == 0) {
                    ring.await(AWAIT_NANOS);
                }
            }
        } catch (RingFormatException | EventFormatException e) {
            broken = true;
            LOG.error("{}: ring stopped, peer broke the protocol: {}", name, e.getMessage());
            sink.onTransportFailure(endpoint, e.getMessage());
        } catch (RuntimeException e) {
            broken = true;
            LOG.error("{}: event delivery failed; ring stopped", name, e);
            sink.onTransportFailure(endpoint, e.toString());
        } catch (Error e) {
            // Not a transport failure to recover from by swapping: the JVM is in trouble. Left to
            // the uncaught-exception policy (the launcher ends the process: a supervisor restarts it).
            broken = true;
            throw e;
        }
    }

    @Override
    public void onRecord(ByteBuffer buffer, int offset, int length) {
        EventType type = EventHeader.validate(buffer, offset, length);
        if (type.toDaemon() != toDaemon) {
            throw new EventFormatException(type + " on the " + (toDaemon ? "host → daemon" : "daemon → host") + " ring");
        }
        delivered++;
        sink.onEvent(buffer, offset, length, endpoint);
    }

    /**
     * After {@link #stop}: delivers, on the calling thread, what was published and not yet
     * delivered (up to the first slot not published, which a producer that died while writing
     * it leaves behind). A record that is not valid ends it; the rest is dropped.
     */
    int drainNow() {
        int total = 0;
        try {
            for (int n = ring.drain(this, BATCH); n > 0; n = ring.drain(this, BATCH)) {
                total += n;
            }
        } catch (RingFormatException | EventFormatException e) {
            LOG.warn("{}: after the stop, the rest of the ring is invalid ({}); dropped", name, e.getMessage());
        }
        return total;
    }

    /** Stops delivering; waits for the thread unless called from it. */
    void stop() {
        running = false;
        ring.wakeConsumer();
        if (Thread.currentThread() != thread && thread.isAlive()) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                LOG.warn("{} did not stop within 10 s (its sink is still busy)", name);
            }
        }
    }
}
