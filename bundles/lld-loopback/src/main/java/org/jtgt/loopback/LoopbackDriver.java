package org.jtgt.loopback;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.host.HostCallbacks;
import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.HostService;
import org.jtgt.api.host.NexusOperation;
import org.jtgt.api.host.NexusResult;
import org.jtgt.api.host.ResponseDelivery;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.loopback.LoopbackInitiator;
import org.jtgt.api.loopback.LoopbackSession;
import org.jtgt.api.loopback.ScsiResult;
import org.jtgt.api.target.TargetPorts;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loopback low-level driver: an in-process initiator with one SCSI host. Commands take the
 * full path (host queue, transport, daemon, backing store) and come back through
 * {@link HostCallbacks}.
 *
 * <p>Completions arrive on a transport thread. The driver copies Data-In and sense out of the
 * command slot there (the slot is freed by {@code done}), then completes the caller's future:
 * inline for {@link LoopbackSession#execute} (the only waiter is the caller's blocked thread),
 * and on the driver's own completion threads for {@link LoopbackSession#submit}, so that code
 * chained on the future (even a blocking {@code execute}) never runs on, or stalls, the
 * transport thread.
 *
 * <p>Every completed command gets exactly one {@code ScsiHost.done}: {@code DELIVERED} when the
 * response reached the caller, {@code NEXUS_LOST} when its session was closed first,
 * {@value #DONE_ABANDONED} (ECANCELED) when the caller gave up waiting or cancelled the future,
 * {@value #DONE_DELIVERY_FAILED} (EIO) when copying the response out failed.
 */
@Component(service = LoopbackInitiator.class, immediate = true)
@Designate(ocd = LoopbackDriver.Config.class)
public class LoopbackDriver implements LoopbackInitiator, HostCallbacks {
    /** Timeouts; all of them apply to the next request after a change, without a restart. */
    @ObjectClassDefinition(name = "jtgt loopback initiator", description = "Timeouts of the in-process SCSI initiator")
    @interface Config {
        @AttributeDefinition(name = "Login timeout (ms)",
                description = "How long login waits for the daemon to accept the I_T nexus")
        long loginTimeoutMillis() default 10_000;

        @AttributeDefinition(name = "Logout timeout (ms)",
                description = "How long closing a session waits for the daemon to confirm the nexus is gone")
        long logoutTimeoutMillis() default 5_000;

        @AttributeDefinition(name = "Command timeout (ms)",
                description = "How long execute() waits for a command; then it sends ABORT TASK and fails")
        long commandTimeoutMillis() default 60_000;

        @AttributeDefinition(name = "Task management timeout (ms)",
                description = "How long a task-management request waits for its response")
        long tmfTimeoutMillis() default 10_000;

        @AttributeDefinition(name = "Queue wait (ms)",
                description = "How long a command waits for a free slot in the host queue before failing with 'host queue full'")
        long allocateTimeoutMillis() default 5_000;
    }

    record Timeouts(long loginMillis, long logoutMillis, long commandMillis, long tmfMillis, long allocateMillis) {
        static Timeouts of(Config c) {
            return new Timeouts(positive(c.loginTimeoutMillis()), positive(c.logoutTimeoutMillis()),
                    positive(c.commandTimeoutMillis()), positive(c.tmfTimeoutMillis()), Math.max(0, c.allocateTimeoutMillis()));
        }

        private static long positive(long millis) {
            return Math.max(1, millis);
        }
    }

    static final String STOPPED = "loopback driver stopped";

    private static final Logger LOG = LoggerFactory.getLogger(LoopbackDriver.class);
    private static final byte[] NO_SENSE = new byte[0];
    /**
     * The loopback is one target port; the relative target port identifier it asks the daemon
     * for, clear of the iSCSI portals (1, 2, ...) and the FC port (256).
     */
    static final int PREFERRED_RELATIVE_PORT = 512;

    @Reference
    HostService hostService;

    @Reference
    TargetPorts targetPorts;

    /** The relative target port identifier the daemon gave this driver's port; 0 while not registered. */
    private volatile int relativePort;

    private volatile ScsiHost host;
    private volatile boolean stopped = true;
    private volatile Timeouts timeouts;
    private ExecutorService completions;
    /** ISID bytes B and C, random per activation (RFC 7143 10.12.5, random format). */
    private long isidRandom;
    private final AtomicInteger isidQualifier = new AtomicInteger();
    private final Map<Long, LoopbackSessionImpl> sessions = new ConcurrentHashMap<>();
    private final Replies<NexusResult> createReplies = new Replies<>();
    private final Replies<NexusResult> destroyReplies = new Replies<>();
    private final Replies<TmfResponse> tmfReplies = new Replies<>();

    @Activate
    void activate(Config config) {
        timeouts = Timeouts.of(config);
        AtomicInteger threads = new AtomicInteger();
        completions = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "jtgt-loopback-completion-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        isidRandom = ThreadLocalRandom.current().nextLong(1L << 24);
        host = hostService.addHost("loopback", this);
        relativePort = targetPorts.register("loopback", "SCSI host " + host.hostNo(), PREFERRED_RELATIVE_PORT);
        stopped = false;
        LOG.info("loopback driver active on SCSI host {}, relative target port {}", host.hostNo(), relativePort);
    }

    @Modified
    void modified(Config config) {
        timeouts = Timeouts.of(config);
    }

    /** Ends every session (pending commands fail with "loopback driver stopped"), then removes the host. */
    @Deactivate
    void deactivate() {
        stopped = true;
        List<CompletableFuture<NexusResult>> destroys = new ArrayList<>();
        for (LoopbackSessionImpl s : sessions.values()) {
            CompletableFuture<NexusResult> f = s.end(STOPPED);
            if (f != null) {
                destroys.add(f);
            }
        }
        if (!destroys.isEmpty()) {
            try {
                CompletableFuture.allOf(destroys.toArray(CompletableFuture[]::new))
                        .get(timeouts.logoutMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                LOG.warn("loopback driver stopping: the daemon did not confirm {} logouts in time", destroys.size());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.warn("loopback driver stopping: logout failed", e);
            }
        }
        IOException failure = new IOException(STOPPED);
        createReplies.failAll(failure);
        destroyReplies.failAll(failure);
        tmfReplies.failAll(failure);
        ScsiHost h = host;
        if (h != null) {
            h.close();
        }
        if (relativePort != 0) {
            targetPorts.unregister(relativePort);
            relativePort = 0;
        }
        completions.shutdown();
        LOG.info("loopback driver stopped, {} sessions ended", destroys.size());
    }

    @Override
    public LoopbackSession login(String initiatorName, String targetName) throws IOException {
        if (initiatorName == null || initiatorName.isBlank() || targetName == null || targetName.isBlank()) {
            throw new IllegalArgumentException("login needs an initiator name and a target name");
        }
        ScsiHost h = host;
        if (stopped || h == null) {
            throw new IOException(STOPPED);
        }
        String port = initiatorName + ",i,0x" + nextIsid();
        String what = "login of " + port + " to " + targetName;
        long nexusId = h.createNexus(port, targetName, relativePort);
        NexusResult result;
        try {
            result = createReplies.await(nexusId, createReplies.expect(nexusId), timeouts.loginMillis(), what);
        } catch (IOException e) {
            // The daemon may still accept the nexus; the host queue is ordered, so this follows it.
            destroyQuietly(h, nexusId);
            throw e;
        }
        if (result != NexusResult.OK) {
            throw new IOException(what + " refused: " + refusal(result));
        }
        LoopbackSessionImpl session = new LoopbackSessionImpl(this, h, nexusId, port, targetName);
        sessions.put(nexusId, session);
        if (stopped) { // deactivate ran meanwhile and did not see this session
            session.end(STOPPED);
            throw new IOException(STOPPED);
        }
        LOG.info("login {} to {} (nexus {})", port, targetName, nexusId);
        return session;
    }

    @Override
    public void commandCompleted(HostCommand cmd) {
        ScsiHost h = host;
        if (!(cmd.context() instanceof PendingCommand pc)) {
            LOG.warn("host {}: completion of command {} that the loopback did not submit", h.hostNo(), cmd.cid());
            h.done(cmd, ResponseDelivery.NEXUS_LOST);
            return;
        }
        cmd.setContext(null); // the slot is pooled: do not keep the caller's buffers reachable
        LoopbackSessionImpl session = pc.session;
        if (!session.pending.remove(pc) || pc.future.isDone()) {
            ResponseDelivery result = session.isClosed() ? ResponseDelivery.NEXUS_LOST : ResponseDelivery.ABANDONED;
            LOG.debug("host {}: command {} (tag 0x{}) completed for nobody: done {}", h.hostNo(), cmd.cid(),
                    Integer.toHexString(pc.tag), result);
            h.done(cmd, result);
            return;
        }
        ScsiResult result = null;
        RuntimeException failure = null;
        try {
            int senseLength = cmd.senseLength();
            byte[] sense = NO_SENSE;
            if (senseLength > 0) {
                sense = new byte[senseLength];
                int n = cmd.sense(sense);
                if (n < senseLength) {
                    sense = Arrays.copyOf(sense, Math.max(0, n));
                }
            }
            int delivered = 0;
            int produced = cmd.dataInLength();
            ByteBuffer in = pc.dataIn;
            if (in != null && produced > 0) {
                int position = in.position();
                delivered = Math.min(produced, in.remaining());
                cmd.getData(0, in.slice(position, delivered));
                in.position(position + delivered);
            }
            result = new ScsiResult(cmd.status(), sense, cmd.residual(), delivered, pc.tag);
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            h.done(cmd, failure == null ? ResponseDelivery.DELIVERED : ResponseDelivery.FAILED);
        }
        if (failure != null) {
            LOG.warn("host {}: delivering the response to tag 0x{} failed", h.hostNo(), Integer.toHexString(pc.tag), failure);
            complete(pc, null, new IOException("response could not be delivered: " + failure, failure));
        } else {
            complete(pc, result, null);
        }
    }

    @Override
    public void taskManagementCompleted(long mid, TmfResponse response) {
        if (!tmfReplies.deliver(mid, response)) {
            LOG.debug("task management {} answered {} after its requester gave up", mid, response);
        }
    }

    @Override
    public void nexusResult(long nexusId, NexusOperation op, NexusResult result) {
        switch (op) {
            case CREATE -> {
                if (!createReplies.deliver(nexusId, result)) {
                    LOG.debug("nexus {} created with result {} after its login gave up", nexusId, result);
                }
            }
            case DESTROY -> destroyReplies.deliver(nexusId, result);
        }
    }

    /** Completes a command's future; {@code submit} futures on the completion threads. */
    void complete(PendingCommand pc, ScsiResult result, Throwable failure) {
        if (pc.async) {
            try {
                completions.execute(() -> finish(pc, result, failure));
                return;
            } catch (RejectedExecutionException e) {
                // stopping: complete here
            }
        }
        finish(pc, result, failure);
    }

    private static void finish(PendingCommand pc, ScsiResult result, Throwable failure) {
        if (failure == null) {
            pc.future.complete(result);
        } else {
            pc.future.completeExceptionally(failure);
        }
    }

    void forget(LoopbackSessionImpl session) {
        sessions.remove(session.nexusId(), session);
    }

    Timeouts timeouts() {
        return timeouts;
    }

    Replies<NexusResult> destroyReplies() {
        return destroyReplies;
    }

    Replies<TmfResponse> tmfReplies() {
        return tmfReplies;
    }

    int sessionCount() {
        return sessions.size();
    }

    /**
     * A random-format ISID (RFC 7143 10.12.5): T = 10b, A = 0, B and C random per activation,
     * D counting sessions, so each session is a distinct initiator port.
     */
    private String nextIsid() {
        long isid = (0x80L << 40) | (isidRandom << 16) | (isidQualifier.incrementAndGet() & 0xFFFF);
        return String.format("%012x", isid);
    }

    private void destroyQuietly(ScsiHost h, long nexusId) {
        try {
            destroyReplies.expect(nexusId); // answered to nobody: nothing waits for it
            h.destroyNexus(nexusId);
        } catch (RuntimeException e) {
            LOG.debug("destroying abandoned nexus {} failed", nexusId, e);
        }
    }

    private static String refusal(NexusResult result) {
        return switch (result) {
            case NO_SUCH_TARGET -> "no such target";
            case ACCESS_DENIED -> "access denied (not in the target's ACL)";
            case EXISTS -> "nexus exists already or the daemon has no room for another";
            default -> "daemon answered " + result;
        };
    }
}
