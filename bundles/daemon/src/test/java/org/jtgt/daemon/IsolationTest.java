package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/**
 * A logical unit whose store is slow never delays another one on the same transport thread:
 * with LUN 0's store stuck, LUN 1's commands are answered. Deterministic: the stuck store is
 * held (asynchronous) or blocked on a latch (synchronous, on LUN 0's workers) until the test
 * lets it go.
 */
class IsolationTest {
    /** A synchronous store whose reads wait at a gate: it blocks, so it runs on the unit's workers. */
    static final class BlockingStore extends MemoryStore {
        final CountDownLatch gate = new CountDownLatch(1);
        final java.util.concurrent.atomic.AtomicInteger entered = new java.util.concurrent.atomic.AtomicInteger();

        BlockingStore(int size) {
            super(size, true);
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            entered.incrementAndGet();
            try {
                if (!gate.await(10, TimeUnit.SECONDS)) {
                    throw new IOException("gate never opened");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            super.read(offset, dst);
        }
    }

    private static Harness twoLuns(MemoryStore slow) {
        Harness h = Harness.withLun(new Harness(), LunOptions.DEFAULT, slow);
        h.daemon.addLun(Harness.TARGET, 1, new MemoryStore(Harness.SIZE), Harness.BLOCK, LunOptions.DEFAULT);
        // adding a LUN established REPORTED LUNS DATA HAS CHANGED: take it
        h.none(1, Cdbs.testUnitReady());
        return h;
    }

    private static void lunOneWorks(Harness h) {
        byte[] data = Harness.pattern(4096, 5);
        h.write(1, Cdbs.rw10(true, 8, 8, 0), data).assertGood();
        Harness.Result r = h.read(1, Cdbs.rw10(false, 8, 8, 0), 4096);
        r.assertGood();
        org.junit.jupiter.api.Assertions.assertArrayEquals(data, r.data());
        h.none(1, Cdbs.synchronizeCache10(0, 0)).assertGood();
    }

    @Test
    void aHeldAsynchronousStoreDoesNotDelayAnotherUnit() throws Exception {
        HeldStore slow = new HeldStore(Harness.SIZE);
        Harness h = twoLuns(slow);
        long stuck = h.send(Harness.NEXUS, 0, Cdbs.rw10(false, 1, 1, 0), DataDirection.READ, 512, null, TaskAttribute.SIMPLE);
        slow.awaitHeld(1);
        lunOneWorks(h);
        assertNull(h.answer(stuck));
        slow.releaseAll();
        assertEquals(0, CmdRspEvent.status(h.awaitAnswer(stuck), 0));
    }

    @Test
    void aBlockedSynchronousStoreOccupiesOnlyItsOwnWorkers() throws Exception {
        BlockingStore slow = new BlockingStore(Harness.SIZE);
        Harness h = new Harness();
        h.daemon.storeThreads(1);
        Harness.withLun(h, LunOptions.DEFAULT, slow);
        h.daemon.addLun(Harness.TARGET, 1, new MemoryStore(Harness.SIZE), Harness.BLOCK, LunOptions.DEFAULT);
        h.none(1, Cdbs.testUnitReady());
        long running = h.send(Harness.NEXUS, 0, Cdbs.rw10(false, 1, 1, 0), DataDirection.READ, 512, null, TaskAttribute.SIMPLE);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (slow.entered.get() == 0) {
            assertTrue(System.nanoTime() < deadline, "the worker never started the read");
            Thread.onSpinWait();
        }
        long queued = h.send(Harness.NEXUS, 0, Cdbs.rw10(false, 2, 1, 0), DataDirection.READ, 512, null, TaskAttribute.SIMPLE);
        lunOneWorks(h);
        // the one worker is busy: the second read waits in LUN 0's queue, and an abort takes it out at once
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(TaskManagementFunction.ABORT_TASK, 0, h.tagOf(queued)));
        assertTrue(CmdRspEvent.aborted(h.awaitAnswer(queued), 0));
        assertEquals(1, slow.entered.get(), "the aborted read never reached the store");
        assertNull(h.answer(running));
        slow.gate.countDown();
        assertEquals(0, CmdRspEvent.status(h.awaitAnswer(running), 0));
    }
}
