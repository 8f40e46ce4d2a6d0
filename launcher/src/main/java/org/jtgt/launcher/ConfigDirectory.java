package org.jtgt.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code --config} directory is jtgt's own and private: it holds the shared-memory region
 * (command data), the sockets, targets.conf (CHAP secrets) and the reservations. A missing one is
 * created mode 0700 (with any missing parents). From an existing one the group and other
 * permissions are removed (0755 becomes 0700) and that is logged at INFO: the usual case is a
 * directory an earlier version created with the umask's mode, and it is jtgt's to fix. A
 * user-supplied LUN file elsewhere is never changed. Two cases are refused instead, with the
 * reason: a directory with the sticky bit (shared by design, like {@code /tmp}), and one whose
 * mode cannot be changed (another user's). The framework's own cache files (Felix's, Equinox's) keep the umask's mode; this
 * directory's 0700 is what keeps others out of them.
 *
 * <p>On a file system without POSIX permissions nothing is checked; a debug line says so.
 */
final class ConfigDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigDirectory.class);
    static final Set<PosixFilePermission> OWNER_ONLY = Set.copyOf(PosixFilePermissions.fromString("rwx------"));
    /** The mode of files the launcher creates in the directory ({@code jtgt.lock}). */
    static final Set<PosixFilePermission> FILE_MODE = Set.copyOf(PosixFilePermissions.fromString("rw-------"));
    /** S_ISVTX in {@code unix:mode}. */
    private static final int STICKY = 01000;

    private ConfigDirectory() {
    }

    /**
     * Creates or narrows {@code dir} to 0700 and creates {@code dir/subdirectory} 0700 if missing.
     * Returns false, after logging why at ERROR, if {@code dir} cannot be made owner-only.
     */
    static boolean prepare(Path dir, String subdirectory) throws IOException {
        if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            LOG.debug("{} has no POSIX permissions: jtgt's files get the file system's default modes", dir);
            Files.createDirectories(dir.resolve(subdirectory));
            return true;
        }
        if (Files.isDirectory(dir)) {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir);
            if (!OWNER_ONLY.containsAll(mode) && !narrow(dir, mode)) {
                return false;
            }
        } else {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        }
        Files.createDirectories(dir.resolve(subdirectory), PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        return true;
    }

    private static boolean narrow(Path dir, Set<PosixFilePermission> mode) {
        String was = PosixFilePermissions.toString(mode);
        if (sticky(dir)) {
            LOG.error("{} (mode {}, sticky) is a directory shared with other users: give --config a directory of its own",
                    dir, was);
            return false;
        }
        Set<PosixFilePermission> narrowed = EnumSet.noneOf(PosixFilePermission.class);
        narrowed.addAll(mode);
        narrowed.retainAll(OWNER_ONLY);
        try {
            Files.setPosixFilePermissions(dir, narrowed);
        } catch (IOException | SecurityException e) {
            LOG.error("{} is mode {} and cannot be made owner-only ({}): other users could read the initiators' data"
                    + " in it; fix its mode or owner, or choose another --config", dir, was, e.toString());
            return false;
        }
        LOG.info("{} was mode {}: narrowed to {} (it holds initiator data, sockets and secrets)", dir, was,
                PosixFilePermissions.toString(narrowed));
        return true;
    }

    private static boolean sticky(Path dir) {
        try {
            return (((Integer) Files.getAttribute(dir, "unix:mode")) & STICKY) != 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return false;   // no "unix" view: the POSIX permissions alone decide
        }
    }
}
