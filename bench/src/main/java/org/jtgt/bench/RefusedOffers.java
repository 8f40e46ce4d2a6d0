package org.jtgt.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Offers that found the ring full (per second, summed over producers): high means the consumer
 * was the bottleneck, near zero means the producers were.
 */
@AuxCounters(AuxCounters.Type.OPERATIONS)
@State(Scope.Thread)
public class RefusedOffers {
    public long refused;

    @Setup(Level.Iteration)
    public void reset() {
        refused = 0;
    }

    /**
     * After an offer: a success resets {@code idler}; a refusal is counted and idles it.
     *
     * @return {@code offered}
     */
    boolean after(boolean offered, Idler idler) {
        if (offered) {
            idler.reset();
        } else {
            refused++;
            idler.idle();
        }
        return offered;
    }
}
