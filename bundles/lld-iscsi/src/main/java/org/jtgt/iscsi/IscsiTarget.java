package org.jtgt.iscsi;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.ItNexusReqEvent;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.host.HostCallbacks;
import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.HostService;
import org.jtgt.api.host.NexusReplies;
import org.jtgt.api.host.TmfReplies;
import org.jtgt.api.host.Portal;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.target.ChapAccounts;
import org.jtgt.api.target.SessionInfo;
import org.jtgt.api.target.SessionSource;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.target.TargetInfo;
import org.jtgt.api.target.TargetPorts;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The iSCSI target low-level driver (RFC 7143): listens on TCP portals, runs login (with CHAP)
 * and the full feature phase of every connection, and feeds one SCSI host. Each Normal session
 * is one I_T nexus, named {@code <initiator>,i,0x<ISID>}.
 *
 * <p>Each portal is a portal group of its own and so a SCSI target port of its own (RFC 7143
 * 4.4.1): in portal order they get the target portal group tags {@link Config#portalGroupTag()},
 * +1, +2, ..., and each is registered with the daemon ({@link TargetPorts}) asking for its TPGT as
 * relative target port identifier, so that by default portal {@code n} is TPGT {@code n},
 * relative target port {@code n} and target port group {@code n}.
 *
 * <p>Configuration ({@code org.jtgt.iscsi}) is read at activation; there is no
 * {@code @Modified}, so any change restarts the component: listeners close, sessions end
 * (their nexuses destroyed), and initiators reconnect to the new setup. The framework property
 * {@value #PORTAL_PROPERTY} ({@code HOST:PORT[,HOST:PORT...]}), set by the launcher's {@code --portal},
 * overrides {@link Config#portals()}.
 */
@Component(service = SessionSource.class, immediate = true, configurationPid = "org.jtgt.iscsi",
        property = SessionSource.DRIVER_PROPERTY + "=" + SessionSource.ISCSI)
@Designate(ocd = IscsiTarget.Config.class)
public class IscsiTarget implements HostCallbacks, SessionSource {
    private static final Logger LOG = LoggerFactory.getLogger(IscsiTarget.class);

    /** Framework property overriding the portals: {@code HOST:PORT[,HOST:PORT...]}, in portal order. */
    public static final String PORTAL_PROPERTY = "jtgt.iscsi.portal";
    /** {@link #awaitNexus} result when the daemon did not answer in time. */
    static final int NEXUS_TIMEOUT = NexusReplies.TIMEOUT;

    @ObjectClassDefinition(name = "jtgt iSCSI target", description = "RFC 7143 target portals, authentication and "
            + "session limits. Every change restarts the component (sessions end; initiators reconnect).")
    public @interface Config {
        @AttributeDefinition(name = "Portals", description = "Comma-separated HOST:PORT list to listen on "
                + "(IPv6 as [addr]:port; port 0 picks a free port). The framework property jtgt.iscsi.portal overrides it.")
        String portals() default "127.0.0.1:3260";

        @AttributeDefinition(name = "Portal group tag", description = "TargetPortalGroupTag (RFC 7143 13.9) of the "
                + "first portal, 1..65535; the next portals take the next tags. Each tag is also the relative target "
                + "port identifier the portal asks the daemon for.")
        int portalGroupTag() default 1;

        @AttributeDefinition(name = "CHAP user", description = "Name initiators must authenticate with (CHAP, MD5). "
                + "Empty: no authentication.")
        String chapUser() default "";

        @AttributeDefinition(name = "CHAP secret", type = AttributeType.PASSWORD,
                description = "Secret of the CHAP user (RFC 7143 12.1.3 asks for at least 12 bytes)")
        String chapSecret() default "";

        @AttributeDefinition(name = "Mutual CHAP user", description = "Name the target answers with when an initiator "
                + "asks for mutual CHAP. Empty: mutual CHAP is refused.")
        String mutualChapUser() default "";

        @AttributeDefinition(name = "Mutual CHAP secret", type = AttributeType.PASSWORD,
                description = "Secret of the mutual CHAP user; must differ from the CHAP secret")
        String mutualChapSecret() default "";

        @AttributeDefinition(name = "Max connections", description = "Connections accepted at once over all portals; "
                + "more are closed right after accept")
        int maxConnections() default 64;

        @AttributeDefinition(name = "Session window", description = "Commands one session may have outstanding "
                + "(MaxCmdSN - ExpCmdSN + 1 when idle)")
        int sessionWindow() default 64;

        @AttributeDefinition(name = "MaxRecvDataSegmentLength", description = "Largest data segment accepted per PDU, "
                + "bytes (512..16777215); sizes each connection's receive buffer")
        int maxRecvDataSegmentLength() default 262_144;

        @AttributeDefinition(name = "MaxBurstLength", description = "Offer for MaxBurstLength, bytes")
        int maxBurstLength() default 1_048_576;

        @AttributeDefinition(name = "FirstBurstLength", description = "Offer for FirstBurstLength, bytes")
        int firstBurstLength() default 262_144;

        @AttributeDefinition(name = "InitialR2T", description = "Require an R2T before any Data-Out (result is the OR "
                + "with the initiator's value)")
        boolean initialR2T() default false;

        @AttributeDefinition(name = "ImmediateData", description = "Accept data in the SCSI Command PDU (result is the "
                + "AND with the initiator's value)")
        boolean immediateData() default true;

        @AttributeDefinition(name = "MaxOutstandingR2T", description = "Offer for MaxOutstandingR2T per task")
        int maxOutstandingR2T() default 16;

        @AttributeDefinition(name = "NOP-In interval (s)", description = "Ping a connection idle this long; 0: never")
        int nopInIntervalSeconds() default 30;

        @AttributeDefinition(name = "NOP-In timeout (s)", description = "Close a connection that does not answer a ping "
                + "within this time")
        int nopInTimeoutSeconds() default 30;

        @AttributeDefinition(name = "Login timeout (s)", description = "Close a connection that has not completed login")
        int loginTimeoutSeconds() default 30;

        @AttributeDefinition(name = "Stalled write timeout (s)", description = "Close a connection whose initiator has "
                + "not read anything for this long while the target has data to send")
        int stalledWriteSeconds() default 60;

        @AttributeDefinition(name = "Target alias", description = "TargetAlias sent at login; empty: none")
        String targetAlias() default "";
    }

    @Reference
    HostService hostService;

    @Reference
    TargetAdmin targetAdmin;

    @Reference
    TargetPorts targetPorts;

    /** Per-target CHAP accounts (management); absent: every target uses the configured account. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile ChapAccounts chapAccounts;

    private final LoginNegotiator.TargetDirectory directory = new LoginNegotiator.TargetDirectory() {
        @Override
        public TargetInfo find(String targetName) {
            return findTarget(targetName);
        }

        @Override
        public ChapAccounts.TargetChap chap(String targetName) {
            ChapAccounts accounts = chapAccounts;
            return accounts == null ? null : accounts.forTarget(targetName);
        }
    };

    private volatile ScsiHost host;
    private volatile TargetSettings settings;
    private volatile boolean stopping;
    private volatile int maxConnections = 64;
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    /** The portals, in configuration order; replaced whole by start and stop. */
    private volatile List<IscsiPortal> portals = List.of();
    private final List<Thread> acceptors = new ArrayList<>();
    private final Set<IscsiConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connectionIds = new AtomicInteger();
    private ScheduledExecutorService watchdog;

    private final Object sessionLock = new Object();
    private final Map<Integer, IscsiConnection> sessionsByTsih = new HashMap<>();
    private final Map<String, IscsiConnection> sessionsByKey = new HashMap<>();
    private int nextTsih = 1;

    /** Answers to nexus creates and destructions; stop() waits for the destructions before closing the host. */
    private final NexusReplies nexusReplies = new NexusReplies();
    /** Answers to task management requests, delivered to whoever queued them. */
    private final TmfReplies tmfReplies = new TmfReplies();

    @Activate
    void activate(BundleContext context, Config config) throws IOException {
        String override = context == null ? null : context.getProperty(PORTAL_PROPERTY);
        start(config, override);
    }

    /** Starts with {@code portalOverride} (may be null) in place of the configured portals; also for tests. */
    void start(Config config, String portalOverride) throws IOException {
        settings = settingsOf(config);
        String portals = portalOverride != null && !portalOverride.isBlank() ? portalOverride : config.portals();
        List<InetSocketAddress> addresses = parsePortals(portals);
        int firstTag = settings.portalGroupTag();
        if (firstTag + addresses.size() - 1 > TargetPorts.MAX_ID) {
            throw new IllegalArgumentException(addresses.size() + " portals from portalGroupTag " + firstTag
                    + " go beyond tag " + TargetPorts.MAX_ID);
        }
        stopping = false;
        host = hostService.addHost("iscsi", this);
        watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "jtgt-iscsi-watchdog");
            t.setDaemon(true);
            return t;
        });
        watchdog.scheduleWithFixedDelay(this::checkConnections, 1, 1, TimeUnit.SECONDS);
        try {
            List<ServerSocketChannel> servers = new ArrayList<>();
            for (InetSocketAddress a : addresses) {
                ServerSocketChannel server = ServerSocketChannel.open();
                listeners.add(server);
                server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                server.bind(a, 64);
                servers.add(server);
            }
            // Every portal is known (SendTargets lists them all) before the first connection.
            List<IscsiPortal> bound = new ArrayList<>();
            for (int i = 0; i < servers.size(); i++) {
                InetSocketAddress address = (InetSocketAddress) servers.get(i).getLocalAddress();
                int tag = firstTag + i;
                int relative = targetPorts.register("iscsi", IscsiConnection.format(address) + " TPGT " + tag, tag);
                bound.add(new IscsiPortal(address, tag, relative));
                this.portals = List.copyOf(bound);   // so that stop() unregisters it if a later one fails
            }
            for (int i = 0; i < servers.size(); i++) {
                ServerSocketChannel server = servers.get(i);
                IscsiPortal portal = bound.get(i);
                Thread t = new Thread(() -> accept(server, portal), "jtgt-iscsi-accept-" + portal.address().getPort());
                t.setDaemon(true);
                acceptors.add(t);
                t.start();
                LOG.info("iSCSI portal listening on {}, TPGT {}, relative target port {}",
                        IscsiConnection.format(portal.address()), portal.portalGroupTag(), portal.relativePortId());
            }
        } catch (IOException | RuntimeException e) {
            stop();
            throw e;
        }
    }

    @Deactivate
    void deactivate() {
        stop();
    }

    /** Closes the listeners, ends every session (nexuses destroyed), removes the SCSI host. */
    void stop() {
        stopping = true;
        for (ServerSocketChannel s : listeners) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.debug("closing a listener failed", e);
            }
        }
        for (Thread t : acceptors) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        listeners.clear();
        acceptors.clear();
        List<IscsiConnection> open = new ArrayList<>(connections);
        for (IscsiConnection c : open) {
            c.abort("iSCSI target stopping");
        }
        for (IscsiConnection c : open) {
            try {
                if (!c.awaitFinished(10_000)) {
                    LOG.warn("{} did not finish within 10 s", c);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (watchdog != null) {
            watchdog.shutdownNow();
            watchdog = null;
        }
        // Closing the host drops what is still queued: let the nexus destructions reach the
        // daemon first, or it would keep those nexuses (bounded: the transport may be gone).
        int unanswered = nexusReplies.awaitDestroys(5_000);
        if (unanswered > 0) {
            LOG.warn("nexus destruction not answered before the iSCSI host closed ({} pending)", unanswered);
        }
        ScsiHost h = host;
        if (h != null) {
            h.close();
            host = null;
        }
        for (IscsiPortal p : portals) {
            targetPorts.unregister(p.relativePortId());
        }
        portals = List.of();
        if (!open.isEmpty()) {
            LOG.info("iSCSI target stopped; {} connections closed", open.size());
        }
    }

    /** The ports actually bound, in portal order (for port 0). */
    List<Integer> boundPorts() {
        List<Integer> ports = new ArrayList<>();
        for (ServerSocketChannel s : listeners) {
            try {
                ports.add(((InetSocketAddress) s.getLocalAddress()).getPort());
            } catch (IOException e) {
                ports.add(-1);
            }
        }
        return ports;
    }

    private void accept(ServerSocketChannel server, IscsiPortal portal) {
        while (!stopping) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!stopping) {
                    LOG.warn("accept failed: {}", e.toString());
                    sleepQuietly(100);
                }
                continue;
            }
            try {
                if (connections.size() >= maxConnections) {
                    LOG.warn("refusing connection from {}: {} connections open", ch.getRemoteAddress(), connections.size());
                    ch.close();
                    continue;
                }
                ch.configureBlocking(true);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
                IscsiConnection c = new IscsiConnection(this, ch, portal, connectionIds.incrementAndGet());
                connections.add(c);
                if (stopping) {
                    connections.remove(c);
                    ch.close();
                    return;
                }
                LOG.debug("{} accepted", c);
                c.start();
            } catch (IOException | RuntimeException e) {
                LOG.warn("setting up a connection failed: {}", e.toString());
                try {
                    ch.close();
                } catch (IOException again) {
                    LOG.debug("close failed", again);
                }
            }
        }
    }

    private void checkConnections() {
        long now = System.nanoTime();
        for (IscsiConnection c : connections) {
            try {
                c.checkLiveness(now);
            } catch (RuntimeException e) {
                LOG.warn("{}: liveness check failed", c, e);
            } catch (Error e) {
                // A periodic task's throwable stays in its future, where nobody looks, and the
                // watchdog would stop silently: hand it to the thread's uncaught-exception policy.
                Thread self = Thread.currentThread();
                self.getUncaughtExceptionHandler().uncaughtException(self, e);
                throw e;
            }
        }
    }

    // ------------------------------------------------------------------ for connections

    TargetSettings settings() {
        return settings;
    }

    ScsiHost host() {
        return host;
    }

    /** Every portal, in configuration order (SendTargets lists them all). */
    List<IscsiPortal> portals() {
        return portals;
    }

    List<TargetInfo> targets() {
        return targetAdmin.targets();
    }

    /** What logins look targets and their CHAP accounts up in. */
    LoginNegotiator.TargetDirectory directory() {
        return directory;
    }

    /** The target of that name (exact, else ignoring case: iSCSI names fold case), or null. */
    TargetInfo findTarget(String name) {
        TargetInfo folded = null;
        for (TargetInfo t : targetAdmin.targets()) {
            if (t.name().equals(name)) {
                return t;
            }
            if (t.name().equalsIgnoreCase(name)) {
                folded = t;
            }
        }
        return folded;
    }

    /** Waits for the daemon's answer to a nexus create; {@link #NEXUS_TIMEOUT} if none came in time. */
    int awaitNexus(long nexusId, long timeoutMillis) throws InterruptedException {
        int result = nexusReplies.awaitCreate(host, nexusId, timeoutMillis);
        if (result == NEXUS_TIMEOUT) {
            LOG.warn("the daemon did not answer nexus {} within {} ms; destroying it", nexusId, timeoutMillis);
        }
        return result;
    }

    void destroyNexus(long nexusId) {
        if (!nexusReplies.destroy(host, nexusId)) {
            LOG.debug("destroying nexus {} not queued (host closed)", nexusId);
        }
    }

    /** Queues a TMF behind everything the connection submitted; the answer goes back to it. */
    void taskManagement(IscsiConnection c, int itt, TaskManagementFunction function, long lun, int referencedTag) {
        long mid;
        try {
            mid = host.taskManagement(c.nexusId(), function, lun, referencedTag);
        } catch (RuntimeException e) {
            LOG.warn("{}: {} not queued: {}", c, function, e.toString());
            c.tmfResponse(itt, TmfResponse.FUNCTION_REJECTED);
            return;
        }
        tmfReplies.await(mid, r -> c.tmfCompleted(itt, function, r));
    }

    /**
     * Registers a session that is entering the full feature phase and returns its TSIH (0 if
     * none is free). A session with the same key (initiator, ISID, target) is reinstated: it is
     * closed, and its nexus destroyed, before this returns (RFC 7143 6.3.5).
     */
    int registerSession(IscsiConnection c, String key) throws InterruptedException {
        if (key != null) {
            IscsiConnection old;
            synchronized (sessionLock) {
                old = sessionsByKey.get(key);
            }
            if (old != null && old != c) {
                LOG.info("session reinstatement: {} replaces {}", c, old);
                old.abort("session reinstatement");
                if (!old.awaitFinished(10_000)) {
                    LOG.warn("{} did not finish within 10 s of its reinstatement", old);
                }
            }
        }
        synchronized (sessionLock) {
            for (int i = 0; i < 0xFFFF; i++) {
                int tsih = nextTsih;
                nextTsih = nextTsih == 0xFFFF ? 1 : nextTsih + 1;
                if (!sessionsByTsih.containsKey(tsih)) {
                    sessionsByTsih.put(tsih, c);
                    if (key != null) {
                        sessionsByKey.put(key, c);
                    }
                    return tsih;
                }
            }
        }
        return 0;
    }

    boolean sessionExists(int tsih) {
        synchronized (sessionLock) {
            return sessionsByTsih.containsKey(tsih);
        }
    }

    void connectionClosed(IscsiConnection c) {
        connections.remove(c);
        synchronized (sessionLock) {
            sessionsByTsih.remove(c.tsih(), c);
            if (c.sessionKey() != null) {
                sessionsByKey.remove(c.sessionKey(), c);
            }
        }
    }

    /** Ends every session to a target (after a TARGET COLD RESET, RFC 7143 11.5.1). */
    void closeSessionsOf(String targetName, String reason) {
        for (IscsiConnection c : connections) {
            if (targetName != null && targetName.equals(c.targetName())) {
                c.abort(reason);
            }
        }
    }

    // ------------------------------------------------------------------ SessionSource

    @Override
    public List<SessionInfo> sessions() {
        ScsiHost h = host;
        if (h == null) {
            return List.of();
        }
        List<SessionInfo> out = new ArrayList<>();
        for (IscsiConnection c : connections) {
            SessionInfo s = c.sessionInfo(h.hostNo());
            if (s != null) {
                out.add(s);
            }
        }
        out.sort(java.util.Comparator.comparing(SessionInfo::target).thenComparingLong(SessionInfo::nexusId));
        return out;
    }

    /**
     * Drops the connections of every session to the target (a target deleted with force), as
     * Linux tgt does, rather than asking for a logout with an Async Message (RFC 7143 11.9.1,
     * AsyncEvent 1): a logout request leaves the session up for Parameter3 seconds at the
     * initiator's discretion while the target is going away, and nothing could be logged in to
     * again. A dropped connection is a connection failure the initiator recovers from (RFC 7143
     * 7.1) by logging in again, which fails with Target Not Found (0203h) once the daemon has
     * deleted the target. The commands the connection had are released with it, as at any
     * abort, and the initiator's recovery fails them on its side.
     */
    @Override
    public int endSessions(String targetName, String reason, long timeoutMillis) {
        List<IscsiConnection> ending = new ArrayList<>();
        for (IscsiConnection c : connections) {
            if (!c.isDiscovery() && targetName.equals(c.targetName())) {
                ending.add(c);
                c.abort(reason);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (IscsiConnection c : ending) {
            try {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (!c.awaitFinished(Math.max(1, left))) {
                    LOG.warn("{} did not finish within {} ms of being ended ({})", c, timeoutMillis, reason);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!ending.isEmpty()) {
            LOG.info("{} session(s) to {} ended: {}", ending.size(), targetName, reason);
        }
        return ending.size();
    }

    /** Connections currently open (for tests and diagnostics). */
    List<IscsiConnection> connections() {
        return new ArrayList<>(connections);
    }

    // ------------------------------------------------------------------ HostCallbacks

    @Override
    public void commandCompleted(HostCommand command) {
        if (command.context() instanceof ScsiTask t) {
            t.connection.commandCompleted(t);
        } else {
            LOG.warn("completion of command {} that the iSCSI driver did not submit", command.cid());
            host.done(command, CmdDoneEvent.NEXUS_LOST);
        }
    }

    @Override
    public void taskManagementCompleted(long mid, TmfResponse response) {
        tmfReplies.onResult(mid, response);
    }

    @Override
    public void nexusResult(long nexusId, int op, int result) {
        nexusReplies.onResult(nexusId, op, result);
        if (op != ItNexusReqEvent.OP_CREATE && result != 0) {
            LOG.debug("destroying nexus {}: daemon answered {}", nexusId, result);
        }
    }

    // ------------------------------------------------------------------ configuration

    private TargetSettings settingsOf(Config c) {
        int tpgt = c.portalGroupTag();
        if (tpgt < 1 || tpgt > 0xFFFF) {
            throw new IllegalArgumentException("portalGroupTag " + tpgt + " outside 1..65535");
        }
        if (!c.chapUser().isEmpty() && c.chapSecret().isEmpty()) {
            throw new IllegalArgumentException("chapUser is set but chapSecret is empty");
        }
        if (!c.mutualChapUser().isEmpty() && c.mutualChapSecret().isEmpty()) {
            throw new IllegalArgumentException("mutualChapUser is set but mutualChapSecret is empty");
        }
        if (!c.mutualChapSecret().isEmpty() && c.mutualChapSecret().equals(c.chapSecret())) {
            // RFC 7143 12.1.3: the two directions must not share a secret.
            throw new IllegalArgumentException("mutualChapSecret must differ from chapSecret");
        }
        maxConnections = Math.max(1, c.maxConnections());
        int window = Math.max(1, Math.min(c.sessionWindow(), 1 << 16));
        return new TargetSettings(tpgt, c.chapUser(), c.chapSecret(), c.mutualChapUser(), c.mutualChapSecret(),
                clampLength(c.maxRecvDataSegmentLength()), clampLength(c.maxBurstLength()),
                clampLength(c.firstBurstLength()), c.initialR2T(), c.immediateData(),
                Math.max(1, Math.min(c.maxOutstandingR2T(), 64)), 2, 20, window, 16,
                TimeUnit.SECONDS.toMillis(Math.max(1, c.loginTimeoutSeconds())),
                TimeUnit.SECONDS.toMillis(Math.max(0, c.nopInIntervalSeconds())),
                TimeUnit.SECONDS.toMillis(Math.max(1, c.nopInTimeoutSeconds())),
                TimeUnit.SECONDS.toMillis(Math.max(1, c.stalledWriteSeconds())), 5_000, c.targetAlias());
    }

    private static int clampLength(int v) {
        return Math.max(TargetSettings.MIN_LENGTH, Math.min(v, TargetSettings.MAX_LENGTH));
    }

    /** Parses {@code host:port[,host:port...]}; IPv6 hosts in brackets. */
    static List<InetSocketAddress> parsePortals(String portals) {
        List<InetSocketAddress> result = new ArrayList<>();
        for (String raw : portals.split(",")) {
            String p = raw.trim();
            if (p.isEmpty()) {
                continue;
            }
            result.add(Portal.parse(p));
        }
        if (result.isEmpty()) {
            throw new IllegalArgumentException("no portal configured");
        }
        return result;
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
