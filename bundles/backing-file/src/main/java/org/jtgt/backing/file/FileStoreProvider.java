package org.jtgt.backing.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Set;

import org.jtgt.api.store.BackingStore;
import org.jtgt.api.store.BackingStoreProvider;
import org.jtgt.api.store.StorePlan;
import org.jtgt.util.file.OwnerOnlyFiles;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens {@link FileStore}s on regular files.
 *
 * <p>Size: {@code 0} means the file's current length. A larger size than the file is refused
 * unless {@code create} is given (then the file is extended, sparse): a store never reaches past
 * the end of its file, so a read there means the file was truncated underneath. A smaller size
 * uses only the start of the file. The file is never truncated. The store locks the file (see
 * {@link FileStore}): a file already open in another store, here or in another process, is refused.
 *
 * <p>Options ({@code "true"}/{@code "1"} or {@code "false"}/{@code "0"}, default false; other keys
 * are refused):
 * <ul>
 * <li>{@code create}: create the file if it is missing, sparse, mode 0600, with the given size
 * (which must then be &gt; 0), and extend an existing shorter file to the given size (its mode
 * is the operator's and stays). Without it a missing file is an error.</li>
 * <li>{@code readonly}: open the file read-only; writes fail. Excludes {@code create}.</li>
 * <li>{@code direct}: open the file with O_DIRECT (no page cache; see {@link FileStore}). Refused
 * where the file system does not take O_DIRECT, and for a size that is not a multiple of the file
 * system's block size.</li>
 * </ul>
 *
 * <p>{@code direct} is also a store option a user gives a file LUN ({@link #optionKeys()}:
 * {@code direct=0|1} on a {@code targets.conf} line or in jtgtadm's {@code --params}); the
 * others are the caller's to set.
 *
 * <p>Stores belong to whoever opened them (the daemon closes them when their LUN goes away), so
 * deactivating this provider leaves open stores alone.
 */
@Component(service = BackingStoreProvider.class, property = BackingStoreProvider.TYPE_PROPERTY + "=file")
public class FileStoreProvider implements BackingStoreProvider {
    public static final String OPTION_CREATE = "create";
    public static final String OPTION_READONLY = "readonly";
    public static final String OPTION_DIRECT = "direct";
    private static final Set<String> OPTIONS = Set.of(OPTION_CREATE, OPTION_READONLY, OPTION_DIRECT);
    /** What a user may choose: O_DIRECT or not. */
    private static final Set<String> USER_OPTIONS = Set.of(OPTION_DIRECT);
    private static final Logger LOG = LoggerFactory.getLogger(FileStoreProvider.class);

    @Activate
    void activate() {
        LOG.debug("file backing store provider active");
    }

    @Deactivate
    void deactivate() {
        LOG.debug("file backing store provider inactive");
    }

    @Override
    public String type() {
        return "file";
    }

    /** {@code direct}. */
    @Override
    public Set<String> optionKeys() {
        return USER_OPTIONS;
    }

    @Override
    public String optionValues(String key) {
        return OPTION_DIRECT.equals(key) ? "0|1" : BackingStoreProvider.super.optionValues(key);
    }

    /** {@code direct=0|1}, as a user writes it (the {@link #open} option takes true/false too). */
    @Override
    public void checkOptions(Map<String, String> storeOptions) {
        BackingStoreProvider.super.checkOptions(storeOptions);
        String direct = storeOptions.get(OPTION_DIRECT);
        if (direct != null && !direct.equals("0") && !direct.equals("1")) {
            throw new IllegalArgumentException(OPTION_DIRECT + "=" + direct + ": use " + OPTION_DIRECT + "=0|1 (1: "
                    + "open the file with O_DIRECT, bypassing the page cache)");
        }
    }

    /** {@code readonly}: the file is opened read-only, so images the daemon's user may not write are served. */
    @Override
    public Map<String, String> openOptions(boolean readOnly) {
        return readOnly ? Map.of(OPTION_READONLY, "true") : Map.of();
    }

    /**
     * A new LUN's file: an absolute path; an existing regular file is used at its own length
     * ({@code size}, if given, must equal it: jtgtadm never grows or truncates a file); a missing
     * file is created sparse when {@code size} is given ({@link StorePlan#creates()}: the caller
     * removes it again if the LUN cannot be added).
     */
    @Override
    public StorePlan plan(String path, Long size, boolean readOnly) throws IOException {
        if (path == null || path.isEmpty()) {
            throw new IOException("a file LUN needs -b PATH");
        }
        if (path.chars().anyMatch(Character::isWhitespace)) {
            throw new IOException("backing path '" + path + "' contains white space (not supported)");
        }
        Path p = Path.of(path);
        if (!p.isAbsolute()) {
            throw new IOException("backing path " + path + " is not absolute (jtgt does not run in jtgtadm's directory)");
        }
        String file = p.normalize().toString();
        if (!Files.exists(p)) {
            if (size == null) {
                throw new IOException("no such file: " + file + " (give --size BYTES to create it)");
            }
            return new StorePlan(file, size, Map.of(OPTION_CREATE, "true"), true);
        }
        if (!Files.isRegularFile(p)) {
            throw new IOException(file + " is not a regular file");
        }
        long bytes;
        try {
            bytes = Files.size(p);
        } catch (IOException e) {
            throw new IOException("cannot read the size of " + file + ": " + e.getMessage(), e);
        }
        if (bytes == 0) {
            throw new IOException(file + " is empty");
        }
        if (size != null && size != bytes) {
            throw new IOException(file + " has " + bytes + " bytes, not --size " + size
                    + " (jtgtadm neither grows nor truncates an existing file)");
        }
        return new StorePlan(file, bytes, openOptions(readOnly), false);
    }

    @Override
    public BackingStore open(String path, long size, Map<String, String> options) throws IOException {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("file store needs a path");
        }
        if (size < 0) {
            throw new IllegalArgumentException("file store size " + size + " is negative");
        }
        Map<String, String> opts = options == null ? Map.of() : options;
        for (String key : opts.keySet()) {
            if (!OPTIONS.contains(key)) {
                throw new IllegalArgumentException("unknown file store option '" + key + "' (known: " + OPTIONS + ")");
            }
        }
        boolean create = flag(opts, OPTION_CREATE);
        boolean readOnly = flag(opts, OPTION_READONLY);
        boolean direct = flag(opts, OPTION_DIRECT);
        if (create && readOnly) {
            throw new IllegalArgumentException("file store options create and readonly exclude each other");
        }
        Path file = Path.of(path).toAbsolutePath().normalize();

        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            attrs = null;
        }
        FileStore store;
        if (attrs == null) {
            if (!create) {
                throw new IOException("no such file: " + file);
            }
            store = createFile(file, size, direct);
        } else if (attrs.isDirectory()) {
            throw new IOException(file + " is a directory, not a file");
        } else if (!attrs.isRegularFile()) {
            throw new IOException(file + " is not a regular file");
        } else {
            store = openExisting(file, size, create, readOnly, direct);
        }
        LOG.info("opened {}", store.describe());
        return store;
    }

    private static FileStore createFile(Path file, long size, boolean direct) throws IOException {
        if (size == 0) {
            throw new IllegalArgumentException("creating file store " + file + " needs a size");
        }
        if (!OwnerOnlyFiles.supported(file)) {
            LOG.debug("{} has no POSIX permissions: the new file gets the file system's default mode", file.getParent());
        }
        FileChannel ch;
        try {
            // Owner-only from the start: the file will hold what initiators write.
            ch = OwnerOnlyFiles.createFile(file, StandardOpenOption.READ);
        } catch (FileAlreadyExistsException e) {
            throw new IOException("cannot create " + file + ": it appeared meanwhile", e);
        } catch (NoSuchFileException e) {
            throw new IOException("cannot create " + file + ": no such directory", e);
        } catch (AccessDeniedException e) {
            throw new IOException("cannot create " + file + ": permission denied", e);
        }
        try {
            extend(ch, size);
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot size new file " + file + " to " + size + " bytes: " + e.getMessage(), e);
        }
        try {
            ch = direct ? reopenDirect(file, ch, false) : ch;
            return store(file, ch, size, false, direct);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** The store over {@code ch}, with the file system's block size and the native calls if there are any. */
    private static FileStore store(Path file, FileChannel ch, long size, boolean readOnly, boolean direct)
            throws IOException {
        return new FileStore(file, ch, size, readOnly, direct, FileStore.blockSize(file), NativeFiles.get());
    }

    /**
     * {@code ch} (not locked yet, so closing it drops nothing) replaced by a channel of the same
     * file opened with O_DIRECT; {@code ch} is closed either way.
     */
    private static FileChannel reopenDirect(Path file, FileChannel ch, boolean readOnly) throws IOException {
        try {
            return FileChannel.open(file, FileStore.options(readOnly, true));
        } catch (IOException | UnsupportedOperationException e) {
            String fs;
            try {
                fs = Files.getFileStore(file).type();
            } catch (IOException x) {
                fs = "?";
            }
            throw new IOException("direct=1: " + file + " cannot be opened with O_DIRECT on its file system (" + fs
                    + "): " + e.getMessage() + "; use the LUN without direct=1", e);
        } finally {
            ch.close();
        }
    }

    private static FileStore openExisting(Path file, long size, boolean create, boolean readOnly, boolean direct)
            throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, FileStore.options(readOnly));
        } catch (AccessDeniedException e) {
            throw new IOException("cannot open " + file + (readOnly ? " for reading" : " for reading and writing")
                    + ": permission denied", e);
        }
        try {
            long fileSize = ch.size();
            if (size == 0) {
                if (fileSize == 0) {
                    throw new IOException(file + " is empty: give the store a size");
                }
                size = fileSize;
            } else if (size > fileSize) {
                if (!create) {
                    throw new IOException(file + " has " + fileSize + " bytes, fewer than the " + size
                            + " asked for (grow the file first, or let the LUN be resized)");
                }
                extend(ch, size);
            }
            if (direct) {
                ch = reopenDirect(file, ch, readOnly);
            }
            return store(file, ch, size, readOnly, direct);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Grows the file to {@code size} bytes by writing its last byte, leaving a hole on most file systems. */
    private static void extend(FileChannel ch, long size) throws IOException {
        if (ch.size() < size) {
            ByteBuffer zero = ByteBuffer.allocate(1);
            while (zero.hasRemaining()) {
                ch.write(zero, size - 1);
            }
        }
    }

    private static boolean flag(Map<String, String> options, String key) {
        String value = options.get(key);
        if (value == null || value.equalsIgnoreCase("false") || value.equals("0")) {
            return false;
        }
        if (value.equalsIgnoreCase("true") || value.equals("1")) {
            return true;
        }
        throw new IllegalArgumentException("file store option " + key + " must be 1 or 0 (true or false), not '" + value
                + "'");
    }
}
