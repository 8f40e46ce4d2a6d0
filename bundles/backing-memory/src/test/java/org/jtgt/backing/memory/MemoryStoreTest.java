package org.jtgt.backing.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jtgt.util.ByteSize;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MemoryStoreTest {
    private static final int CHUNK = 1 << MemoryStore.DEFAULT_CHUNK_SHIFT;
    private static final long PAGE = (long) CHUNK << MemoryStore.DEFAULT_PAGE_SHIFT;
    private static final long TIB = 1L << 40;

    private ExecutorService pool;

    @AfterEach
    void stopPool() throws InterruptedException {
        if (pool != null) {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed * 31 + i * 7 + (i >>> 8));
        }
        return b;
    }

    private static byte[] read(MemoryStore s, long offset, int length) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate(length);
        s.read(offset, dst);
        assertEquals(length, dst.position(), "read advances the position by the bytes read");
        return dst.array();
    }

    @Test
    void roundTripAtUnalignedOffsetsAcrossChunkAndPageBoundaries() throws IOException {
        MemoryStore s = new MemoryStore(TIB);
        long[] offsets = {0, 1, CHUNK - 3, 5L * CHUNK + 17, PAGE - 1000, 3 * PAGE - 7, TIB - 70_000};
        int[] lengths = {1, 511, 100, 3 * CHUNK + 5, 70_000, 12, 70_000};
        for (int i = 0; i < offsets.length; i++) {
            byte[] data = pattern(lengths[i], i);
            ByteBuffer src = ByteBuffer.wrap(data);
            s.write(offsets[i], src, i % 2 == 0);
            assertEquals(0, src.remaining(), "write consumes the buffer");
        }
        for (int i = 0; i < offsets.length; i++) {
            assertArrayEquals(pattern(lengths[i], i), read(s, offsets[i], lengths[i]), "range " + i);
        }
        // Bytes just around a written range stay zero.
        assertArrayEquals(new byte[4], read(s, PAGE - 1004, 4));
        assertArrayEquals(new byte[5], read(s, PAGE - 1000 + 70_000, 5));
    }

    @Test
    void directAndReadOnlyBuffersWork() throws IOException {
        MemoryStore s = new MemoryStore(1 << 20);
        byte[] data = pattern(3 * CHUNK, 9);
        ByteBuffer direct = ByteBuffer.allocateDirect(data.length);
        direct.put(data).flip();
        s.write(CHUNK / 2, direct.asReadOnlyBuffer(), false);
        ByteBuffer in = ByteBuffer.allocateDirect(data.length + 100);
        s.read(CHUNK / 2 - 50, in);
        in.flip();
        byte[] got = new byte[in.remaining()];
        in.get(got);
        byte[] want = new byte[data.length + 100];
        System.arraycopy(data, 0, want, 50, data.length);
        assertArrayEquals(want, got);
    }

    @Test
    void smallChunksCrossManyPages() throws IOException {
        // 16-byte chunks, 4 chunks a page: every few bytes is a boundary.
        MemoryStore s = new MemoryStore(10_005, 4, 2);
        byte[] data = pattern(777, 3);
        s.write(61, ByteBuffer.wrap(data), false);
        assertArrayEquals(data, read(s, 61, 777));
        assertArrayEquals(new byte[61], read(s, 0, 61));
        assertEquals((61 + 777 + 15) / 16 * 16 - 48, s.allocatedBytes(), "whole chunks touched");
        // The last chunk (10_005 = 625 * 16 + 5) is allocated whole, so that growing keeps it.
        long before = s.allocatedBytes();
        s.write(10_004, ByteBuffer.wrap(new byte[] {42}), false);
        assertEquals(before + 16, s.allocatedBytes());
        assertEquals(42, read(s, 10_004, 1)[0]);
    }

    @Test
    void growKeepsTheDataAndTheNewBytesReadZero() throws IOException {
        // 16-byte chunks, 4 chunks a page: growing from 10_005 bytes crosses into new pages.
        MemoryStore s = new MemoryStore(10_005, 4, 2);
        byte[] data = pattern(1_000, 7);
        s.write(9_005, ByteBuffer.wrap(data), false);
        s.grow(50_000);
        assertEquals(50_000, s.size());
        assertArrayEquals(data, read(s, 9_005, 1_000));
        assertArrayEquals(new byte[40_000 - 5], read(s, 10_005, 40_000 - 5), "the new bytes read zero");
        byte[] tail = pattern(2_000, 9);
        s.write(48_000, ByteBuffer.wrap(tail), false);
        assertArrayEquals(tail, read(s, 48_000, 2_000));
        s.grow(50_000);   // the same size: no change
        assertEquals(50_000, s.size());
        assertThrows(IllegalArgumentException.class, () -> s.grow(49_999), "never shrinks");
        assertThrows(IllegalArgumentException.class, () -> s.grow(MemoryStore.MAX_SIZE + 1));
        assertThrows(IOException.class, () -> s.read(50_000 - 1, ByteBuffer.allocate(2)));
    }

    @Test
    void growWhileWritersRunLosesNoWrite() throws Exception {
        // Writers allocate pages while the directory is copied: every write must read back.
        MemoryStore s = new MemoryStore(16 * 4, 4, 2);   // one page
        int writers = 2;
        int perWriter = 2_000;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<?>> done = new ArrayList<>();
            AtomicBoolean failed = new AtomicBoolean();
            for (int w = 0; w < writers; w++) {
                int id = w;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < perWriter; i++) {
                        long offset = (long) (i * writers + id) * 64;   // one page a write
                        while (offset + 8 > s.size()) {
                            Thread.onSpinWait();
                        }
                        try {
                            s.write(offset, ByteBuffer.allocate(8).putLong(0, offset), false);
                        } catch (IOException e) {
                            failed.set(true);
                        }
                    }
                    return null;
                }));
            }
            for (long size = 64; size < (long) perWriter * writers * 64; size += 64 * 7) {
                s.grow(size);
            }
            s.grow((long) perWriter * writers * 64);
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertTrue(!failed.get());
            for (long offset = 0; offset < (long) perWriter * writers * 64; offset += 64) {
                ByteBuffer b = ByteBuffer.allocate(8);
                s.read(offset, b);
                assertEquals(offset, b.getLong(0), "write at " + offset);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void unwrittenRangesReadZerosWithoutAllocating() throws IOException {
        MemoryStore s = new MemoryStore(TIB);
        byte[] dirty = pattern(2 * CHUNK + 9, 1);
        ByteBuffer dst = ByteBuffer.wrap(dirty);
        s.read(TIB / 2 - 5, dst);
        assertArrayEquals(new byte[dirty.length], dirty);
        assertEquals(0, s.allocatedBytes());
    }

    @Test
    void terabyteStoreAllocatesOnlyTouchedChunks() throws IOException {
        MemoryStore s = new MemoryStore(TIB);
        s.write(0, ByteBuffer.wrap(pattern(10, 1)), false);
        s.write(TIB / 2 + 100, ByteBuffer.wrap(pattern(10, 2)), false);
        s.write(TIB - 1, ByteBuffer.wrap(pattern(1, 3)), false);
        assertEquals(3L * CHUNK, s.allocatedBytes());
        assertEquals("memory, 1 TiB (used 192 KiB)", s.describe());
        assertArrayEquals(pattern(10, 2), read(s, TIB / 2 + 100, 10));
    }

    @Test
    void outOfRangeIsRefusedAndChangesNothing() throws IOException {
        MemoryStore s = new MemoryStore(1 << 20);
        ByteBuffer src = ByteBuffer.wrap(pattern(10, 1));
        IOException e = assertThrows(IOException.class, () -> s.write((1 << 20) - 5, src, false));
        assertTrue(e.getMessage().contains("outside"), e.getMessage());
        assertEquals(10, src.remaining(), "refused write leaves the buffer alone");
        assertThrows(IOException.class, () -> s.write(-1, ByteBuffer.allocate(1), false));
        assertThrows(IOException.class, () -> s.read(Long.MAX_VALUE, ByteBuffer.allocate(2)));
        assertThrows(IOException.class, () -> s.read(1 << 20, ByteBuffer.allocate(1)));
        assertEquals(0, s.allocatedBytes());
        s.read(1 << 20, ByteBuffer.allocate(0)); // empty transfer at the end is fine
    }

    @Test
    void sizeLimits() {
        assertThrows(IllegalArgumentException.class, () -> new MemoryStore(0));
        assertThrows(IllegalArgumentException.class, () -> new MemoryStore(-1));
        assertThrows(IllegalArgumentException.class, () -> new MemoryStore(MemoryStore.MAX_SIZE + 1));
        assertEquals("memory, 1 PiB (used 0 B)", new MemoryStore(MemoryStore.MAX_SIZE).describe());
    }

    @Test
    void closedStoreRefusesIo() throws IOException {
        MemoryStore s = new MemoryStore(1 << 20);
        s.write(0, ByteBuffer.wrap(pattern(10, 1)), false);
        s.close();
        assertEquals(0, s.allocatedBytes());
        assertThrows(IOException.class, () -> s.read(0, ByteBuffer.allocate(1)));
        assertThrows(IOException.class, () -> s.flush());
    }

    @Test
    void providerOpensMemoryStores() throws IOException {
        MemoryStoreProvider p = new MemoryStoreProvider();
        assertEquals("memory", p.type());
        var s = p.open(null, 1L << 30, Map.of());
        assertEquals(1L << 30, s.size());
        assertEquals("memory, 1 GiB (used 0 B)", s.describe());
        assertThrows(IllegalArgumentException.class, () -> p.open(null, 0, null));
        assertThrows(IllegalArgumentException.class, () -> p.open(null, 100, Map.of("create", "true")));
    }

    /** A memory store has no store options: a LUN asking for one is refused with that reason. */
    @Test
    void theMemoryProviderTakesNoStoreOptions() throws IOException {
        MemoryStoreProvider p = new MemoryStoreProvider();
        assertEquals(java.util.Set.of(), p.optionKeys());
        var plan = p.plan(null, 4096L, false, Map.of());
        assertEquals(Map.of(), plan.options());
        assertEquals(Map.of(), plan.storeOptions());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> p.plan(null, 4096L, false, Map.of("direct", "1")));
        assertEquals("a memory store has no option 'direct' (it takes none)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> p.openOptions(false, Map.of("direct", "1")));
        assertEquals(Map.of(), p.openOptions(true, Map.of()));
    }

    @Test
    void byteSizes() {
        assertEquals("512 B", ByteSize.format(512));
        assertEquals("1 KiB", ByteSize.format(1024));
        assertEquals("1.5 MiB", ByteSize.format(3L << 19));
        assertEquals("10 GiB", ByteSize.format(10L << 30));
    }

    /** Writers racing to allocate the same fresh chunks must all land in the one array that wins. */
    @Test
    void concurrentFirstTouchKeepsEveryWrite() throws Exception {
        int threads = 4;
        int chunks = 2_000;
        MemoryStore s = new MemoryStore((long) chunks * CHUNK);
        pool = Executors.newFixedThreadPool(threads);
        CyclicBarrier barrier = new CyclicBarrier(threads);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int me = t;
            done.add(pool.submit(() -> {
                ByteBuffer one = ByteBuffer.allocate(64);
                for (int c = 0; c < chunks; c++) {
                    if (c % 100 == 0) {
                        barrier.await(10, TimeUnit.SECONDS);
                    }
                    one.clear();
                    one.put(0, pattern(64, c * threads + me));
                    s.write((long) c * CHUNK + me * 64L, one, false);
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get(60, TimeUnit.SECONDS);
        }
        assertEquals((long) chunks * CHUNK, s.allocatedBytes(), "each chunk allocated once");
        for (int c = 0; c < chunks; c++) {
            for (int t = 0; t < threads; t++) {
                assertArrayEquals(pattern(64, c * threads + t), read(s, (long) c * CHUNK + t * 64L, 64),
                        "chunk " + c + " thread " + t);
            }
        }
    }

    /** Writers on distinct ranges while readers check a stable range and the final contents. */
    @Test
    void concurrentWritersAndReaders() throws Exception {
        MemoryStore s = new MemoryStore(64L << 20);
        int stableLength = 5 * CHUNK + 123;
        long stableOffset = 40L << 20;
        byte[] stable = pattern(stableLength, 77);
        s.write(stableOffset, ByteBuffer.wrap(stable), false);

        int writers = 3;
        int rangeLength = 3 * CHUNK + 1001; // unaligned, crossing chunks
        int rounds = 50;
        pool = Executors.newFixedThreadPool(writers + 2);
        AtomicBoolean stop = new AtomicBoolean();
        List<Future<?>> writing = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int me = w;
            writing.add(pool.submit(() -> {
                for (int r = 0; r < rounds; r++) {
                    for (int k = 0; k < 8; k++) {
                        long offset = 7 + (long) (me * 8 + k) * (rangeLength + 13);
                        s.write(offset, ByteBuffer.wrap(pattern(rangeLength, me * 1000 + k + r)), false);
                    }
                }
                return null;
            }));
        }
        List<Future<?>> reading = new ArrayList<>();
        for (int rd = 0; rd < 2; rd++) {
            reading.add(pool.submit(() -> {
                ByteBuffer dst = ByteBuffer.allocate(stableLength);
                int checks = 0;
                while (!stop.get() || checks == 0) {
                    dst.clear();
                    s.read(stableOffset, dst);
                    assertArrayEquals(stable, dst.array());
                    checks++;
                }
                return checks;
            }));
        }
        for (Future<?> f : writing) {
            f.get(60, TimeUnit.SECONDS);
        }
        stop.set(true);
        for (Future<?> f : reading) {
            f.get(60, TimeUnit.SECONDS);
        }
        for (int w = 0; w < writers; w++) {
            for (int k = 0; k < 8; k++) {
                long offset = 7 + (long) (w * 8 + k) * (rangeLength + 13);
                assertArrayEquals(pattern(rangeLength, w * 1000 + k + rounds - 1), read(s, offset, rangeLength));
            }
        }
    }

    @Test
    void deallocateDropsWholeChunksZeroesPartialOnesAndUsedShrinks() throws IOException {
        MemoryStore s = new MemoryStore(TIB);
        byte[] data = pattern(4 * CHUNK, 3);
        s.write(0, ByteBuffer.wrap(data), false);
        assertEquals(4L * CHUNK, s.allocatedBytes());
        // From the middle of chunk 0 to the middle of chunk 3: chunks 1 and 2 go, 0 and 3 stay.
        s.deallocate(CHUNK / 2, 3L * CHUNK);
        assertEquals(2L * CHUNK, s.allocatedBytes());
        assertTrue(s.describe().endsWith("(used 128 KiB)"), s.describe());
        byte[] back = read(s, 0, 4 * CHUNK);
        byte[] expected = data.clone();
        java.util.Arrays.fill(expected, CHUNK / 2, CHUNK / 2 + 3 * CHUNK, (byte) 0);
        assertArrayEquals(expected, back);
        assertEquals(CHUNK, s.runLength(0, 4L * CHUNK, true), "chunk 0 is still mapped");
        assertEquals(0, s.runLength(0, 4L * CHUNK, false));
        assertEquals(2L * CHUNK, s.runLength(CHUNK, 4L * CHUNK, false), "chunks 1 and 2 are not");
        assertEquals(CHUNK - 512, s.runLength(3L * CHUNK + 512, 4L * CHUNK, true));
        // Never-written pages are skipped as a whole, and the answer stops at maxLength.
        assertEquals(3 * PAGE, s.runLength(4L * CHUNK + PAGE, 3 * PAGE, false));
        s.deallocate(0, TIB);   // the whole store, mostly never written
        assertEquals(0, s.allocatedBytes());
        assertArrayEquals(new byte[CHUNK], read(s, 0, CHUNK));
        s.write(CHUNK, ByteBuffer.wrap(data, 0, 100), false);   // a dropped chunk comes back zeroed
        byte[] again = read(s, CHUNK, 200);
        assertArrayEquals(java.util.Arrays.copyOf(data, 100), java.util.Arrays.copyOf(again, 100));
        assertArrayEquals(new byte[100], java.util.Arrays.copyOfRange(again, 100, 200));
        assertEquals(CHUNK, s.deallocationGranularity());
        assertThrows(IOException.class, () -> s.deallocate(TIB - 10, 11));
        assertThrows(IOException.class, () -> s.deallocate(-1, 1));
    }
}
