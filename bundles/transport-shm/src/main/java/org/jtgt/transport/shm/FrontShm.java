package org.jtgt.transport.shm;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.jtgt.api.target.ChapAccounts;
import org.jtgt.api.target.LunInfo;
import org.jtgt.api.target.TargetCatalog;
import org.jtgt.api.target.TargetInfo;
import org.jtgt.api.target.TargetPorts;
import org.jtgt.api.target.TargetPorts.Port;
import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
import org.jtgt.ring.SlotRing;
import org.jtgt.transport.split.SplitMedium;
import org.jtgt.util.file.OwnerOnlyFiles;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front process's side of the split shape (role {@code front}): it listens on the link socket
 * ({@code jtgt-front.sock} in the shared directory) for the daemon process, and reaches the daemon
 * of each generation through the medium {@value SplitMedium#SELECTION_PROPERTY} names: {@code shm}
 * (default), the region it owns ({@code jtgt-front.region}) with fresh rings per generation; or a
 * {@link SplitMedium} service of that name (the netlink-style transport's connection). It registers
 * a transport of the medium's name that the host side binds, and the daemon's services the drivers
 * need ({@link FrontCatalog}). One daemon is attached at a time; each one gets a new generation,
 * and the host endpoint ({@link FrontEndpoint}) gives it what the previous one left unanswered. The
 * host side sees one transport from start to stop: a daemon restart is a pause, not a failure.
 */
@Component(enabled = false, immediate = true, configurationPid = "org.jtgt.transport.shm")
public final class FrontShm implements Transport {
    private static final Logger LOG = LoggerFactory.getLogger(FrontShm.class);
    /** Requests the journal holds: more than the host side can have outstanding at once by default. */
    static final int JOURNAL_CAPACITY = 8192;
    /** How long a daemon stopping on purpose gets to answer what it has. */
    static final long LEAVE_TIMEOUT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);

    /** The medium's name: {@code shm}, or that of {@link #medium}. */
    private String mediumName = "shm";
    /** Null for the built-in shared-memory medium. */
    private SplitMedium medium;
    private final List<SplitMedium> media = new CopyOnWriteArrayList<>();
    private BundleContext context;
    private ShmTransport.Config config;
    private boolean opened;
    /** Shared memory only. */
    private ShmRegion region;
    private DataArea area;
    private Path socketPath;
    private ServerSocketChannel server;
    private Thread acceptor;
    private Path bellPath;
    private ServerSocketChannel bells;
    private Thread bellAcceptor;
    private volatile boolean running;
    private final FrontCatalog catalog = new FrontCatalog(this::portChanged);
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    /**
     * Offers or withdraws the front's {@link ChapAccounts} source as the daemon's catalog says it
     * has one or not (the framework registration; tests record the calls).
     */
    java.util.function.Consumer<Boolean> accountSource = offered -> { };
    private ServiceRegistration<ChapAccounts> accounts;
    private boolean accountsOffered;

    // Guarded by this.
    private long generation;
    private PeerLink link;
    /** A daemon that connected while {@link #link} was taken: served when it is free. */
    private PeerLink standby;
    private SlotRing[] rings;
    /** The way to the attached daemon, from its READY until its link ends. */
    private DaemonLine line;
    private Doorbell bell;
    private long linkedGeneration = -1;
    /** Daemon processes that reached READY since this front started. */
    private long attachedDaemons;
    private FrontEndpoint host;
    /**
     * The framework is stopping: the host side will drain this transport, and if no daemon is
     * attached the front answers what it journaled ({@link FrontEndpoint#frontStopping}).
     */
    private final SynchronousBundleListener frameworkStopping = event -> {
        if (event.getType() == BundleEvent.STOPPING && event.getBundle().getBundleId() == 0) {
            FrontEndpoint h;
            synchronized (this) {
                h = host;
            }
            if (h != null) {
                h.frontStopping();
            }
        }
    };

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addMedium(SplitMedium m) {
        media.add(m);
        try {
            openWhenReady();
        } catch (IOException e) {
            LOG.error("the front cannot open over the {} medium: {}", m.name(), e.toString());
        }
    }

    void removeMedium(SplitMedium m) {
        media.remove(m);
        // A line of it that is open stays usable until its generation ends; the next daemon
        // waits for the medium to come back.
    }

    @Activate
    void activate(BundleContext bundleContext, ShmTransport.Config cfg) throws IOException {
        String chosen = bundleContext.getProperty(SplitMedium.SELECTION_PROPERTY);
        bundleContext.addBundleListener(frameworkStopping);
        synchronized (registrations) {
            context = bundleContext;
            config = cfg;
            mediumName = chosen == null || chosen.isBlank() ? "shm" : chosen.trim();
        }
        if (!openWhenReady()) {
            // Normal at start: the medium's bundle starts after this one. Nothing listens until it is there.
            LOG.info("{}={}: the front opens once a split medium of that name is registered (shm is built in; "
                    + "netlink comes with the transport-netlink bundle)", SplitMedium.SELECTION_PROPERTY, mediumName);
        }
    }

    /** Opens once the chosen medium is there (at once for shm); true if open. */
    private boolean openWhenReady() throws IOException {
        synchronized (registrations) {
            if (opened) {
                return true;
            }
            if (context == null) {
                return false; // bound before activation
            }
            SplitMedium m = null;
            if (!mediumName.equals("shm")) {
                for (SplitMedium candidate : media) {
                    if (candidate.name().equals(mediumName)) {
                        m = candidate;
                    }
                }
                if (m == null) {
                    return false;
                }
            }
            Path dir = ShmDirectories.splitDirectory(context, config.directory());
            OwnerOnlyFiles.createDirectories(dir);
            open(dir, m, config.slotCount(), config.slotSize(), config.dataAreaSize());
            opened = true;
            register(context);
            return true;
        }
    }

    private void register(BundleContext context) {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(Transport.NAME_PROPERTY, mediumName);
        registrations.add(context.registerService(Transport.class, this, props));
        registrations.add(context.registerService(new String[] {TargetCatalog.class.getName(),
            TargetPorts.class.getName()}, catalog, null));
        accountSource = offered -> {
            synchronized (registrations) {
                if (offered && accounts == null) {
                    accounts = context.registerService(ChapAccounts.class, catalog, null);
                } else if (!offered && accounts != null) {
                    unregister(accounts);
                    accounts = null;
                }
            }
        };
    }

    private static void unregister(ServiceRegistration<?> r) {
        try {
            r.unregister();
        } catch (IllegalStateException alreadyGone) {
            // the framework unregistered it first
        }
    }

    /** Creates the region and listens for a daemon; also the entry point for tests without a framework. */
    void open(Path dir, int slotCount, int slotSize, long dataAreaSize) throws IOException {
        open(dir, null, slotCount, slotSize, dataAreaSize);
    }

    /**
     * Listens for a daemon reached through {@code over} (null: the region, created here); also
     * the entry point for tests without a framework.
     */
    void open(Path dir, SplitMedium over, int slotCount, int slotSize, long dataAreaSize) throws IOException {
        socketPath = ShmDirectories.socket(dir);
        medium = over;
        if (over == null) {
            mediumName = "shm";
            region = ShmRegion.create(dir.resolve(ShmDirectories.FRONT_REGION), slotCount, slotSize, dataAreaSize);
            area = new ShmDataArea(region.data);
        } else {
            mediumName = over.name();
            area = over.frontArea(dataAreaSize);
        }
        // A front killed before it could remove its socket leaves it behind; the launcher's lock
        // on the role makes sure no live front owns it.
        Files.deleteIfExists(socketPath);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socketPath));
        OwnerOnlyFiles.restrict(socketPath);
        bellPath = ShmDirectories.socket(dir, ShmDirectories.FRONT_BELL);
        Files.deleteIfExists(bellPath);
        bells = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        bells.bind(UnixDomainSocketAddress.of(bellPath));
        OwnerOnlyFiles.restrict(bellPath);
        running = true;
        acceptor = new Thread(this::acceptDaemons, "jtgt-shm-front-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        bellAcceptor = new Thread(this::acceptBells, "jtgt-shm-front-bells");
        bellAcceptor.setDaemon(true);
        bellAcceptor.start();
        LOG.info("front ready over {}: {} ({} MiB data), waiting for the daemon on {}", mediumName,
                region == null ? "data area in this process" : "region " + region.file, dataAreaSize >> 20, socketPath);
    }

    FrontCatalog catalog() {
        return catalog;
    }

    @Deactivate
    void deactivate() {
        BundleContext c = context;
        if (c != null) {
            c.removeBundleListener(frameworkStopping);
        }
        synchronized (registrations) {
            for (ServiceRegistration<?> r : registrations) {
                unregister(r);
            }
            registrations.clear();
            if (accounts != null) {
                unregister(accounts);
                accounts = null;
            }
            if (!opened) {
                return;
            }
            opened = false;
        }
        close();
    }

    void close() {
        running = false;
        PeerLink l;
        PeerLink s;
        FrontEndpoint h;
        DaemonLine d;
        synchronized (this) {
            l = link;
            s = standby;
            h = host;
            d = line;
        }
        if (s != null) {
            s.close();
        }
        try {
            server.close();
            bells.close();
        } catch (IOException ignored) {
            // stopping
        }
        closeBell();
        if (l != null) {
            l.close();
        }
        if (h != null) {
            h.close();
        }
        if (d != null) {
            d.stop(false);
        }
        try {
            acceptor.join(5000);
            bellAcceptor.join(5000);
            Files.deleteIfExists(socketPath);
            Files.deleteIfExists(bellPath);
            if (region != null) {
                region.close();
            }
        } catch (IOException e) {
            LOG.warn("could not remove the front's files in {}: {}", socketPath.getParent(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("front closed: {}", socketPath);
    }

    private void acceptDaemons() {
        while (running) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                if (running) {
                    LOG.error("the link socket failed; no daemon can attach any more", e);
                }
                return;
            }
            PeerLink candidate = new PeerLink(channel);
            synchronized (this) {
                if (link != null) {
                    // A daemon started while the last one's end is still being handled (or
                    // while it runs): it is next, once the link is free.
                    if (standby == null) {
                        standby = candidate;
                        LOG.info("a daemon connected while another is attached; it waits its turn");
                    } else {
                        refuse(candidate, "a daemon is attached and another waits already");
                    }
                    continue;
                }
                link = candidate;
            }
            serveOnThread(candidate);
        }
    }

    private void serveOnThread(PeerLink l) {
        Thread t = new Thread(() -> serve(l), "jtgt-shm-front-link");
        t.setDaemon(true);
        t.start();
    }

    /**
     * The doorbell of the generation being attached: the daemon connects it after ATTACH and
     * sends that generation first (8 bytes); any other generation is closed at once.
     */
    private void acceptBells() {
        while (running) {
            SocketChannel channel;
            try {
                channel = bells.accept();
            } catch (IOException e) {
                return;
            }
            try {
                ByteBuffer g = ByteBuffer.allocate(Long.BYTES);
                while (g.hasRemaining() && channel.read(g) >= 0) {
                    // a blocking read of the generation
                }
                long gen = g.hasRemaining() ? -1 : g.getLong(0);
                synchronized (this) {
                    if (gen != generation || rings == null) {
                        channel.close();
                        continue;
                    }
                    closeBell();
                    bell = new Doorbell(channel, rings[1], "jtgt-shm-front-bell-" + gen);
                    Doorbell b = bell;
                    rings[0].setDoorbell(b::ring);
                }
            } catch (IOException e) {
                LOG.debug("doorbell refused: {}", e.toString());
            }
        }
    }

    private synchronized void closeBell() {
        if (bell != null) {
            bell.close();
            bell = null;
        }
    }

    private static void refuse(PeerLink l, String reason) {
        LOG.warn("daemon refused: {}", reason);
        try {
            l.write(PeerLink.REFUSED, out -> out.writeUTF(reason));
        } catch (IOException ignored) {
            // it will see the close
        }
        l.close();
    }

    private void serve(PeerLink l) {
        long gen = 0;
        long pid = -1;
        boolean leaving = false;
        try {
            PeerLink.Frame hello = l.read();
            if (hello.type() != PeerLink.HELLO) {
                throw new IOException("expected HELLO, got frame type " + hello.type());
            }
            int protocol = hello.payload().readInt();
            pid = hello.payload().readLong();
            String build = hello.payload().readUTF();
            if (protocol != PeerLink.PROTOCOL) {
                refuse(l, "link protocol " + protocol + " is not this front's " + PeerLink.PROTOCOL);
                return;
            }
            String theirs = hello.payload().readUTF();
            if (!theirs.equals(mediumName)) {
                refuse(l, "this front reaches its daemon over " + mediumName + ", the daemon (pid " + pid + ") over "
                        + theirs + ": set " + SplitMedium.SELECTION_PROPERTY + " alike in both processes");
                return;
            }
            SlotRing[] fresh = null;
            synchronized (this) {
                gen = ++generation;
                if (region != null) {
                    fresh = region.renewRings(gen);
                    rings = fresh;
                }
            }
            SlotRing[] generationRings = fresh;
            long attaching = gen;
            List<Port> ports = catalog.registered();
            List<TargetInfo> expected = catalog.targets();
            long before;
            synchronized (this) {
                before = attachedDaemons;
            }
            l.write(PeerLink.ATTACH, out -> {
                out.writeLong(attaching);
                out.writeUTF(mediumName);
                out.writeUTF(region == null ? "" : region.file.toString());
                out.writeLong(area.size());
                out.writeInt(ports.size());
                for (Port p : ports) {
                    out.writeShort(p.relativeId());
                    out.writeUTF(p.driver());
                    out.writeUTF(p.description());
                }
                // What the previous daemon had: a new one reads targets.conf after it starts, and
                // the sessions' nexuses and commands need their targets and units there first.
                out.writeInt(expected.size());
                for (TargetInfo t : expected) {
                    out.writeUTF(t.name());
                    out.writeInt(t.luns().size());
                    for (LunInfo lun : t.luns()) {
                        out.writeInt(lun.lun());
                    }
                }
                out.writeLong(before);
            });
            LOG.info("daemon pid {} ({}) attaching as generation {}", pid, build, gen);
            while (true) {
                PeerLink.Frame f = l.read();
                switch (f.type()) {
                    case PeerLink.READY -> {
                        long ready = f.payload().readLong();
                        String address = f.payload().readUTF();
                        if (ready != gen) {
                            throw new IOException("READY for generation " + ready + ", attached as " + gen);
                        }
                        DaemonLine d = generationRings != null ? new RingLine(generationRings[0], generationRings[1], gen)
                                : new MediumLine(this, medium, socketPath.getParent(), address, area, gen);
                        ready(gen, d);
                        LOG.info("daemon pid {} attached: generation {}", pid, gen);
                    }
                    case PeerLink.CATALOG -> {
                        CatalogCodec.Catalog c = CatalogCodec.read(f.payload());
                        catalog.update(c);
                        offerAccounts(c.accountSource());
                    }
                    case PeerLink.LEAVING -> {
                        leaving = true;
                        FrontEndpoint h = host();
                        int left = h == null ? 0 : h.leaving(LEAVE_TIMEOUT_NANOS);
                        LOG.info("daemon pid {} leaving (generation {}): {}", pid, gen, left == 0
                                ? "every request it had is answered" : left + " requests unanswered, kept for the next one");
                        l.write(PeerLink.LEFT, out -> out.writeInt(left));
                    }
                    default -> throw new IOException("unexpected link frame type " + f.type() + " from the daemon");
                }
            }
        } catch (EOFException e) {
            if (running && leaving) {
                LOG.info("daemon pid {} left (generation {}); requests wait for the next one", pid, gen);
            } else if (running) {
                LOG.warn("daemon pid {} gone (generation {}); requests wait for the next one", pid, gen);
            }
        } catch (IOException | RuntimeException e) {
            if (running && l.fenced()) {
                LOG.warn("daemon pid {} fenced (generation {}); requests wait for the next one", pid, gen);
            } else if (running) {
                LOG.error("daemon pid {} broke the link protocol (generation {}): {}; it is fenced", pid, gen,
                        e.toString());
            }
        } finally {
            l.close();
            lost(l);
        }
    }

    private synchronized void ready(long gen, DaemonLine d) {
        linkedGeneration = gen;
        line = d;
        attachedDaemons++;
        if (host != null) {
            host.linked(d, gen);
        }
    }

    /** Fences the generation of link {@code l}: its daemon, if alive, stops producing; the next one starts clean. */
    private void lost(PeerLink l) {
        FrontEndpoint h;
        DaemonLine d;
        synchronized (this) {
            if (link != l) {
                return;
            }
            long fenced = ++generation;
            if (region != null) {
                region.publishGeneration(fenced);
            }
            linkedGeneration = -1;
            d = line;
            line = null;
            if (rings != null) {
                rings[0].setDoorbell(null);
            }
            rings = null;
            closeBell();
            h = host;
        }
        if (h != null) {
            h.unlinked();
        }
        if (d != null) {
            d.stop(false); // stopped already if the host side had it
        }
        PeerLink next;
        synchronized (this) {
            link = standby;
            next = standby;
            standby = null;
        }
        if (next != null && running) {
            serveOnThread(next);
        } else if (next != null) {
            next.close();
        }
    }

    /** The ring pump saw records that break the protocol: the daemon is treated as dead. */
    void daemonMisbehaved(String reason) {
        PeerLink l;
        synchronized (this) {
            l = link;
        }
        LOG.error("the daemon broke the ring protocol ({}); fencing it", reason);
        if (l != null) {
            l.fence();
        }
    }

    /**
     * The line of generation {@code gen} ended (the daemon died, or sent what does not parse):
     * that generation is fenced, as when its link ends.
     */
    void lineFailed(long gen, String reason) {
        PeerLink l;
        synchronized (this) {
            l = gen == generation ? link : null;
        }
        if (l != null) {
            LOG.warn("generation {}: the {} connection to the daemon ended ({}); fencing it", gen, mediumName, reason);
            l.fence();
        }
    }

    private void portChanged(FrontCatalog.PortChange change) {
        PeerLink l;
        synchronized (this) {
            l = linkedGeneration > 0 ? link : null;
        }
        if (l == null) {
            return; // the next daemon gets every port with ATTACH
        }
        try {
            Port p = change.port();
            if (change.registered()) {
                l.write(PeerLink.PORT_REGISTER, out -> {
                    out.writeShort(p.relativeId());
                    out.writeUTF(p.driver());
                    out.writeUTF(p.description());
                });
            } else {
                l.write(PeerLink.PORT_UNREGISTER, out -> out.writeShort(p.relativeId()));
            }
        } catch (IOException e) {
            LOG.debug("port change not sent, the daemon is going: {}", e.toString());
        }
    }

    @Override
    public String name() {
        return mediumName;
    }

    @Override
    public TransportEndpoint attachDaemon(EventSink sink) {
        throw new IllegalStateException("in the split shape the daemon attaches from its own process");
    }

    @Override
    public synchronized TransportEndpoint attachHost(EventSink sink) {
        if (host != null) {
            throw new IllegalStateException("a host side is attached to the shm transport already");
        }
        host = new FrontEndpoint(this, area, sink, JOURNAL_CAPACITY);
        if (linkedGeneration > 0 && line != null) {
            host.linked(line, linkedGeneration);
        }
        return host;
    }

    synchronized void detached(FrontEndpoint endpoint) {
        if (host == endpoint) {
            host = null;
        }
    }

    /**
     * The iSCSI driver takes the front's account source as the truth about CHAP: it is offered
     * only while the daemon's catalog came with the daemon's own source, and withdrawn when a
     * catalog comes without (the driver then refuses logins, as in one process). A daemon that
     * died leaves the last state: its accounts are still those of targets.conf.
     */
    private void offerAccounts(boolean offered) {
        boolean change;
        synchronized (this) {
            change = offered != accountsOffered;
            accountsOffered = offered;
        }
        if (change) {
            LOG.info(offered ? "CHAP account source offered (the daemon has one)"
                    : "CHAP account source withdrawn (the daemon has none): logins are refused");
            accountSource.accept(offered);
        }
    }

    /** Whether the attached daemon's doorbell is connected. */
    synchronized boolean hasDoorbell() {
        return bell != null;
    }

    /** The generation attached now, -1 while no daemon is. */
    synchronized long linkedGeneration() {
        return linkedGeneration;
    }

    synchronized FrontEndpoint host() {
        return host;
    }

    @Override
    public String toString() {
        return mediumName + " transport, front of " + socketPath;
    }
}
