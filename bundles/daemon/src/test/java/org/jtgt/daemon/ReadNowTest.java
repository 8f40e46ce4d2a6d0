package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.transport.DeferredDelivery;
import org.junit.jupiter.api.Test;

/**
 * A READ over a store that blocks is tried on the delivering thread first
 * ({@code BackingStore.readNow}): served there when the store has the bytes at hand, handed to
 * the unit's workers when it has not (or fails), and never both answered twice or lost.
 */
class ReadNowTest {
    /** A store that blocks, whose readNow serves, declines or fails as the test says. */
    static final class CachingStore extends MemoryStore {
        enum Mode { SERVE, DECLINE, DECLINE_AFTER_WRITING, FAIL }

        volatile Mode mode = Mode.SERVE;
        final AtomicInteger readNowCalls = new AtomicInteger();
        final AtomicInteger readCalls = new AtomicInteger();
        final AtomicReference<Thread> readNowThread = new AtomicReference<>();
        final AtomicReference<Thread> readThread = new AtomicReference<>();

        CachingStore(int size) {
            super(size, true);
        }

        @Override
        public boolean readNow(long offset, ByteBuffer dst) throws IOException {
            readNowCalls.incrementAndGet();
            readNowThread.set(Thread.currentThread());
            switch (mode) {
                case SERVE:
                    super.read(offset, dst);
                    return true;
                case DECLINE_AFTER_WRITING:
                    while (dst.hasRemaining()) {
                        dst.put((byte) 0x5A);   // a partial read left junk: the worker's read replaces it
                    }
                    return false;
                case FAIL:
                    throw new IOException("no cache here");
                default:
                    return false;
            }
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            readCalls.incrementAndGet();
            readThread.set(Thread.currentThread());
            super.read(offset, dst);
        }
    }

    private static Harness withCachingStore(CachingStore store) {
        return Harness.withLun(new Harness(), LunOptions.DEFAULT, store);
    }

    private static byte[] written(Harness h, int lba, int blocks, int seed) {
        byte[] data = Harness.pattern(blocks * Harness.BLOCK, seed);
        h.write(0, Cdbs.rw10(true, lba, blocks, 0), data).assertGood();
        return data;
    }

    @Test
    void aReadTheStoreHasAtHandEndsOnTheDeliveringThread() {
        CachingStore store = new CachingStore(Harness.SIZE);
        Harness h = withCachingStore(store);
        byte[] data = written(h, 16, 8, 3);
        Harness.Result r = h.read(0, Cdbs.rw10(false, 16, 8, 0), data.length);
        r.assertGood();
        assertArrayEquals(data, r.data());
        assertEquals(1, store.readNowCalls.get());
        assertSame(Thread.currentThread(), store.readNowThread.get(), "readNow runs where the command was delivered");
        assertEquals(0, store.readCalls.get(), "no worker read");
    }

    @Test
    void aReadTheStoreDeclinesGoesToTheWorkersAndReadsThere() {
        for (CachingStore.Mode mode : new CachingStore.Mode[] {CachingStore.Mode.DECLINE,
                CachingStore.Mode.DECLINE_AFTER_WRITING, CachingStore.Mode.FAIL}) {
            CachingStore store = new CachingStore(Harness.SIZE);
            Harness h = withCachingStore(store);
            byte[] data = written(h, 40, 4, 7);
            store.mode = mode;
            Harness.Result r = h.read(0, Cdbs.rw10(false, 40, 4, 0), data.length);
            r.assertGood();
            assertArrayEquals(data, r.data(), mode.toString());
            assertEquals(1, store.readNowCalls.get(), mode.toString());
            assertEquals(1, store.readCalls.get(), mode + ": one worker read");
            assertNotSame(Thread.currentThread(), store.readThread.get(), mode + ": the worker reads, not the deliverer");
            assertTrue(store.readThread.get().getName().startsWith("jtgt-lun0"), store.readThread.get().getName());
        }
    }

