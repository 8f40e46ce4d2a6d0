package org.jtgt.transport.shm;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
import org.jtgt.api.transport.TransportOccupancy;
import org.jtgt.util.file.OrphanFiles;
import org.jtgt.util.file.OwnerOnlyFiles;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared-memory ring transport (the design of Linux tgt's ring patch): one memory-mapped
 * file holding a host → daemon ring, a daemon → host ring and a data area that events reference
 * by {@code (offset, length)}, so command data is never copied between the sides. Each ring has
 * one consumer thread ({@link RingPump}) that drains it in batches and parks when it is empty.
 *
 * <p>The file is created on activation (mode 0600: the data area holds initiator data) and
 * removed on deactivation, in the directory named by the configuration, else the framework
 * property {@code jtgt.shm.dir}, else this bundle's data area (narrowed to 0700).
 */
@Component(service = Transport.class, property = Transport.NAME_PROPERTY + "=shm", immediate = true, enabled = false,
        configurationPid = "org.jtgt.transport.shm")
@Designate(ocd = ShmTransport.Config.class)
public class ShmTransport implements Transport, ShmEndpoint.Owner, TransportOccupancy {
    private static final Logger LOG = LoggerFactory.getLogger(ShmTransport.class);
    /** The region file is {@code jtgt-shm-<pid>-<bundle id>.region} in the transport's directory. */
    static final String REGION_PREFIX = "jtgt-shm-";
    static final String REGION_SUFFIX = ".region";

    @ObjectClassDefinition(name = "jtgt shared-memory transport")
    public @interface Config {
        @AttributeDefinition(name = "Directory", description = "Where the mapped file is created; empty: the framework "
                + "property jtgt.shm.dir, else the bundle's data area. Needs a restart of the component.")
        String directory() default "";

        @AttributeDefinition(name = "Ring slots", description = "Slots per ring, a power of two. Restart needed.")
        int slotCount() default 1024;

        @AttributeDefinition(name = "Slot size", description = "Bytes per slot, a power of two >= 256. Restart needed.")
        int slotSize() default 256;

        @AttributeDefinition(name = "Data area size", description = "Bytes of command data in flight at once. Restart needed.")
        long dataAreaSize() default 128L * 1024 * 1024;
    }

    private volatile ShmRegion region;
    private ShmDataArea area;
    private ShmEndpoint daemonEndpoint;
    private ShmEndpoint hostEndpoint;

    @Activate
    void activate(BundleContext context, Config config) throws IOException {
        Path dir;
        if (!config.directory().isEmpty()) {
            dir = Paths.get(config.directory());
        } else if (context.getProperty("jtgt.shm.dir") != null) {
            dir = Paths.get(context.getProperty("jtgt.shm.dir"));
        } else {
            dir = context.getDataFile("").toPath();
            // The bundle's own storage: owner-only like the region in it. A configured directory
            // is the operator's and keeps its mode.
            if (OwnerOnlyFiles.restrict(dir)) {
                LOG.debug("{} narrowed to mode 0700", dir);
            }
        }
        if (!OwnerOnlyFiles.supported(dir)) {
            LOG.debug("{} has no POSIX permissions: the region gets the file system's default mode", dir);
        }
        for (Path orphan : OrphanFiles.remove(dir, REGION_PREFIX, REGION_SUFFIX)) {
            LOG.info("removed {}, left by a process that is gone", orphan);
        }
        open(dir.resolve(REGION_PREFIX + ProcessHandle.current().pid() + "-" + context.getBundle().getBundleId()
                + REGION_SUFFIX),
                config.slotCount(), config.slotSize(), config.dataAreaSize());
    }

    /** Creates the region; also the entry point for tests without a framework. */
    public void open(Path file, int slotCount, int slotSize, long dataAreaSize) throws IOException {
        region = ShmRegion.create(file, slotCount, slotSize, dataAreaSize);
        // Both halves live in this process and unpark each other's pump, so an idle pump sleeps
        // until woken instead of polling every millisecond (the split shape's rings are DaemonShm's).
        region.toDaemon.setProducersWakeConsumer(true);
        region.toHost.setProducersWakeConsumer(true);
        area = new ShmDataArea(region.data);
        LOG.info("shared-memory transport ready: {} ({} slots x {} B per ring, data area {} MiB)", file, slotCount,
                slotSize, dataAreaSize >> 20);
    }

    @Deactivate
    public void deactivate() throws IOException {
        ShmEndpoint d;
        ShmEndpoint h;
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
        if (region != null) {
            region.close();
            LOG.info("shared-memory transport closed: {}", region.file);
        }
    }

    @Override
    public String name() {
        return "shm";
    }

    // Occupancy, for monitoring: the rings' claimed-but-unconsumed records.

    @Override
    public int queuedToDaemon() {
        ShmRegion r = region;
        return r == null ? 0 : r.toDaemon.size();
    }

    @Override
    public int queuedToHost() {
        ShmRegion r = region;
        return r == null ? 0 : r.toHost.size();
    }

    @Override
    public int capacity() {
        ShmRegion r = region;
        return r == null ? 0 : r.toDaemon.slotCount();
    }

    @Override
    public synchronized TransportEndpoint attachDaemon(EventSink sink) {
        if (daemonEndpoint != null) {
            throw new IllegalStateException("a daemon is attached to the shm transport already");
        }
        daemonEndpoint = new ShmEndpoint(this, "daemon", region.toHost, region.toDaemon, area, sink, true);
        daemonEndpoint.pump.start();
        return daemonEndpoint;
    }

    @Override
    public synchronized TransportEndpoint attachHost(EventSink sink) {
        if (hostEndpoint != null) {
            throw new IllegalStateException("a host side is attached to the shm transport already");
        }
        hostEndpoint = new ShmEndpoint(this, "host", region.toDaemon, region.toHost, area, sink, false);
        hostEndpoint.pump.start();
        return hostEndpoint;
    }

    @Override
    public Transport transport() {
        return this;
    }

    @Override
    public synchronized void detached(ShmEndpoint endpoint) {
        if (endpoint == daemonEndpoint) {
            daemonEndpoint = null;
        } else if (endpoint == hostEndpoint) {
            hostEndpoint = null;
        }
    }

    Path file() {
        return region.file;
    }

    ShmRegion region() {
        return region;
    }

    @Override
    public String toString() {
        return "shm transport " + (region == null ? "(closed)" : region.file);
    }
}
