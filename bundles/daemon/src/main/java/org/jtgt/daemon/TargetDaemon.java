package org.jtgt.daemon;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jtgt.api.metrics.DaemonMetrics;
import org.jtgt.api.metrics.NexusMetrics;
import org.jtgt.api.metrics.UnitMetrics;
import org.jtgt.api.store.BackingStore;
import org.jtgt.api.target.IoStatistics;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.NexusInfo;
import org.jtgt.api.target.LunMaps;
import org.jtgt.api.target.PortGroup;
import org.jtgt.api.target.PortGroupAdmin;
import org.jtgt.api.target.PortGroupListener;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.target.TargetCatalog;
import org.jtgt.api.target.TargetInfo;
import org.jtgt.api.target.TargetPorts;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The target daemon (tgtd) as a component: it binds the transports and wires the two planes
 * that share one {@link DaemonState} (targets, nexus table, port table, task tables).
 * <ul>
 *   <li>The data plane, {@link EventDispatcher}: events from every bound transport, run inline
 *       on the delivering thread ({@link TaskRouter}, {@link CommandTable}) and answered through
 *       the endpoint each came from.</li>
 *   <li>The control plane, {@link TargetControl}: the {@link TargetAdmin} and
 *       {@link TargetPorts} services this component registers; {@link LunMapControl}: its
 *       {@link LunMaps} service.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * Events arrive on the transports' threads, administration from anywhere. The event path takes
 * no lock for commands: targets, LUN maps and the nexus table are immutable snapshots behind
 * volatile fields, replaced under the admin lock by administration and nexus login/logout. Each
 * delivering thread owns one preallocated {@link CommandContext}.
 *
 * <h2>Transports</h2>
 * A greedy, dynamic, multiple reference: every transport service gets the daemon attached. On
 * unbind the endpoint is only forgotten, never closed: the transport closes it in its own
 * deactivate after the host side, another consumer of the same service event, has drained what
 * is outstanding, and until then the daemon keeps answering on it (the order in which consumers
 * see an unregistration is undefined).
 */
@Component(service = {TargetAdmin.class, TargetCatalog.class, TargetPorts.class, LunMaps.class, PortGroupAdmin.class,
    DaemonMetrics.class}, immediate = true)
public final class TargetDaemon implements EventSink, TargetAdmin, TargetPorts, LunMaps, PortGroupAdmin, DaemonMetrics {
    private static final Logger LOG = LoggerFactory.getLogger(TargetDaemon.class);

    /** What one command may carry by default; Block Limits reports it in blocks. */
    public static final int DEFAULT_MAX_TRANSFER_BYTES = 8 << 20;

    private final DaemonState state = new DaemonState();
    private final EventDispatcher events;
    private final TargetControl control;
    private final LunMapControl lunMaps;
    private final PortGroupControl portGroups = new PortGroupControl(state);
    private final MetricsView metrics = new MetricsView(state);
    private final Map<Transport, TransportEndpoint> endpoints = new ConcurrentHashMap<>();

    /** Framework property naming the configuration directory (the launcher's {@code --config}), as the admin bundle reads it. */
    public static final String CONFIG_DIR_PROPERTY = "jtgt.config.dir";
    /** Framework property naming this process's role ({@code embedded}, {@code front}, {@code daemon}). */
    public static final String ROLE_PROPERTY = "jtgt.role";
    /** Set by the launcher of a daemon process: whether a front process was running when it started. */
    public static final String FRONT_RUNNING_PROPERTY = "jtgt.front.running";
    /**
     * Framework or system property: worker threads per logical unit whose store blocks (a file),
     * 1 to 256, default 8 (Linux tgt's {@code bs_rdwr} runs 16 per LUN).
     */
    public static final String STORE_THREADS_PROPERTY = "jtgt.store.threads";
    /**
     * Framework or system property: {@code false} sends every READ over a store that blocks to
     * the unit's workers, as before store API 1.10; by default one the store has at hand (a
     * file's page-cache hit) is read on the thread that delivered it.
     */
    public static final String STORE_READ_NOW_PROPERTY = "jtgt.store.readNow";
    /**
     * Framework or system property: {@code false} sends every command over a store that blocks
     * to the unit's workers; by default a command that is its connection's only one runs on the
     * thread that delivered it when that thread can hand its roles over ({@code HandOff}: an
     * iSCSI connection's reader with the in-process transport).
     */
    public static final String STORE_HAND_OFF_PROPERTY = "jtgt.store.handOff";

