package org.jtgt.backing.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.store.BackingStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * UNMAP on a file store punches holes (Linux, through JNA): blocks are really given back, the
 * range reads zeros, partial blocks at the ends are zeroed, GET LBA STATUS sees the holes, and
 * the store keeps its lock. Files live under target/ (ext4 here), which punches holes.
 */
class FileHolesTest {
    private static final int MIB = 1 << 20;

    private Path dir;
    private final FileStoreProvider provider = new FileStoreProvider();
    private final List<BackingStore> open = new ArrayList<>();

    @BeforeEach
    void makeDir() throws IOException {
        Path target = Path.of("target");
        Files.createDirectories(target);
        dir = Files.createTempDirectory(target, "file-holes-test-").toAbsolutePath();
    }

    @AfterEach
    void cleanUp() throws IOException {
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

    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed * 31 + i * 7 + (i >>> 8) + 1);
        }
        return b;
    }

    static byte[] read(BackingStore s, long offset, int length) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate(length);
        s.read(offset, dst);
        return dst.array();
    }

    /** st_blocks of {@code file}: 512-byte units the file system has allocated to it ({@code stat --format=%b}). */
    static long allocatedBlocks(Path file) throws IOException {
        Process p = new ProcessBuilder("stat", "--format=%b", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        try {
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "stat did not end");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        assertEquals(0, p.exitValue(), "stat: " + out);
        return Long.parseLong(out);
    }

    /** Runs {@link LockProbe} in another process: "locked" if it got the lock on {@code file}, "refused" if not. */
    static String probeLock(Path file) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                LockProbe.class.getName(), file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return out;
    }

    @Test
    void theNativeCallsAreThereOnLinux() {
        assertNotNull(NativeFiles.get(), "JNA and fallocate on Linux: " + NativeFiles.unavailableReason());
    }

    @Test
    void punchingGivesBlocksBackAndTheRangeReadsZeros() throws IOException {
        Path file = dir.resolve("punch.img");
        FileStore s = open(file, 4 * MIB, Map.of("create", "true"));
        int block = s.alignment();
        assertTrue(s.freesSpace(), "holes are punched here");
        assertEquals(block, s.deallocationGranularity(), "holes come in file-system blocks");
        byte[] data = pattern(2 * MIB, 5);
        s.write(0, ByteBuffer.wrap(data), false);
        s.flush();
        long before = allocatedBlocks(file);
        assertTrue(before >= 2 * MIB / 512, "2 MiB written are allocated: " + before);
        assertEquals(before * 512, s.allocatedBytes(), "fstat's count, as stat(1) tells it");
        long available = s.availableBytes();
        assertTrue(available >= 0 && available <= 4 * MIB - before * 512, "at most the part not allocated: " + available);

        long offset = 5000;
        long length = MIB + 100;
        s.deallocate(offset, length);
        long end = offset + length;
        long first = (offset + block - 1) / block * block;
        long last = end / block * block;
        long after = allocatedBlocks(file);
        assertTrue(before - after >= (last - first) / 512, "the whole blocks inside the range were given back: "
                + before + " -> " + after + " (512-byte units)");
        assertEquals(after * 512, s.allocatedBytes(), "the store's count follows the punch");

        byte[] expected = data.clone();
        Arrays.fill(expected, (int) offset, (int) end, (byte) 0);
        assertArrayEquals(expected, read(s, 0, 2 * MIB), "zeros in the range (partial blocks too), data around it");
        assertArrayEquals(expected, Arrays.copyOf(Files.readAllBytes(file), 2 * MIB), "the file says the same");
        assertEquals(4 * MIB, Files.size(file), "the file keeps its length");
    }

    @Test
    void partialBlocksAtBothEndsAreZeroedAndNothingIsPunched() throws IOException {
        Path file = dir.resolve("partial.img");
        FileStore s = open(file, MIB, Map.of("create", "true"));
        int block = s.alignment();
        byte[] data = pattern(4 * block, 9);
        s.write(0, ByteBuffer.wrap(data), false);
        s.flush();
        long before = allocatedBlocks(file);
        // Inside one block, and across one block boundary without a whole block: zeros, no hole.
        s.deallocate(100, 200);
        s.deallocate(2L * block - 300, 600);
        byte[] expected = data.clone();
        Arrays.fill(expected, 100, 300, (byte) 0);
        Arrays.fill(expected, 2 * block - 300, 2 * block + 300, (byte) 0);
        assertArrayEquals(expected, read(s, 0, 4 * block));
        s.flush();
        assertEquals(before, allocatedBlocks(file), "no whole block: nothing punched");
        assertEquals(4L * block, s.runLength(0, MIB, true), "still mapped");
    }

    @Test
    void runLengthTellsHolesFromData() throws IOException {
        Path file = dir.resolve("status.img");
        FileStore s = open(file, 4 * MIB, Map.of("create", "true"));
        int block = s.alignment();
        s.write(0, ByteBuffer.wrap(pattern(2 * MIB, 1)), false);
        s.deallocate(MIB / 2, MIB / 2);
        // data [0, 512K), hole [512K, 1M), data [1M, 2M), never written [2M, 4M - block), and the
        // last block holds the byte that sized the created file.
        assertEquals(MIB / 2, s.runLength(0, 4 * MIB, true));
        assertEquals(0, s.runLength(0, 4 * MIB, false));
        assertEquals(MIB / 2, s.runLength(MIB / 2, 4 * MIB, false));
        assertEquals(0, s.runLength(MIB / 2, 4 * MIB, true));
        assertEquals(MIB, s.runLength(MIB, 4 * MIB, true));
        assertEquals(2 * MIB - block, s.runLength(2 * MIB, 4 * MIB, false), "a sparse range is deallocated");
        assertEquals(block, s.runLength(4 * MIB - block, 4 * MIB, true), "the last block is mapped");
        assertEquals(block, s.runLength(MIB + block, block, true), "at most maxLength");
        assertEquals(100, s.runLength(4 * MIB - 100, MIB, true), "never past the end of the store");
    }

    @Test
    void theStoreKeepsItsLockAfterPunching() throws Exception {
        Path file = dir.resolve("locked.img");
        FileStore s = open(file, 4 * MIB, Map.of("create", "true"));
        s.write(0, ByteBuffer.wrap(pattern(MIB, 2)), false);
        s.deallocate(0, MIB);
        s.runLength(0, MIB, true);
        assertEquals("refused", probeLock(file), "another process still cannot lock the file");
        IOException e = assertThrows(IOException.class, () -> provider.open(file.toString(), 0, Map.of()));
        assertTrue(e.getMessage().contains("already in use"), e.getMessage());
        s.close();
        assertEquals("locked", probeLock(file), "closing the store lets go of the file");
    }

    @Test
    void aReadOnlyStoreMadeWritablePunchesThroughItsNewDescriptor() throws Exception {
        Path file = dir.resolve("ro.img");
        Files.write(file, pattern(2 * MIB, 3));
        FileStore s = open(file, 0, Map.of("readonly", "true"));
        s.allowWrites();
        long before = allocatedBlocks(file);
        s.deallocate(0, MIB);
        s.flush();
        assertTrue(before - allocatedBlocks(file) >= MIB / 512, "punched after allowWrites");
        assertArrayEquals(new byte[MIB], read(s, 0, MIB));
        assertEquals("refused", probeLock(file), "the reopened store holds the lock");
    }
}
