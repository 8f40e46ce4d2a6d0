package org.jtgt.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.jtgt.api.event.EventFormatException;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.host.HostCallbacks;
import org.jtgt.api.host.HostService;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.host.TransportControl;
import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host side (the kernel's {@code scsi_tgt_lib} in Linux tgt): SCSI hosts for the LLDs, and
 * the binding of all of them to ONE active transport, chosen from the registered
 * {@link Transport} services.
 *
 * <p>Swapping the active transport — because its service went away, it failed, or the
 * configuration names another — is a protocol: quiesce (hosts keep accepting, nothing is
 * dispatched), drain (wait until everything sent on the old transport is answered), bind the
 * new one, resume. Nothing is lost or sent twice, and each host's order is kept because its
 * queue is only ever drained by one dispatcher at a time. The pause is measured.
 */
@Component(service = {HostService.class, TransportControl.class}, immediate = true, configurationPid = "org.jtgt.host")
@Designate(ocd = HostSide.Config.class)
public class HostSide implements HostService, TransportControl, EventSink {
    private static final Logger LOG = LoggerFactory.getLogger(HostSide.class);

    @ObjectClassDefinition(name = "jtgt host side", description = "Per-host queues and the active transport")
    public @interface Config {
        @AttributeDefinition(name = "Preferred transport", description = "jtgt.transport name to bind when registered "
                + "(direct, shm, netlink); otherwise the highest-ranked registered transport. Applied without restart.")
        String transport() default "direct";

        @AttributeDefinition(name = "Commands per host", description = "Command slots of each SCSI host: bounds what one "
                + "LLD port may have outstanding. Applies to hosts added after the change.")
        int commandsPerHost() default 1024;

        @AttributeDefinition(name = "Max data length", description = "Largest data buffer of one command, bytes. "
                + "Applies to hosts added after the change.")
        int maxDataLength() default 8 * 1024 * 1024;

        @AttributeDefinition(name = "Staging area size", description = "Bytes for the data of commands accepted while no "
                + "transport is bound. Needs a restart of the component.")
        int stagingAreaSize() default 64 * 1024 * 1024;

        @AttributeDefinition(name = "Drain timeout", description = "Seconds a swap waits for the old transport to answer "
                + "what is in flight before failing those commands.")
        int drainTimeoutSeconds() default 30;

        @AttributeDefinition(name = "Session data share (%)", description = "Most of the data area one session (I_T "
                + "nexus) may hold, percent; never less than one command of the max data length. A command over it "
                + "waits in its own session. Applied without restart.")
        int sessionDataSharePercent() default 25;

        @AttributeDefinition(name = "Session command share (%)", description = "Most of a host's command slots one "
                + "session may hold, percent (at least one slot). Applied without restart.")
        int sessionCommandSharePercent() default 25;

        @AttributeDefinition(name = "Host data share (%)", description = "Most of the data area one SCSI host (LLD "
                + "port) may hold, percent, besides the first command of each session. Applied without restart.")
        int hostDataSharePercent() default 50;

        @AttributeDefinition(name = "Reserve (%)", description = "Part of the data area (at least one command of the "
                + "max data length) and of each host's command slots that only a session holding nothing may take, "
                + "so every session can always get a command in. Applied without restart.")
        int reservePercent() default 25;
    }

    private final Object swapLock = new Object();
    /** Registered transports with their service properties, guarded by swapLock. */
    private final Map<Transport, Map<String, Object>> candidates = new LinkedHashMap<>();
    /** Transports whose endpoint failed; not chosen again until re-registered. Guarded by swapLock. */
    private final Set<Transport> failed = new HashSet<>();

    /** The binding commands are dispatched to; null while quiesced or unbound. */
    private volatile TransportBinding active;
    /** The binding being drained during a swap: answers still arrive on it. */
    private volatile TransportBinding draining;

    private volatile HostQueue[] hosts = new HostQueue[0];
    private final AtomicLong ids = new AtomicLong();
    private final ThreadLocal<ByteBuffer> scratch =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(EventHeader.MAX_RECORD_LENGTH));

    private volatile Config config;
    /**
     * The transport chosen through {@link #swapTo(String)}: takes precedence over
     * {@link Config#transport()} until the configuration changes. Guarded by swapLock.
     */
    private String chosen;
    private volatile StagingArea staging;
    private volatile boolean activated;

    /** The shares in force; replaced whole on a configuration change. */
    private volatile ShareLimits shareLimits;
    /** Data held by the commands of every host, in whole accounting blocks (ShareLimits.UNIT). */
    private final AtomicLong heldBytes = new AtomicLong();

    private final SwapStatistics swaps = new SwapStatistics();
    private final AtomicLong relocations = new AtomicLong();

    // ------------------------------------------------------------------ lifecycle

    @Activate
    void activate(Config config) {
        this.config = config;
        this.shareLimits = limitsOf(config);
        this.staging = new StagingArea(config.stagingAreaSize());
        synchronized (swapLock) {
            activated = true;
            reselect("activated");
        }
    }

    @Modified
    void modified(Config config) {
        this.config = config;
        this.shareLimits = limitsOf(config);
        synchronized (swapLock) {
            chosen = null; // the newest instruction wins
            reselect("configuration names " + config.transport());
        }
    }

    @Deactivate
    void deactivate() {
        synchronized (swapLock) {
            activated = false;
            swapTo(null, "host side stopping");
        }
        for (HostQueue h : hosts) {
            if (h != null && !h.isClosed()) {
                LOG.warn("{} still registered while the host side stops", h);
            }
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindTransport(Transport transport, Map<String, Object> properties) {
        synchronized (swapLock) {
            candidates.put(transport, properties);
            failed.remove(transport);
            if (activated) {
                reselect("transport " + transport.name() + " registered");
            }
        }
    }

    void unbindTransport(Transport transport) {
        synchronized (swapLock) {
            candidates.remove(transport);
            failed.remove(transport);
            TransportBinding a = active;
            if (activated && a != null && a.transport == transport) {
                reselect("transport " + transport.name() + " unregistered");
            }
        }
    }

    // ------------------------------------------------------------------ HostService

    @Override
    public ScsiHost addHost(String driverName, HostCallbacks callbacks) {
        Config c = config;
        if (c == null) {
            throw new IllegalStateException("host side is not active");
        }
        synchronized (swapLock) {
            HostQueue[] old = hosts;
            HostQueue[] grown = java.util.Arrays.copyOf(old, old.length + 1);
            HostQueue host = new HostQueue(this, old.length, driverName, callbacks, c.commandsPerHost(), c.maxDataLength());
            grown[old.length] = host;
            hosts = grown;
            LOG.info("SCSI host {} added for {} ({} command slots)", host.hostNo(), driverName, c.commandsPerHost());
            return host;
        }
    }

    private static ShareLimits limitsOf(Config c) {
        return new ShareLimits(c.sessionDataSharePercent(), c.sessionCommandSharePercent(), c.hostDataSharePercent(),
                c.reservePercent(), c.maxDataLength(), c.commandsPerHost());
    }

    ShareLimits shareLimits() {
        return shareLimits;
    }

    /**
     * Counts {@code units} more bytes as held by some host's command if the total stays within
     * {@code limit}; whether it did. A CAS loop, so hosts (each with its own lock) never overshoot.
     */
    boolean holdData(long units, long limit) {
        while (true) {
            long held = heldBytes.get();
            if (held + units > limit) {
                return false;
            }
            if (heldBytes.compareAndSet(held, held + units)) {
                return true;
            }
        }
    }

    void releaseData(long units) {
        heldBytes.addAndGet(-units);
    }

    /** Data held by the commands of every host (whole blocks), for diagnostics and tests. */
    long heldBytes() {
        return heldBytes.get();
    }

    /** The hosts added so far (closed ones included), for diagnostics and tests. */
    HostQueue[] hosts() {
        return hosts;
    }

    void hostClosed(HostQueue host) {
        // Host numbers are never reused: answers still in flight for a closed host find it and
        // are acknowledged with CMD_DONE(NEXUS_LOST).
    }

    // ------------------------------------------------------------------ the active transport

    /** The binding to dispatch to, or null while quiesced/unbound. */
    TransportBinding activeBinding() {
        TransportBinding b = active;
        return b != null && b.usable() ? b : null;
    }

    /** Where a new command's data buffer goes. */
    DataArea allocationArea() {
        TransportBinding b = active;
        return b != null && b.usable() ? b.area : staging;
    }

    /** Where KEVENT_CMD_DONE records go: any transport still able to reach the daemon. */
    TransportEndpoint doneEndpoint() {
        TransportBinding b = active;
        if (b != null && b.usable()) {
            return b.endpoint;
        }
        b = draining;
        return b != null && b.usable() ? b.endpoint : null;
    }

    long nextId() {
        return ids.incrementAndGet();
    }

    ByteBuffer scratch() {
        return scratch.get();
    }

    void countRelocation() {
        relocations.incrementAndGet();
    }

    /** Last and worst swap pause, and how many swaps there were. */
    public SwapStatistics swapStatistics() {
        return swaps;
    }

    // ------------------------------------------------------------------ TransportControl

    @Override
    public String activeTransport() {
        TransportBinding b = active;
        return b == null ? null : b.name;
    }

    @Override
    public List<TransportState> transports() {
        synchronized (swapLock) {
            TransportBinding a = active;
            List<TransportState> states = new ArrayList<>();
            for (Transport t : candidates.keySet()) {
                states.add(new TransportState(t.name(), a != null && a.transport == t, failed.contains(t)));
            }
            return states;
        }
    }

    @Override
    public SwapRecord swapTo(String name) {
        synchronized (swapLock) {
            Transport target = null;
            for (Transport t : candidates.keySet()) {
                if (t.name().equals(name)) {
                    target = t;
                }
            }
            if (target == null) {
                List<String> names = new ArrayList<>();
                for (Transport t : candidates.keySet()) {
                    names.add(t.name());
                }
                throw new IllegalArgumentException("no transport named '" + name + "' is registered (registered: "
                        + (names.isEmpty() ? "none" : String.join(", ", names)) + ")");
            }
            if (!activated) {
                throw new IllegalStateException("host side is not active");
            }
            chosen = name;
            failed.remove(target); // asked for by name: try it again even if it failed before
            TransportBinding a = active;
            if (a != null && a.transport == target && a.usable()) {
                return new SwapRecord(name, name, "already active", 0, 0);
            }
            return swapTo(target, "asked for " + name);
        }
    }

    @Override
    public SwapSummary swapSummary() {
        return swaps.summary();
    }

    /** Commands whose data was copied between areas because they were accepted during a swap. */
    public long relocations() {
        return relocations.get();
    }

    private void reselect(String why) {
        Transport best = choose();
        TransportBinding a = active;
        if (a != null && a.transport == best && a.usable()) {
            return;
        }
        swapTo(best, why);
    }

    private Transport choose() {
        String preferred = chosen != null ? chosen : config == null ? null : config.transport();
        List<Map.Entry<Transport, Map<String, Object>>> usable = new ArrayList<>();
        for (Map.Entry<Transport, Map<String, Object>> e : candidates.entrySet()) {
            if (!failed.contains(e.getKey())) {
                usable.add(e);
            }
        }
        if (usable.isEmpty()) {
            return null;
        }
        usable.sort(Comparator
                .comparing((Map.Entry<Transport, Map<String, Object>> e) ->
                        !String.valueOf(e.getValue().get(Transport.NAME_PROPERTY)).equals(preferred))
                .thenComparing(e -> -number(e.getValue().get(Constants.SERVICE_RANKING)))
                .thenComparing(e -> number(e.getValue().get(Constants.SERVICE_ID))));
        return usable.get(0).getKey();
    }

    private static long number(Object o) {
        return o instanceof Number ? ((Number) o).longValue() : 0L;
    }

    /**
     * Attach, quiesce, drain, bind, resume, detach. Called with swapLock held; never calls into
     * the transport's delivery threads' locks, so answers keep flowing while it waits.
     *
     * <p>Make before break: the new transport is attached before the queues are quiesced (an
     * endpoint says nothing until it is spoken to), and the old endpoint is closed after they
     * resume, so the pause covers only the drain and the switch, not what a transport costs to
     * set up or tear down. Only a transport swapped to itself (its old endpoint unusable) is
     * detached first, since a transport need not take a second host endpoint.
     */
    private SwapRecord swapTo(Transport next, String why) {
        TransportBinding old = active;
        if (old != null && old.transport == next) {
            old.endpoint.close();
        }
        TransportBinding bound = null;
        while (next != null && bound == null) {
            try {
                bound = new TransportBinding(next, next.attachHost(this));
            } catch (IOException | RuntimeException e) {
                LOG.error("cannot attach to transport {}: {}", next.name(), e.toString());
                failed.add(next);
                next = choose();
                if (old != null && old.transport == next) {
                    next = null; // the old binding cannot be re-entered; the hosts wait unbound
                }
            }
        }

        long start = System.nanoTime();
        // Draining before quiescing: the old endpoint's answers are matched by bindingOf, which
        // reads active and then draining, so the old binding must be one of the two at every
        // moment. The other order left a window in which an answer arriving between the two
        // stores matched neither, was dropped as coming from a released endpoint, and its
        // command stayed in flight until the drain timed out.
        draining = old;
        active = null;
        awaitDispatchersIdle();
        int drained = 0;
        if (old != null) {
            drained = old.inFlight.get();
            long deadline = start + TimeUnit.SECONDS.toNanos(config == null ? 30 : config.drainTimeoutSeconds());
            while (old.inFlight.get() > 0 && old.usable() && System.nanoTime() - deadline < 0) {
                flushAllDone();
                LockSupport.parkNanos(100_000);
            }
            flushAllDone();
            if (old.inFlight.get() > 0) {
                LOG.error("transport {} left {} requests unanswered ({}); failing them", old.name, old.inFlight.get(),
                        old.usable() ? "drain timed out" : "transport failed");
                for (HostQueue h : hosts) {
                    h.failInFlight(old);
                }
            }
            draining = null;
        }
        active = bound;
        long pause = System.nanoTime() - start;
        for (HostQueue h : hosts) {
            h.flushDone();
            h.dispatch();
        }
        if (old != null) {
            old.endpoint.close();
        }
        if (old != null || bound != null) {
            swaps.record(pause);
            LOG.info("transport {} -> {} ({}): paused {} us, drained {} requests", old == null ? "(none)" : old.name,
                    bound == null ? "(none)" : bound.name, why, TimeUnit.NANOSECONDS.toMicros(pause), drained);
        }
        return new SwapRecord(old == null ? null : old.name, bound == null ? null : bound.name, why,
                TimeUnit.NANOSECONDS.toMicros(pause), drained);
    }

    /**
     * Dispatches every other host whose last dispatch was refused by the transport: room in the
     * shared ring, ACK window or data area may just have been made by {@code except}'s traffic.
     * One volatile read per host when nothing is stalled.
     */
    void retryStalled(HostQueue except) {
        for (HostQueue h : hosts) {
            if (h != except && h.isStalled() && !h.isClosed()) {
                h.dispatch();
            }
        }
    }

    private void awaitDispatchersIdle() {
        for (HostQueue h : hosts) {
            while (h.isDispatching()) {
                Thread.onSpinWait();
            }
        }
    }

    private void flushAllDone() {
        for (HostQueue h : hosts) {
            h.flushDone();
        }
    }

    /**
     * The binding broke the protocol or its transport reported a failure: mark it failed, answer
     * what was in flight on it, and move to another transport. Runs the swap on a thread of its
     * own because this is called on the transport's delivery thread, which the swap must not
     * wait for.
     */
    private void failBinding(TransportBinding b, String reason) {
        if (b.failed) {
            return;
        }
        b.failed = true;
        LOG.error("transport {} failed: {}", b.name, reason);
        Thread t = new Thread(() -> {
            synchronized (swapLock) {
                failed.add(b.transport);
                for (HostQueue h : hosts) {
                    h.failInFlight(b);
                }
                if (activated && (active == b || active == null)) {
                    reselect("transport " + b.name + " failed");
                }
            }
        }, "jtgt-host-failover");
        t.setDaemon(true);
        t.start();
    }

    private TransportBinding bindingOf(TransportEndpoint endpoint) {
        TransportBinding b = active;
        if (b != null && b.endpoint == endpoint) {
            return b;
        }
        b = draining;
        return b != null && b.endpoint == endpoint ? b : null;
    }

    // ------------------------------------------------------------------ daemon → host events

    @Override
    public void onEvent(ByteBuffer buffer, int offset, int length, TransportEndpoint from) {
        TransportBinding b = bindingOf(from);
        if (b == null || b.failed) {
            return; // an endpoint we have let go of; nothing it says can be trusted or matched
        }
        int hostNo = EventHeader.hostNo(buffer, offset);
        HostQueue[] hs = hosts;
        try {
            if (hostNo < 0 || hostNo >= hs.length) {
                throw new EventFormatException("event for unknown host " + hostNo);
            }
            HostQueue host = hs[hostNo];
            EventType type = EventType.fromCode(EventHeader.type(buffer, offset));
            if (type == EventType.UEVENT_CMD_RSP) {
                host.onCommandResponse(buffer, offset, from);
            } else if (type == EventType.UEVENT_TSK_MGMT_RSP) {
                host.onTmfResponse(buffer, offset, from);
            } else if (type == EventType.UEVENT_IT_NEXUS_RSP) {
                host.onNexusResponse(buffer, offset, from);
            } else {
                throw new EventFormatException(type + " is not an event the daemon sends");
            }
            host.flushDone();
            host.dispatch();
            retryStalled(host);
        } catch (EventFormatException e) {
            failBinding(b, e.getMessage());
        }
    }

    @Override
    public void onTransportFailure(TransportEndpoint endpoint, String reason) {
        TransportBinding b = bindingOf(endpoint);
        if (b != null) {
            failBinding(b, reason);
        }
    }
}