    public TargetDaemon() {
        this(DEFAULT_MAX_TRANSFER_BYTES);
    }

    /** @param maxTransferBytes the most one command may read or write (Block Limits VPD) */
    TargetDaemon(int maxTransferBytes) {
        this.control = new TargetControl(state, maxTransferBytes);
        this.lunMaps = new LunMapControl(state);
        this.events = new EventDispatcher(state);
    }

    /** The state directory: {@code jtgt.config.dir} when set, else this bundle's data area. */
    @Activate
    void activate(BundleContext context) {
        String threads = context.getProperty(STORE_THREADS_PROPERTY);
        if (threads != null) {
            try {
                control.storeThreads(Integer.parseInt(threads.trim()));
            } catch (IllegalArgumentException e) {
                LOG.error("{}={} ignored: {}; using {}", STORE_THREADS_PROPERTY, threads,
                        e instanceof NumberFormatException ? "not a number" : e.getMessage(), UnitWorkers.DEFAULT_THREADS);
            }
        }
        Boolean readNow = flag(context, STORE_READ_NOW_PROPERTY);
        if (readNow != null) {
            control.readNow(readNow);
        }
        Boolean handOff = flag(context, STORE_HAND_OFF_PROPERTY);
        if (handOff != null) {
            control.handOff(handOff);
        }
        String dir = context.getProperty(CONFIG_DIR_PROPERTY);
        File data = dir == null ? context.getDataFile("") : null;
        stateDirectory(dir != null ? Path.of(dir) : data != null ? data.toPath() : null);
        if ("daemon".equals(context.getProperty(ROLE_PROPERTY)) && dir != null) {
            // The split shape's daemon: the target lives on in the front while this process
            // restarts, so its reservations must too. Started while no front runs, the target
            // starts cold, as from a power loss, and keeps only APTPL state.
            keptStateDirectory(Path.of(dir), Boolean.parseBoolean(context.getProperty(FRONT_RUNNING_PROPERTY)));
        }
    }

    /** A true/false property; null if unset, or (logged) if it is neither. */
    private static Boolean flag(BundleContext context, String name) {
        String value = context.getProperty(name);
        if (value == null) {
            return null;
        }
        if (value.trim().equalsIgnoreCase("false") || value.trim().equalsIgnoreCase("true")) {
            return Boolean.parseBoolean(value.trim());
        }
        LOG.error("{}={} ignored: not true or false; using true", name, value);
        return null;
    }

    /** The split shape's daemon: keeps every unit's reservations in {@code dir} for the next daemon process. */
    void keptStateDirectory(Path dir, boolean warm) {
        control.keptStateDirectory(dir, warm);
    }

    /** Worker threads per unit whose store blocks, for units added from now on. */
    void storeThreads(int threads) {
        control.storeThreads(threads);
    }

    /** Whether READs over a store that blocks are tried on the delivering thread first, for units added from now on. */
    void readNow(boolean on) {
        control.readNow(on);
    }

    /** Whether commands over a store that blocks may run on a delivering thread that hands its roles over, for units added from now on. */
    void handOff(boolean on) {
        control.handOff(on);
    }

    /** Sets where APTPL state lives, for units added from now on. */
    void stateDirectory(Path dir) {
        control.stateDirectory(dir);
    }

    // =========================== transports ===========================

    @Reference(name = "transport", service = Transport.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            unbind = "unbindTransport")
    void bindTransport(Transport transport, Map<String, Object> properties) {
        String name = String.valueOf(properties.get(Transport.NAME_PROPERTY));
        try {
            TransportEndpoint endpoint = transport.attachDaemon(this);
            endpoints.put(transport, endpoint);
            LOG.info("Attached to transport {}", name);
        } catch (IOException | RuntimeException e) {
            LOG.error("Cannot attach to transport {}; it stays unused", name, e);
        }
    }

    void unbindTransport(Transport transport, Map<String, Object> properties) {
        if (endpoints.remove(transport) != null) {
            // Not closed here: the transport closes it after the host side has drained.
            LOG.info("Transport {} went away; answering on its endpoint until it closes",
                    properties.get(Transport.NAME_PROPERTY));
        }
    }

