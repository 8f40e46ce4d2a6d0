package org.jtgt.backing.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jtgt.api.store.BackingStore;
import org.jtgt.api.store.StorePlan;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Files live in a fresh directory under target/, removed after each test. (Not @TempDir: NIO
 * reads java.io.tmpdir once at JVM start, before surefire sets it, so @TempDir lands in /tmp.)
 */
class FileStoreTest {
    private static final Map<String, String> CREATE = Map.of("create", "true");
    private static final Map<String, String> READONLY = Map.of("readonly", "true");

    private Path dir;

    private final FileStoreProvider provider = new FileStoreProvider();
    private final List<BackingStore> open = new ArrayList<>();
    private ExecutorService pool;

    @BeforeEach
    void makeDir() throws IOException {
        Path target = Path.of("target");
        Files.createDirectories(target);
        dir = Files.createTempDirectory(target, "file-store-test-").toAbsolutePath();
    }

    /** A new LUN's file as jtgtadm asks for it: an absolute path; an existing file at its own length, a missing one created. */
    @Test
    void planChecksANewLunsPathAndSize() throws IOException {
        Path existing = dir.resolve("existing.img");
        Files.write(existing, new byte[8192]);
        assertEquals(new StorePlan(existing.toString(), 8192, Map.of(), false), provider.plan(existing.toString(), null, false));
        assertEquals(new StorePlan(existing.toString(), 8192, READONLY, false),
                provider.plan(dir + "/./existing.img", 8192L, true), "normalised; read-only opens read-only");
        Path missing = dir.resolve("missing.img");
        assertEquals(new StorePlan(missing.toString(), 4096, CREATE, true), provider.plan(missing.toString(), 4096L, false));
        assertEquals("no such file: " + missing + " (give --size BYTES to create it)",
                assertThrows(IOException.class, () -> provider.plan(missing.toString(), null, false)).getMessage());
        assertEquals(existing + " has 8192 bytes, not --size 4096 (jtgtadm neither grows nor truncates an existing file)",
                assertThrows(IOException.class, () -> provider.plan(existing.toString(), 4096L, false)).getMessage());
        assertEquals("backing path rel.img is not absolute (jtgt does not run in jtgtadm's directory)",
                assertThrows(IOException.class, () -> provider.plan("rel.img", null, false)).getMessage());
        assertEquals(dir + " is not a regular file",
                assertThrows(IOException.class, () -> provider.plan(dir.toString(), null, false)).getMessage());
        assertTrue(provider.usesPath());
        assertFalse(provider.thinByDefault());
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (pool != null) {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
        for (BackingStore s : open) {
            s.close();
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private BackingStore open(Path file, long size, Map<String, String> options) throws IOException {
        BackingStore s = provider.open(file.toString(), size, options);
        open.add(s);
        return s;
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed * 31 + i * 7 + (i >>> 8));
        }
        return b;
    }

    private static byte[] read(BackingStore s, long offset, int length) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate(length);
        s.read(offset, dst);
        assertEquals(length, dst.position(), "read fills the buffer");
        return dst.array();
    }

    @Test
    void roundTripSurvivesReopen() throws IOException {
        Path file = dir.resolve("lun0.img");
        BackingStore s = open(file, 10L << 20, CREATE);
        assertEquals(10L << 20, Files.size(file), "created at the given size");
        assertEquals("file " + file.toAbsolutePath() + ", 10 MiB", s.describe());
        long[] offsets = {0, 600, 4095, 1_000_003, (10L << 20) - 77};
        int[] lengths = {512, 1, 70_000, 3 << 16, 77};
        for (int i = 0; i < offsets.length; i++) {
            ByteBuffer src = ByteBuffer.wrap(pattern(lengths[i], i));
            s.write(offsets[i], src, false);
            assertEquals(0, src.remaining());
        }
        for (int i = 0; i < offsets.length; i++) {
            assertArrayEquals(pattern(lengths[i], i), read(s, offsets[i], lengths[i]));
        }
        s.close();

        BackingStore again = open(file, 0, Map.of()); // 0: the file's size
        assertEquals(10L << 20, again.size());
        for (int i = 0; i < offsets.length; i++) {
            assertArrayEquals(pattern(lengths[i], i), read(again, offsets[i], lengths[i]));
        }
    }