    @Test
    void whileSeveralInitiatorsUseTheUnitReadsGoToTheWorkersInArrivalOrder() {
        CachingStore store = new CachingStore(Harness.SIZE);
        Harness h = withCachingStore(store);
        long other = Harness.NEXUS + 1;
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(Harness.INITIATOR + "-b,i,0x23d000000002", Harness.TARGET, other));
        byte[] data = written(h, 24, 2, 11);
        // The other initiator's command makes the unit shared: the next READ is not served on
        // the delivering thread, whichever nexus sends it.
        h.command(other, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null).assertGood();
        Harness.Result r = h.read(0, Cdbs.rw10(false, 24, 2, 0), data.length);
        r.assertGood();
        assertArrayEquals(data, r.data());
        assertEquals(0, store.readNowCalls.get(), "shared: not tried on the delivering thread");
        assertEquals(1, store.readCalls.get());
        assertNotSame(Thread.currentThread(), store.readThread.get());
        // Once one nexus alone has sent TaskSet.SOLE_AFTER commands in a row, reads are served
        // where they are delivered again.
        for (int i = 0; i < TaskSet.SOLE_AFTER - 2; i++) {
            h.none(0, Cdbs.testUnitReady()).assertGood();
        }
        h.read(0, Cdbs.rw10(false, 24, 2, 0), data.length).assertGood();
        assertEquals(0, store.readNowCalls.get(), "one command short of SOLE_AFTER: still shared");
        r = h.read(0, Cdbs.rw10(false, 24, 2, 0), data.length);
        r.assertGood();
        assertArrayEquals(data, r.data());
        assertEquals(1, store.readNowCalls.get(), "sole again: served on the delivering thread");
        assertSame(Thread.currentThread(), store.readNowThread.get());
        assertEquals(2, store.readCalls.get());
    }

    /**
     * A worker that answers owes the transport nothing beyond its task: what it was asked to
     * deliver once out of the daemon ({@link DeferredDelivery}, the in-process transport's
     * KEVENT_CMD_DONE) runs on that worker right after the task, not on a thread woken for it.
     */
    @Test
    void aWorkerDeliversWhatItOwesOnceItsTaskIsDone() throws Exception {
        CachingStore store = new CachingStore(Harness.SIZE);
        Harness h = withCachingStore(store);
        byte[] data = written(h, 56, 2, 13);
        store.mode = CachingStore.Mode.DECLINE;
        CompletableFuture<Thread> ranOn = new CompletableFuture<>();
        AtomicReference<Boolean> owed = new AtomicReference<>();
        Runnable action = () -> ranOn.complete(Thread.currentThread());
        h.endpoint.onSent = () -> {
            if (Thread.currentThread().getName().startsWith("jtgt-lun0")) {
                owed.set(DeferredDelivery.owe(action));
            }
        };
        Harness.Result r = h.read(0, Cdbs.rw10(false, 56, 2, 0), data.length);
        r.assertGood();
        assertArrayEquals(data, r.data());
        Thread worker = ranOn.get(5, TimeUnit.SECONDS);
        assertEquals(Boolean.TRUE, owed.get(), "the worker promised to deliver");
        assertSame(store.readThread.get(), worker, "delivered by the worker that answered");
        h.endpoint.onSent = null;
    }

    @Test
    void turnedOffEveryReadGoesToTheWorkers() {
        CachingStore store = new CachingStore(Harness.SIZE);
        Harness h = new Harness();
        h.daemon.readNow(false);
        Harness.withLun(h, LunOptions.DEFAULT, store);
        byte[] data = written(h, 8, 2, 5);
        Harness.Result r = h.read(0, Cdbs.rw10(false, 8, 2, 0), data.length);
        r.assertGood();
        assertArrayEquals(data, r.data());
        assertEquals(0, store.readNowCalls.get(), "jtgt.store.readNow=false: the store is never asked");
        assertEquals(1, store.readCalls.get());
    }

    @Test
    void aReadRefusedByItsCdbTouchesNoStore() {
        CachingStore store = new CachingStore(Harness.SIZE);
        Harness h = withCachingStore(store);
        int blocks = Harness.SIZE / Harness.BLOCK;
        h.read(0, Cdbs.rw10(false, blocks - 1, 2, 0), 2 * Harness.BLOCK)
                .assertSense(0x05, 0x21, 0x00);   // LOGICAL BLOCK ADDRESS OUT OF RANGE
        assertEquals(0, store.readNowCalls.get());
        assertEquals(0, store.readCalls.get());
    }

    @Test
    void writesStillRunOnTheWorkersAndReadsSeeThem() {
        CachingStore store = new CachingStore(Harness.SIZE);
        Harness h = withCachingStore(store);
        for (int i = 0; i < 50; i++) {
            store.mode = i % 2 == 0 ? CachingStore.Mode.SERVE : CachingStore.Mode.DECLINE;
            byte[] data = written(h, i * 3, 3, i);
            Harness.Result r = h.read(0, Cdbs.rw10(false, i * 3, 3, 0), data.length);
            r.assertGood();
            assertArrayEquals(data, r.data(), "round " + i);
        }
        assertEquals(50, store.readNowCalls.get());
        assertEquals(25, store.readCalls.get());
    }
}
