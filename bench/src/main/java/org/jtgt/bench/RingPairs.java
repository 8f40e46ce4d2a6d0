package org.jtgt.bench;

import static org.jtgt.bench.BenchShape.BATCH;
import static org.jtgt.bench.BenchShape.CAPACITY_BYTES;
import static org.jtgt.bench.BenchShape.EVENT_LENGTH;
import static org.jtgt.bench.BenchShape.SLOTS;
import static org.jtgt.bench.BenchShape.SLOT_SIZE;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.jtgt.ring.ProducerMode;
import org.jtgt.ring.RingDescriptor;
import org.jtgt.ring.SlotRing;

/**
 * Paired comparisons for a busy machine: two rings take turns in short slices (default 200 ms,
 * same producers and consumer shape as the JMH benchmarks, same {@link Idler}), many times over,
 * and each pair of neighbouring slices gives one ratio of their transfer rates. Load that changes
 * over seconds hits both sides of a pair alike, so the median ratio means something where JMH's
 * separate runs of a few seconds each do not. Not a replacement for JMH on an idle machine.
 *
 * <pre>java -cp benchmarks.jar org.jtgt.bench.RingPairs [pairs] [sliceMillis] [fastMillionsPerSecond] [lab]</pre>
 */
public final class RingPairs {
    /** A ring under test, fed by producer threads and drained by one consumer thread. */
    private abstract static class Ring {
        /** Where the consumer's handler adds up what it read: {@code sink[SINK]}, 128 bytes from anything else. */
        static final int SINK = 16;

        final String name;
        /**
         * Written by the consumer per record, so it has lines of its own. (Written through a
         * field per drain, as this harness first did, it shared a line with the {@code ring}
         * field every offer reads, and a consumer that drained often slowed the producers: a
         * cost of the harness, larger for whichever ring drained empty more often.)
         */
        final long[] sink = new long[2 * SINK];

        Ring(String name) {
            this.name = name;
        }

        abstract boolean offer(Event e);

        abstract int drain();
    }

    /** One producer's event: the same 64 bytes seen as a ByteBuffer and as Agrona's buffer. */
    private static final class Event {
        final ByteBuffer bytes = BenchShape.alignedDirect(EVENT_LENGTH);
        final UnsafeBuffer unsafe = new UnsafeBuffer(bytes);
        /** What {@link Queue} passes: an object the producer never writes, as in {@link BlockingQueueBenchmark}. */
        final EventObject id = new EventObject(System.identityHashCode(this));
        /** This producer's objects for a {@link Queue} that moves the payload, used in turn. */
        final EventObject[] pool = EventObject.pool(2 * SLOTS);
        int next;
        long sequence;
    }

    private static final class Slot extends Ring {
        final SlotRing ring;
        final SlotRing.RecordHandler handler = (b, o, l) -> sink[SINK] += b.getLong(o);

        Slot(String name, ProducerMode mode) {
            super(name);
            ring = SlotRing.create(BenchShape.alignedDirect(RingDescriptor.regionLength(SLOTS, SLOT_SIZE)), 0, SLOTS,
                    SLOT_SIZE, mode);
        }

        @Override
        boolean offer(Event e) {
            return ring.offer(e.bytes, 0, EVENT_LENGTH);
        }

        @Override
        int drain() {
            return ring.drain(handler, BATCH);
        }
    }

    private static final class Lab extends Ring {
        final RingLab ring;
        final SlotRing.RecordHandler handler = (b, o, l) -> sink[SINK] += b.getLong(o);

        Lab(RingLab.Variant variant, boolean single) {
            super("lab " + variant);
            ring = new RingLab(BenchShape.alignedDirect(RingLab.regionLength(SLOTS, SLOT_SIZE)), SLOTS, SLOT_SIZE,
                    single, variant);
        }

        @Override
        boolean offer(Event e) {
            return ring.offer(e.bytes, 0, EVENT_LENGTH);
        }

        @Override
        int drain() {
            return ring.drain(handler, BATCH);
        }
    }

    private static final class Agrona extends Ring {
        final RingBuffer ring;
        final MessageHandler handler = (type, b, o, l) -> sink[SINK] += b.getLong(o);

        Agrona(String name, boolean oneToOne) {
            super(name);
            UnsafeBuffer buffer = new UnsafeBuffer(
                    BenchShape.alignedDirect(CAPACITY_BYTES + RingBufferDescriptor.TRAILER_LENGTH));
            ring = oneToOne ? new OneToOneRingBuffer(buffer) : new ManyToOneRingBuffer(buffer);
        }

        @Override
        boolean offer(Event e) {
            return ring.write(1, e.unsafe, 0, EVENT_LENGTH);
        }

        @Override
        int drain() {
            return ring.read(handler, BATCH);
        }
    }

