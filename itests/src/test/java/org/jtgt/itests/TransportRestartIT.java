package org.jtgt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import javax.inject.Inject;

import org.jtgt.api.loopback.LoopbackInitiator;
import org.jtgt.api.loopback.LoopbackSession;
import org.jtgt.api.loopback.ScsiResult;
import org.jtgt.api.target.TargetAdmin;
import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hot-swap acceptance test: verified I/O from four threads continues across ten stops and
 * starts of the shared-memory transport bundle. While the transport is gone, commands wait in the
 * host queues; when it is back they complete. No command is lost, none completes twice, no byte
 * is wrong.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TransportRestartIT {
    private static final Logger LOG = LoggerFactory.getLogger(TransportRestartIT.class);

    private static final String TRANSPORT_BUNDLE = "jtgt-transport-shm";
    private static final int WORKERS = 4;
    private static final int CYCLES = 10;
    private static final long PAUSE_MS = 200;
    private static final int BLOCK_SIZE = 512;
    /** Each worker owns this many blocks, disjoint from the others'. */
    private static final int BLOCKS_PER_WORKER = 2048;
    /** Blocks per WRITE / READ. */
    private static final int BLOCKS_PER_COMMAND = 8;
    /** A command that takes longer is lost as far as this test is concerned. */
    private static final long COMMAND_TIMEOUT_S = 30;
    /** Commands each worker must complete after the last restart. */
    private static final int PROGRESS_AFTER_LAST_START = 20;

    @Inject
    private LoopbackInitiator initiator;

    @Inject
    private TargetAdmin admin;

    @Inject
    private BundleContext context;

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    private final List<Worker> workers = new ArrayList<>();

    @Configuration
    public Option[] config() {
        return new Option[] {JtgtOptions.framework()};
    }

    @After
    public void restoreTransport() throws Exception {
        running.set(false);
        for (Worker worker : workers) {
            worker.thread.join(TimeUnit.SECONDS.toMillis(COMMAND_TIMEOUT_S + 5));
        }
        Bundle transport = bundle(TRANSPORT_BUNDLE);
        if (transport != null && transport.getState() != Bundle.ACTIVE) {
            transport.start();
        }
    }

    @Test
    public void ioSurvivesTenTransportRestarts() throws Exception {
        Scsi.awaitTarget(admin, JtgtOptions.DEFAULT_TARGET);
        Bundle transport = bundle(TRANSPORT_BUNDLE);
        assertNotNull(TRANSPORT_BUNDLE + " is not installed", transport);
        assertEquals(Bundle.ACTIVE, transport.getState());

        for (int w = 0; w < WORKERS; w++) {
            LoopbackSession session = initiator.login("iqn.2026-11.org.jtgt.itests:restart-" + w, JtgtOptions.DEFAULT_TARGET);
            Scsi.awaitReady(session);
            workers.add(new Worker(w, session));
        }
        workers.forEach(Worker::start);
        awaitProgress(10, "before the first restart");

        long started = System.nanoTime();
        for (int cycle = 1; cycle <= CYCLES; cycle++) {
            long before = totalCompleted();
            transport.stop();
            Thread.sleep(PAUSE_MS);
            transport.start();
            assertEquals("transport bundle after start, cycle " + cycle, Bundle.ACTIVE, transport.getState());
            Thread.sleep(PAUSE_MS);
            LOG.info("transport restart {}/{} done; {} commands completed during the cycle",
                    cycle, CYCLES, totalCompleted() - before);
            assertTrue("errors during cycle " + cycle + ": " + errors, errors.isEmpty());
        }
        LOG.info("{} restarts in {} ms", CYCLES, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));

        awaitProgress(PROGRESS_AFTER_LAST_START, "after the last restart");
        running.set(false);
        for (Worker worker : workers) {
            worker.thread.join(TimeUnit.SECONDS.toMillis(COMMAND_TIMEOUT_S + 5));
            assertTrue("worker " + worker.id + " did not stop", !worker.thread.isAlive());
        }
        assertTrue("errors: " + errors, errors.isEmpty());

        // Every command came back exactly once, and each worker's whole range holds exactly the
        // last generation it wrote there: no lost write, no replay of an older one.
        for (Worker worker : workers) {
            // Completion callbacks run on the completing thread, possibly just after get() returned.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (worker.completed.get() < worker.submitted.get() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals("worker " + worker.id + ": submitted vs completed",
                    worker.submitted.get(), worker.completed.get());
            assertEquals("worker " + worker.id + ": completions beyond one per command", 0, worker.duplicates.get());
            worker.verifyWholeRange();
            worker.session.close();
        }
        assertTrue("errors in the final read-back: " + errors, errors.isEmpty());
        LOG.info("workers completed {} commands in total", totalCompleted());
    }

    private void awaitProgress(int commandsEach, String when) throws InterruptedException {
        long[] base = new long[workers.size()];
        for (int i = 0; i < base.length; i++) {
            base[i] = workers.get(i).completed.get();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(COMMAND_TIMEOUT_S);
        for (int i = 0; i < base.length; i++) {
            Worker worker = workers.get(i);
            while (worker.completed.get() - base[i] < commandsEach) {
                assertTrue("worker " + worker.id + " made no progress " + when + " (completed "
                        + worker.completed.get() + "); errors: " + errors, System.nanoTime() < deadline);
                assertTrue("errors " + when + ": " + errors, errors.isEmpty());
                Thread.sleep(10);
            }
        }
    }

    private long totalCompleted() {
        long total = 0;
        for (Worker worker : workers) {
            total += worker.completed.get();
        }
        return total;
    }

    private Bundle bundle(String symbolicName) {
        for (Bundle bundle : context.getBundles()) {
            if (symbolicName.equals(bundle.getSymbolicName())) {
                return bundle;
            }
        }
        return null;
    }

    /** One initiator thread: write a range, read it back, verify, move on; forever until stopped. */
    private final class Worker implements Runnable {
        final int id;
        final LoopbackSession session;
        final long firstLba;
        /** Last generation written to each block of the range (0: never written). */
        final int[] generations = new int[BLOCKS_PER_WORKER];
        final AtomicLong submitted = new AtomicLong();
        final AtomicLong completed = new AtomicLong();
        final AtomicLong duplicates = new AtomicLong();
        final Thread thread;

        Worker(int id, LoopbackSession session) {
            this.id = id;
            this.session = session;
            this.firstLba = (long) id * BLOCKS_PER_WORKER;
            this.thread = new Thread(this, "restart-worker-" + id);
        }

        void start() {
            thread.start();
        }

        @Override
        public void run() {
            ByteBuffer out = ByteBuffer.allocate(BLOCKS_PER_COMMAND * BLOCK_SIZE);
            ByteBuffer in = ByteBuffer.allocate(BLOCKS_PER_COMMAND * BLOCK_SIZE);
            int generation = 0;
            int offset = 0;
            try {
                while (running.get() && errors.isEmpty()) {
                    generation++;
                    long lba = firstLba + offset;
                    boolean sixteen = (generation & 1) == 0;
                    out.clear();
                    BlockPattern.fill(out, BLOCK_SIZE, lba, BLOCKS_PER_COMMAND, generation, id);
                    out.flip();
                    if (!run(sixteen ? Cdbs.write16(lba, BLOCKS_PER_COMMAND) : Cdbs.write10(lba, BLOCKS_PER_COMMAND), out, null)) {
                        return;
                    }
                    for (int i = 0; i < BLOCKS_PER_COMMAND; i++) {
                        generations[offset + i] = generation;
                    }
                    in.clear();
                    if (!run(sixteen ? Cdbs.read10(lba, BLOCKS_PER_COMMAND) : Cdbs.read16(lba, BLOCKS_PER_COMMAND), null, in)) {
                        return;
                    }
                    for (int i = 0; i < BLOCKS_PER_COMMAND; i++) {
                        in.position(i * BLOCK_SIZE);
                        String wrong = BlockPattern.verify(in, BLOCK_SIZE, lba + i, generation, id);
                        if (wrong != null) {
                            errors.add("worker " + id + ": " + wrong);
                            return;
                        }
                    }
                    offset = (offset + BLOCKS_PER_COMMAND) % BLOCKS_PER_WORKER;
                }
            } catch (InterruptedException e) {
                errors.add("worker " + id + " interrupted");
            }
        }

        /** One command, bounded; false (and an error recorded) unless it completed with GOOD. */
        private boolean run(byte[] cdb, ByteBuffer out, ByteBuffer in) throws InterruptedException {
            submitted.incrementAndGet();
            AtomicBoolean done = new AtomicBoolean();
            CompletableFuture<ScsiResult> future = session.submit(0, cdb, out, in);
            future.whenComplete((r, t) -> {
                if (done.compareAndSet(false, true)) {
                    completed.incrementAndGet();
                } else {
                    duplicates.incrementAndGet();
                }
            });
            try {
                ScsiResult result = future.get(COMMAND_TIMEOUT_S, TimeUnit.SECONDS);
                if (!result.good()) {
                    errors.add("worker " + id + ": " + Scsi.name(cdb) + " -> " + result);
                    return false;
                }
                int expected = BLOCKS_PER_COMMAND * BLOCK_SIZE;
                if (in != null && result.dataInLength() != expected) {
                    errors.add("worker " + id + ": " + Scsi.name(cdb) + " returned " + result.dataInLength() + " bytes, not " + expected);
                    return false;
                }
                return true;
            } catch (TimeoutException e) {
                errors.add("worker " + id + ": " + Scsi.name(cdb) + " not completed within " + COMMAND_TIMEOUT_S + " s (lost?)");
                return false;
            } catch (java.util.concurrent.ExecutionException e) {
                errors.add("worker " + id + ": " + Scsi.name(cdb) + " failed: " + e.getCause());
                return false;
            }
        }

        /** Reads the whole range back and checks every block holds the last generation written to it. */
        void verifyWholeRange() throws Exception {
            int chunk = 64;
            ByteBuffer in = ByteBuffer.allocate(chunk * BLOCK_SIZE);
            for (int offset = 0; offset < BLOCKS_PER_WORKER; offset += chunk) {
                in.clear();
                Scsi.good(session, Cdbs.read16(firstLba + offset, chunk), null, in);
                for (int i = 0; i < chunk; i++) {
                    int generation = generations[offset + i];
                    if (generation == 0) {
                        continue;
                    }
                    in.position(i * BLOCK_SIZE);
                    String wrong = BlockPattern.verify(in, BLOCK_SIZE, firstLba + offset + i, generation, id);
                    if (wrong != null) {
                        errors.add("worker " + id + " final read-back: " + wrong);
                        return;
                    }
                }
            }
        }
    }
}
