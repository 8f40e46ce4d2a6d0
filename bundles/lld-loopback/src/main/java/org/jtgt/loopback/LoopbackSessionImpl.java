package org.jtgt.loopback;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.NexusResult;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.loopback.LoopbackSession;
import org.jtgt.api.loopback.ScsiResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One I_T nexus of the loopback initiator. LUNs are plain numbers (0..16383), sent SAM-encoded.
 * Every command is SIMPLE and carries the next initiator task tag (0xFFFFFFFF, reserved by
 * RFC 7143 11.2.1.8, is skipped).
 */
final class LoopbackSessionImpl implements LoopbackSession {
    private static final Logger LOG = LoggerFactory.getLogger(LoopbackSessionImpl.class);
    private static final int RESERVED_TAG = 0xFFFFFFFF;

    private final LoopbackDriver driver;
    private final ScsiHost host;
    private final long nexusId;
    private final String initiatorPort;
    private final String targetName;
    private final AtomicInteger tags = new AtomicInteger();
    /** Commands submitted and not yet answered, failed or abandoned. */
    final Set<PendingCommand> pending = ConcurrentHashMap.newKeySet();
    /** Null while open; afterwards the message commands fail with. */
    private volatile String closedReason;

    LoopbackSessionImpl(LoopbackDriver driver, ScsiHost host, long nexusId, String initiatorPort, String targetName) {
        this.driver = driver;
        this.host = host;
        this.nexusId = nexusId;
        this.initiatorPort = initiatorPort;
        this.targetName = targetName;
    }

    long nexusId() {
        return nexusId;
    }

    boolean isClosed() {
        return closedReason != null;
    }