    /**
     * The JDK baseline, an {@link ArrayBlockingQueue} of {@link BenchShape#SLOTS} entries whose
     * consumer takes up to {@link BenchShape#BATCH} with {@code drainTo} and reads each event's
     * first word. Without {@code payload} as {@link BlockingQueueBenchmark} runs it: each producer
     * enqueues its own preallocated object, which it never writes, so only a reference crosses
     * (4 bytes where the rings copy 64). With {@code payload} each producer copies its 64 bytes
     * into the next of its own pooled objects (twice the queue's length, so none is rewritten
     * while queued or being read) and enqueues that: the event's bytes cross as they do in a ring.
     */
    private static final class Queue extends Ring {
        final ArrayBlockingQueue<EventObject> queue = new ArrayBlockingQueue<>(SLOTS);
        final ArrayList<EventObject> batch = new ArrayList<>(BATCH);
        final boolean payload;

        Queue(String name, boolean payload) {
            super(name);
            this.payload = payload;
        }

        @Override
        boolean offer(Event e) {
            if (!payload) {
                return queue.offer(e.id);
            }
            EventObject p = e.pool[e.next & (e.pool.length - 1)];
            p.copyFrom(e.bytes);
            if (queue.offer(p)) {
                e.next++;
                return true;
            }
            return false;
        }

        @Override
        int drain() {
            int n = queue.drainTo(batch, BATCH);
            long sum = sink[SINK];
            for (int i = 0; i < n; i++) {
                sum += batch.get(i).w0;
            }
            sink[SINK] = sum;
            batch.clear();
            return n;
        }
    }

    /** Set to end a slice; read with a volatile load per loop, which stays in each core's cache. */
    private static volatile boolean stop;

    private RingPairs() {
    }

