package org.jtgt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.jtgt.api.loopback.LoopbackInitiator;
import org.jtgt.api.loopback.LoopbackSession;
import org.jtgt.api.loopback.ScsiResult;

/**
 * Verified I/O from several loopback sessions at once, for the tests that disturb the path under
 * load: each worker owns a disjoint block range, writes it with per-block patterns (LBA,
 * generation, worker) and reads every write back, forever until stopped. At the end every command
 * must have completed exactly once and the whole range must hold the last generation written.
 */
final class VerifiedIo implements AutoCloseable {
    static final int BLOCK_SIZE = 512;
    /** Each worker owns this many blocks, disjoint from the others'. */
    static final int BLOCKS_PER_WORKER = 2048;
    /** Blocks per WRITE / READ. */
    static final int BLOCKS_PER_COMMAND = 8;
    /** A command that takes longer is lost as far as these tests are concerned. */
    static final long COMMAND_TIMEOUT_S = 30;

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    private final List<Worker> workers = new ArrayList<>();

    /** Logs in {@code count} sessions named {@code prefix-N} and starts a worker on each. */
    VerifiedIo(LoopbackInitiator initiator, String prefix, int count) throws Exception {
        this(initiator, prefix, count, 0);
    }

    /** As above, with the workers' ranges starting at {@code baseLba}, for tests that share the LUN. */
    VerifiedIo(LoopbackInitiator initiator, String prefix, int count, long baseLba) throws Exception {
        for (int w = 0; w < count; w++) {
            LoopbackSession session = initiator.login(prefix + "-" + w, JtgtOptions.DEFAULT_TARGET);
            Scsi.awaitReady(session);
            workers.add(new Worker(w, session, baseLba));
        }
        workers.forEach(w -> w.thread.start());
    }

    /** What went wrong so far; empty while all is well. */
    ConcurrentLinkedQueue<String> errors() {
        return errors;
    }

    long totalCompleted() {
        long total = 0;
        for (Worker worker : workers) {
            total += worker.completed.get();
        }
        return total;
    }

    /** Waits until every worker has completed {@code commandsEach} more commands; fails on errors or after the timeout. */
    void awaitProgress(int commandsEach, String when) throws InterruptedException {
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
                Thread.sleep(1);
            }
        }
    }

    /**
     * Stops the workers and checks the outcome: no error, every command completed exactly once,
     * every block holds the last generation written to it. Logs the sessions out.
     */
    void stopAndVerify() throws Exception {
        stop();
        assertTrue("errors: " + errors, errors.isEmpty());
        for (Worker worker : workers) {
            assertTrue("worker " + worker.id + " did not stop", !worker.thread.isAlive());
            // Completion callbacks run on the completing thread, possibly just after get() returned.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (worker.completed.get() < worker.submitted.get() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals("worker " + worker.id + ": submitted vs completed", worker.submitted.get(),
                    worker.completed.get());
            assertEquals("worker " + worker.id + ": completions beyond one per command", 0, worker.duplicates.get());
            worker.verifyWholeRange();
            worker.session.close();
        }
        assertTrue("errors in the final read-back: " + errors, errors.isEmpty());
    }

    private void stop() throws InterruptedException {
        running.set(false);
        for (Worker worker : workers) {
            worker.thread.join(TimeUnit.SECONDS.toMillis(COMMAND_TIMEOUT_S + 5));
        }
    }

    /** Stops the workers without checking (for {@code @After} after a failure). */
    @Override
    public void close() throws InterruptedException {
        stop();
    }

    /** One initiator thread: write a range, read it back, verify, move on; until stopped. */
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

        Worker(int id, LoopbackSession session, long baseLba) {
            this.id = id;
            this.session = session;
            this.firstLba = baseLba + (long) id * BLOCKS_PER_WORKER;
            this.thread = new Thread(this, "verified-io-" + id);
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
                    if (!run(sixteen ? Cdbs.write16(lba, BLOCKS_PER_COMMAND) : Cdbs.write10(lba, BLOCKS_PER_COMMAND),
                            out, null)) {
                        return;
                    }
                    for (int i = 0; i < BLOCKS_PER_COMMAND; i++) {
                        generations[offset + i] = generation;
                    }
                    in.clear();
                    if (!run(sixteen ? Cdbs.read10(lba, BLOCKS_PER_COMMAND) : Cdbs.read16(lba, BLOCKS_PER_COMMAND),
                            null, in)) {
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
                    errors.add("worker " + id + ": " + Scsi.name(cdb) + " returned " + result.dataInLength()
                            + " bytes, not " + expected);
                    return false;
                }
                return true;
            } catch (TimeoutException e) {
                errors.add("worker " + id + ": " + Scsi.name(cdb) + " not completed within " + COMMAND_TIMEOUT_S
                        + " s (lost?)");
                return false;
            } catch (ExecutionException e) {
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
