package org.jtgt.bench;

import static org.jtgt.bench.BenchShape.BATCH;
import static org.jtgt.bench.BenchShape.SLOTS;

import java.util.ArrayList;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

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

/**
 * {@link ArrayBlockingQueue} of 4096 entries, the plain-JDK baseline. Each producer enqueues its
 * own preallocated 64-byte event object (a reference, not a copy: this flatters the queue, which
 * moves 8 bytes where the rings move 64); the consumer takes up to {@link BenchShape#BATCH} per
 * call with {@code drainTo} and reads each event; both idle with {@link Idler}. Nothing is
 * allocated per event.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Group)
public class BlockingQueueBenchmark {
    /** Eight longs: 64 bytes of payload. */
    static final class Event {
        final long w0;
        long w1, w2, w3, w4, w5, w6, w7;

        Event(long w0) {
            this.w0 = w0;
        }
    }

    private ArrayBlockingQueue<Event> queue;

    @Setup(Level.Trial)
    public void createQueue() {
        queue = new ArrayBlockingQueue<>(SLOTS);
    }

    @State(Scope.Thread)
    public static class Producer {
        final Event event = new Event(System.identityHashCode(this));
    }

    @State(Scope.Thread)
    public static class Consumer {
        final ArrayList<Event> batch = new ArrayList<>(BATCH);
        long sum;
    }

    private boolean produce(Producer p, RefusedOffers r, Idler idler) {
        if (queue.offer(p.event)) {
            idler.reset();
            return true;
        }
        r.refused++;
        idler.idle();
        return false;
    }

    private int drain(Consumer c) {
        ArrayList<Event> batch = c.batch;
        int n = queue.drainTo(batch, BATCH);
        long sum = c.sum;
        for (int i = 0; i < n; i++) {
            sum += batch.get(i).w0;
        }
        c.sum = sum;
        batch.clear();
        return n;
    }

    private int consume(Consumer c, ConsumedEvents e, Idler idler) {
        int n = drain(c);
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
            queue.offer(p.event);
        }
        int n = drain(c);
        e.consumed += n;
        return n;
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
    public int oneProducerDrainTo(Consumer c, ConsumedEvents e, Idler idler) {
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
    public int twoProducersDrainTo(Consumer c, ConsumedEvents e, Idler idler) {
        return consume(c, e, idler);
    }
}