    /**
     * One slice: the events per second the consumer drained from {@code ring}, and the CPU time
     * its consumer used as a share of the slice's wall time.
     */
    private static double[] slice(Ring ring, int producers, long millis) throws InterruptedException {
        stop = false;
        final AtomicLong consumed = new AtomicLong();
        final AtomicLong consumerCpu = new AtomicLong();
        final ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        Thread consumer = new Thread(() -> {
            Idler idler = new Idler();
            long n = 0;
            while (!stop) {
                int k = ring.drain();
                if (k > 0) {
                    n += k;
                    idler.reset();
                } else {
                    idler.idle();
                }
            }
            consumed.set(n);
            consumerCpu.set(cpu.getCurrentThreadCpuTime());
        });
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            threads.add(new Thread(() -> {
                Event e = new Event();
                Idler idler = new Idler();
                while (!stop) {
                    e.bytes.putLong(0, e.sequence);
                    if (ring.offer(e)) {
                        e.sequence++;
                        idler.reset();
                    } else {
                        idler.idle();
                    }
                }
            }));
        }
        consumer.start();
        threads.forEach(Thread::start);
        long start = System.nanoTime();
        Thread.sleep(millis);
        stop = true;
        consumer.join();
        long elapsed = System.nanoTime() - start;
        for (Thread t : threads) {
            t.join();
        }
        // Leave the ring empty for the next slice.
        while (ring.drain() > 0) {
            // drained
        }
        return new double[] {consumed.get() * 1e9 / elapsed, (double) consumerCpu.get() / elapsed};
    }

    private static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        return v[v.length / 2];
    }

    /**
     * Alternates {@code a} and {@code b} for {@code pairs} pairs of slices and reports the medians.
     * When {@code b} is an Agrona ring, its rate in a pair tells the machine's mode at that moment
     * (on the 2-core build machine Agrona's one-producer ring makes about 12 to 15 million events
     * per second in one mode and 40 to 50 in the other, for minutes at a time), and the pairs are
     * also reported per mode: pairs at or above {@code fastRate} and pairs below it.
     */
    private static String compare(Ring a, Ring b, int producers, int pairs, long millis, double fastRate)
            throws InterruptedException {
        double[] ratios = new double[pairs];
        double[] rateA = new double[pairs];
        double[] rateB = new double[pairs];
        double[] cpuA = new double[pairs];
        double[] cpuB = new double[pairs];
        for (int i = 0; i < pairs; i++) {
            double[] sa;
            double[] sb;
            // Alternate which goes first, so a trend in the load does not favour one side.
            if (i % 2 == 0) {
                sa = slice(a, producers, millis);
                sb = slice(b, producers, millis);
            } else {
                sb = slice(b, producers, millis);
                sa = slice(a, producers, millis);
            }
            rateA[i] = sa[0];
            rateB[i] = sb[0];
            cpuA[i] = sa[1];
            cpuB[i] = sb[1];
            ratios[i] = rateA[i] / rateB[i];
        }
        double[] sorted = ratios.clone();
        Arrays.sort(sorted);
        double wins = Arrays.stream(ratios).filter(r -> r > 1).count();
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%-26s %-26s %-6s %8.1f M %8.1f M %7.2f [%4.2f .. %4.2f] %3.0f%% %5.2f %5.2f",
                a.name, b.name, producers + "->1", median(rateA) / 1e6, median(rateB) / 1e6,
                sorted[pairs / 2], sorted[pairs / 4], sorted[pairs * 3 / 4], 100 * wins / pairs, median(cpuA),
                median(cpuB)));
        if (b instanceof Agrona) {
            double[] fast = java.util.stream.IntStream.range(0, pairs).filter(i -> rateB[i] >= fastRate)
                    .mapToDouble(i -> ratios[i]).toArray();
            double[] slow = java.util.stream.IntStream.range(0, pairs).filter(i -> rateB[i] < fastRate)
                    .mapToDouble(i -> ratios[i]).toArray();
            out.append(String.format(Locale.ROOT, "   fast mode: %2d pairs, A/B %s; slow mode: %2d pairs, A/B %s",
                    fast.length, fast.length == 0 ? "-" : String.format(Locale.ROOT, "%.2f", median(fast)),
                    slow.length, slow.length == 0 ? "-" : String.format(Locale.ROOT, "%.2f", median(slow))));
        }
        return out.toString();
    }

    /**
     * {@code [pairs] [sliceMillis] [fastMillionsPerSecond] [lab]}: 30 pairs of 200 ms slices by
     * default; Agrona rates of 25 million events per second and more count as the machine's fast
     * mode; {@code lab} adds the {@link RingLab} variants (each against the lab's CURRENT).
     */
    public static void main(String[] args) throws Exception {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        long millis = args.length > 1 ? Long.parseLong(args[1]) : 200;
        double fastRate = (args.length > 2 ? Double.parseDouble(args[2]) : 25) * 1e6;
        boolean lab = args.length > 3 && args[3].equals("lab");
        Ring slotSingle = new Slot("SlotRing SINGLE", ProducerMode.SINGLE);
        Ring slotMulti = new Slot("SlotRing MULTI", ProducerMode.MULTI);
        Ring oneToOne = new Agrona("Agrona OneToOne", true);
        Ring manyToOne = new Agrona("Agrona ManyToOne", false);
        Ring queue = new Queue("ArrayBlockingQueue", false);
        Ring queueCopying = new Queue("ArrayBlockingQueue + 64 B", true);
        Ring[] labSingle = new Ring[RingLab.Variant.values().length];
        Ring[] labMulti = new Ring[RingLab.Variant.values().length];
        for (RingLab.Variant v : RingLab.Variant.values()) {
            labSingle[v.ordinal()] = new Lab(v, true);
            labMulti[v.ordinal()] = new Lab(v, false);
        }
        System.out.println("# warming up; load " + load());
        List<Ring> all = new ArrayList<>(List.of(slotSingle, slotMulti, oneToOne, manyToOne, queue, queueCopying));
        if (lab) {
            all.addAll(List.of(labSingle));
            all.addAll(List.of(labMulti));
        }
        for (int round = 0; round < 3; round++) {
            for (Ring r : all) {
                slice(r, r == slotMulti || r == manyToOne || List.of(labMulti).contains(r) ? 2 : 1, millis);
                if (r == queue || r == queueCopying) {
                    slice(r, 2, millis);
                }
            }
        }
        System.out.println("# " + pairs + " pairs of " + millis + " ms slices; load " + load());
        System.out.printf(Locale.ROOT, "%-26s %-26s %-6s %10s %10s %7s %13s %4s %5s %5s%n", "A", "B", "shape",
                "A median", "B median", "A/B", "[quartiles]", "A>B", "cpu A", "cpu B");
        System.out.println(compare(slotSingle, oneToOne, 1, pairs, millis, fastRate));
        System.out.println(compare(slotMulti, manyToOne, 2, pairs, millis, fastRate));
        System.out.println(compare(slotSingle, queue, 1, pairs, millis, fastRate));
        System.out.println(compare(slotMulti, queue, 2, pairs, millis, fastRate));
        System.out.println(compare(slotSingle, queueCopying, 1, pairs, millis, fastRate));
        System.out.println(compare(slotMulti, queueCopying, 2, pairs, millis, fastRate));
        if (lab) {
            RingLab.Variant current = RingLab.Variant.CURRENT;
            for (RingLab.Variant v : RingLab.Variant.values()) {
                if (v != current) {
                    System.out.println(compare(labSingle[current.ordinal()], labSingle[v.ordinal()], 1, pairs, millis,
                            fastRate));
                }
            }
            for (RingLab.Variant v : List.of(RingLab.Variant.SEED, RingLab.Variant.FREE_PER_BATCH,
                    RingLab.Variant.PACKED_COUNTERS)) {
                System.out.println(compare(labMulti[current.ordinal()], labMulti[v.ordinal()], 2, pairs, millis,
                        fastRate));
            }
        }
        System.out.println("# cpu A, cpu B: the consumer thread's CPU time as a share of the slice (median)");
        System.out.println("# done; load " + load());
    }

    private static String load() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "?";
        }
    }
}
