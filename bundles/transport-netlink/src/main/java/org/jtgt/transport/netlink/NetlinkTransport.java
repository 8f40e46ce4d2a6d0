package org.jtgt.transport.netlink;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
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
 * The netlink-style socket transport (Linux tgt's interface before its shared-memory ring): one
 * framed message per event ({@link NetlinkFrame}, {@code nlmsghdr}-shaped) over a Unix domain
 * socket, with registration and per-message acknowledgement as the old netlink interface had.
 * Both ends live in this JVM but talk only through the socket, so every event is queued twice
 * (the sender's outbound queue, then the socket) and every byte of data is copied: each side has
 * its own data area of the same size, references mean the same range in both, and the bytes a
 * reference names travel inline after the record ({@link InlineData}). It exists so users can
 * choose it and so the ring's advantage can be measured against it.
 *
 * <p>The socket file is created on activation (mode 0600) and removed on deactivation, in the
 * directory named by the configuration, else the framework property {@code jtgt.netlink.dir},
 * else this bundle's data area (narrowed to 0700); a directory created for it is 0700. The
 * daemon side listens and registers first; each {@link #attachHost} connects a new host side.
 * Connections made before the daemon attaches wait for it (their events queue, as they would in
 * a ring nobody drains yet).
 *
 * <p>This component runs in one process only ({@link NetlinkRole}); between a front and a daemon
 * process, {@link NetlinkMedium} opens one such transport per daemon generation in the daemon and
 * connects the front to it.
 */
@Component(service = Transport.class, property = Transport.NAME_PROPERTY + "=netlink", immediate = true,
        configurationPid = "org.jtgt.transport.netlink", enabled = false)
@Designate(ocd = NetlinkTransport.Config.class)
public class NetlinkTransport implements Transport {
    private static final Logger LOG = LoggerFactory.getLogger(NetlinkTransport.class);
    /** The socket file is {@code jtgt-netlink-<pid>-<bundle id>.sock} in the transport's directory. */
    static final String SOCKET_PREFIX = "jtgt-netlink-";
    static final String SOCKET_SUFFIX = ".sock";

    /** Framework property naming the socket directory when the configuration does not. */
    public static final String DIRECTORY_PROPERTY = "jtgt.netlink.dir";
    /** Connections accepted while no daemon is attached; more are closed at once. */
    static final int MAX_PENDING = 16;
    /** sun_path of Linux's sockaddr_un is 108 bytes, NUL included. */
    static final int MAX_SOCKET_PATH = 107;
    /** How long {@link #attachHost} waits for an attached daemon's side of the new connection. */
    static final long REGISTER_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

    @ObjectClassDefinition(name = "jtgt netlink transport",
            description = "Netlink-style socket transport: one message per event, data copied inline")
    public @interface Config {
        @AttributeDefinition(name = "Directory", description = "Where the socket file is created; empty: the framework "
                + "property jtgt.netlink.dir, else the bundle's data area. Needs a restart of the component.")
        String directory() default "";

        @AttributeDefinition(name = "Data area size", description = "Bytes of command data in flight at once; each "
                + "side of each connection has its own area of this size. Restart needed.")
        long dataAreaSize() default 128L * 1024 * 1024;

        @AttributeDefinition(name = "Outbound queue", description = "Events each endpoint queues for its writer "
                + "thread before offer refuses; a power of two. Restart needed.")
        int outboundQueueSize() default 1024;

        @AttributeDefinition(name = "ACK window", description = "Host-side messages that may await the daemon "
                + "side's acknowledgement before offer refuses. Restart needed.")
        int ackWindow() default 1024;
    }

    private final Object lock = new Object();
    private Path socketFile;
    private ServerSocketChannel server;
    private Thread acceptor;
    private int dataAreaSize;
    private int queueSlots;
    private int ackWindow;
    private int portId;
    private boolean active;
    private DaemonEndpoint daemon;
    private final List<SocketChannel> pending = new ArrayList<>();
    private final Set<HostConnection> hosts = new LinkedHashSet<>();
    private final AtomicInteger connectionIds = new AtomicInteger();

    @Activate
    void activate(BundleContext context, Config config) throws IOException {
        Path dir;
        if (!config.directory().isEmpty()) {
            dir = Paths.get(config.directory());
        } else if (context.getProperty(DIRECTORY_PROPERTY) != null) {
            dir = Paths.get(context.getProperty(DIRECTORY_PROPERTY));
        } else {
            dir = context.getDataFile("").toPath();
            // The bundle's own storage: owner-only, so the socket is never reachable by others,
            // not even between bind and chmod. A configured directory is the operator's.
            if (OwnerOnlyFiles.restrict(dir)) {
                LOG.debug("{} narrowed to mode 0700", dir);
            }
        }
        for (Path orphan : OrphanFiles.remove(dir, SOCKET_PREFIX, SOCKET_SUFFIX)) {
            LOG.info("removed {}, left by a process that is gone", orphan);
        }
        open(dir.resolve(SOCKET_PREFIX + ProcessHandle.current().pid() + "-" + context.getBundle().getBundleId()
                + SOCKET_SUFFIX), config.dataAreaSize(), config.outboundQueueSize(), config.ackWindow());
    }

    /**
     * Creates the socket file and listens; also the entry point for tests and benchmarks without
     * a framework.
     *
     * @param dataAreaSize bytes of each side's data area, 4 KiB .. 2 GiB - 4 KiB
     * @param outboundQueueSize events per endpoint's outbound queue, a power of two >= 2
     * @param ackWindow host-side messages that may await acknowledgement, >= 1
     * @throws IOException if the socket cannot be created, or a live transport uses the file
     */
    public void open(Path socketFile, long dataAreaSize, int outboundQueueSize, int ackWindow) throws IOException {
        if (dataAreaSize < NetlinkDataArea.BLOCK_SIZE || dataAreaSize > Integer.MAX_VALUE - NetlinkDataArea.BLOCK_SIZE) {
            throw new IllegalArgumentException("data area size " + dataAreaSize + " outside "
                    + NetlinkDataArea.BLOCK_SIZE + ".." + (Integer.MAX_VALUE - NetlinkDataArea.BLOCK_SIZE));
        }
        if (outboundQueueSize < 2 || Integer.bitCount(outboundQueueSize) != 1) {
            throw new IllegalArgumentException("outbound queue size " + outboundQueueSize + " is not a power of two >= 2");
        }
        if (ackWindow < 1) {
            throw new IllegalArgumentException("ACK window " + ackWindow + " is below 1");
        }
        Path file = socketFile.toAbsolutePath();
        // A directory made here is 0700: a socket's mode can only be set after bind, and the
        // directory keeps others out until then.
        OwnerOnlyFiles.createDirectories(file.getParent());
        if (!OwnerOnlyFiles.supported(file)) {
            LOG.debug("{} has no POSIX permissions: the socket gets the file system's default mode", file.getParent());
        }
        if (Files.exists(file)) {
            if (answers(file)) {
                throw new IOException("netlink socket " + file + " is in use by another transport");
            }
            Files.delete(file); // left by a process that is gone
        }
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            s.bind(UnixDomainSocketAddress.of(file));
            OwnerOnlyFiles.restrict(file);
        } catch (IOException | RuntimeException e) {
            s.close();
            Files.deleteIfExists(file);
            String hint = file.toString().length() > MAX_SOCKET_PATH
                    ? " (a Unix socket path holds at most " + MAX_SOCKET_PATH + " bytes: configure a shorter directory)"
                    : "";
            throw new IOException("cannot create netlink socket " + file + ": " + e.getMessage() + hint, e);
        }
        synchronized (lock) {
            this.socketFile = file;
            this.server = s;
            this.dataAreaSize = (int) dataAreaSize;
            this.queueSlots = outboundQueueSize;
            this.ackWindow = ackWindow;
            this.portId = (int) ProcessHandle.current().pid();
            this.active = true;
            this.acceptor = new Thread(this::accept, "jtgt-netlink-accept-" + file.getFileName());
            this.acceptor.setDaemon(true);
            this.acceptor.start();
        }
        LOG.info("netlink transport listening on {} (data area {} KiB per side, queue {}, ACK window {})", file,
                dataAreaSize >> 10, outboundQueueSize, ackWindow);
    }

    /**
     * Closes every host side (flushing what they queued), then the daemon side's connections,
     * stops listening and removes the socket file. Idempotent.
     */
    @Deactivate
    public void deactivate() {
        List<HostConnection> hostSides;
        List<SocketChannel> waiting;
        DaemonEndpoint d;
        synchronized (lock) {
            if (!active) {
                return;
            }
            active = false;
            hostSides = new ArrayList<>(hosts);
            waiting = new ArrayList<>(pending);
            pending.clear();
            d = daemon;
        }
        for (HostConnection h : hostSides) {
            h.close();
        }
        if (d != null) {
            d.close();
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing the netlink socket failed: {}", e.toString());
        }
        try {
            acceptor.join(NetlinkConnection.JOIN_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SocketChannel c : waiting) {
            closeQuietly(c);
        }
        try {
            Files.deleteIfExists(socketFile);
        } catch (IOException e) {
            LOG.warn("cannot remove netlink socket {}: {}", socketFile, e.toString());
        }
        LOG.info("netlink transport closed: {}", socketFile);
    }

    @Override
    public String name() {
        return "netlink";
    }

    @Override
    public TransportEndpoint attachDaemon(EventSink sink) {
        List<SocketChannel> waiting;
        DaemonEndpoint d;
        synchronized (lock) {
            if (!active) {
                throw new IllegalStateException("the netlink transport is not active");
            }
            if (daemon != null) {
                throw new IllegalStateException("a daemon is attached to the netlink transport already");
            }
            d = new DaemonEndpoint(this, sink);
            daemon = d;
            waiting = new ArrayList<>(pending);
            pending.clear();
            for (SocketChannel c : waiting) {
                serve(d, c);
            }
        }
        LOG.info("daemon attached to the netlink transport; {} waiting host side(s) registered", waiting.size());
        return d;
    }

    @Override
    public TransportEndpoint attachHost(EventSink sink) throws IOException {
        Path file;
        synchronized (lock) {
            if (!active) {
                throw new IOException("the netlink transport is not active");
            }
            file = socketFile;
        }
        return attachHost(sink, file);
    }

    /** Connects a host side to the socket at {@code socket} (tests use a raw peer's socket). */
    HostConnection attachHost(EventSink sink, Path socket) throws IOException {
        NetlinkDataArea area = allocate(true);
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            throw new IOException("cannot connect to netlink socket " + socket + ": " + e.getMessage(), e);
        }
        HostConnection c = new HostConnection(this, "netlink host " + connectionIds.incrementAndGet(), channel, sink,
                area, queueSlots, ackWindow);
        boolean daemonAttached;
        synchronized (lock) {
            if (!active) {
                closeQuietly(channel);
                throw new IOException("the netlink transport closed while attaching");
            }
            hosts.add(c);
            daemonAttached = daemon != null;
        }
        c.start();
        LOG.info("{} connected to {}", c, socket);
        // With a daemon attached, the endpoint is handed out once that daemon's side of the
        // connection is set up (its data area allocated and zeroed, 50-150 ms for 128 MiB here),
        // so a host side swapping to this transport pays for that while attaching, not with
        // commands that wait on a connection nobody reads yet (in TransportSwapIT such commands
        // held a swap away from this transport for up to 400 ms). Without one, events queue
        // until a daemon attaches, as before.
        if (daemonAttached && !c.awaitRegistered(REGISTER_WAIT_NANOS)) {
            LOG.warn("{}: the daemon side has not registered within {} s; events queue until it does", c,
                    TimeUnit.NANOSECONDS.toSeconds(REGISTER_WAIT_NANOS));
        }
        return c;
    }

    /**
     * Connects a host side with its own {@code area} to the socket at {@code socket}, this
     * transport not listening itself: the split shape's front ({@link NetlinkMedium}), whose area
     * outlives each connection.
     */
    HostConnection connectHost(Path socket, NetlinkDataArea area, EventSink sink, String name, int queueSlots,
            int ackWindow) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            throw new IOException("cannot connect to netlink socket " + socket + ": " + e.getMessage(), e);
        }
        HostConnection c = new HostConnection(this, name, channel, sink, area, queueSlots, ackWindow);
        synchronized (lock) {
            hosts.add(c);
        }
        c.start();
        LOG.info("{} connected to {}", c, socket);
        return c;
    }

    private NetlinkDataArea allocate(boolean host) throws IOException {
        try {
            return host ? NetlinkDataArea.forHost(dataAreaSize) : NetlinkDataArea.mirror(dataAreaSize);
        } catch (OutOfMemoryError e) {
            throw new IOException("cannot allocate a data area of " + dataAreaSize + " bytes: " + e.getMessage(), e);
        }
    }

    private void accept() {
        while (true) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                synchronized (lock) {
                    if (active) {
                        LOG.error("netlink socket {}: accept failed; no further host side can connect", socketFile, e);
                    }
                }
                return;
            }
            synchronized (lock) {
                if (!active) {
                    closeQuietly(c);
                    return;
                }
                if (daemon != null) {
                    serve(daemon, c);
                } else if (pending.size() < MAX_PENDING) {
                    pending.add(c);
                } else {
                    LOG.warn("netlink socket {}: {} connections already wait for a daemon; refusing another",
                            socketFile, MAX_PENDING);
                    closeQuietly(c);
                }
            }
        }
    }

    /** Lock held: the daemon side's end of an accepted connection. */
    private void serve(DaemonEndpoint d, SocketChannel c) {
        NetlinkDataArea mirror;
        try {
            mirror = allocate(false);
        } catch (IOException e) {
            LOG.error("netlink socket {}: refusing a host side: {}", socketFile, e.getMessage());
            closeQuietly(c);
            return;
        }
        DaemonConnection dc = new DaemonConnection(this, "netlink daemon " + connectionIds.incrementAndGet(), c, d,
                d.sink, mirror, queueSlots, portId);
        d.connected(dc);
        dc.start();
    }

    void daemonDetached(DaemonEndpoint d) {
        synchronized (lock) {
            if (daemon == d) {
                daemon = null;
            }
        }
    }

    void detached(NetlinkConnection c) {
        if (c instanceof DaemonConnection) {
            ((DaemonConnection) c).endpoint().disconnected((DaemonConnection) c);
        } else {
            synchronized (lock) {
                hosts.remove(c);
            }
        }
    }

    /** The socket file (absolute). */
    Path socketFile() {
        synchronized (lock) {
            return socketFile;
        }
    }

    /** The daemon side's connections now; empty when no daemon is attached. */
    List<DaemonConnection> daemonConnections() {
        synchronized (lock) {
            return daemon == null ? List.of() : daemon.connections();
        }
    }

    /** True if something accepts connections on the socket file at {@code p}. */
    private static boolean answers(Path p) {
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(p))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            LOG.debug("close failed: {}", e.toString());
        }
    }

    @Override
    public String toString() {
        Path f = socketFile();
        return "netlink transport " + (f == null ? "(not open)" : f);
    }
}
