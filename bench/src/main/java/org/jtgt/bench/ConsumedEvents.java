package org.jtgt.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Events the consumer thread took out of the ring: the transfer rate each benchmark reports (JMH
 * prints it as the secondary metric {@code consumed}, in events/s). The primary JMH score counts
 * method calls, including producer calls that found the ring full and consumer calls that found
 * it empty, so it is not the transfer rate.
 */
@AuxCounters(AuxCounters.Type.OPERATIONS)
@State(Scope.Thread)
public class ConsumedEvents {
    public long consumed;

    @Setup(Level.Iteration)
    public void reset() {
        consumed = 0;
    }
}
