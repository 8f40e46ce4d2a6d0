package org.jtgt.fc;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
import org.jtgt.api.target.SessionInfo;
import org.jtgt.api.target.SessionSource;
import org.jtgt.api.target.TargetCatalog;
import org.jtgt.api.target.TargetPorts;
import org.jtgt.api.target.TargetInfo;
import org.jtgt.fc.wire.FcFrameHeader;
import org.jtgt.fc.wire.FcipHeader;
import org.jtgt.util.lld.NexusReplies;
import org.jtgt.util.lld.TmfReplies;
import org.jtgt.util.lld.LogLimiter;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Fibre Channel emulation LLD: one FCIP listener, behind it an emulated switch
 * ({@link FcFabric}) and one target N_Port ({@link FcFabric#TARGET_PORT_ID}) that serves one
 * jtgt target over FCP. Each TCP connection is one FCIP link to the switch; the ports that log in
 * over it (FLOGI, FDISC) are initiator N_Ports, and each one that completes PLOGI and PRLI with
 * the target port is one I_T nexus, named {@code naa.<WWPN>}.
 *
 * <p>Configuration ({@code org.jtgt.fc}) is read at activation; there is no {@code @Modified}:
 * any change restarts the component (links close, nexuses are destroyed, initiators log in
 * again). The framework property {@value #PORTAL_PROPERTY} ({@code HOST:PORT}) overrides
 * {@link Config#portal()}.
 */
@Component(service = SessionSource.class, immediate = true, configurationPid = "org.jtgt.fc",
        property = SessionSource.DRIVER_PROPERTY + "=" + SessionSource.FC)
@Designate(ocd = FcTarget.Config.class)
public class FcTarget implements HostCallbacks, SessionSource {
    private static final Logger LOG = LoggerFactory.getLogger(FcTarget.class);

    public static final String PORTAL_PROPERTY = "jtgt.fc.portal";

    /** A nexus asked of the daemon and its answer ({@code null} if none came in time). */
    record Nexus(long id, NexusResult result) {
    }

    @ObjectClassDefinition(name = "jtgt Fibre Channel emulation", description = "An FC fabric and target N_Port "
            + "reached over FCIP (RFC 3821). Every change restarts the component (links close; initiators log in again).")
    public @interface Config {
        @AttributeDefinition(name = "Portal", description = "HOST:PORT the FCIP listener binds (port 0 picks a free "
                + "port). The framework property jtgt.fc.portal overrides it.")
        String portal() default "127.0.0.1:3225";

        @AttributeDefinition(name = "Target", description = "The jtgt target the FC target port serves; empty: the "
                + "first target (by name) when an initiator logs in")
        String target() default "";

        @AttributeDefinition(name = "Port name", description = "WWPN of the target N_Port, 16 hex digits")
        String portName() default "500140a0f1c0e001";

        @AttributeDefinition(name = "Node name", description = "WWNN of the target node, 16 hex digits")
        String nodeName() default "500140a0f1c0e000";

        @AttributeDefinition(name = "Frame size", description = "Largest data field the target receives and offers at "
                + "login, bytes (256..2112, a multiple of 4); data frames use the smaller of both sides' offers")
        int frameSize() default 2048;

        @AttributeDefinition(name = "Max burst length", description = "Largest FCP_BURST_LEN one FCP_XFER_RDY asks "
                + "for, bytes (a multiple of 4, at least 512); a longer write gets one FCP_XFER_RDY per burst (FCP-4 9.3)")
        int maxBurstLength() default 256 * 1024;

        @AttributeDefinition(name = "Max exchanges", description = "FCP exchanges one initiator port may have open; "
                + "more are answered TASK SET FULL")
        int maxExchanges() default 256;

        @AttributeDefinition(name = "Max connections", description = "FCIP links accepted at once")
        int maxConnections() default 32;

        @AttributeDefinition(name = "Max ports", description = "N_Ports the fabric hands out IDs to")
        int maxPorts() default 128;

        @AttributeDefinition(name = "Max ports per link", description = "N_Ports one FCIP link may log in (FLOGI "
                + "and FDISC, i.e. NPIV ports); more are refused with LS_RJT, insufficient resources")
        int maxPortsPerLink() default 16;

        @AttributeDefinition(name = "Login timeout (s)", description = "Close an FCIP link that has no N_Port logged "
                + "in to the fabric for this long (from link up, or since its last port logged out)")
        int loginTimeoutSeconds() default 30;

        @AttributeDefinition(name = "Target reset initiators", description = "Comma-separated WWPNs (16 hex digits) "
                + "of initiator ports allowed to send TARGET RESET, which resets every LUN for every initiator; * "
                + "allows any. Empty (the default): refused with RSP_CODE 05h, task management function failed.")
        String targetResetInitiators() default "";

        @AttributeDefinition(name = "Nexus timeout (s)", description = "How long PRLI waits for the daemon's answer")
        int nexusTimeoutSeconds() default 10;

        @AttributeDefinition(name = "Relative target port", description = "Relative target port identifier (and target "
                + "port group) the target N_Port asks the daemon for, 1..65535; the next free one if it is taken. The "
                + "default keeps clear of the iSCSI portals, which count from 1.")
        int relativePortId() default 256;
    }

    @Reference
    HostService hostService;

    @Reference
    TargetCatalog catalog;

    @Reference
    TargetPorts targetPorts;

    private volatile ScsiHost host;
    /** The relative target port identifier the daemon gave the target N_Port; 0 while not registered. */
    private volatile int relativePortId;
    private volatile FcFabric fabric;
    private volatile Settings settings;
    private volatile boolean stopping;
    private ServerSocket listener;
    private Thread acceptor;
    /** Refused links: a few warnings a minute, the rest at DEBUG, so a client in a loop cannot fill the log. */
    private final LogLimiter refusedLinks = new LogLimiter("refused FCIP links", 10, 60, TimeUnit.SECONDS);
    private final Set<FcLink> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connectionIds = new AtomicInteger();
    /** Answers to nexus creates and destructions; stop() waits for the destructions before closing the host. */
    private final NexusReplies nexusReplies = new NexusReplies();
    /** Answers to task management requests, delivered to whoever queued them. */
    private final TmfReplies tmfReplies = new TmfReplies();

    /** What connections need from the configuration. */
    record Settings(String target, long portName, long nodeName, int frameSize, int maxBurstLength, int maxExchanges,
            int maxConnections, long nexusTimeoutMillis, int maxPortsPerLink, int loginTimeoutMillis,
            Set<Long> targetResetInitiators) {
    }

    /** Who waits for a task-management answer. */
    interface TmfWaiter {
        void tmfCompleted(TmfResponse response);
    }

    @Activate
    void activate(BundleContext context, Config config) throws IOException {
        start(config, context == null ? null : context.getProperty(PORTAL_PROPERTY));
    }

    /** Starts with {@code portalOverride} (may be null) in place of the configured portal; also for tests. */
    void start(Config config, String portalOverride) throws IOException {
        settings = settingsOf(config);
        String portal = portalOverride != null && !portalOverride.isBlank() ? portalOverride : config.portal();
        InetSocketAddress address = parsePortal(portal);
        fabric = new FcFabric(Math.max(1, config.maxPorts()), settings.portName(), settings.nodeName());
        stopping = false;
        host = hostService.addHost("fc", this);
        try {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(address, 64);
            listener = s;
            relativePortId = targetPorts.register("fc", "WWPN " + Long.toHexString(settings.portName()) + " FCIP "
                    + s.getInetAddress().getHostAddress() + ":" + s.getLocalPort(), config.relativePortId());
        } catch (IOException | RuntimeException e) {
            stop();
            throw e;
        }
        acceptor = new Thread(this::accept, "jtgt-fc-accept-" + listener.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
        LOG.info("FC fabric listening for FCIP on {}:{}, target port {} WWPN {}, relative target port {}",
                listener.getInetAddress().getHostAddress(), listener.getLocalPort(),
                FcFrameHeader.portId(FcFabric.TARGET_PORT_ID), Long.toHexString(settings.portName()), relativePortId);
    }

    @Deactivate
    void deactivate() {
        stop();
    }

    @Override
    public List<SessionInfo> sessions() {
        ScsiHost h = host;
        if (h == null) {
            return List.of();
        }
        List<SessionInfo> out = new ArrayList<>();
        for (FcLink c : connections) {
            out.addAll(c.sessions(h.hostNo()));
        }
        out.sort(java.util.Comparator.comparing(SessionInfo::target).thenComparingLong(SessionInfo::nexusId));
        return out;
    }

    /**
     * Closes every FCIP link that carries an image pair with the target: a link that goes down
     * ends every login over it (FC-LS-2 implicit logout), which the emulated initiator, like an
     * HBA, answers by logging in again, and PRLI is then refused (the target is gone).
     */
    @Override
    public int endSessions(String targetName, String reason, long timeoutMillis) {
        List<FcLink> ending = new ArrayList<>();
        int sessions = 0;
        ScsiHost h = host;
        for (FcLink c : connections) {
            if (c.serves(targetName)) {
                sessions += h == null ? 1 : (int) c.sessions(h.hostNo()).stream()
                        .filter(s -> targetName.equals(s.target())).count();
                ending.add(c);
                c.close(reason);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (FcLink c : ending) {
            try {
                if (!c.awaitFinished(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())))) {
                    LOG.warn("{} did not finish within {} ms of being closed ({})", c, timeoutMillis, reason);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return sessions;
    }

    /** Closes the listener and every link (nexuses destroyed), then removes the SCSI host. */
    void stop() {
        stopping = true;
        if (listener != null) {
            try {
                listener.close();
            } catch (IOException e) {
                LOG.debug("closing the listener failed", e);
            }
        }
        if (acceptor != null) {
            try {
                acceptor.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            acceptor = null;
        }
        List<FcLink> open = new ArrayList<>(connections);
        for (FcLink c : open) {
            c.close("FC target stopping");
        }
        for (FcLink c : open) {
            try {
                if (!c.awaitFinished(10_000)) {
                    LOG.warn("{} did not finish within 10 s", c);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        int unanswered = nexusReplies.awaitDestroys(5_000);
        if (unanswered > 0) {
            LOG.warn("nexus destruction not answered before the FC host closed ({} pending)", unanswered);
        }
        ScsiHost h = host;
        if (h != null) {
            h.close();
            host = null;
        }
        if (relativePortId != 0) {
            targetPorts.unregister(relativePortId);
            relativePortId = 0;
        }
        listener = null;
        if (!open.isEmpty()) {
            LOG.info("FC target stopped; {} links closed", open.size());
        }
    }

    /** The port the listener is bound to (for port 0), or -1. */
    int boundPort() {
        ServerSocket s = listener;
        return s == null ? -1 : s.getLocalPort();
    }

    private void accept() {
        ServerSocket server = listener;
        while (!stopping) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (SocketException e) {
                return;   // closed
            } catch (IOException e) {
                LOG.warn("accept failed: {}", e.toString());
                continue;
            }
            try {
                if (connections.size() >= settings.maxConnections()) {
                    refusedLinks.warn(LOG, "refusing FCIP link from {}: {} links open", socket.getRemoteSocketAddress(),
                            connections.size());
                    socket.close();
                    continue;
                }
                socket.setTcpNoDelay(true);
                socket.setKeepAlive(true);
                FcLink c = new FcLink(this, socket, connectionIds.incrementAndGet());
                connections.add(c);
                if (stopping) {
                    connections.remove(c);
                    socket.close();
                    return;
                }
                c.start();
            } catch (IOException | RuntimeException e) {
                LOG.warn("setting up an FCIP link failed: {}", e.toString());
                try {
                    socket.close();
                } catch (IOException again) {
                    LOG.debug("close failed", again);
                }
            }
        }
    }

    // ------------------------------------------------------------------ for connections

    Settings settings() {
        return settings;
    }

    ScsiHost host() {
        return host;
    }

    FcFabric fabric() {
        return fabric;
    }

    /** The target this port serves now, or null if there is none. */
    String targetName() {
        String configured = settings.target();
        List<TargetInfo> all = catalog.targets();
        String first = null;
        for (TargetInfo t : all) {
            if (!configured.isEmpty() && t.name().equalsIgnoreCase(configured)) {
                return t.name();
            }
            if (first == null || t.name().compareTo(first) < 0) {
                first = t.name();
            }
        }
        return configured.isEmpty() ? first : null;
    }

    /** Creates a nexus and waits for the daemon's answer. */
    Nexus createNexus(String initiatorPortName, String targetName) throws InterruptedException {
        ScsiHost h = host;
        long id = h.createNexus(initiatorPortName, targetName, relativePortId);
        NexusResult result = nexusReplies.awaitCreate(h, id, settings.nexusTimeoutMillis());
        if (result == null) {
            LOG.warn("the daemon did not answer nexus {} in time; destroying it", id);
        }
        return new Nexus(id, result);
    }

    void destroyNexus(long nexusId) {
        if (!nexusReplies.destroy(host, nexusId)) {
            LOG.debug("destroying nexus {} not queued (host closed)", nexusId);
        }
    }

    /** Queues a TMF behind everything submitted so far; {@code waiter} gets the answer. */
    void taskManagement(long nexusId, TaskManagementFunction function, long lun, int referencedTag, TmfWaiter waiter) {
        long mid;
        try {
            mid = host.taskManagement(nexusId, function, lun, referencedTag);
        } catch (RuntimeException e) {
            LOG.warn("{} not queued: {}", function, e.toString());
            waiter.tmfCompleted(TmfResponse.FUNCTION_REJECTED);
            return;
        }
        tmfReplies.await(mid, waiter::tmfCompleted);
    }

    void connectionClosed(FcLink c) {
        connections.remove(c);
    }

    /** Links currently open (for tests and diagnostics). */
    List<FcLink> connections() {
        return new ArrayList<>(connections);
    }

    // ------------------------------------------------------------------ HostCallbacks

    @Override
    public void commandCompleted(HostCommand command) {
        if (command.context() instanceof FcExchange x) {
            x.link.commandCompleted(x);
        } else {
            LOG.warn("completion of command {} that the FC driver did not submit", command.cid());
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
    }

    // ------------------------------------------------------------------ configuration

    static Settings settingsOf(Config c) {
        int frame = c.frameSize();
        if (frame < 256 || frame > FcipHeader.MAX_PAYLOAD || frame % 4 != 0) {
            throw new IllegalArgumentException("frameSize " + frame + " is not a multiple of 4 in 256..2112");
        }
        int burst = c.maxBurstLength();
        if (burst < 512 || burst % 4 != 0) {
            throw new IllegalArgumentException("maxBurstLength " + burst + " is not a multiple of 4 of at least 512");
        }
        return new Settings(c.target().trim(), parseWwn("portName", c.portName()), parseWwn("nodeName", c.nodeName()),
                frame, burst, Math.max(1, Math.min(c.maxExchanges(), 4096)), Math.max(1, c.maxConnections()),
                TimeUnit.SECONDS.toMillis(Math.max(1, c.nexusTimeoutSeconds())), Math.max(1, c.maxPortsPerLink()),
                (int) TimeUnit.SECONDS.toMillis(Math.max(1, Math.min(c.loginTimeoutSeconds(), 3600))),
                parseInitiators(c.targetResetInitiators()));
    }

    /** {@link Config#targetResetInitiators()}: the WWPNs, or null for "*" (any port). */
    static Set<Long> parseInitiators(String list) {
        Set<Long> ports = new HashSet<>();
        for (String item : list.split(",")) {
            String wwpn = item.trim();
            if (wwpn.equals("*")) {
                return null;
            }
            if (!wwpn.isEmpty()) {
                ports.add(parseWwn("targetResetInitiators", wwpn));
            }
        }
        return Set.copyOf(ports);
    }

    /** Whether the initiator port {@code wwpn} may send TARGET RESET (off unless configured). */
    boolean targetResetAllowed(long wwpn) {
        Set<Long> allowed = settings.targetResetInitiators();
        return allowed == null || allowed.contains(wwpn);
    }

    static long parseWwn(String what, String text) {
        String t = text.trim().replace(":", "");
        if (t.startsWith("0x") || t.startsWith("0X")) {
            t = t.substring(2);
        }
        if (t.length() != 16) {
            throw new IllegalArgumentException(what + " '" + text + "' is not 16 hex digits");
        }
        try {
            return Long.parseUnsignedLong(t, 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " '" + text + "' is not 16 hex digits", e);
        }
    }

    /** Parses {@code HOST:PORT}; an IPv6 host in brackets. */
    static InetSocketAddress parsePortal(String portal) {
        return Portal.parse(portal);
    }
}
