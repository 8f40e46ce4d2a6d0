package org.jtgt.bench;

import java.util.concurrent.locks.LockSupport;

import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * What a producer does after an offer that found the ring full, and a consumer after a drain that
 * found it empty; the same for all three implementations and the same shape as
 * {@code SlotRing.send}: spin briefly, then yield, then park for a bound that doubles from 1 µs
 * to 100 µs. Any success resets it.
 *
 * <p>Why not spin forever: two producers and a consumer are three threads on this project's
 * 2-core build machine, and a producer spinning on a full ring takes CPU time from the consumer
 * that would empty it. Parking hands the core over. The spin phase covers every short wait, so
 * with a core per thread the numbers are those of pure spinning. It is also how the ring is used
 * for real ({@code SlotRing.send} and {@code await}).
 */
@State(Scope.Thread)
public class Idler {
    private static final int SPINS = 100;
    private static final int YIELDS = 10;
    private static final long MIN_PARK_NANOS = 1_000;
    private static final long MAX_PARK_NANOS = 100_000;

    private int tries;
    private long parkNanos = MIN_PARK_NANOS;

    public void idle() {
        if (tries < SPINS) {
            tries++;
            Thread.onSpinWait();
        } else if (tries < SPINS + YIELDS) {
            tries++;
            Thread.yield();
        } else {
            LockSupport.parkNanos(parkNanos);
            parkNanos = Math.min(parkNanos << 1, MAX_PARK_NANOS);
        }
    }

    public void reset() {
        if (tries != 0) {
            tries = 0;
            parkNanos = MIN_PARK_NANOS;
        }
    }
}
