package org.jtgt.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/** For the tests of what jtgt creates owner-only: fresh directories of a known mode, and modes as text. */
public final class PosixModes {
    private PosixModes() {
    }

    /**
     * {@code parent/name}, emptied of what an earlier run left and given {@code mode} (such as
     * {@code "rwxr-xr-x"}, what a umask of 022 gives), so a test sees what jtgt itself changes.
     */
    public static Path fresh(Path parent, String name, String mode) throws IOException {
        Path dir = parent.resolve(name);
        if (Files.exists(dir)) {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
        return dir;
    }

    /** The POSIX permissions of {@code p} as {@code ls} shows them, such as {@code "rw-------"}. */
    public static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
