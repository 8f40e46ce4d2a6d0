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
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import org.jtgt.api.store.BackingStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a file store serves without waiting for a device: reads of cached bytes
 * ({@code readNow}, {@code preadv2} with {@code RWF_NOWAIT}) and, for a file in memory (tmpfs),
 * everything ({@code blocks()} false). Files under target/ and, for the memory case, /dev/shm;
 * all removed after each test.
 */
class FileReadNowTest {
    private static final Map<String, String> CREATE = Map.of("create", "true");
    /** File systems whose buffered reads take RWF_NOWAIT (Linux 4.14 on): here readNow must serve a cached read. */
    private static final List<String> NOWAIT_FILE_SYSTEMS = List.of("ext4", "xfs", "btrfs");
    private static final Path SHM = Path.of("/dev/shm");

    private final FileStoreProvider provider = new FileStoreProvider();
    private final List<BackingStore> open = new ArrayList<>();
    private final List<Path> dirs = new ArrayList<>();
    private Path dir;

    @BeforeEach
    void makeDir() throws IOException {
        Path target = Path.of("target");
        Files.createDirectories(target);
        dir = Files.createTempDirectory(target, "file-read-now-test-").toAbsolutePath();
        dirs.add(dir);
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (BackingStore s : open) {
            s.close();
        }
        for (Path d : dirs) {
            try (var files = Files.walk(d)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private FileStore open(Path file, long size) throws IOException {
        FileStore s = (FileStore) provider.open(file.toString(), size, CREATE);
        open.add(s);
        return s;
    }

    private static String type(Path p) throws IOException {
        return Files.getFileStore(p).type();
    }

    @Test
    void cachedBytesAreReadOnTheCallersThreadAtTheBuffersPosition() throws IOException {
        FileStore s = open(dir.resolve("cached.img"), 1 << 20);
        byte[] data = FileHolesTest.pattern(1 << 20, 9);
        s.write(0, ByteBuffer.wrap(data), false);   // now in the page cache
        boolean nowait = NativeFiles.get() != null && NOWAIT_FILE_SYSTEMS.contains(type(dir));
        long[] offsets = {0, 4096, 512 * 1000, (1 << 20) - 8192, 1000};
        int[] lengths = {4096, 128 * 1024, 512, 8192, 3};
        for (int i = 0; i < offsets.length; i++) {
            // the read lands at the buffer's position, not at its start: bytes before it stay
            int at = 100 + i;
            ByteBuffer dst = ByteBuffer.allocateDirect(at + lengths[i] + 50);
            for (int j = 0; j < dst.capacity(); j++) {
                dst.put(j, (byte) 0xEE);
            }
            dst.position(at).limit(at + lengths[i]);
            boolean served = s.readNow(offsets[i], dst);
            if (!served) {
                assertFalse(nowait, "a cached read on " + type(dir) + " must be served without waiting");
                continue;
            }
            assertEquals(dst.limit(), dst.position(), "the whole range was read");
            dst.clear();   // limit = capacity, to look at the bytes around the range too
            byte[] got = new byte[lengths[i]];
            dst.get(at, got);
            byte[] want = new byte[lengths[i]];
            System.arraycopy(data, (int) offsets[i], want, 0, lengths[i]);
            assertArrayEquals(want, got, "read " + i);
            for (int j = 0; j < at; j++) {
                assertEquals((byte) 0xEE, dst.get(j), "byte " + j + " before the position was written");
            }
            for (int j = at + lengths[i]; j < dst.capacity(); j++) {
                assertEquals((byte) 0xEE, dst.get(j), "byte " + j + " after the limit was written");
            }
        }
        assertTrue(s.blocks() || !NOWAIT_FILE_SYSTEMS.contains(type(dir)), "a file on " + type(dir) + " blocks");
    }

    @Test
    void heapBuffersOutOfRangeAndClosedStoresAreNotServed() throws IOException {
        FileStore s = open(dir.resolve("edges.img"), 64 * 1024);
        s.write(0, ByteBuffer.wrap(FileHolesTest.pattern(64 * 1024, 2)), false);
        assertFalse(s.readNow(0, ByteBuffer.allocate(4096)), "a heap buffer has no address to read into");
        assertThrows(IOException.class, () -> s.readNow(64 * 1024 - 100, ByteBuffer.allocateDirect(4096)),
                "beyond the store, as read refuses it");
        s.close();
        assertThrows(IOException.class, () -> s.readNow(0, ByteBuffer.allocateDirect(4096)));
    }

    @Test
    void aFileInMemoryDoesNotBlockAndOneOnDiskDoes() throws IOException {
        FileStore onDisk = open(dir.resolve("disk.img"), 64 * 1024);
        boolean diskInMemory = List.of("tmpfs", "ramfs").contains(type(dir));
        assertEquals(!diskInMemory, onDisk.blocks(), "target/ is on " + type(dir));
        assertTrue(Files.isDirectory(SHM) && type(SHM).equals("tmpfs"), "/dev/shm is a tmpfs on Linux");
        Path shmDir = Files.createTempDirectory(SHM, "jtgt-file-read-now-test-");
        dirs.add(shmDir);
        FileStore inMemory = open(shmDir.resolve("shm.img"), 64 * 1024);
        assertFalse(inMemory.blocks(), "a tmpfs file never waits for a device: served inline like the memory store");
        assertTrue(inMemory.describe().endsWith(", in memory"), inMemory.describe());
        byte[] data = FileHolesTest.pattern(8192, 4);
        inMemory.write(4096, ByteBuffer.wrap(data), true);
        ByteBuffer back = ByteBuffer.allocate(8192);
        inMemory.read(4096, back);
        assertArrayEquals(data, back.array());
    }
}
