package org.jtgt.bench;

import static org.jtgt.bench.BenchShape.BATCH;
import static org.jtgt.bench.BenchShape.EVENT_LENGTH;
import static org.jtgt.bench.BenchShape.SLOTS;
import static org.jtgt.bench.BenchShape.SLOT_SIZE;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.jtgt.ring.ProducerMode;
import org.jtgt.ring.RingDescriptor;
import org.jtgt.ring.SlotRing;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * {@link SlotRing} over {@code ByteBuffer.allocateDirect}: producers copy a 64-byte event in with
 * {@code offer}, one consumer drains up to {@link BenchShape#BATCH} per call; both idle with
 * {@link Idler} when the ring is full or empty. Groups whose name ends in {@code Single} use a
 * {@link ProducerMode#SINGLE} ring (compare with Agrona's {@code OneToOneRingBuffer}), the others a
 * {@link ProducerMode#MULTI} ring (compare with {@code ManyToOneRingBuffer}). {@code singleThread}
 * offers and drains a batch on one thread: the cost of the code path without any waiting.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Group)
public class SlotRingBenchmark {
    /** Group-name suffix of the benchmarks that run a single-producer ring. */
    static final String SINGLE_SUFFIX = "Single";

    private SlotRing ring;

    @Setup(Level.Trial)
    public void createRing(BenchmarkParams params) {
        ProducerMode mode = params.getBenchmark().endsWith(SINGLE_SUFFIX) ? ProducerMode.SINGLE : ProducerMode.MULTI;
        ring = SlotRing.create(BenchShape.alignedDirect(RingDescriptor.regionLength(SLOTS, SLOT_SIZE)), 0, SLOTS,
                SLOT_SIZE, mode);
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

    private int offerDrainBatch(Producer p, Consumer c, ConsumedEvents e) {
        for (int i = 0; i < BATCH; i++) {
            p.event.putLong(0, p.sequence++);
            ring.offer(p.event, 0, EVENT_LENGTH);
        }
        int n = ring.drain(c, BATCH);
        e.consumed += n;
        return n;
    }

    @Benchmark
    @Group("singleThread")
    @GroupThreads(1)
    @OperationsPerInvocation(BATCH)
    public int singleThreadOfferDrain(Producer p, Consumer c, ConsumedEvents e) {
        return offerDrainBatch(p, c, e);
    }

    @Benchmark
    @Group("singleThreadSingle")
    @GroupThreads(1)
    @OperationsPerInvocation(BATCH)
    public int singleThreadSingleOfferDrain(Producer p, Consumer c, ConsumedEvents e) {
        return offerDrainBatch(p, c, e);
    }

    @Benchmark
    @Group("oneProducer")
    @GroupThreads(1)
    public boolean oneProducerOffer(Producer p, RefusedOffers r, Idler idler) {
        return produce(p, r, idler);
    }

    @Benchmark
    @Group("oneProducer")
    @GroupThreads(1)
    public int oneProducerDrain(Consumer c, ConsumedEvents e, Idler idler) {
        return consume(c, e, idler);
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
