package org.jtgt.iscsi;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.host.HostCallbacks;
import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.HostService;
import org.jtgt.api.host.NexusOperation;
import org.jtgt.api.host.NexusResult;
import org.jtgt.api.host.Portal;
import org.jtgt.api.host.ResponseDelivery;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.target.ChapAccounts;
import org.jtgt.api.target.SessionInfo;
import org.jtgt.api.target.SessionSource;
import org.jtgt.api.target.TargetCatalog;
import org.jtgt.api.target.TargetInfo;
import org.jtgt.api.target.TargetPorts;
import org.jtgt.iscsi.isns.IsnsRegistration;
import org.jtgt.util.lld.NexusReplies;
import org.jtgt.util.lld.TmfReplies;
import org.jtgt.util.lld.LogLimiter;
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
 * <p>The CHAP accounts bound to targets come from a {@link ChapAccounts} service (the admin
 * bundle's). Security fails closed: while none is bound, nobody can tell which targets need CHAP,
 * so every login is refused with Service Unavailable (0x0301), unless
 * {@link Config#requireChapAccounts()} is false.
 *
 * <p>Configuration ({@code org.jtgt.iscsi}) is read at activation; there is no
 * {@code @Modified}, so any change restarts the component: listeners close, sessions end
 * (their nexuses destroyed), and initiators reconnect to the new setup. The framework property
 * {@value #PORTAL_PROPERTY} ({@code HOST:PORT[,HOST:PORT...]}), set by the launcher's {@code --portal},
 * overrides {@link Config#portals()}.
 *
 * <p>With {@link Config#isnsServer()} set, an {@link IsnsRegistration} keeps the targets and
 * portals registered with that iSNS server from a thread of its own (activation does not wait for
 * the server) and deregisters them first thing in {@link #stop()}.
 */
@Component(service = SessionSource.class, immediate = true, configurationPid = "org.jtgt.iscsi",
        property = SessionSource.DRIVER_PROPERTY + "=" + SessionSource.ISCSI)
@Designate(ocd = IscsiTarget.Config.class)
public class IscsiTarget implements HostCallbacks, SessionSource {
    private static final Logger LOG = LoggerFactory.getLogger(IscsiTarget.class);

    /** Framework property overriding the portals: {@code HOST:PORT[,HOST:PORT...]}, in portal order. */
    public static final String PORTAL_PROPERTY = "jtgt.iscsi.portal";
    /** Framework property overriding {@link Config#targetResetInitiators()}. */
    public static final String TARGET_RESET_PROPERTY = "jtgt.iscsi.targetResetInitiators";
    /** Framework property overriding {@link Config#isnsServer()}. */
    public static final String ISNS_PROPERTY = "jtgt.iscsi.isnsServer";

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

        @AttributeDefinition(name = "Require a CHAP account source", description = "Refuse every login (status "
                + "0x0301, service unavailable) while no CHAP account source is bound: the admin bundle's, which knows "
                + "the accounts bound to targets with jtgtadm --mode account. Without it nobody can tell which targets "
                + "require CHAP. Set to false only where no account source runs on purpose; every target then uses "
                + "the CHAP user configured here.")
        boolean requireChapAccounts() default true;

        @AttributeDefinition(name = "Mutual CHAP user", description = "Name the target answers with when an initiator "
                + "asks for mutual CHAP. Empty: mutual CHAP is refused.")
        String mutualChapUser() default "";

        @AttributeDefinition(name = "Mutual CHAP secret", type = AttributeType.PASSWORD,
                description = "Secret of the mutual CHAP user; must differ from the CHAP secret")
        String mutualChapSecret() default "";

        @AttributeDefinition(name = "Max connections", description = "Connections accepted at once over all portals; "
                + "more are closed right after accept")
        int maxConnections() default 64;

        @AttributeDefinition(name = "Max connections per address", description = "Connections accepted at once "
                + "from one initiator address; more are closed right after accept, so one host cannot take every "
                + "connection slot")
        int maxConnectionsPerAddress() default 32;

        @AttributeDefinition(name = "CHAP failure delay (ms)", description = "How long the first failed CHAP "
                + "answer of an initiator name and address is held back; it doubles with each failure in a row, up "
                + "to 32 times this. 0: no delay")
        int chapFailureDelayMillis() default 250;

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

        @AttributeDefinition(name = "Data-Out timeout (s)", description = "Close a connection when a WRITE's "
                + "solicited or unsolicited Data-Out has not arrived within this time (the task's slot and data-area "
                + "space come back); 0: never")
        int dataOutTimeoutSeconds() default 20;

        @AttributeDefinition(name = "Target alias", description = "TargetAlias sent at login; empty: none")
        String targetAlias() default "";

        @AttributeDefinition(name = "Target reset initiators", description = "Comma-separated initiator names "
                + "allowed to send TARGET WARM RESET and TARGET COLD RESET, which reset every LUN of the target for "
                + "every initiator (a cold reset also ends every session); * allows any initiator. Empty (the "
                + "default): refused with 'function authorization failed'. The framework property "
                + "jtgt.iscsi.targetResetInitiators overrides it.")
        String targetResetInitiators() default "";

        @AttributeDefinition(name = "iSNS server", description = "HOST[:PORT] (port 3205 by default; IPv6 as "
                + "[addr]:port) of an iSNS server (RFC 4171) to register the targets and portals with; changes are "
                + "sent within seconds and the entity is deregistered when the driver stops. Empty (the default): "
                + "no iSNS. The framework property jtgt.iscsi.isnsServer overrides it.")
        String isnsServer() default "";

        @AttributeDefinition(name = "iSNS entity identifier", description = "Entity Identifier registered with the "
                + "iSNS server; empty: jtgt:<host name>:<port of the first portal>")
        String isnsEntityId() default "";
    }

    @Reference
    HostService hostService;

    @Reference
    TargetCatalog catalog;

    @Reference
    TargetPorts targetPorts;

    /**
     * Per-target CHAP accounts (management). While none is bound, logins are refused unless
     * {@link Config#requireChapAccounts()} is false (then every target uses the configured account).
     */
    private volatile ChapAccounts chapAccounts;
    private volatile boolean requireChapAccounts = true;
    private final Object accountsLock = new Object();

    private final LoginNegotiator.TargetDirectory directory = new LoginNegotiator.TargetDirectory() {
        @Override
        public TargetInfo find(String targetName) {
            return findTarget(targetName);
        }

        @Override
        public ChapAccounts accounts() {
            ChapAccounts accounts = chapAccounts;
            if (accounts != null) {
                return accounts;
            }
            return requireChapAccounts ? null : LoginNegotiator.NO_ACCOUNTS;
        }
    };

    private volatile ScsiHost host;
    private volatile TargetSettings settings;
    private volatile boolean stopping;
    private volatile int maxConnections = 64;
    private volatile int maxConnectionsPerAddress = 32;
    /** Connections per address and the delay after failed CHAP answers. */
    private volatile LoginGuard loginGuard = new LoginGuard();
    /** Refused connections and failed logins: a few warnings a minute each, the rest at DEBUG. */
    private final LogLimiter refusedConnections = new LogLimiter("refused connections", 10, 60, TimeUnit.SECONDS);
    private final LogLimiter failedLogins = new LogLimiter("failed logins", 20, 60, TimeUnit.SECONDS);
    private volatile long dataOutTimeoutMillis;
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    /** The portals, in configuration order; replaced whole by start and stop. */
    private volatile List<IscsiPortal> portals = List.of();
    private final List<Thread> acceptors = new ArrayList<>();
    private final Set<IscsiConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connectionIds = new AtomicInteger();
    private ScheduledExecutorService watchdog;

    private final SessionTable sessionTable = new SessionTable();

    /** Answers to nexus creates and destructions; stop() waits for the destructions before closing the host. */
    private final NexusReplies nexusReplies = new NexusReplies();
    /** Answers to task management requests, delivered to whoever queued them. */
    private final TmfReplies tmfReplies = new TmfReplies();

    /** Initiator names (lower case) allowed to reset the target; null: any. */
    private volatile Set<String> targetResetInitiators = Set.of();
    /** {@link #TARGET_RESET_PROPERTY}, read at activation; null: the configuration decides. */
    private String targetResetOverride;
    /** {@link #ISNS_PROPERTY}, read at activation; null: the configuration decides. */
    private String isnsOverride;
    /** Keeps the targets and portals registered with the iSNS server; null without one. */
    private volatile IsnsRegistration isns;
    /** How often the iSNS registration compares the targets and portals with what it sent. */
    long isnsPollMillis = 2_000;
    /**
     * A replacement may come as bind-then-unbind or as unbind-then-bind: in the gap of the
     * second, no source is bound and logins are refused, never admitted.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            unbind = "unbindChapAccounts")
    void bindChapAccounts(ChapAccounts accounts) {
        synchronized (accountsLock) {
            chapAccounts = accounts;
        }
        LOG.info("CHAP account source bound");
    }

    void unbindChapAccounts(ChapAccounts accounts) {
        synchronized (accountsLock) {
            if (chapAccounts != accounts) {
                return;   // already replaced
            }
            chapAccounts = null;
        }
        if (requireChapAccounts && !stopping) {   // not when the component is deactivated itself
            LOG.warn("CHAP account source gone: iSCSI logins are refused (service unavailable) until it returns");
        }
    }

    @Activate
    void activate(BundleContext context, Config config) throws IOException {
        String override = context == null ? null : context.getProperty(PORTAL_PROPERTY);
        targetResetOverride = context == null ? null : context.getProperty(TARGET_RESET_PROPERTY);
        isnsOverride = context == null ? null : context.getProperty(ISNS_PROPERTY);
        start(config, override);
    }

    /**
     * Whether {@code initiatorName} may send TARGET WARM/COLD RESET. Off by default: either resets
     * every LUN of the target under every other initiator's feet (and a cold reset drops their
     * sessions), so one initiator should not be able to do that unless the administrator says so.
     */
    boolean targetResetAllowed(String initiatorName) {
        Set<String> allowed = targetResetInitiators;
        return allowed == null || initiatorName != null && allowed.contains(initiatorName.toLowerCase(Locale.ROOT));
    }

    /** Parses {@link Config#targetResetInitiators()}: null for "*" (anyone). */
    static Set<String> parseInitiators(String list) {
        Set<String> names = new HashSet<>();
        for (String item : list.split(",")) {
            String name = item.trim();
            if (name.equals("*")) {
                return null;
            }
            if (!name.isEmpty()) {
                names.add(name.toLowerCase(Locale.ROOT));
            }
        }
        return Set.copyOf(names);
    }

    /** Starts with {@code portalOverride} (may be null) in place of the configured portals; also for tests. */
    void start(Config config, String portalOverride) throws IOException {
        settings = settingsOf(config);
        targetResetInitiators = parseInitiators(targetResetOverride != null ? targetResetOverride
                : config.targetResetInitiators());
        requireChapAccounts = config.requireChapAccounts();
        String portals = portalOverride != null && !portalOverride.isBlank() ? portalOverride : config.portals();
        List<InetSocketAddress> addresses = parsePortals(portals);
        String isnsServer = isnsOverride != null ? isnsOverride : config.isnsServer();
        InetSocketAddress isnsAddress = isnsServer.isBlank() ? null : IsnsRegistration.parseServer(isnsServer);
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
                int relative = targetPorts.register("iscsi", IscsiPortal.format(address) + " TPGT " + tag, tag);
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
                        IscsiPortal.format(portal.address()), portal.portalGroupTag(), portal.relativePortId());
            }
            if (isnsAddress != null) {
                isns = new IsnsRegistration(isnsAddress, config.isnsEntityId(), this::isnsState, isnsPollMillis).start();
            }
        } catch (IOException | RuntimeException e) {
            stop();
            throw e;
        }
        if (chapAccounts == null) {
            if (requireChapAccounts) {
                LOG.info("no CHAP account source bound yet: iSCSI logins are refused (service unavailable) until one is");
            } else {
                LOG.info("no CHAP account source required: every target uses the configured CHAP user ({})",
                        settings.chapRequired() ? settings.chapUser() : "none");
            }
        }
    }

    @Deactivate
    void deactivate() {
        stop();
    }

    /** Closes the listeners, ends every session (nexuses destroyed), removes the SCSI host. */
    void stop() {
        stopping = true;
        IsnsRegistration registration = isns;
        if (registration != null) {
            isns = null;
            registration.close(2_000);   // first: initiators should not discover a target going away
        }
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
        if (!listeners.isEmpty()) {
            LOG.info("iSCSI portals closed: no new logins");
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

    /** What the iSNS server should know: every target, every portal with its TPGT. */
    private IsnsRegistration.State isnsState() {
        List<String> names = new ArrayList<>();
        for (TargetInfo t : catalog.targets()) {
            names.add(t.name());
        }
        names.sort(null);
        List<IsnsRegistration.Portal> advertised = new ArrayList<>();
        for (IscsiPortal p : portals) {
            for (InetAddress a : IsnsRegistration.advertised(p.address().getAddress())) {
                advertised.add(new IsnsRegistration.Portal(a, p.address().getPort(), p.portalGroupTag()));
            }
        }
        return new IsnsRegistration.State(names, advertised);
    }

    /** The iSNS registration, or null (for tests). */
    IsnsRegistration isnsRegistration() {
        return isns;
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
                    refusedConnections.warn(LOG, "refusing connection from {}: {} connections open",
                            ch.getRemoteAddress(), connections.size());
                    ch.close();
                    continue;
                }
                InetAddress from = ((InetSocketAddress) ch.getRemoteAddress()).getAddress();
                if (!loginGuard.admit(from, maxConnectionsPerAddress)) {
                    refusedConnections.warn(LOG, "refusing connection from {}: {} connections open from that address",
                            ch.getRemoteAddress(), maxConnectionsPerAddress);
                    ch.close();
                    continue;
                }
                IscsiConnection c;
                try {
                    ch.configureBlocking(true);
                    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
                    c = new IscsiConnection(this, ch, portal, connectionIds.incrementAndGet());
                } catch (IOException | RuntimeException e) {
                    loginGuard.release(from);
                    throw e;
                }
                connections.add(c);
                if (stopping) {
                    connections.remove(c);
                    loginGuard.release(from);
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

    LoginGuard loginGuard() {
        return loginGuard;
    }

    LogLimiter loginFailures() {
        return failedLogins;
    }

    ScsiHost host() {
        return host;
    }

    /** How long a task may wait for its Data-Out before its connection is closed; 0: never. */
    long dataOutTimeoutMillis() {
        return dataOutTimeoutMillis;
    }

    /** Every portal, in configuration order (SendTargets lists them all). */
    List<IscsiPortal> portals() {
        return portals;
    }

    List<TargetInfo> targets() {
        return catalog.targets();
    }

    /** What logins look targets and their CHAP accounts up in. */
    LoginNegotiator.TargetDirectory directory() {
        return directory;
    }

    /** The target of that name (exact, else ignoring case: iSCSI names fold case), or null. */
    TargetInfo findTarget(String name) {
        TargetInfo folded = null;
        for (TargetInfo t : catalog.targets()) {
            if (t.name().equals(name)) {
                return t;
            }
            if (t.name().equalsIgnoreCase(name)) {
                folded = t;
            }
        }
        return folded;
    }

    /** Waits for the daemon's answer to a nexus create; {@code null} if none came in time. */
    NexusResult awaitNexus(long nexusId, long timeoutMillis) throws InterruptedException {
        NexusResult result = nexusReplies.awaitCreate(host, nexusId, timeoutMillis);
        if (result == null) {
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
    void taskManagement(TaskManagementHandler tmf, int itt, TaskManagementFunction function, long lun,
            int referencedTag) {
        long mid;
        try {
            mid = host.taskManagement(tmf.connection().nexusId(), function, lun, referencedTag);
        } catch (RuntimeException e) {
            LOG.warn("{}: {} not queued: {}", tmf.connection(), function, e.toString());
            tmf.respond(itt, TmfResponse.FUNCTION_REJECTED);
            return;
        }
        tmfReplies.await(mid, r -> tmf.completed(itt, function, r));
    }

    /** The sessions by TSIH and key (reinstatement). */
    SessionTable sessionTable() {
        return sessionTable;
    }

    void connectionClosed(IscsiConnection c) {
        if (connections.remove(c) && c.remoteAddress() != null) {
            loginGuard.release(c.remoteAddress());
        }
        sessionTable.remove(c);
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
            host.done(command, ResponseDelivery.NEXUS_LOST);
        }
    }

    @Override
    public void taskManagementCompleted(long mid, TmfResponse response) {
        tmfReplies.onResult(mid, response);
    }

    @Override
    public void nexusResult(long nexusId, NexusOperation op, NexusResult result) {
        nexusReplies.onResult(nexusId, op, result);
        if (op != NexusOperation.CREATE && result != NexusResult.OK) {
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
        maxConnectionsPerAddress = Math.max(1, c.maxConnectionsPerAddress());
        loginGuard = new LoginGuard(Math.min(Math.max(0, c.chapFailureDelayMillis()), 60_000));
        dataOutTimeoutMillis = TimeUnit.SECONDS.toMillis(Math.max(0, c.dataOutTimeoutSeconds()));
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
