package org.jtgt.util.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

class OwnerOnlyFilesTest {
    private Path dir;

    @BeforeEach
    void cleanDirectory(TestInfo info) throws IOException {
        dir = Path.of("target", "owner-only", info.getTestMethod().orElseThrow().getName());
        if (Files.exists(dir)) {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(dir);
        assertTrue(OwnerOnlyFiles.supported(dir), "these tests need a file system with POSIX permissions");
    }

    static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void createdDirectoriesAndTheirMissingParentsAreOwnerOnly() throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path leaf = dir.resolve("a").resolve("b");
        assertEquals(leaf, OwnerOnlyFiles.createDirectories(leaf));
        assertEquals("rwx------", mode(dir.resolve("a")));
        assertEquals("rwx------", mode(leaf));
        assertEquals("rwxr-xr-x", mode(dir), "an existing directory is left as it is");
        OwnerOnlyFiles.createDirectories(leaf);   // exists: no error
    }

    @Test
    void aCreatedFileIsOwnerOnlyAndAnExistingOneIsRefused() throws IOException {
        Path file = dir.resolve("region");
        try (FileChannel ch = OwnerOnlyFiles.createFile(file, StandardOpenOption.READ)) {
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            ch.position(0);
            ByteBuffer back = ByteBuffer.allocate(3);
            assertEquals(3, ch.read(back));
        }
        assertEquals("rw-------", mode(file));
        assertThrows(FileAlreadyExistsException.class, () -> OwnerOnlyFiles.createFile(file, StandardOpenOption.CREATE));
        assertEquals(3, Files.size(file));
    }

    @Test
    void aReplacedFileIsOwnerOnlyWhateverTheOldOneWas() throws IOException {
        Path file = Files.writeString(dir.resolve("x.tmp"), "old and readable");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        try (FileChannel ch = OwnerOnlyFiles.replaceFile(file)) {
            ch.write(ByteBuffer.wrap(new byte[] {7}));
        }
        assertEquals("rw-------", mode(file));
        assertEquals(1, Files.size(file));
    }

    @Test
    void restrictNarrowsFilesTo0600AndDirectoriesTo0700() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("data"));
        Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString("rwxrwxr-x"));
        Path file = Files.createFile(sub.resolve("sock"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertTrue(OwnerOnlyFiles.restrict(sub));
        assertTrue(OwnerOnlyFiles.restrict(file));
        assertEquals("rwx------", mode(sub));
        assertEquals("rw-------", mode(file));
        assertFalse(OwnerOnlyFiles.restrict(sub), "owner-only already");
        assertFalse(OwnerOnlyFiles.restrict(file), "owner-only already");
    }
}
