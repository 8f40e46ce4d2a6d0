package org.jtgt.loopback;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Matches answers that arrive on a transport thread with the requests waiting for them, keyed
 * by the id the request returned (nexus id, management id). The answer may arrive before the
 * requester has registered (the host is free to answer before {@code createNexus} returns), so
 * early answers are kept until {@link #expect} collects them; answers for requests whose waiter
 * gave up are dropped. One monitor guards the maps; nothing is called while holding it.
 */
final class Replies<T> {
    /** Early answers nobody collects (a host answering ids it never issued) stop being kept here. */
    private static final int MAX_EARLY = 1024;

    private final Map<Long, CompletableFuture<T>> waiting = new HashMap<>();
    private final Map<Long, T> early = new HashMap<>();
    private final Set<Long> abandoned = new HashSet<>();

    /** Registers interest in the answer for {@code id}; call right after the request returned it. */
    synchronized CompletableFuture<T> expect(long id) {
        CompletableFuture<T> f = new CompletableFuture<>();
        T value = early.remove(id);
        if (value != null) {
            f.complete(value);
        } else {
            waiting.put(id, f);
        }
        return f;
    }

    /**
     * Hands over the answer for {@code id}.
     *
     * @return false if the answer was dropped: its waiter gave up, or it was never asked for and
     *         too many such answers are pending
     */
    boolean deliver(long id, T value) {
        CompletableFuture<T> f;
        synchronized (this) {
            f = waiting.remove(id);
            if (f == null) {
                if (abandoned.remove(id) || early.size() >= MAX_EARLY) {
                    return false;
                }
                early.put(id, value);
                return true;
            }
        }
        f.complete(value);
        return true;
    }

    /** Stops waiting for {@code id}; its answer, if it ever comes, is dropped. */
    synchronized void abandon(long id) {
        if (waiting.remove(id) != null) {
            abandoned.add(id);
        }
    }

    /**
     * Waits for the answer {@code f} registered for {@code id}.
     *
     * @param what the request, for messages ("login of ... to ...")
     * @throws IOException on timeout (the id is then abandoned), interruption or failure
     */
    T await(long id, CompletableFuture<T> f, long timeoutMillis, String what) throws IOException {
        try {
            return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            if (giveUp(id)) {
                throw new IOException(what + " timed out after " + timeoutMillis + " ms");
            }
            return answerInFlight(f, what);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (giveUp(id)) {
                throw new InterruptedIOException(what + " interrupted");
            }
            return answerInFlight(f, what);
        } catch (ExecutionException e) {
            throw failure(what, e.getCause());
        } catch (CancellationException e) {
            throw new IOException(what + " cancelled", e);
        }
    }

    /** Fails every waiter and forgets everything (the driver stops). */
    void failAll(Throwable cause) {
        List<CompletableFuture<T>> failed;
        synchronized (this) {
            failed = new ArrayList<>(waiting.values());
            waiting.clear();
            early.clear();
            abandoned.clear();
        }
        for (CompletableFuture<T> f : failed) {
            f.completeExceptionally(cause);
        }
    }

    synchronized int pendingCount() {
        return waiting.size() + early.size() + abandoned.size();
    }

    /** True if the waiter was still registered and now is abandoned; false if an answer is being handed over. */
    private synchronized boolean giveUp(long id) {
        if (waiting.remove(id) != null) {
            abandoned.add(id);
            return true;
        }
        return false;
    }

    /** deliver() or failAll() removed the waiter and is completing {@code f} right now. */
    private T answerInFlight(CompletableFuture<T> f, String what) throws IOException {
        try {
            return f.join();
        } catch (CompletionException e) {
            throw failure(what, e.getCause());
        }
    }

    private static IOException failure(String what, Throwable cause) {
        if (cause instanceof IOException io) {
            return new IOException(io.getMessage(), io);
        }
        return new IOException(what + " failed: " + cause, cause);
    }
}
