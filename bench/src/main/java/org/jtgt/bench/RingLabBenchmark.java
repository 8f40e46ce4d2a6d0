package org.jtgt.bench;

import static org.jtgt.bench.BenchShape.BATCH;
import static org.jtgt.bench.BenchShape.EVENT_LENGTH;
import static org.jtgt.bench.BenchShape.SLOTS;
import static org.jtgt.bench.BenchShape.SLOT_SIZE;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.jtgt.ring.SlotRing;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * {@link RingLab}'s variants, in the shape of {@link SlotRingBenchmark} (same events, slots,
 * batch and idling): what each choice of the slot ring's hot path costs or buys across cores.
 * Groups ending in {@code Single} run a single-producer ring, the others claim by CAS.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Group)
public class RingLabBenchmark {
    @Param
    public RingLab.Variant variant;

    private RingLab ring;

    @Setup(Level.Trial)
    public void createRing(BenchmarkParams params) {
        boolean single = params.getBenchmark().endsWith(SlotRingBenchmark.SINGLE_SUFFIX);
        ring = new RingLab(BenchShape.alignedDirect(RingLab.regionLength(SLOTS, SLOT_SIZE)), SLOTS, SLOT_SIZE, single,
                variant);
    }

    @State(Scope.Thread)
    public static class Producer {
        final ByteBuffer event = BenchShape.alignedDirect(EVENT_LENGTH);
        long sequence;
    }

    @State(Scope.Thread)
    public static class Consumer implements SlotRing.RecordHandler {
        long sum;

        @Override
        public void onRecord(ByteBuffer buffer, int offset, int length) {
            sum += buffer.getLong(offset);
        }
    }

    private boolean produce(Producer p, RefusedOffers r, Idler idler) {
        p.event.putLong(0, p.sequence);
        if (r.after(ring.offer(p.event, 0, EVENT_LENGTH), idler)) {
            p.sequence++;
            return true;
        }
        return false;
    }

    private int consume(Consumer c, ConsumedEvents e, Idler idler) {
        int n = ring.drain(c, BATCH);
        if (n > 0) {
            e.consumed += n;
            idler.reset();
        } else {
            idler.idle();
        }
        return n;
    }

    @Benchmark
    @Group("oneProducerSingle")
    @GroupThreads(1)
    public boolean oneProducerSingleOffer(Producer p, RefusedOffers r, Idler idler) {
        return produce(p, r, idler);
    }

    @Benchmark
    @Group("oneProducerSingle")
    @GroupThreads(1)
    public int oneProducerSingleDrain(Consumer c, ConsumedEvents e, Idler idler) {
        return consume(c, e, idler);
    }

    @Benchmark
    @Group("twoProducers")
    @GroupThreads(2)
    public boolean twoProducersOffer(Producer p, RefusedOffers r, Idler idler) {
        return produce(p, r, idler);
    }

    @Benchmark
    @Group("twoProducers")
    @GroupThreads(1)
    public int twoProducersDrain(Consumer c, ConsumedEvents e, Idler idler) {
        return consume(c, e, idler);
    }
}
