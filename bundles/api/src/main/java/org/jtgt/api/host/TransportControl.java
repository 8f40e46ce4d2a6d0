package org.jtgt.api.host;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Which transport the host side is bound to, and swapping it while LLDs keep submitting. A swap
 * quiesces every host's queue (commands keep being accepted and wait), drains what is in flight on
 * the old transport, binds the new one and resumes: nothing is lost, nothing runs twice, and each
 * host's order is kept.
 *
 * <p>The choice made here takes precedence over the host side's configured preference
 * ({@code transport} in PID {@code org.jtgt.host}) until that configuration changes again. When
 * the active transport's service goes away the host side moves to another one by itself, and back
 * to the chosen one when it is registered again.
 */
@ProviderType
public interface TransportControl {
    /** Every registered transport, the active one marked. */
    List<TransportState> transports();

    /** Name of the transport commands are dispatched to, or null if none is bound. */
    String activeTransport();

    /**
     * Makes {@code name} the chosen transport and swaps to it now, returning when the new
     * transport is bound (or the swap failed over to another one, which the result names).
     *
     * @return the swap; {@link SwapRecord#pauseMicros()} is 0 and nothing happened if {@code name}
     *         was active already
     * @throws IllegalArgumentException if no transport of that name is registered
     */
    SwapRecord swapTo(String name);

    /** Pause times of the swaps since the host side started. */
    SwapSummary swapSummary();

    /** A registered transport as the host side sees it. */
    record TransportState(String name, boolean active, boolean failed) {
    }

    /**
     * One swap.
     *
     * @param from transport before, or null
     * @param to transport after, or null
     * @param pauseMicros from quiescing to resuming the queues
     * @param drained requests that were in flight on the old transport and answered through it
     */
    record SwapRecord(String from, String to, String reason, long pauseMicros, int drained) {
    }

    /** Swap pause times: the last, the worst, and percentiles over the most recent swaps. */
    record SwapSummary(long count, long lastMicros, long worstMicros, long p50Micros, long p99Micros) {
        @Override
        public String toString() {
            return count + " swaps, pause last " + lastMicros + " us, p50 " + p50Micros + " us, p99 " + p99Micros
                    + " us, worst " + worstMicros + " us";
        }
    }
}
