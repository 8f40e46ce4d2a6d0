package org.jtgt.util.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

import org.junit.jupiter.api.Test;

class OrphanFilesTest {
    @Test
    void removesOnlyTheFilesOfProcessesThatAreGone() throws IOException, InterruptedException {
        Path dir = Paths.get("target", "orphan-files");
        if (Files.exists(dir)) {
            try (var old = Files.list(dir)) {
                for (Path p : old.toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(dir);
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        long deadPid = gone.pid();
        long self = ProcessHandle.current().pid();
        long parent = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(1L);
        Path orphan = Files.createFile(dir.resolve("jtgt-x-" + deadPid + "-12.sock"));
        Path mine = Files.createFile(dir.resolve("jtgt-x-" + self + "-12.sock"));
        Path living = Files.createFile(dir.resolve("jtgt-x-" + parent + "-3.sock"));
        Path otherSuffix = Files.createFile(dir.resolve("jtgt-x-" + deadPid + "-12.region"));
        Path noPid = Files.createFile(dir.resolve("jtgt-x-abc-12.sock"));

        assertEquals(List.of(orphan), OrphanFiles.remove(dir, "jtgt-x-", ".sock"));
        assertFalse(Files.exists(orphan));
        for (Path kept : List.of(mine, living, otherSuffix, noPid)) {
            assertTrue(Files.exists(kept), kept + " is kept");
        }
        assertEquals(List.of(), OrphanFiles.remove(dir.resolve("none"), "jtgt-x-", ".sock"), "no directory, nothing to do");
    }

    @Test
    void readsThePidAfterThePrefix() {
        assertEquals(1234, OrphanFiles.pid("jtgt-shm-1234-11.region", "jtgt-shm-"));
        assertEquals(-1, OrphanFiles.pid("jtgt-shm-.region", "jtgt-shm-"));
        assertEquals(-1, OrphanFiles.pid("jtgt-shm-12x-1.region", "jtgt-shm-"));
    }
}
