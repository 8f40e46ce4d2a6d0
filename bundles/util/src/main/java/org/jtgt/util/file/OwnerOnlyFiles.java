package org.jtgt.util.file;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Files and directories only their owner may use. What jtgt writes can hold initiator data (a
 * shared-memory region's data area), secrets (CHAP in {@code targets.conf}) or reservations, and
 * the process's umask (often 022) would leave a plainly created file readable by every local
 * user. Files are created mode 0600 and directories 0700 by the call that creates them, so there
 * is no moment in which they are wider (a chmod after creating leaves one). Only a Unix socket,
 * whose mode {@code bind} sets, is narrowed afterwards ({@link #restrict}); a 0700 directory
 * around it closes that gap.
 *
 * <p>On a file system without POSIX permissions ({@link #supported} false) files and directories
 * get the platform's defaults and {@link #restrict} does nothing; callers say so in a debug log.
 */
public final class OwnerOnlyFiles {
    /** rw------- */
    public static final Set<PosixFilePermission> FILE_MODE = Set.copyOf(PosixFilePermissions.fromString("rw-------"));
    /** rwx------ */
    public static final Set<PosixFilePermission> DIRECTORY_MODE = Set.copyOf(PosixFilePermissions.fromString("rwx------"));

    private OwnerOnlyFiles() {
    }

    /** True if the file system of {@code path} has POSIX permissions, so owner-only modes can be set. */
    public static boolean supported(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /**
     * Creates {@code dir} and its missing parents, each mode 0700. Directories that exist are left
     * as they are: they may be the operator's. Returns {@code dir}.
     */
    public static Path createDirectories(Path dir) throws IOException {
        if (!supported(dir)) {
            Files.createDirectories(dir);
        } else {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIRECTORY_MODE));
        }
        return dir;
    }

    /**
     * Creates the new file {@code file}, mode 0600, and opens it for writing and {@code options};
     * fails with {@link java.nio.file.FileAlreadyExistsException} if it exists (whose mode would
     * stay what it is).
     */
    public static FileChannel createFile(Path file, OpenOption... options) throws IOException {
        Set<OpenOption> all = new HashSet<>(List.of(options));
        all.remove(StandardOpenOption.CREATE);
        all.add(StandardOpenOption.CREATE_NEW);
        all.add(StandardOpenOption.WRITE);
        if (!supported(file)) {
            return FileChannel.open(file, all);
        }
        FileAttribute<Set<PosixFilePermission>> mode = PosixFilePermissions.asFileAttribute(FILE_MODE);
        return FileChannel.open(file, all, mode);
    }

    /**
     * {@link #createFile} after deleting what is at {@code file}: for files jtgt owns and writes
     * whole (a temporary file before a rename, a region named after this process), whatever mode
     * an earlier file there had.
     */
    public static FileChannel replaceFile(Path file, OpenOption... options) throws IOException {
        Files.deleteIfExists(file);
        return createFile(file, options);
    }

    /**
     * Narrows an existing file or directory that jtgt made to owner-only: mode 0600, or 0700 for a
     * directory. For a Unix socket after {@code bind}, and a bundle's own data area. Returns true
     * if the mode changed; false if it was owner-only already or the file system has no POSIX
     * permissions.
     */
    public static boolean restrict(Path path) throws IOException {
        if (!supported(path)) {
            return false;
        }
        Set<PosixFilePermission> wanted = Files.isDirectory(path) ? DIRECTORY_MODE : FILE_MODE;
        if (Files.getPosixFilePermissions(path).equals(wanted)) {
            return false;
        }
        Files.setPosixFilePermissions(path, wanted);
        return true;
    }
}