    @Override
    public ScsiResult execute(long lun, byte[] cdb, ByteBuffer dataOut, ByteBuffer dataIn) throws IOException {
        PendingCommand pc = start(lun, cdb, dataOut, dataIn, false);
        long timeout = driver.timeouts().commandMillis();
        try {
            return pc.future.get(timeout, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw asIoException(e.getCause());
        } catch (TimeoutException e) {
            if (pending.remove(pc)) {
                abortTask(pc);
                throw new IOException("command with tag 0x" + Integer.toHexString(pc.tag) + " on " + initiatorPort
                        + " timed out after " + timeout + " ms; ABORT TASK sent");
            }
            return answerInFlight(pc);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (pending.remove(pc)) {
                abortTask(pc);
                throw new InterruptedIOException("interrupted waiting for the command with tag 0x"
                        + Integer.toHexString(pc.tag) + "; ABORT TASK sent");
            }
            return answerInFlight(pc);
        }
    }

    @Override
    public CompletableFuture<ScsiResult> submit(long lun, byte[] cdb, ByteBuffer dataOut, ByteBuffer dataIn) {
        try {
            return start(lun, cdb, dataOut, dataIn, true).future;
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public TmfResponse taskManagement(TaskManagementFunction function, long lun, int referencedTag) throws IOException {
        Objects.requireNonNull(function, "function");
        long samLun = SamLun.encode(lun);
        checkOpen();
        long mid = host.taskManagement(nexusId, function, samLun, referencedTag);
        Replies<TmfResponse> replies = driver.tmfReplies();
        return replies.await(mid, replies.expect(mid), driver.timeouts().tmfMillis(),
                function + " on " + initiatorPort);
    }

    @Override
    public int nextTag() {
        int t = tags.get();
        return t == RESERVED_TAG ? 0 : t;
    }

    /** Ends the nexus and waits briefly for the daemon to confirm. */
    @Override
    public void close() {
        CompletableFuture<NexusResult> destroyed = end("session closed");
        if (destroyed == null) {
            return;
        }
        try {
            NexusResult result = driver.destroyReplies().await(nexusId, destroyed, driver.timeouts().logoutMillis(),
                    "logout of " + initiatorPort);
            if (result != NexusResult.OK) {
                LOG.warn("logout of {} from {}: daemon answered {}", initiatorPort, targetName, result);
            }
        } catch (IOException e) {
            LOG.warn("logout of {} from {}: {}", initiatorPort, targetName, e.getMessage());
        }
    }

    /**
     * Stops the session: no new commands, pending ones fail with {@code reason}, the nexus is
     * destroyed. Does not wait.
     *
     * @return the daemon's answer to the destroy request, or null if the session was closed already
     */
    CompletableFuture<NexusResult> end(String reason) {
        synchronized (this) {
            if (closedReason != null) {
                return null;
            }
            closedReason = reason;
        }
        driver.forget(this);
        IOException failure = new IOException(reason);
        int failed = 0;
        for (PendingCommand pc : pending) {
            if (pending.remove(pc)) {
                driver.complete(pc, null, failure);
                failed++;
            }
        }
        Replies<NexusResult> replies = driver.destroyReplies();
        CompletableFuture<NexusResult> destroyed = replies.expect(nexusId);
        try {
            host.destroyNexus(nexusId);
        } catch (RuntimeException e) {
            replies.abandon(nexusId);
            LOG.warn("logout of {}: destroying nexus {} failed", initiatorPort, nexusId, e);
            return CompletableFuture.completedFuture(NexusResult.OK);
        }
        LOG.info("logout {} from {} (nexus {}): {}, {} commands failed", initiatorPort, targetName, nexusId, reason, failed);
        return destroyed;
    }

    private PendingCommand start(long lun, byte[] cdb, ByteBuffer dataOut, ByteBuffer dataIn, boolean async)
            throws IOException {
        Objects.requireNonNull(cdb, "cdb");
        if (cdb.length < 6 || cdb.length > CmdReqEvent.MAX_CDB_LENGTH) {
            throw new IllegalArgumentException("CDB of " + cdb.length + " bytes outside 6.." + CmdReqEvent.MAX_CDB_LENGTH);
        }
        if (dataOut != null && dataIn != null) {
            throw new IllegalArgumentException("bidirectional commands are not supported");
        }
        long samLun = SamLun.encode(lun);
        DataDirection direction = dataOut != null ? DataDirection.WRITE
                : dataIn != null ? DataDirection.READ : DataDirection.NONE;
        int length = dataOut != null ? dataOut.remaining() : dataIn != null ? dataIn.remaining() : 0;
        checkOpen();
        if (length > host.maxDataLength()) {
            throw new IllegalArgumentException("data length " + length + " exceeds the host's maximum of "
                    + host.maxDataLength());
        }

        HostCommand cmd;
        try {
            cmd = host.allocate(nexusId, length, TimeUnit.MILLISECONDS.toNanos(driver.timeouts().allocateMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for a free command slot");
        }
        if (cmd == null) {
            throw new IOException("host queue full");
        }
        PendingCommand pc = new PendingCommand(this, nextTagValue(), samLun, dataIn, async);
        try {
            cmd.setLun(samLun)
                    .setCdb(cdb, 0, cdb.length)
                    .setTag(pc.tag)
                    .setDirection(direction)
                    .setExpectedLength(length)
                    .setTaskAttribute(TaskAttribute.SIMPLE);
            if (dataOut != null) {
                cmd.putData(0, dataOut.duplicate());
            }
            cmd.setContext(pc);
        } catch (RuntimeException e) {
            host.release(cmd);
            throw e;
        }
        pending.add(pc);
        // close() sets closedReason, then fails what is pending: re-check after joining the set.
        String reason = closedReason;
        if (reason != null) {
            pending.remove(pc);
            host.release(cmd);
            throw new IOException(reason);
        }
        try {
            host.submit(cmd);
        } catch (RuntimeException e) {
            pending.remove(pc);
            try {
                host.release(cmd);
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw new IOException("submitting to host " + host.hostNo() + " failed: " + e.getMessage(), e);
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: tag 0x{} LUN {} opcode 0x{} {} {} bytes", initiatorPort, Integer.toHexString(pc.tag), lun,
                    Integer.toHexString(cdb[0] & 0xFF), direction, length);
        }
        return pc;
    }

    private int nextTagValue() {
        int t = tags.getAndIncrement();
        return t == RESERVED_TAG ? tags.getAndIncrement() : t;
    }

    private void checkOpen() throws IOException {
        String reason = closedReason;
        if (reason != null) {
            throw new IOException(reason);
        }
    }

    /** A command execute() gave up on is still in the task set: ask the daemon to abort it. */
    private void abortTask(PendingCommand pc) {
        if (isClosed()) {
            return;
        }
        try {
            long mid = host.taskManagement(nexusId, TaskManagementFunction.ABORT_TASK, pc.lun, pc.tag);
            driver.tmfReplies().expect(mid).whenComplete((r, e) ->
                    LOG.debug("{}: ABORT TASK of tag 0x{}: {}", initiatorPort, Integer.toHexString(pc.tag), e == null ? r : e));
        } catch (RuntimeException e) {
            LOG.warn("{}: ABORT TASK of tag 0x{} not sent", initiatorPort, Integer.toHexString(pc.tag), e);
        }
    }

    /** The completion removed the command from the pending set and is completing it right now. */
    private static ScsiResult answerInFlight(PendingCommand pc) throws IOException {
        try {
            return pc.future.join();
        } catch (CompletionException e) {
            throw asIoException(e.getCause());
        } catch (CancellationException e) {
            throw new IOException("command cancelled", e);
        }
    }

    private static IOException asIoException(Throwable cause) {
        if (cause instanceof IOException io) {
            return new IOException(io.getMessage(), io);
        }
        return new IOException("command failed: " + cause, cause);
    }

    @Override
    public String toString() {
        return "LoopbackSession[" + initiatorPort + " -> " + targetName + ", nexus " + nexusId
                + (isClosed() ? ", closed" : "") + "]";
    }
}
