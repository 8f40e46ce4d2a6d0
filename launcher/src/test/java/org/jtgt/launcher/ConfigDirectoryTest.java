package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** The --config directory is made owner-only: created 0700, narrowed to 0700, or refused. */
class ConfigDirectoryTest {
    private Path work;

    @BeforeEach
    void fresh(TestInfo info) throws IOException {
        work = Path.of("target", "config-directory", info.getTestMethod().orElseThrow().getName()).toAbsolutePath();
        LauncherProcess.deleteTree(work);
        Files.createDirectories(work);
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void aMissingDirectoryAndItsMissingParentsAreCreatedOwnerOnly() throws IOException {
        Path config = work.resolve("srv").resolve("jtgt-data");
        assertTrue(ConfigDirectory.prepare(config, "etc"));
        assertEquals("rwx------", mode(work.resolve("srv")));
        assertEquals("rwx------", mode(config));
        assertEquals("rwx------", mode(config.resolve("etc")));
        assertEquals("rwxr-xr-x", mode(work), "an existing parent is left alone");
    }

    @Test
    void anExistingDirectoryOthersCanReadIsNarrowed() throws IOException {
        Path config = Files.createDirectory(work.resolve("jtgt-data"));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rwxrwxr-x"));
        Path etc = Files.createDirectory(config.resolve("etc"));
        Files.setPosixFilePermissions(etc, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertTrue(ConfigDirectory.prepare(config, "etc"));
        assertEquals("rwx------", mode(config));
        assertEquals("rwxr-xr-x", mode(etc), "inside the 0700 directory the operator's etc/ keeps its mode");
    }

    @Test
    void anOwnerOnlyDirectoryIsLeftAsItIs() throws IOException {
        Path config = Files.createDirectory(work.resolve("jtgt-data"));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rwx------"));
        assertTrue(ConfigDirectory.prepare(config, "etc"));
        assertEquals("rwx------", mode(config));
    }

    @Test
    void aStickyDirectoryLikeTmpIsRefusedAndLeftAsItIs() throws Exception {
        Path shared = Files.createDirectory(work.resolve("shared"));
        Process chmod = new ProcessBuilder("chmod", "1777", shared.toString()).inheritIO().start();
        assertTrue(chmod.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, chmod.exitValue());
        assertFalse(ConfigDirectory.prepare(shared, "etc"));
        assertEquals("rwxrwxrwx", mode(shared));
        assertFalse(Files.exists(shared.resolve("etc")));
    }
}
