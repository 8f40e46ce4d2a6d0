package org.jtgt.backing.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;

import org.jtgt.api.store.IoCompletion;
import org.jtgt.api.store.SpaceAllocationFailedException;
import org.junit.jupiter.api.Test;

/** The memory store as an asynchronous store: every operation completes inline, once, failures passed. */
class MemoryStoreAsyncTest {
    private static final int CHUNK_SHIFT = 10;
    private static final int PAGE_SHIFT = 2;
    private static final int CHUNK = 1 << CHUNK_SHIFT;

    /** Records each completion: how many, on which thread, with what. */
    private static final class Recorder implements IoCompletion {
        int calls;
        Thread thread;
        IOException failure;

        @Override
        public void ioDone(IOException f) {
            calls++;
            thread = Thread.currentThread();
            failure = f;
        }

        /** Exactly one completion so far, on this thread, before the submit returned. */
        IOException once() {
            assertEquals(1, calls, "completed exactly once before the submit returned");
            assertSame(Thread.currentThread(), thread, "completed on the submitting thread");
            return failure;
        }
    }

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 13 + seed);
        }
        return b;
    }

    @Test
    void everyOperationCompletesInlineOnceWithoutFailure() {
        MemoryStore s = new MemoryStore(1 << 20);
        assertFalse(s.blocks(), "memory never blocks: the daemon calls it inline");
        assertTrue(s.freesSpace(), "deallocation drops chunks");
        byte[] data = pattern(3000, 7);

        Recorder w = new Recorder();
        ByteBuffer src = ByteBuffer.wrap(data);
        s.submitWrite(1000, src, true, w);
        assertNull(w.once());
        assertFalse(src.hasRemaining(), "the write consumed the buffer");

        Recorder r = new Recorder();
        ByteBuffer dst = ByteBuffer.allocateDirect(3000);
        s.submitRead(1000, dst, r);
        assertNull(r.once());
        byte[] back = new byte[3000];
        dst.flip().get(back);
        assertArrayEquals(data, back);

        Recorder f = new Recorder();
        s.submitFlush(f);
        assertNull(f.once());

        long before = s.allocatedBytes();
        Recorder d = new Recorder();
        s.submitDeallocate(0, 1 << 16, d);
        assertNull(d.once());
        assertTrue(s.allocatedBytes() < before, "the deallocation dropped the chunk");
        Recorder r2 = new Recorder();
        ByteBuffer zeros = ByteBuffer.allocate(3000);
        s.submitRead(1000, zeros, r2);
        assertNull(r2.once());
        assertArrayEquals(new byte[3000], zeros.array());

        Recorder k = new Recorder();
        int[] ran = {0};
        s.submitWork(() -> ran[0]++, k);
        assertNull(k.once());
        assertEquals(1, ran[0], "the work ran inline");
    }

    @Test
    void failuresArePassedToTheCompletionNeverThrown() throws IOException {
        MemoryStore s = new MemoryStore(1 << 20);

        Recorder outside = new Recorder();
        s.submitRead((1 << 20) - 10, ByteBuffer.allocate(20), outside);
        assertTrue(outside.once().getMessage().contains("outside"), outside.failure.getMessage());

        Recorder outsideWrite = new Recorder();
        s.submitWrite(-1, ByteBuffer.allocate(1), false, outsideWrite);
        assertInstanceOf(IOException.class, outsideWrite.once());

        Recorder outsideUnmap = new Recorder();
        s.submitDeallocate(1 << 20, 1, outsideUnmap);
        assertInstanceOf(IOException.class, outsideUnmap.once());

        IOException thrown = new IOException("work failed");
        Recorder work = new Recorder();
        s.submitWork(() -> {
            throw thrown;
        }, work);
        assertSame(thrown, work.once());

        Recorder readOnly = new Recorder();
        s.submitRead(0, ByteBuffer.allocate(8).asReadOnlyBuffer(), readOnly);
        assertInstanceOf(IOException.class, readOnly.once(), "a programming error still completes");

        s.close();
        Recorder closed = new Recorder();
        s.submitFlush(closed);
        assertTrue(closed.once().getMessage().contains("closed"));
        Recorder closedRead = new Recorder();
        s.submitRead(0, ByteBuffer.allocate(8), closedRead);
        assertTrue(closedRead.once().getMessage().contains("closed"));
    }

    @Test
    void aWriteThatFindsNoSpaceCompletesWithSpaceAllocationFailed() throws IOException {
        // 16 KiB store: 4 pages, 32 bytes of directory; room for the directory, one page of 32 bytes and 2 chunks.
        MemoryBudget budget = new MemoryBudget(32 + 32 + 2 * CHUNK);
        MemoryStore s = MemoryStore.open(16 * CHUNK, CHUNK_SHIFT, PAGE_SHIFT, budget);
        Recorder fits = new Recorder();
        s.submitWrite(0, ByteBuffer.wrap(pattern(2 * CHUNK, 1)), false, fits);
        assertNull(fits.once());

        Recorder full = new Recorder();
        s.submitWrite(2 * CHUNK, ByteBuffer.wrap(pattern(CHUNK, 2)), false, full);
        assertInstanceOf(SpaceAllocationFailedException.class, full.once());

        ByteBuffer back = ByteBuffer.allocate(2 * CHUNK);
        s.read(0, back);
        assertArrayEquals(pattern(2 * CHUNK, 1), back.array(), "what was written before stays readable");
    }

    /** A completion that throws is called once; the exception is the submitter's to see. */
    @Test
    void aThrowingCompletionIsNotCalledAgain() {
        MemoryStore s = new MemoryStore(1 << 20);
        int[] calls = {0};
        IllegalStateException boom = new IllegalStateException("completion failed");
        IllegalStateException seen = assertThrows(IllegalStateException.class,
                () -> s.submitRead(0, ByteBuffer.allocate(8), f -> {
                    calls[0]++;
                    throw boom;
                }));
        assertSame(boom, seen);
        assertEquals(1, calls[0]);
    }

    /** STYLE.md: no allocation per command; submitting to chunks that exist allocates nothing. */
    @Test
    void submitReadAndWriteAllocateNothing() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "needs HotSpot's allocation counter");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
        assumeTrue(mx.isThreadAllocatedMemorySupported());
        mx.setThreadAllocatedMemoryEnabled(true);

        MemoryStore s = new MemoryStore(1 << 20);
        ByteBuffer heap = ByteBuffer.wrap(pattern(4096, 3));
        ByteBuffer direct = ByteBuffer.allocateDirect(4096);
        Recorder done = new Recorder();
        int warmup = 50_000;
        int measured = 50_000;
        run(s, heap, direct, done, warmup);
        done.calls = 0;
        long before = mx.getCurrentThreadAllocatedBytes();
        run(s, heap, direct, done, measured);
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertEquals(3 * measured, done.calls, "every submission completed once");
        assertNull(done.failure);
        // Less than one byte per submission: one object each (16 bytes at least) would be 2.4 MB.
        assertTrue(allocated < measured, allocated + " bytes allocated for " + 3 * measured + " submissions");
    }

    private static void run(MemoryStore s, ByteBuffer heap, ByteBuffer direct, Recorder done, int n) {
        for (int i = 0; i < n; i++) {
            long offset = (i & 127) * 4096L;
            s.submitWrite(offset, heap.clear(), false, done);
            s.submitRead(offset, direct.clear(), done);
            s.submitRead(offset + 100, heap.clear().limit(1000), done);
        }
    }
}
