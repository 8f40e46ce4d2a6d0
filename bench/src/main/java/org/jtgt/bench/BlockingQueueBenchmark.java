package org.jtgt.bench;

import static org.jtgt.bench.BenchShape.BATCH;
import static org.jtgt.bench.BenchShape.EVENT_LENGTH;
import static org.jtgt.bench.BenchShape.SLOTS;

import java.nio.ByteBuffer;
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
 * {@link ArrayBlockingQueue} of 4096 entries, the plain-JDK baseline, in two ways. Groups whose
 * name ends in {@code Copy} carry the event as the rings do: each producer copies the 64 bytes of
 * its event buffer into the next of its own pooled objects (twice the queue's length of them, so
 * none is rewritten while queued or being read) and enqueues that, so the event's bytes cross
 * between the cores. The other groups enqueue the producer's one preallocated object, which it
 * never writes: only a reference crosses (4 bytes where the rings move 64 and their lines), which
 * flatters the queue; they are kept to show by how much. The consumer takes up to
 * {@link BenchShape#BATCH} per call with {@code drainTo} and reads each event's first word; both
 * sides idle with {@link Idler}. Nothing is allocated per event.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Group)
public class BlockingQueueBenchmark {
    /** Group-name suffix of the benchmarks whose producers copy the event into a pooled object. */
    static final String COPY_SUFFIX = "Copy";

    private ArrayBlockingQueue<EventObject> queue;
    private ArrayBlockingQueue<EventObject> copyQueue;

    @Setup(Level.Trial)
    public void createQueue() {
        queue = new ArrayBlockingQueue<>(SLOTS);
        copyQueue = new ArrayBlockingQueue<>(SLOTS);
    }

    @State(Scope.Thread)
    public static class Producer {
        /** What the reference groups enqueue, every time: written once, here. */
        final EventObject event = new EventObject(System.identityHashCode(this));
        /** The 64 bytes a copying producer sends, as the rings' producers send theirs. */
        final ByteBuffer bytes = BenchShape.alignedDirect(EVENT_LENGTH);
        final EventObject[] pool = EventObject.pool(2 * SLOTS);
        int next;
        long sequence;
    }

    @State(Scope.Thread)
    public static class Consumer {
        final ArrayList<EventObject> batch = new ArrayList<>(BATCH);
        long sum;
    }

    private boolean produce(Producer p, RefusedOffers r, Idler idler) {
        return r.after(queue.offer(p.event), idler);
    }

    private boolean produceCopy(Producer p, RefusedOffers r, Idler idler) {
        p.bytes.putLong(0, p.sequence);
        EventObject e = p.pool[p.next & (p.pool.length - 1)];
        e.copyFrom(p.bytes);
        if (r.after(copyQueue.offer(e), idler)) {
            p.next++;
            p.sequence++;
            return true;
        }
        return false;
    }

    private static int drain(ArrayBlockingQueue<EventObject> q, Consumer c) {
        ArrayList<EventObject> batch = c.batch;
        int n = q.drainTo(batch, BATCH);
        long sum = c.sum;
        for (int i = 0; i < n; i++) {
            sum += batch.get(i).w0;
        }
        c.sum = sum;
        batch.clear();
        return n;
    }

    private static int consume(ArrayBlockingQueue<EventObject> q, Consumer c, ConsumedEvents e, Idler idler) {
        int n = drain(q, c);
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
        int n = drain(queue, c);
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
        return consume(queue, c, e, idler);
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
        return consume(queue, c, e, idler);
    }

    @Benchmark
    @Group("oneProducerCopy")
    @GroupThreads(1)
    public boolean oneProducerCopyOffer(Producer p, RefusedOffers r, Idler idler) {
        return produceCopy(p, r, idler);
    }

    @Benchmark
    @Group("oneProducerCopy")
    @GroupThreads(1)
    public int oneProducerCopyDrainTo(Consumer c, ConsumedEvents e, Idler idler) {
        return consume(copyQueue, c, e, idler);
    }

    @Benchmark
    @Group("twoProducersCopy")
    @GroupThreads(2)
    public boolean twoProducersCopyOffer(Producer p, RefusedOffers r, Idler idler) {
        return produceCopy(p, r, idler);
    }

    @Benchmark
    @Group("twoProducersCopy")
    @GroupThreads(1)
    public int twoProducersCopyDrainTo(Consumer c, ConsumedEvents e, Idler idler) {
        return consume(copyQueue, c, e, idler);
    }
}
