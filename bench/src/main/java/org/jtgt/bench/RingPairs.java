package org.jtgt.bench;

import static org.jtgt.bench.BenchShape.BATCH;
import static org.jtgt.bench.BenchShape.CAPACITY_BYTES;
import static org.jtgt.bench.BenchShape.EVENT_LENGTH;
import static org.jtgt.bench.BenchShape.SLOTS;
import static org.jtgt.bench.BenchShape.SLOT_SIZE;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
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
 * <pre>java -cp benchmarks.jar org.jtgt.bench.RingPairs [pairs] [sliceMillis]</pre>
 */
public final class RingPairs {
    /** A ring under test, fed by producer threads and drained by one consumer thread. */
    private abstract static class Ring {
        final String name;

        Ring(String name) {
            this.name = name;
        }

        abstract boolean offer(Event e);

        abstract int drain(long[] sum);
    }

    /** One producer's event: the same 64 bytes seen as a ByteBuffer and as Agrona's buffer. */
    private static final class Event {
        final ByteBuffer bytes = BenchShape.alignedDirect(EVENT_LENGTH);
        final UnsafeBuffer unsafe = new UnsafeBuffer(bytes);
        long sequence;
    }

    private static final class Slot extends Ring {
        final SlotRing ring;
        long[] target;
        final SlotRing.RecordHandler handler = (b, o, l) -> target[0] += b.getLong(o);

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
        int drain(long[] sum) {
            target = sum;
            return ring.drain(handler, BATCH);
        }
    }

    private static final class Lab extends Ring {
        final RingLab ring;
        long[] target;
        final SlotRing.RecordHandler handler = (b, o, l) -> target[0] += b.getLong(o);

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
        int drain(long[] sum) {
            target = sum;
            return ring.drain(handler, BATCH);
        }
    }

    private static final class Agrona extends Ring {
        final RingBuffer ring;
        long[] target;
        final MessageHandler handler = (type, b, o, l) -> target[0] += b.getLong(o);

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
        int drain(long[] sum) {
            target = sum;
            return ring.read(handler, BATCH);
        }
    }

    /** Set to end a slice; read with a volatile load per loop, which stays in each core's cache. */
    private static volatile boolean stop;

    private RingPairs() {
    }

    /** Events per second the consumer drained from {@code ring} in one slice. */
    private static double slice(Ring ring, int producers, long millis) throws InterruptedException {
        stop = false;
        final AtomicLong consumed = new AtomicLong();
        final long[] sum = new long[1];
        Thread consumer = new Thread(() -> {
            Idler idler = new Idler();
            long n = 0;
            while (!stop) {
                int k = ring.drain(sum);
                if (k > 0) {
                    n += k;
                    idler.reset();
                } else {
                    idler.idle();
                }
            }
            consumed.set(n);
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
        while (ring.drain(sum) > 0) {
            // drained
        }
        return consumed.get() * 1e9 / elapsed;
    }

    private static String compare(Ring a, Ring b, int producers, int pairs, long millis) throws InterruptedException {
        double[] ratios = new double[pairs];
        double[] rateA = new double[pairs];
        double[] rateB = new double[pairs];
        for (int i = 0; i < pairs; i++) {
            // Alternate which goes first, so a trend in the load does not favour one side.
            if (i % 2 == 0) {
                rateA[i] = slice(a, producers, millis);
                rateB[i] = slice(b, producers, millis);
            } else {
                rateB[i] = slice(b, producers, millis);
                rateA[i] = slice(a, producers, millis);
            }
            ratios[i] = rateA[i] / rateB[i];
        }
        Arrays.sort(ratios);
        Arrays.sort(rateA);
        Arrays.sort(rateB);
        double wins = Arrays.stream(ratios).filter(r -> r > 1).count();
        return String.format(Locale.ROOT, "%-26s %-26s %-6s %8.1f M %8.1f M %7.2f [%4.2f .. %4.2f] %3.0f%%",
                a.name, b.name, producers + "->1", rateA[pairs / 2] / 1e6, rateB[pairs / 2] / 1e6,
                ratios[pairs / 2], ratios[pairs / 4], ratios[pairs * 3 / 4], 100 * wins / pairs);
    }

    public static void main(String[] args) throws Exception {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        long millis = args.length > 1 ? Long.parseLong(args[1]) : 200;
        Ring slotSingle = new Slot("SlotRing SINGLE", ProducerMode.SINGLE);
        Ring slotMulti = new Slot("SlotRing MULTI", ProducerMode.MULTI);
        Ring oneToOne = new Agrona("Agrona OneToOne", true);
        Ring manyToOne = new Agrona("Agrona ManyToOne", false);
        Ring[] labSingle = new Ring[RingLab.Variant.values().length];
        Ring[] labMulti = new Ring[RingLab.Variant.values().length];
        for (RingLab.Variant v : RingLab.Variant.values()) {
            labSingle[v.ordinal()] = new Lab(v, true);
            labMulti[v.ordinal()] = new Lab(v, false);
        }
        System.out.println("# warming up; load " + load());
        List<Ring> all = new ArrayList<>(List.of(slotSingle, slotMulti, oneToOne, manyToOne));
        all.addAll(List.of(labSingle));
        all.addAll(List.of(labMulti));
        for (int round = 0; round < 3; round++) {
            for (Ring r : all) {
                slice(r, r == slotMulti || r == manyToOne || List.of(labMulti).contains(r) ? 2 : 1, millis);
            }
        }
        System.out.println("# " + pairs + " pairs of " + millis + " ms slices; load " + load());
        System.out.printf(Locale.ROOT, "%-26s %-26s %-6s %10s %10s %7s %13s %4s%n", "A", "B", "shape", "A median",
                "B median", "A/B", "[quartiles]", "A>B");
        System.out.println(compare(slotSingle, oneToOne, 1, pairs, millis));
        System.out.println(compare(slotMulti, manyToOne, 2, pairs, millis));
        RingLab.Variant current = RingLab.Variant.CURRENT;
        for (RingLab.Variant v : RingLab.Variant.values()) {
            if (v != current) {
                System.out.println(compare(labSingle[current.ordinal()], labSingle[v.ordinal()], 1, pairs, millis));
            }
        }
        for (RingLab.Variant v : List.of(RingLab.Variant.SEED, RingLab.Variant.FREE_PER_BATCH,
                RingLab.Variant.PACKED_COUNTERS)) {
            System.out.println(compare(labMulti[current.ordinal()], labMulti[v.ordinal()], 2, pairs, millis));
        }
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