    @Test
    void fuaWritesAndFlushWork() throws IOException {
        Path file = dir.resolve("fua.img");
        BackingStore s = open(file, 1 << 20, CREATE);
        ByteBuffer direct = ByteBuffer.allocateDirect(8192);
        direct.put(pattern(8192, 5)).flip();
        s.write(12_345, direct, true);
        s.flush();
        assertArrayEquals(pattern(8192, 5), read(s, 12_345, 8192));
        byte[] onDisk = Files.readAllBytes(file);
        assertArrayEquals(pattern(8192, 5), Arrays.copyOfRange(onDisk, 12_345, 12_345 + 8192));
    }

    @Test
    void aSizeLargerThanTheFileIsRefusedWithoutCreate() throws IOException {
        Path file = dir.resolve("short.img");
        Files.write(file, pattern(1000, 1));
        IOException e = assertThrows(IOException.class, () -> open(file, 1 << 20, Map.of()));
        assertTrue(e.getMessage().contains("has 1000 bytes, fewer than the 1048576 asked for"), e.getMessage());
        assertEquals(1000, Files.size(file), "the file is left alone");
        open(file, 512, Map.of()).close();   // a smaller size uses the start of the file
        open(file, 1 << 20, CREATE);          // create extends it
        assertEquals(1 << 20, Files.size(file));
    }

