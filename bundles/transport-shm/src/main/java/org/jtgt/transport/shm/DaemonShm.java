package org.jtgt.transport.shm;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.event.ItNexusReqEvent;
import org.jtgt.api.target.ChapAccounts;
import org.jtgt.api.target.TargetCatalog;
import org.jtgt.api.target.TargetInfo;
import org.jtgt.api.target.TargetPorts;
import org.jtgt.api.transport.DaemonGenerations;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
import org.jtgt.api.transport.TransportOccupancy;
import org.jtgt.transport.split.SplitMedium;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon process's side of the split shape (role {@code daemon}): it connects to the front's
 * link socket (waiting for the front if it is not there yet), registers the front's target ports
 * with the daemon under the same identifiers, and registers a transport for that generation, to
 * which the target daemon attaches as to any transport: over the front's region and that
 * generation's rings ({@code shm}, default), or over the end a {@link SplitMedium} opens here (the
 * medium {@value SplitMedium#SELECTION_PROPERTY} names; the front must name the same). It keeps the front's copy of the catalog current. When the front goes away it
 * ends that front's I_T nexuses in the daemon, unregisters its ports and waits for the next front.
 */
@Component(enabled = false, immediate = true, configurationPid = "org.jtgt.transport.shm")
public final class DaemonShm {
    private static final Logger LOG = LoggerFactory.getLogger(DaemonShm.class);
    private static final long CONNECT_RETRY_MILLIS = 200;
    private static final long CATALOG_PERIOD_MILLIS = 250;
    private static final long ATTACH_TIMEOUT_SECONDS = 30;
    private static final long CATALOG_WAIT_SECONDS = 20;
    private static final long LEAVE_WAIT_SECONDS = 15;

    @Reference
    TargetCatalog catalog;

    @Reference
    TargetPorts ports;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile ChapAccounts accounts;

    private final List<SplitMedium> media = new CopyOnWriteArrayList<>();
    private volatile String mediumName = "shm";
    private String lastRefusal;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addMedium(SplitMedium m) {
        media.add(m);
    }

    void removeMedium(SplitMedium m) {
        media.remove(m);
    }

    private BundleContext context;
    private Path socketPath;
    private final SynchronousBundleListener frameworkStopping = event -> {
        if (event.getType() == BundleEvent.STOPPING && event.getBundle().getBundleId() == 0) {
            leave();
        }
    };
    private volatile PeerLink current;
    private volatile CountDownLatch left;
    private Thread linkThread;
    private volatile boolean running;
    private volatile SocketChannel channel;

    @Activate
    void activate(BundleContext bundleContext, ShmTransport.Config config) throws IOException {
        this.context = bundleContext;
        String chosen = bundleContext.getProperty(SplitMedium.SELECTION_PROPERTY);
        mediumName = chosen == null || chosen.isBlank() ? "shm" : chosen.trim();
        socketPath = ShmDirectories.socket(ShmDirectories.splitDirectory(bundleContext, config.directory()));
        running = true;
        bundleContext.addBundleListener(frameworkStopping);
        linkThread = new Thread(this::run, "jtgt-shm-daemon-link");
        linkThread.setDaemon(true);
        linkThread.start();
    }

    /**
     * A planned stop (the framework is stopping, before the target daemon and the stores stop):
     * asks the front to send nothing new and waits until every request this daemon has is
     * answered, so the next daemon neither repeats nor refuses any of them.
     */
    void leave() {
        PeerLink l = current;
        CountDownLatch done = left;
        if (l == null || done == null) {
            return;
        }
        try {
            l.write(PeerLink.LEAVING, out -> { });
            if (!done.await(LEAVE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                LOG.warn("the front did not confirm within {} s that every request was answered", LEAVE_WAIT_SECONDS);
            }
        } catch (IOException e) {
            LOG.debug("leaving: the link is gone already ({})", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        running = false;
        l.close();
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        context.removeBundleListener(frameworkStopping);
        leave();
        running = false;
        SocketChannel c = channel;
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // stopping
            }
        }
        linkThread.interrupt();
        linkThread.join(TimeUnit.SECONDS.toMillis(15));
    }

    private void run() {
        boolean told = false;
        boolean toldMedium = false;
        while (running) {
            if (medium(mediumName) == null && !mediumName.equals("shm")) {
                // Its bundle starts after this one: attach only once it is there.
                if (!toldMedium) {
                    LOG.info("{}={}: waiting for that split medium before attaching", SplitMedium.SELECTION_PROPERTY,
                            mediumName);
                    toldMedium = true;
                }
                if (!sleep(CONNECT_RETRY_MILLIS)) {
                    return;
                }
                continue;
            }
            SocketChannel c;
            try {
                c = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    c.connect(UnixDomainSocketAddress.of(socketPath));
                } catch (IOException e) {
                    c.close();
                    throw e;
                }
            } catch (IOException e) {
                if (!told) {
                    LOG.info("waiting for the front at {}", socketPath);
                    told = true;
                }
                if (!sleep(CONNECT_RETRY_MILLIS)) {
                    return;
                }
                continue;
            }
            told = false;
            channel = c;
            try {
                attached(new PeerLink(c));
            } finally {
                channel = null;
                try {
                    c.close();
                } catch (IOException ignored) {
                    // already gone
                }
            }
        }
    }

    private SplitMedium medium(String name) {
        for (SplitMedium candidate : media) {
            if (candidate.name().equals(name)) {
                return candidate;
            }
        }
        return null;
    }

    private static boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    /** One front, from HELLO to its end of file. */
    /**
     * What HELLO says this daemon is: the launcher's build when a launcher started the framework
     * ("jtgt 0.1.0 (build 0123456789ab)"), and this bundle's name and version, which carries the link.
     */
    private String buildName() {
        String launcher = context.getProperty("jtgt.build");
        String bundle = context.getBundle().getSymbolicName() + " " + context.getBundle().getVersion();
        return launcher == null ? bundle : "jtgt " + launcher + ", " + bundle;
    }

    private void attached(PeerLink link) {
        DaemonTransport transport = null;
        Doorbell bell = null;
        ServiceRegistration<Transport> registration = null;
        Set<Integer> registered = new HashSet<>();
        Thread pusher = null;
        long gen = 0;
        try {
            link.write(PeerLink.HELLO, out -> {
                out.writeInt(PeerLink.PROTOCOL);
                out.writeLong(ProcessHandle.current().pid());
                out.writeUTF(buildName());
                out.writeUTF(mediumName);
            });
            PeerLink.Frame f = link.read();
            if (f.type() == PeerLink.REFUSED) {
                String reason = f.payload().readUTF();
                if (!reason.equals(lastRefusal)) {
                    LOG.error("the front refused this daemon: {} (asking again every second)", reason);
                    lastRefusal = reason;
                }
                sleep(1000);
                return;
            }
            lastRefusal = null;
            if (f.type() != PeerLink.ATTACH) {
                throw new IOException("expected ATTACH, got frame type " + f.type());
            }
            gen = f.payload().readLong();
            String medium = f.payload().readUTF();
            String regionName = f.payload().readUTF();
            long areaSize = f.payload().readLong();
            if (!medium.equals(mediumName)) {
                throw new IOException("the front attaches over " + medium + ", this daemon is set to " + mediumName);
            }
            int n = PeerLink.count(f.payload(), 65535, "ports");
            for (int i = 0; i < n; i++) {
                int id = PeerLink.portId(f.payload());
                register(id, f.payload().readUTF(), f.payload().readUTF(), registered);
            }
            Map<String, Set<Integer>> expected = new LinkedHashMap<>();
            int targets = PeerLink.count(f.payload(), CatalogCodec.MAX_TARGETS, "expected targets");
            for (int i = 0; i < targets; i++) {
                String name = f.payload().readUTF();
                int luns = PeerLink.count(f.payload(), CatalogCodec.MAX_ENTRIES, "units of " + name);
                Set<Integer> set = new HashSet<>();
                for (int j = 0; j < luns; j++) {
                    set.add(f.payload().readInt());
                }
                expected.put(name, set);
            }
            long before = f.payload().readLong();
            awaitCatalog(expected);
            String address = "";
            if (medium.equals("shm")) {
                Path regionPath = Paths.get(regionName);
                ShmRegion region = ShmRegion.attach(regionPath);
                if (region.generation() != gen) {
                    throw new IOException(regionPath + " is at generation " + region.generation() + ", not " + gen);
                }
                bell = ringable(socketPath.getParent(), gen, region);
                transport = new DaemonTransport(region, gen, before);
            } else {
                SplitMedium m = medium(medium);
                if (m == null) {
                    throw new IOException("no split medium named " + medium + " is registered in this process");
                }
                SplitMedium.DaemonEnd end = m.open(socketPath.getParent(), gen, areaSize);
                address = end.address();
                transport = new DaemonTransport(medium, end, gen, before);
            }
            Dictionary<String, Object> props = new Hashtable<>();
            props.put(Transport.NAME_PROPERTY, medium);
            registration = context.registerService(Transport.class, transport, props);
            if (!transport.attached.await(ATTACH_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IOException("the target daemon did not attach to the transport within "
                        + ATTACH_TIMEOUT_SECONDS + " s");
            }
            long ready = gen;
            String readyAddress = address;
            left = new CountDownLatch(1);
            current = link;
            link.write(PeerLink.READY, out -> {
                out.writeLong(ready);
                out.writeUTF(readyAddress);
            });
            if (medium.equals("shm")) {
                LOG.info("attached to the front's region {} as generation {} ({} daemon processes before this one)",
                        regionName, gen, before);
            } else {
                LOG.info("attached to the front over {} at {} as generation {} ({} daemon processes before this one)",
                        medium, address, gen, before);
            }
            pusher = new Thread(() -> pushCatalog(link), "jtgt-shm-daemon-catalog");
            pusher.setDaemon(true);
            pusher.start();
            while (running) {
                PeerLink.Frame m = link.read();
                switch (m.type()) {
                    case PeerLink.PORT_REGISTER -> register(PeerLink.portId(m.payload()), m.payload().readUTF(),
                            m.payload().readUTF(), registered);
                    case PeerLink.PORT_UNREGISTER -> {
                        int id = PeerLink.portId(m.payload());
                        if (registered.remove(id)) {
                            ports.unregister(id);
                        }
                    }
                    case PeerLink.LEFT -> {
                        int unanswered = m.payload().readInt();
                        LOG.info("the front took this daemon's leave ({} requests unanswered)", unanswered);
                        left.countDown();
                    }
                    default -> throw new IOException("unexpected link frame type " + m.type() + " from the front");
                }
            }
        } catch (EOFException e) {
            if (running) {
                LOG.warn("the front closed the link (generation {}); its I_T nexuses end here", gen);
            }
        } catch (IOException | RuntimeException e) {
            if (running) {
                LOG.error("link to the front failed (generation {}): {}", gen, e.toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            current = null;
            CountDownLatch done = left;
            if (done != null) {
                done.countDown();
            }
            link.close();
            if (pusher != null) {
                pusher.interrupt();
            }
            if (registration != null) {
                try {
                    registration.unregister();
                } catch (IllegalStateException alreadyGone) {
                    // the bundle is stopping
                }
            }
            if (transport != null) {
                transport.end();
            }
            if (bell != null) {
                bell.close();
            }
            for (int id : registered) {
                ports.unregister(id);
            }
        }
    }

    /**
     * Waits (bounded) until the daemon has every target and unit the front's previous daemon had:
     * {@code targets.conf} is applied after the daemon starts, and the nexuses and commands the front
     * gives again need them. What is still missing after the wait was removed meanwhile; its
     * commands get the daemon's own answers.
     */
    private void awaitCatalog(Map<String, Set<Integer>> expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CATALOG_WAIT_SECONDS);
        while (true) {
            List<String> missing = new ArrayList<>();
            Map<String, TargetInfo> have = new LinkedHashMap<>();
            for (TargetInfo t : catalog.targets()) {
                have.put(t.name(), t);
            }
            for (Map.Entry<String, Set<Integer>> e : expected.entrySet()) {
                TargetInfo t = have.get(e.getKey());
                Set<Integer> luns = new HashSet<>();
                if (t != null) {
                    t.luns().forEach(l -> luns.add(l.lun()));
                }
                if (t == null || !luns.containsAll(e.getValue())) {
                    missing.add(e.getKey());
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                LOG.warn("attaching without {} (not configured after {} s): its sessions' commands will fail",
                        missing, CATALOG_WAIT_SECONDS);
                return;
            }
            Thread.sleep(50);
        }
    }

    /**
     * Connects this generation's doorbell (the pumps wake at once instead of after their bounded
     * park); without one, everything still works, only a waiting pump is slower to see a record.
     */
    private Doorbell ringable(Path dir, long gen, ShmRegion region) {
        try {
            SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                c.connect(UnixDomainSocketAddress.of(ShmDirectories.socket(dir, ShmDirectories.FRONT_BELL)));
                ByteBuffer g = ByteBuffer.allocate(Long.BYTES).putLong(0, gen);
                while (g.hasRemaining()) {
                    c.write(g);
                }
                Doorbell b = new Doorbell(c, region.toDaemon, "jtgt-shm-daemon-bell-" + gen);
                region.toHost.setDoorbell(b::ring);
                return b;
            } catch (IOException e) {
                c.close();
                throw e;
            }
        } catch (IOException e) {
            LOG.warn("no doorbell to the front ({}); its pumps see records after their bounded park", e.toString());
            return null;
        }
    }

    private void register(int id, String driver, String description, Set<Integer> registered) {
        int given = ports.register(driver, description, id);
        registered.add(given);
        if (given != id) {
            LOG.error("the front's port {} ({}) got identifier {} here: another port holds it; VPD and REPORT TARGET"
                    + " PORT GROUPS will name it differently from its nexuses", id, description, given);
        }
    }

    /** Sends the catalog whenever it changed, every {@value #CATALOG_PERIOD_MILLIS} ms at most. */
    private void pushCatalog(PeerLink link) {
        byte[] last = null;
        while (running && !Thread.currentThread().isInterrupted()) {
            try {
                byte[] now = catalogBytes();
                if (!Arrays.equals(now, last)) {
                    link.write(PeerLink.CATALOG, out -> out.write(now));
                    last = now;
                }
                Thread.sleep(CATALOG_PERIOD_MILLIS);
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                return; // the link thread sees the end of the link too
            } catch (RuntimeException e) {
                LOG.warn("catalog not sent: {}", e.toString());
                if (!sleep(CATALOG_PERIOD_MILLIS)) {
                    return;
                }
            }
        }
    }

    private byte[] catalogBytes() throws IOException {
        List<TargetInfo> targets = catalog.targets();
        Map<String, ChapAccounts.TargetChap> chap = new LinkedHashMap<>();
        ChapAccounts a = accounts;
        if (a != null) {
            for (TargetInfo t : targets) {
                ChapAccounts.TargetChap c = a.forTarget(t.name());
                if (c != null) {
                    chap.put(t.name(), c);
                }
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        DataOutputStream out = new DataOutputStream(bytes);
        CatalogCodec.write(out, new CatalogCodec.Catalog(targets, a != null, chap, new ArrayList<>(ports.ports())));
        out.flush();
        return bytes.toByteArray();
    }

    /**
     * The transport of one generation in the daemon process: only a daemon attaches. Over shm its
     * endpoint stops producing and consuming once the front publishes a newer generation; over
     * another medium the generation's end closes when its link ends.
     */
    static final class DaemonTransport implements Transport, ShmEndpoint.Owner, DaemonGenerations,
            TransportOccupancy {
        private final String name;
        /** Shared memory; null over another medium. */
        private final ShmRegion region;
        /** Another medium's end; null over shared memory. */
        private final SplitMedium.DaemonEnd end;
        private final long generation;
        private final long daemonsBefore;
        private final ShmDataArea area;
        final CountDownLatch attached = new CountDownLatch(1);
        private ShmEndpoint endpoint;
        private TransportEndpoint mediumEndpoint;
        private NexusWatch watch;

        DaemonTransport(ShmRegion region, long generation, long daemonsBefore) {
            this.name = "shm";
            this.region = region;
            this.end = null;
            this.generation = generation;
            this.daemonsBefore = daemonsBefore;
            this.area = new ShmDataArea(region.data);
        }

        DaemonTransport(String name, SplitMedium.DaemonEnd end, long generation, long daemonsBefore) {
            this.name = name;
            this.region = null;
            this.end = end;
            this.generation = generation;
            this.daemonsBefore = daemonsBefore;
            this.area = null;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public synchronized TransportEndpoint attachDaemon(EventSink sink) throws IOException {
            if (endpoint != null || mediumEndpoint != null) {
                throw new IllegalStateException("a daemon is attached to the " + name + " transport already");
            }
            watch = new NexusWatch(sink);
            if (end != null) {
                mediumEndpoint = end.attach(watch);
                watch.endpoint = mediumEndpoint;
                attached.countDown();
                return mediumEndpoint;
            }
            endpoint = new ShmEndpoint(this, () -> region.generation() == generation, "daemon-" + generation,
                    region.toHost, region.toDaemon, area, watch, true);
            watch.endpoint = endpoint;
            endpoint.pump.start();
            attached.countDown();
            return endpoint;
        }

        @Override
        public TransportEndpoint attachHost(EventSink sink) {
            throw new IllegalStateException("in the split shape the host side attaches in the front process");
        }

        @Override
        public long generation() {
            return generation;
        }

        @Override
        public long daemonsBefore() {
            return daemonsBefore;
        }

        @Override
        public int queuedToDaemon() {
            return region == null ? 0 : region.toDaemon.size();
        }

        @Override
        public int queuedToHost() {
            return region == null ? 0 : region.toHost.size();
        }

        /** 0 over another medium: it has no rings to measure here. */
        @Override
        public int capacity() {
            return region == null ? 0 : region.toDaemon.slotCount();
        }

        @Override
        public Transport transport() {
            return this;
        }

        @Override
        public synchronized void detached(ShmEndpoint e) {
            // end() decides what happens to the nexuses
        }

        /** The front is gone: its nexuses end in the daemon, then the endpoint closes. */
        void end() {
            ShmEndpoint e;
            NexusWatch w;
            synchronized (this) {
                e = endpoint;
                w = watch;
            }
            if (end != null) {
                // Closed before the nexuses end: the daemon's answers to that are for nobody.
                end.close();
                if (w != null) {
                    w.destroyAll();
                }
                return;
            }
            if (e == null) {
                return;
            }
            e.pump.stop();
            // Closed before the nexuses end: the daemon's answers to that are for nobody.
            e.close();
            w.destroyAll();
        }

        @Override
        public String toString() {
            return name + " transport, daemon side of generation " + generation
                    + (region == null ? " at " + end.address() : " of " + region.file);
        }
    }

    /** Passes events to the daemon and remembers which I_T nexuses the front asked for. */
    static final class NexusWatch implements EventSink {
        private final EventSink daemon;
        private final Set<NexusKey> nexuses = new HashSet<>();
        volatile TransportEndpoint endpoint;

        NexusWatch(EventSink daemon) {
            this.daemon = daemon;
        }

        @Override
        public void onEvent(ByteBuffer buffer, int offset, int length, TransportEndpoint from) {
            if (EventHeader.type(buffer, offset) == EventType.KEVENT_IT_NEXUS_REQ.code()) {
                NexusKey key = new NexusKey(EventHeader.hostNo(buffer, offset), ItNexusReqEvent.nexusId(buffer, offset));
                synchronized (nexuses) {
                    if (ItNexusReqEvent.op(buffer, offset) == ItNexusReqEvent.OP_CREATE) {
                        nexuses.add(key);
                    } else {
                        nexuses.remove(key);
                    }
                }
            }
            daemon.onEvent(buffer, offset, length, from);
        }

        @Override
        public void onTransportFailure(TransportEndpoint e, String reason) {
            daemon.onTransportFailure(e, reason);
        }

        /** Ends every nexus the front created and did not destroy (after the pump stopped). */
        void destroyAll() {
            List<NexusKey> all;
            synchronized (nexuses) {
                all = new ArrayList<>(nexuses);
                nexuses.clear();
            }
            ByteBuffer r = ByteBuffer.allocate(ItNexusReqEvent.LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            for (NexusKey n : all) {
                ItNexusReqEvent.write(r, 0, n.hostNo(), n.id(), ItNexusReqEvent.OP_DESTROY, 0, 0, 0);
                daemon.onEvent(r, 0, ItNexusReqEvent.LENGTH, endpoint);
            }
        }
    }
}
