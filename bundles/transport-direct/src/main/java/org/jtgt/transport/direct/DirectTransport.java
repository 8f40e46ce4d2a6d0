package org.jtgt.transport.direct;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.jtgt.api.transport.DeferredDelivery;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process transport: an event is handed to the peer's sink on the thread that sends it
 * (no ring, no queue to a thread of the transport's, no wake-up), and both sides use one direct
 * buffer as the data area. For a host side and a daemon in one JVM.
 *
 * <p>Each direction is a {@link DirectChannel}: one thread at a time delivers, in the order
 * events were queued, so each sink sees what a ring's one consumer would show it. Whoever queues
 * an event delivers it unless another thread is delivering on that direction already (it takes
 * the event along) or the rules of re-entry say no:
 * <ul>
 * <li>a thread never delivers on a direction it is delivering on already (a nested send is
 *     queued and delivered by its own loop once the current event's call has returned);</li>
 * <li>a thread inside the daemon ({@link Delivery}) never delivers a host → daemon event, so the
 *     daemon is never entered again beneath itself. Daemon → host events may be delivered beneath
 *     the host's own calls (the answer to a command can arrive inside the host's {@code offer}
 *     of it, which the host side allows for).</li>
 * </ul>
 * An event no thread may deliver (queued inside the daemon, for instance a KEVENT_CMD_DONE sent
 * when the daemon answered from a thread of its own) is delivered by the transport's courier
 * thread, woken for it.
 */
@Component(service = Transport.class, property = Transport.NAME_PROPERTY + "=direct", immediate = true,
        configurationPid = "org.jtgt.transport.direct")
@Designate(ocd = DirectTransport.Config.class)
public class DirectTransport implements Transport {
    private static final Logger LOG = LoggerFactory.getLogger(DirectTransport.class);
    /** The smallest data area: one command of the host side's default maximum (8 MiB) and more. */
    static final long MIN_AREA = 16L << 20;

    @ObjectClassDefinition(name = "jtgt direct transport")
    public @interface Config {
        @AttributeDefinition(name = "Queue records", description = "Events each direction queues before an offer is "
                + "refused, a power of two. Restart needed.")
        int queueRecords() default 1024;

        @AttributeDefinition(name = "Data area size", description = "Bytes of command data in flight at once (a direct "
                + "buffer; at most a quarter of the heap limit, which also bounds direct memory by default). "
                + "Restart needed.")
        long dataAreaSize() default 128L * 1024 * 1024;
    }

    private DirectDataArea area;
    private DirectChannel toDaemon;
    private DirectChannel toHost;
    private DirectEndpoint daemonEndpoint;
    private DirectEndpoint hostEndpoint;
    private Thread courier;
    private volatile boolean running;
    private volatile boolean courierCalled;

    @Activate
    void activate(Config config) {
        open(config.queueRecords(), config.dataAreaSize());
    }

    /** Sets the transport up; also the entry point for tests without a framework. */
    public void open(int queueRecords, long dataAreaSize) {
        long size = Math.min(dataAreaSize, Math.max(MIN_AREA, Runtime.getRuntime().maxMemory() / 4));
        size = Math.min(size, Integer.MAX_VALUE & ~(DirectDataArea.BLOCK_SIZE - 1L));
        size &= ~(DirectDataArea.BLOCK_SIZE - 1L);
        if (size < dataAreaSize) {
            LOG.info("direct transport: data area {} MiB instead of {} MiB (a quarter of the heap limit)", size >> 20,
                    dataAreaSize >> 20);
        }
        area = new DirectDataArea((int) size);
        // Offers are refused beyond queueRecords; sends queue up to 64 times that (see DirectChannel).
        toDaemon = new DirectChannel("direct host → daemon", true, queueRecords, queueRecords * 64);
        toHost = new DirectChannel("direct daemon → host", false, queueRecords, queueRecords * 64);
        running = true;
        courier = new Thread(this::runCourier, "jtgt-direct-courier");
        courier.setDaemon(true);
        courier.start();
        LOG.info("direct transport ready ({} queued events per direction, data area {} MiB)", queueRecords, size >> 20);
    }

    @Deactivate
    public void deactivate() {
        DirectEndpoint d;
        DirectEndpoint h;
        synchronized (this) {
            d = daemonEndpoint;
            h = hostEndpoint;
        }
        if (h != null) {
            h.close();
        }
        if (d != null) {
            d.close();
        }
        running = false;
        if (courier != null) {
            LockSupport.unpark(courier);
            if (Thread.currentThread() != courier) {
                try {
                    courier.join(TimeUnit.SECONDS.toMillis(10));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        LOG.info("direct transport closed");
    }

    @Override
    public String name() {
        return "direct";
    }

    @Override
    public synchronized TransportEndpoint attachDaemon(EventSink sink) {
        if (daemonEndpoint != null) {
            throw new IllegalStateException("a daemon is attached to the direct transport already");
        }
        daemonEndpoint = new DirectEndpoint(this, true, toHost, toDaemon, area);
        toDaemon.attach(sink, daemonEndpoint);
        if (toDaemon.stranded()) {
            callCourier(); // what the host queued before the daemon came; not on the caller's thread
        }
        return daemonEndpoint;
    }

    @Override
    public synchronized TransportEndpoint attachHost(EventSink sink) {
        if (hostEndpoint != null) {
            throw new IllegalStateException("a host side is attached to the direct transport already");
        }
        hostEndpoint = new DirectEndpoint(this, false, toDaemon, toHost, area);
        toHost.attach(sink, hostEndpoint);
        if (toHost.stranded()) {
            callCourier();
        }
        return hostEndpoint;
    }

    synchronized void detached(DirectEndpoint endpoint) {
        if (endpoint == daemonEndpoint) {
            daemonEndpoint = null;
        } else if (endpoint == hostEndpoint) {
            hostEndpoint = null;
        }
    }

    /**
     * An event was queued on {@code channel} by the current thread: deliver it if this thread
     * may. A thread inside the daemon may not deliver a host → daemon event; if nobody else is
     * delivering on that direction, the thread takes it along once it is out of the daemon when
     * it promised to ({@link DeferredDelivery}: a store worker, between two tasks), and the
     * courier is woken only otherwise.
     */
    void deliver(DirectChannel channel) {
        if (channel.toDaemon() && Delivery.insideDaemon()) {
            if (channel.stranded() && !DeferredDelivery.owe(channel.drainLater)) {
                callCourier();
            }
            return;
        }
        channel.drain();
    }

    private void callCourier() {
        courierCalled = true;
        Thread c = courier;
        if (c != null) {
            LockSupport.unpark(c);
        }
    }

    /** Delivers what no sending thread may: waits to be called, then drains both directions. */
    private void runCourier() {
        while (running) {
            if (!courierCalled) {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(100));
                continue;
            }
            courierCalled = false;
            toDaemon.drain();
            toHost.drain();
        }
    }

    DirectDataArea area() {
        return area;
    }

    DirectChannel toDaemon() {
        return toDaemon;
    }

    DirectChannel toHost() {
        return toHost;
    }

    @Override
    public String toString() {
        return "direct transport";
    }
}