    @Test
    void aFileTruncatedUnderneathFailsReadsAndWritesInsteadOfReadingZeros() throws IOException {
        Path file = dir.resolve("truncated.img");
        FileStore s = (FileStore) open(file, 1 << 20, CREATE);
        s.write(0, ByteBuffer.wrap(pattern(1 << 20, 3)), true);
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(4096);
        }
        assertArrayEquals(Arrays.copyOf(pattern(1 << 20, 3), 4096), read(s, 0, 4096), "what is left still reads");
        IOException e = assertThrows(IOException.class, () -> read(s, 8192, 512));
        assertTrue(e.getMessage().contains("truncated underneath"), e.getMessage());
        assertTrue(s.failure().contains("truncated"), s.failure());
        assertThrows(IOException.class, () -> s.write(100_000, ByteBuffer.wrap(pattern(512, 4)), false));
        assertThrows(IOException.class, () -> read(s, 0, 512), "the store stays failed");
        assertEquals(4096, Files.size(file), "no write grew the truncated file back");
    }

    @Test
    void aTruncationIsFoundByTheCheckEvenWithoutAReadPastTheEnd() throws IOException {
        Path file = dir.resolve("truncated2.img");
        FileStore s = (FileStore) open(file, 1 << 20, CREATE);
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(4096);
        }
        IOException e = assertThrows(IOException.class, s::flush);
        assertTrue(e.getMessage().contains("truncated underneath"), e.getMessage());
        assertThrows(IOException.class, () -> s.write(0, ByteBuffer.wrap(pattern(512, 4)), false));
    }

    @Test
    void aDeletedOrReplacedFileFailsTheStoreWithinTheCheckInterval() throws Exception {
        Path deleted = dir.resolve("deleted.img");
        FileStore d = (FileStore) open(deleted, 1 << 20, CREATE);
        Files.delete(deleted);
        IOException e = assertThrows(IOException.class, () -> writeUntilFailed(d));
        assertTrue(e.getMessage().contains("deleted underneath"), e.getMessage());

        Path replaced = dir.resolve("replaced.img");
        FileStore r = (FileStore) open(replaced, 1 << 20, CREATE);
        Path other = dir.resolve("other.img");
        Files.write(other, new byte[1 << 20]);
        Files.move(other, replaced, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        e = assertThrows(IOException.class, () -> writeUntilFailed(r));
        assertTrue(e.getMessage().contains("replaced underneath"), e.getMessage());
        assertArrayEquals(new byte[1 << 20], Files.readAllBytes(replaced), "the new file got none of the writes");
    }

    /** Writes until the store fails; gives up (and fails the test) after three check intervals. */
    private static void writeUntilFailed(BackingStore s) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 3 * FileStore.CHECK_INTERVAL_NANOS;
        while (System.nanoTime() < deadline) {
            s.write(0, ByteBuffer.wrap(pattern(512, 9)), false);
            Thread.sleep(50);
        }
        throw new AssertionError("the store kept taking writes");
    }

    @Test
    void oneFileIsOpenInOneStoreOnlyWhateverThePathSays() throws IOException {
        Path file = dir.resolve("shared.img");
        open(file, 1 << 20, CREATE);
        Path link = dir.resolve("link.img");
        Files.createSymbolicLink(link, file);
        Path dotted = dir.resolve("sub");
        Files.createDirectories(dotted);
        for (Path p : List.of(file, link, dotted.resolve("../shared.img"))) {
            IOException e = assertThrows(IOException.class, () -> provider.open(p.toString(), 0, Map.of()));
            assertTrue(e.getMessage().contains("already in use"), e.getMessage());
            e = assertThrows(IOException.class, () -> provider.open(p.toString(), 0, READONLY));
            assertTrue(e.getMessage().contains("already in use"), e.getMessage());
        }
    }

    @Test
    void aFileLockedByAnotherProcessIsRefused() throws Exception {
        Path file = dir.resolve("other-process.img");
        Files.write(file, new byte[1 << 16]);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process holder = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                LockHolder.class.getName(), file.toString()).redirectErrorStream(true).start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream()));
            assertEquals("locked", out.readLine());
            IOException e = assertThrows(IOException.class, () -> provider.open(file.toString(), 0, Map.of()));
            assertTrue(e.getMessage().contains("locked by another process"), e.getMessage());
        } finally {
            holder.getOutputStream().close();
            assertTrue(holder.waitFor(10, TimeUnit.SECONDS));
        }
        open(file, 0, Map.of());   // free again once that process let go
    }

    @Test
    void aCreatedFileIsOwnerOnlyAndAnExistingFileKeepsItsMode() throws IOException {
        Path created = dir.resolve("new.img");
        open(created, 1 << 20, CREATE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(created)));

        Path existing = Files.write(dir.resolve("shared.img"), pattern(100, 1));
        Files.setPosixFilePermissions(existing, PosixFilePermissions.fromString("rw-rw-r--"));
        open(existing, 4096, CREATE);
        assertEquals("rw-rw-r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(existing)),
                "the operator's file is not chmod-ed");
    }

    @Test
    void createExtendsAShorterExistingFile() throws IOException {
        Path file = dir.resolve("grow.img");
        Files.write(file, pattern(100, 1));
        BackingStore s = open(file, 4096, CREATE);
        assertEquals(4096, Files.size(file));
        assertArrayEquals(pattern(100, 1), read(s, 0, 100));
    }

    @Test
    void smallerStoreThanFileUsesItsStart() throws IOException {
        Path file = dir.resolve("big.img");
        Files.write(file, pattern(1000, 1));
        BackingStore s = open(file, 100, Map.of());
        assertEquals(100, s.size());
        assertArrayEquals(Arrays.copyOf(pattern(1000, 1), 100), read(s, 0, 100));
        assertThrows(IOException.class, () -> read(s, 95, 10));
        assertEquals(1000, Files.size(file), "never truncated");
    }

    @Test
    void outOfRangeIsRefusedAndTheFileIsUntouched() throws IOException {
        Path file = dir.resolve("range.img");
        BackingStore s = open(file, 8192, CREATE);
        s.write(8000, ByteBuffer.wrap(pattern(192, 3)), false);
        byte[] before = Files.readAllBytes(file);

        ByteBuffer src = ByteBuffer.wrap(pattern(10, 4));
        IOException e = assertThrows(IOException.class, () -> s.write(8190, src, true));
        assertTrue(e.getMessage().contains("outside") && e.getMessage().contains(file.toString()), e.getMessage());
        assertEquals(10, src.remaining());
        assertThrows(IOException.class, () -> s.write(-1, ByteBuffer.allocate(1), false));
        assertThrows(IOException.class, () -> s.write(Long.MAX_VALUE - 2, ByteBuffer.allocate(8), false));
        assertThrows(IOException.class, () -> s.write(8192, ByteBuffer.allocate(1), false));
        assertThrows(IOException.class, () -> s.read(8191, ByteBuffer.allocate(2)));
        assertThrows(IOException.class, () -> s.read(-5, ByteBuffer.allocate(2)));

        assertEquals(8192, Files.size(file));
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    @Test
    void missingFileWithoutCreateIsRefused() {
        Path file = dir.resolve("missing.img");
        IOException e = assertThrows(IOException.class, () -> open(file, 4096, Map.of()));
        assertEquals("no such file: " + file.toAbsolutePath(), e.getMessage());
        assertFalse(Files.exists(file));
    }

    @Test
    void directoriesAndSpecialFilesAreRefused() throws IOException {
        IOException e = assertThrows(IOException.class, () -> open(dir, 4096, Map.of()));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
        assertThrows(IOException.class, () -> open(dir, 4096, CREATE));
        Path devNull = Path.of("/dev/null");
        if (Files.exists(devNull)) {
            e = assertThrows(IOException.class, () -> open(devNull, 4096, Map.of()));
            assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        }
    }

    @Test
    void badArgumentsAreRefused() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> provider.open(null, 1, Map.of()));
        assertEquals("file store needs a path", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> provider.open(" ", 1, null));
        Path file = dir.resolve("x.img");
        assertThrows(IllegalArgumentException.class, () -> open(file, 0, CREATE), "create needs a size");
        assertThrows(IllegalArgumentException.class, () -> open(file, -1, CREATE));
        assertThrows(IllegalArgumentException.class, () -> open(file, 1, Map.of("readOnly", "true")));
        assertThrows(IllegalArgumentException.class, () -> open(file, 1, Map.of("create", "yes")));
        assertThrows(IllegalArgumentException.class, () -> open(file, 1, Map.of("create", "true", "readonly", "true")));
        assertFalse(Files.exists(file));
        Files.createFile(file);
        IOException empty = assertThrows(IOException.class, () -> open(file, 0, Map.of()));
        assertTrue(empty.getMessage().contains("is empty"), empty.getMessage());
    }

    @Test
    void readOnlyStoreRefusesWrites() throws IOException {
        Path file = dir.resolve("ro.img");
        Files.write(file, pattern(4096, 6));
        BackingStore s = open(file, 0, READONLY);
        assertTrue(s.describe().endsWith(", read-only"), s.describe());
        IOException e = assertThrows(IOException.class, () -> s.write(0, ByteBuffer.allocate(10), false));
        assertTrue(e.getMessage().contains("read-only"), e.getMessage());
        s.flush();
        assertArrayEquals(pattern(4096, 6), read(s, 0, 4096));
        assertArrayEquals(pattern(4096, 6), Files.readAllBytes(file));
    }

    @Test
    void closedStoreRefusesIoAndCloseIsIdempotent() throws IOException {
        BackingStore s = open(dir.resolve("c.img"), 4096, CREATE);
        s.close();
        s.close();
        assertThrows(IOException.class, () -> read(s, 0, 1));
        assertThrows(IOException.class, () -> s.write(0, ByteBuffer.allocate(1), false));
        assertThrows(IOException.class, s::flush);
    }

    /** An interrupt makes the JDK close the channel; the store must survive it. */
    @Test
    void interruptedOperationFailsButTheStoreStaysUsable() throws IOException {
        BackingStore s = open(dir.resolve("intr.img"), 1 << 20, CREATE);
        s.write(100, ByteBuffer.wrap(pattern(50, 7)), false);
        Thread.currentThread().interrupt();
        try {
            assertThrows(InterruptedIOException.class, () -> read(s, 100, 50));
        } finally {
            assertTrue(Thread.interrupted(), "interrupt status is kept");
        }
        assertArrayEquals(pattern(50, 7), read(s, 100, 50));
        s.write(200, ByteBuffer.wrap(pattern(50, 8)), true);
        assertArrayEquals(pattern(50, 8), read(s, 200, 50));
    }

    @Test
    void concurrentPositionalReadsAndWrites() throws Exception {
        Path file = dir.resolve("conc.img");
        BackingStore s = open(file, 16L << 20, CREATE);
        int stableLength = 100_003;
        long stableOffset = 12L << 20;
        s.write(stableOffset, ByteBuffer.wrap(pattern(stableLength, 99)), false);

        int writers = 3;
        int ranges = 6;
        int rangeLength = 65_537;
        int rounds = 40;
        pool = Executors.newFixedThreadPool(writers + 2);
        AtomicBoolean stop = new AtomicBoolean();
        List<Future<?>> writing = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int me = w;
            writing.add(pool.submit(() -> {
                ByteBuffer direct = ByteBuffer.allocateDirect(rangeLength);
                for (int r = 0; r < rounds; r++) {
                    for (int k = 0; k < ranges; k++) {
                        long offset = 3 + (long) (me * ranges + k) * (rangeLength + 5);
                        direct.clear();
                        direct.put(pattern(rangeLength, me * 100 + k + r)).flip();
                        s.write(offset, direct, r % 10 == 0);
                        assertArrayEquals(pattern(rangeLength, me * 100 + k + r), read(s, offset, rangeLength));
                    }
                }
                return null;
            }));
        }
        List<Future<?>> reading = new ArrayList<>();
        for (int rd = 0; rd < 2; rd++) {
            reading.add(pool.submit(() -> {
                int checks = 0;
                while (!stop.get() || checks == 0) {
                    assertArrayEquals(pattern(stableLength, 99), read(s, stableOffset, stableLength));
                    checks++;
                }
                return checks;
            }));
        }
        for (Future<?> f : writing) {
            f.get(120, TimeUnit.SECONDS);
        }
        stop.set(true);
        for (Future<?> f : reading) {
            f.get(60, TimeUnit.SECONDS);
        }
        for (int w = 0; w < writers; w++) {
            for (int k = 0; k < ranges; k++) {
                long offset = 3 + (long) (w * ranges + k) * (rangeLength + 5);
                assertArrayEquals(pattern(rangeLength, w * 100 + k + rounds - 1), read(s, offset, rangeLength));
            }
        }
    }

    @Test
    void providerType() {
        assertEquals("file", provider.type());
    }

    /** The fallback (no hole punching: another OS, no JNA, a file system without it) writes zeros. */
    @Test
    void deallocateWithoutHolePunchingWritesZerosInsideTheFileOnly() throws IOException {
        Path file = dir.resolve("unmap.img");
        FileStore s = (FileStore) open(file, 1 << 20, CREATE);
        s.stopPunchingHoles();
        assertFalse(s.freesSpace(), "zeros free nothing");
        assertEquals(0, s.deallocationGranularity());
        byte[] data = pattern(200_000, 8);
        s.write(1000, ByteBuffer.wrap(data), false);
        s.flush();
        long blocks = FileHolesTest.allocatedBlocks(file);
        s.deallocate(5000, 150_000);
        byte[] back = read(s, 1000, data.length);
        byte[] expected = data.clone();
        Arrays.fill(expected, 4000, 154_000, (byte) 0);
        assertArrayEquals(expected, back);
        s.flush();
        assertTrue(FileHolesTest.allocatedBlocks(file) >= blocks, "writing zeros gives no space back");
        assertEquals(1 << 20, Files.size(file), "the file neither grows nor shrinks");
        assertEquals(1 << 20, s.runLength(0, 1 << 20, true), "every block stays mapped");
        assertEquals(0, s.runLength(0, 1 << 20, false));
        assertThrows(IOException.class, () -> s.deallocate((1 << 20) - 1, 2));
    }

    @Test
    void growExtendsTheFileKeepsTheDataAndNeverShrinks() throws IOException {
        Path file = dir.resolve("grow.img");
        BackingStore s = open(file, 1 << 20, CREATE);
        byte[] data = pattern(4096, 3);
        s.write((1 << 20) - 4096, ByteBuffer.wrap(data), false);
        s.grow(4 << 20);
        assertEquals(4 << 20, s.size());
        assertEquals(4 << 20, Files.size(file), "the file has the LUN's length");
        assertArrayEquals(data, read(s, (1 << 20) - 4096, 4096));
        assertArrayEquals(new byte[8192], read(s, (4 << 20) - 8192, 8192), "the new bytes read zero");
        s.write((4 << 20) - 512, ByteBuffer.wrap(pattern(512, 4)), true);
        assertArrayEquals(pattern(512, 4), read(s, (4 << 20) - 512, 512));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.grow(2 << 20));
        assertTrue(e.getMessage().contains("cannot shrink"), e.getMessage());
        s.grow(4 << 20);
        assertEquals(4 << 20, Files.size(file));
    }

    @Test
    void readOnlyStoreGrowsOnlyWithinTheFileAndAllowWritesReopensIt() throws IOException {
        Path file = dir.resolve("ro.img");
        open(file, 1 << 20, CREATE).close();
        BackingStore s = open(file, 1 << 19, Map.of("readonly", "true"));
        assertThrows(IOException.class, () -> s.write(0, ByteBuffer.allocate(512), false));
        s.grow(1 << 20);   // the file is that long already
        IOException e = assertThrows(IOException.class, () -> s.grow(2 << 20));
        assertTrue(e.getMessage().contains("read-only"), e.getMessage());
        s.allowWrites();
        s.write(0, ByteBuffer.wrap(pattern(512, 5)), true);
        assertArrayEquals(pattern(512, 5), read(s, 0, 512));
        s.grow(2 << 20);
        assertEquals(2 << 20, Files.size(file));
    }
}
