package org.jtgt.backing.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.store.BackingStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code direct=1}: O_DIRECT file stores, aligned I/O straight through, the rest bounced. Files under target/. */
class FileDirectTest {
    private static final int MIB = 1 << 20;
    private static final Map<String, String> CREATE_DIRECT = Map.of("create", "true", "direct", "1");

    private Path dir;
    private final FileStoreProvider provider = new FileStoreProvider();
    private final List<BackingStore> open = new ArrayList<>();
    private ExecutorService pool;

    @BeforeEach
    void makeDir() throws IOException {
        Path target = Path.of("target");
        Files.createDirectories(target);
        dir = Files.createTempDirectory(target, "file-direct-test-").toAbsolutePath();
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

    private FileStore open(Path file, long size, Map<String, String> options) throws IOException {
        FileStore s = (FileStore) provider.open(file.toString(), size, options);
        open.add(s);
        return s;
    }

    /** A direct buffer whose content starts {@code misalign} bytes after an aligned address. */
    private static ByteBuffer directBuffer(byte[] content, int alignment, int misalign) {
        ByteBuffer b = ByteBuffer.allocateDirect(content.length + 2 * alignment).alignedSlice(alignment);
        b.position(misalign);
        b = b.slice();
        b.put(content).flip();
        return b;
    }

    @Test
    void roundTripsAlignedAndUnalignedOffsetsLengthsAndBuffers() throws IOException {
        Path file = dir.resolve("direct.img");
        FileStore s = open(file, 4 * MIB, CREATE_DIRECT);
        assertTrue(s.direct());
        assertTrue(s.describe().endsWith(", O_DIRECT"), s.describe());
        assertTrue(s.blocks(), "a file store blocks: the daemon runs it on the unit's worker pool");
        ByteBuffer now = ByteBuffer.allocateDirect(4096);
        assertFalse(s.readNow(0, now), "O_DIRECT reads always go to the device: never on the delivering thread");
        int a = s.alignment();
        assertEquals(Files.getFileStore(file).getBlockSize(), a);
        byte[] model = new byte[4 * MIB];
        long[] offsets = {0, a, 1000, 3L * a - 7, MIB + 1, 4L * MIB - 5000, 4L * MIB - a, 17};
        int[] lengths = {a, 8 * a, 3000, 2 * a + 14, 100_000, 5000, a, 1};
        for (int i = 0; i < offsets.length; i++) {
            byte[] data = FileHolesTest.pattern(lengths[i], i + 1);
            // Alternate heap, aligned direct and misaligned direct buffers.
            ByteBuffer src = switch (i % 3) {
                case 0 -> ByteBuffer.wrap(data);
                case 1 -> directBuffer(data, a, 0);
                default -> directBuffer(data, a, 3);
            };
            s.write(offsets[i], src, i % 2 == 0);
            assertFalse(src.hasRemaining(), "the write consumed the buffer");
            System.arraycopy(data, 0, model, (int) offsets[i], data.length);
        }
        for (int i = 0; i < offsets.length; i++) {
            int n = lengths[i];
            byte[] want = Arrays.copyOfRange(model, (int) offsets[i], (int) offsets[i] + n);
            ByteBuffer heap = ByteBuffer.allocate(n);
            s.read(offsets[i], heap);
            assertArrayEquals(want, heap.array(), "heap read at " + offsets[i]);
            for (int misalign : new int[] {0, 5}) {
                ByteBuffer d = directBuffer(new byte[n], a, misalign);
                s.read(offsets[i], d);
                assertFalse(d.hasRemaining());
                byte[] got = new byte[n];
                d.flip().get(got);
                assertArrayEquals(want, got, "direct read at " + offsets[i] + ", buffer " + misalign + " past alignment");
            }
        }
        s.flush();
        assertArrayEquals(model, Files.readAllBytes(file), "the file holds what was written, nothing past its end");
        assertEquals(4 * MIB, Files.size(file));
    }

    /** Unaligned writes to different sectors of one file-system block run concurrently: none may be lost to another's read-modify-write. */
    @Test
    void concurrentUnalignedWritesToOneBlockLoseNothing() throws Exception {
        Path file = dir.resolve("rmw.img");
        FileStore s = open(file, MIB, CREATE_DIRECT);
        int a = s.alignment();
        int sectors = Math.min(8, a / 512);
        int blocks = 16;
        int rounds = 40;
        pool = Executors.newFixedThreadPool(sectors);
        CyclicBarrier start = new CyclicBarrier(sectors);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < sectors; t++) {
            int sector = t;
            done.add(pool.submit(() -> {
                start.await();
                for (int r = 0; r < rounds; r++) {
                    for (int b = 0; b < blocks; b++) {
                        byte[] data = new byte[512];
                        Arrays.fill(data, (byte) (sector * 16 + r % 16 + 1));
                        s.write((long) b * a + sector * 512L, ByteBuffer.wrap(data), false);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get(60, TimeUnit.SECONDS);
        }
        for (int b = 0; b < blocks; b++) {
            byte[] got = FileHolesTest.read(s, (long) b * a, sectors * 512);
            for (int sector = 0; sector < sectors; sector++) {
                byte want = (byte) (sector * 16 + (rounds - 1) % 16 + 1);
                for (int i = 0; i < 512; i++) {
                    assertEquals(want, got[sector * 512 + i], "block " + b + " sector " + sector + " byte " + i);
                }
            }
        }
    }

    @Test
    void punchingAndGrowingWorkOnADirectStore() throws IOException {
        Path file = dir.resolve("grow.img");
        FileStore s = open(file, MIB, CREATE_DIRECT);
        int a = s.alignment();
        byte[] data = FileHolesTest.pattern(MIB, 4);
        s.write(0, ByteBuffer.wrap(data), false);
        s.deallocate(1000, 3L * a);
        byte[] expected = data.clone();
        Arrays.fill(expected, 1000, 1000 + 3 * a, (byte) 0);
        assertArrayEquals(expected, FileHolesTest.read(s, 0, MIB));
        s.grow(2 * MIB);
        assertEquals(2 * MIB, Files.size(file), "the file grew with the store");
        assertArrayEquals(new byte[MIB], FileHolesTest.read(s, MIB, MIB), "the new bytes read as zero");
        assertArrayEquals(expected, FileHolesTest.read(s, 0, MIB), "the old ones are unchanged");
        IOException e = assertThrows(IOException.class, () -> s.grow(2 * MIB + 512));
        assertTrue(e.getMessage().contains("multiples of the file system block size"), e.getMessage());
    }

    @Test
    void aSizeThatIsNotAMultipleOfTheBlockSizeIsRefused() throws IOException {
        Path file = dir.resolve("odd.img");
        Files.write(file, new byte[8192 + 512]);
        IOException e = assertThrows(IOException.class, () -> provider.open(file.toString(), 0, Map.of("direct", "1")));
        assertTrue(e.getMessage().startsWith("direct=1 needs a size that is a multiple of the file system block size"),
                e.getMessage());
        open(file, 8192, Map.of("direct", "1")).close();   // the aligned start of it is fine
        open(file, 0, Map.of()).close();   // and without direct, all of it; the refusal left no lock behind
    }

    @Test
    void badValuesOfDirectAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> provider.open(dir.resolve("x.img").toString(), MIB, Map.of("create", "true", "direct", "yes")));
        assertEquals("file store option direct must be 1 or 0 (true or false), not 'yes'", e.getMessage());
    }

    /**
     * {@code direct} is the one store option a user gives a file LUN: the provider names it with
     * its values, checks them, and a plan or a reopening with it opens the file with O_DIRECT,
     * keeping it in the plan for the LUN's configuration.
     */
    @Test
    void directIsTheStoreOptionAUserGivesAFileLun() throws IOException {
        assertEquals(java.util.Set.of("direct"), provider.optionKeys());
        assertEquals("0|1", provider.optionValues("direct"));
        Path file = dir.resolve("planned.img");
        org.jtgt.api.store.StorePlan plan = provider.plan(file.toString(), 2L * MIB, false, Map.of("direct", "1"));
        assertEquals(Map.of("create", "true", "direct", "1"), plan.options());
        assertEquals(Map.of("direct", "1"), plan.storeOptions());
        assertTrue(plan.creates());
        FileStore created = open(file, plan.size(), plan.options());
        assertTrue(created.direct(), created.describe());
        created.close();

        Map<String, String> again = provider.openOptions(true, Map.of("direct", "1"));
        assertEquals(Map.of("readonly", "true", "direct", "1"), again);
        FileStore reopened = open(file, 0, again);
        assertTrue(reopened.direct() && reopened.describe().endsWith(", read-only, O_DIRECT"), reopened.describe());
        org.jtgt.api.store.StorePlan existing = provider.plan(file.toString(), null, false, Map.of("direct", "0"));
        assertEquals(Map.of("direct", "0"), existing.options());
        reopened.close();
        assertFalse(open(file, 0, existing.options()).direct(), "direct=0: the page cache");
        assertEquals(Map.of(), provider.openOptions(false, Map.of()), "no store options: as before");

        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> provider.plan(dir.resolve("never.img").toString(), (long) MIB, false, Map.of("direct", "yes")));
        assertEquals("direct=yes: use direct=0|1 (1: open the file with O_DIRECT, bypassing the page cache)",
                bad.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> provider.openOptions(false, Map.of("sync", "1")));
        assertEquals("a file store has no option 'sync' (it takes direct=0|1)", unknown.getMessage());
        IllegalArgumentException internal = assertThrows(IllegalArgumentException.class,
                () -> provider.openOptions(false, Map.of("create", "true")));
        assertEquals("a file store has no option 'create' (it takes direct=0|1)", internal.getMessage(),
                "the options the caller sets are not the user's");
        assertFalse(Files.exists(dir.resolve("never.img")), "a refused plan creates nothing");
    }

    /**
     * tmpfs takes O_DIRECT from Linux 6.6 on (it used to answer EINVAL): on older kernels the
     * store is refused with a message naming O_DIRECT and the file system, on newer ones it works.
     */
    @Test
    void tmpfsIsServedOrRefusedAsItsKernelSays() throws IOException {
        Path shm = Path.of("/dev/shm");
        if (!Files.isDirectory(shm) || !Files.getFileStore(shm).type().equals("tmpfs")) {
            throw new org.opentest4j.TestAbortedException("no tmpfs at /dev/shm");
        }
        Path file = Files.createTempFile(shm, "jtgt-direct-test-", ".img");
        try {
            Files.write(file, new byte[MIB]);
            boolean takesODirect = kernelAtLeast(6, 6);
            if (takesODirect) {
                try (FileStore s = (FileStore) provider.open(file.toString(), 0, Map.of("direct", "1"))) {
                    s.write(100, ByteBuffer.wrap(FileHolesTest.pattern(5000, 1)), true);
                    assertArrayEquals(FileHolesTest.pattern(5000, 1), FileHolesTest.read(s, 100, 5000));
                }
            } else {
                IOException e = assertThrows(IOException.class,
                        () -> provider.open(file.toString(), 0, Map.of("direct", "1")));
                assertTrue(e.getMessage().contains("cannot be opened with O_DIRECT on its file system (tmpfs)"),
                        e.getMessage());
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static boolean kernelAtLeast(int major, int minor) {
        String[] v = System.getProperty("os.version").split("[.-]");
        int ma = Integer.parseInt(v[0]);
        int mi = Integer.parseInt(v[1]);
        return ma > major || ma == major && mi >= minor;
    }
}
