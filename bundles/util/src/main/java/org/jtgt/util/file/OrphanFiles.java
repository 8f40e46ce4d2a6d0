package org.jtgt.util.file;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The files a transport names after its process ({@code PREFIX<pid>-<anything>SUFFIX}: a
 * shared-memory region, a socket) outlive a process that was killed. A transport that starts
 * removes those whose process is gone, so a target that crashes and restarts again and again
 * does not fill its directory. A file whose process id is alive is left alone, whoever runs
 * under that id now.
 */
public final class OrphanFiles {
    private OrphanFiles() {
    }

    /**
     * Deletes the files in {@code dir} named {@code prefix}, a process id, {@code -}, anything,
     * {@code suffix}, whose process is not running; returns the paths deleted.
     */
    public static List<Path> remove(Path dir, String prefix, String suffix) throws IOException {
        List<Path> removed = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return removed;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, prefix + "*" + suffix)) {
            for (Path file : files) {
                long pid = pid(file.getFileName().toString(), prefix);
                if (pid > 0 && pid != ProcessHandle.current().pid() && !alive(pid)) {
                    try {
                        Files.delete(file);
                        removed.add(file);
                    } catch (NoSuchFileException e) {
                        // removed by someone else meanwhile
                    }
                }
            }
        }
        return removed;
    }

    /** The process id in {@code name} after {@code prefix} and before the next '-', or -1. */
    static long pid(String name, String prefix) {
        int end = name.indexOf('-', prefix.length());
        if (end <= prefix.length()) {
            return -1;
        }
        try {
            return Long.parseLong(name.substring(prefix.length(), end));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean alive(long pid) {
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        return p.isPresent() && p.get().isAlive();
    }
}
