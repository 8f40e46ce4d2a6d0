package org.jtgt.util.lld;

import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jtgt.api.host.HostCallbacks;
import org.jtgt.api.host.NexusOperation;
import org.jtgt.api.host.NexusResult;
import org.jtgt.api.host.ScsiHost;

/**
 * For a network LLD: the daemon's answers to I_T nexus requests, which arrive asynchronously
 * through {@link HostCallbacks#nexusResult}, turned into what a login needs (wait for the create,
 * undo it if the answer is late) and what a stop needs (let the destructions reach the daemon
 * before the host is closed, which drops what is still queued). Thread-safe.
 */
public final class NexusReplies {
    private final ConcurrentHashMap<Long, CompletableFuture<NexusResult>> creates = new ConcurrentHashMap<>();
    /** Destructions sent and not yet answered. */
    private final ConcurrentHashMap<Long, CompletableFuture<NexusResult>> destroys = new ConcurrentHashMap<>();

    /**
     * Waits for the answer to {@code host.createNexus} of {@code nexusId} (which may already have
     * come). On a timeout the nexus is destroyed, ordered after the create, so a late acceptance is
     * undone.
     *
     * @return the daemon's result, or {@code null} if it did not answer in time
     */
    public NexusResult awaitCreate(ScsiHost host, long nexusId, long timeoutMillis) throws InterruptedException {
        CompletableFuture<NexusResult> f = creates.computeIfAbsent(nexusId, k -> new CompletableFuture<>());
        try {
            return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            destroy(host, nexusId);
            return null;
        } catch (ExecutionException e) {
            return null;
        } finally {
            creates.remove(nexusId);
        }
    }

    /**
     * Asks {@code host} to destroy the nexus and remembers it until answered.
     *
     * @return false if the host refused the request (it is closed, say); nothing is remembered then
     */
    public boolean destroy(ScsiHost host, long nexusId) {
        if (host == null) {
            return false;
        }
        destroys.putIfAbsent(nexusId, new CompletableFuture<>());
        try {
            host.destroyNexus(nexusId);
            return true;
        } catch (RuntimeException e) {
            destroys.remove(nexusId);
            return false;
        }
    }

    /** To be called from {@link HostCallbacks#nexusResult}. */
    public void onResult(long nexusId, NexusOperation op, NexusResult result) {
        if (op == NexusOperation.CREATE) {
            creates.computeIfAbsent(nexusId, k -> new CompletableFuture<>()).complete(result);
        } else {
            CompletableFuture<NexusResult> done = destroys.remove(nexusId);
            if (done != null) {
                done.complete(result);
            }
        }
    }

    /**
     * Waits, at most {@code timeoutMillis} in all, until every destruction sent is answered.
     *
     * @return how many are still unanswered (0 when all were); interruption ends the wait early
     *         with the interrupt status kept
     */
    public int awaitDestroys(long timeoutMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (CompletableFuture<NexusResult> pending : new ArrayList<>(destroys.values())) {
            try {
                pending.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (ExecutionException | TimeoutException e) {
                break;
            }
        }
        return destroys.size();
    }
}
