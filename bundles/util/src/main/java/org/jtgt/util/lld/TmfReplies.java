package org.jtgt.util.lld;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.host.HostCallbacks;
import org.jtgt.api.host.ScsiHost;

/**
 * For a network LLD: the daemon's answers to task management requests, which arrive through
 * {@link HostCallbacks#taskManagementCompleted} on a transport thread, possibly before the LLD
 * has said what to do with them ({@link ScsiHost#taskManagement} has queued the request and may
 * be answered before it returns). Whichever of {@link #await} and {@link #onResult} comes second
 * delivers the answer, once. Thread-safe.
 */
public final class TmfReplies {
    /** Request id → the waiting consumer, or the answer that came first. */
    private final ConcurrentHashMap<Long, Object> pending = new ConcurrentHashMap<>();

    /** {@code onAnswer} gets the answer to request {@code mid}, now if it has come already. */
    public void await(long mid, Consumer<TmfResponse> onAnswer) {
        Objects.requireNonNull(onAnswer, "onAnswer");
        Object early = pending.putIfAbsent(mid, onAnswer);
        if (early instanceof TmfResponse r) {
            pending.remove(mid);
            onAnswer.accept(r);
        }
    }

    /** To be called from {@link HostCallbacks#taskManagementCompleted}; null counts as FUNCTION REJECTED. */
    @SuppressWarnings("unchecked")
    public void onResult(long mid, TmfResponse response) {
        TmfResponse r = response == null ? TmfResponse.FUNCTION_REJECTED : response;
        Object waiting = pending.putIfAbsent(mid, r);
        if (waiting instanceof Consumer<?> c) {
            pending.remove(mid);
            ((Consumer<TmfResponse>) c).accept(r);
        }
    }
}