    @Deactivate
    void deactivate() {
        List<TransportEndpoint> open = new ArrayList<>(endpoints.values());
        endpoints.clear();
        for (TransportEndpoint e : open) {
            e.close();
        }
        int closed = control.closeAll();
        LOG.info("Target daemon stopped; {} logical unit(s) closed", closed);
    }

    // =========================== events: the data plane ===========================

    @Override
    public void onEvent(ByteBuffer buffer, int offset, int length, TransportEndpoint from) {
        events.onEvent(buffer, offset, length, from);
    }

    @Override
    public void onTransportFailure(TransportEndpoint endpoint, String reason) {
        LOG.error("Transport {} failed: {}", endpoint.transport() == null ? "?" : endpoint.transport().name(), reason);
        endpoints.values().remove(endpoint);
    }

    // =========================== TargetAdmin, TargetPorts: the control plane ===========================

    @Override
    public void createTarget(String name) {
        control.createTarget(name);
    }

    @Override
    public void createClosedTarget(String name) {
        control.createClosedTarget(name);
    }

    @Override
    public void deleteTarget(String name, boolean force) {
        control.deleteTarget(name, force);
    }

    @Override
    public void closeTarget(String name) {
        control.closeTarget(name);
    }

    @Override
    public void reopenTarget(String name) {
        control.reopenTarget(name);
    }

    @Override
    public void addLun(String targetName, int lun, BackingStore store, int blockSize, LunOptions options) {
        control.addLun(targetName, lun, store, blockSize, options);
    }

    @Override
    public void removeLun(String targetName, int lun) {
        control.removeLun(targetName, lun);
    }

    @Override
    public void resizeLun(String targetName, int lun, long newSizeBytes) {
        control.resizeLun(targetName, lun, newSizeBytes);
    }

    @Override
    public void setLunOptions(String targetName, int lun, LunOptions options) {
        control.setLunOptions(targetName, lun, options);
    }

    @Override
    public void setAcl(String targetName, List<String> initiators) {
        control.setAcl(targetName, initiators);
    }

    @Override
    public List<TargetInfo> targets() {
        return control.targets();
    }

    @Override
    public List<NexusInfo> nexuses() {
        return control.nexuses();
    }

    @Override
    public IoStatistics lunStatistics(String targetName, int lun) {
        return control.lunStatistics(targetName, lun);
    }

    @Override
    public List<UnitMetrics> unitMetrics() {
        return metrics.unitMetrics();
    }

    @Override
    public List<NexusMetrics> nexusMetrics() {
        return metrics.nexusMetrics();
    }

    @Override
    public int register(String driver, String description, int preferredId) {
        return control.register(driver, description, preferredId);
    }

    @Override
    public void unregister(int relativeId) {
        control.unregister(relativeId);
    }

    @Override
    public List<TargetPorts.Port> ports() {
        return control.ports();
    }

    // =========================== LunMaps ===========================

    @Override
    public void setLunMap(String targetName, String initiator, Map<Integer, Integer> map) {
        lunMaps.setLunMap(targetName, initiator, map);
    }

    @Override
    public Map<String, Map<Integer, Integer>> lunMaps(String targetName) {
        return lunMaps.lunMaps(targetName);
    }

    // =========================== PortGroupAdmin: asymmetric access ===========================

    @Override
    public void setPortGroups(String targetName, List<PortGroup> groups) {
        portGroups.setPortGroups(targetName, groups);
    }

    @Override
    public List<PortGroup> portGroups(String targetName) {
        return portGroups.portGroups(targetName);
    }

    /** Told of access states changed by SET TARGET PORT GROUPS (the config bundle keeps them). */
    @Reference(name = "portGroupListener", cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, unbind = "unbindPortGroupListener")
    void bindPortGroupListener(PortGroupListener listener) {
        state.ports.addListener(listener);
    }

    void unbindPortGroupListener(PortGroupListener listener) {
        state.ports.removeListener(listener);
    }

    // =========================== for tests ===========================

    /** The nexus (host, id), or {@code null}. */
    Nexus nexus(int hostNo, long nexusId) {
        return state.nexuses.get(hostNo, nexusId);
    }
}
