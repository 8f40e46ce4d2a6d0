package org.jtgt.bench;

import static org.jtgt.bench.BenchShape.BATCH;
import static org.jtgt.bench.BenchShape.CAPACITY_BYTES;
import static org.jtgt.bench.BenchShape.EVENT_LENGTH;

import java.util.concurrent.TimeUnit;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
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
 * Agrona's ring buffers, the baseline: {@link OneToOneRingBuffer} for one producer,
 * {@link ManyToOneRingBuffer} for two, over the same 512 KiB as the slot ring. The multi-producer
 * ring also runs with one producer ({@code oneProducerManyToOne}) and on one thread
 * ({@code singleThread}): those compare like with like with the slot ring's
 * {@code ProducerMode.MULTI}, which pays for an atomic claim as {@code ManyToOneRingBuffer} does;
 * {@code OneToOneRingBuffer} is the baseline of {@code ProducerMode.SINGLE}. Producers copy the
 * event in with {@code write}, the consumer {@code read}s up to {@link BenchShape#BATCH} per call;
 * both idle with {@link Idler}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Group)
public class AgronaRingBenchmark {
    private static final int MSG_TYPE = 1;

    private RingBuffer ring;

    @Setup(Level.Trial)
    public void createRing(BenchmarkParams params) {
        UnsafeBuffer buffer = new UnsafeBuffer(
                BenchShape.alignedDirect(CAPACITY_BYTES + RingBufferDescriptor.TRAILER_LENGTH));
        ring = params.getBenchmark().endsWith(".oneProducer")
                ? new OneToOneRingBuffer(buffer)
                : new ManyToOneRingBuffer(buffer);
    }

    @State(Scope.Thread)
    public static class Producer {
        final UnsafeBuffer event = new UnsafeBuffer(BenchShape.alignedDirect(EVENT_LENGTH));
        long sequence;
    }

    @State(Scope.Thread)
    public static class Consumer implements MessageHandler {
        long sum;

        @Override
        public void onMessage(int msgTypeId, MutableDirectBuffer buffer, int index, int length) {
            sum += buffer.getLong(index);
        }
    }

    private boolean produce(Producer p, RefusedOffers r, Idler idler) {
        p.event.putLong(0, p.sequence);
        if (r.after(ring.write(MSG_TYPE, p.event, 0, EVENT_LENGTH), idler)) {
            p.sequence++;
            return true;
        }
        return false;
    }

    private int consume(Consumer c, ConsumedEvents e, Idler idler) {
        int n = ring.read(c, BATCH);
        if (n > 0) {
            e.consumed += n;
            idler.reset();
        } else {
            idler.idle();
        }
        return n;
    }

    @Benchmark
    @Group("singleThread")
    @GroupThreads(1)
    @OperationsPerInvocation(BATCH)
    public int singleThreadOfferDrain(Producer p, Consumer c, ConsumedEvents e) {
        for (int i = 0; i < BATCH; i++) {
            p.event.putLong(0, p.sequence++);
            ring.write(MSG_TYPE, p.event, 0, EVENT_LENGTH);
        }
        int n = ring.read(c, BATCH);
        e.consumed += n;
        return n;
    }

    @Benchmark
    @Group("oneProducer")
    @GroupThreads(1)
    public boolean oneProducerWrite(Producer p, RefusedOffers r, Idler idler) {
        return produce(p, r, idler);
    }

    @Benchmark
    @Group("oneProducer")
    @GroupThreads(1)
    public int oneProducerRead(Consumer c, ConsumedEvents e, Idler idler) {
        return consume(c, e, idler);
    }

    @Benchmark
    @Group("oneProducerManyToOne")
    @GroupThreads(1)
    public boolean oneProducerManyToOneWrite(Producer p, RefusedOffers r, Idler idler) {
        return produce(p, r, idler);
    }

    @Benchmark
    @Group("oneProducerManyToOne")
    @GroupThreads(1)
    public int oneProducerManyToOneRead(Consumer c, ConsumedEvents e, Idler idler) {
        return consume(c, e, idler);
    }

    @Benchmark
    @Group("twoProducers")
    @GroupThreads(2)
    public boolean twoProducersWrite(Producer p, RefusedOffers r, Idler idler) {
        return produce(p, r, idler);
    }

    @Benchmark
    @Group("twoProducers")
    @GroupThreads(1)
    public int twoProducersRead(Consumer c, ConsumedEvents e, Idler idler) {
        return consume(c, e, idler);
    }
}
