package org.jtgt.admin;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.jtgt.admin.TargetsFile.Contents;
import org.jtgt.admin.TargetsFile.LunSpec;
import org.jtgt.admin.TargetsFile.Skipped;
import org.jtgt.admin.TargetsFile.TargetSpec;
import org.jtgt.api.store.BackingStore;
import org.jtgt.api.store.BackingStoreProvider;
import org.jtgt.api.target.LunInfo;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.target.TargetAdminException;
import org.jtgt.api.target.TargetInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The targets jtgtadm manages: the tid ↔ IQN map, their LUNs and ACLs, kept in the daemon and in
 * {@link TargetsFile targets.conf} together. Every change either reaches both or neither: the
 * daemon is changed and the file written, and whichever step fails undoes the other.
 *
 * <p>At activation the file is loaded and applied once the daemon (and the backing store
 * provider a LUN needs) is there; when the daemon goes away and comes back, everything is
 * applied again. Targets the daemon knows that are not in the map (the launcher's default target)
 * are shown but never written.
 *
 * <p>All methods are synchronized: one change at a time, and never at the same time as a load.
 */
final class ConfiguredTargets {
    private static final Logger LOG = LoggerFactory.getLogger(ConfiguredTargets.class);

    /** The services changes reach; either may be missing (its bundle stopped). */
    interface Environment {
        TargetAdmin targetAdmin();

        BackingStoreProvider provider(String type);
    }

    /** Options of the file backing store provider (FileStoreProvider). */
    private static final String FILE_CREATE = "create";
    private static final String FILE_READONLY = "readonly";

    private final Path file;
    private final Environment env;
    private Map<Integer, TargetSpec> targets = Map.of();
    private final List<Skipped> skipped = new ArrayList<>();
    /** What the daemon has now: tids, and tid/LUN keys. */
    private final Set<Integer> appliedTargets = new HashSet<>();
    private final Set<String> appliedLuns = new HashSet<>();
    private final Set<String> waitingFor = new HashSet<>();

    ConfiguredTargets(Path file, Environment env) {
        this.file = file;
        this.env = env;
    }

    Path file() {
        return file;
    }

    /** Reads the file; broken lines are logged as {@code targets.conf:LINE: reason} and skipped. */
    synchronized void load() throws IOException {
        Contents c = TargetsFile.read(file);
        targets = c.targets();
        skipped.clear();
        skipped.addAll(c.skipped());
        appliedTargets.clear();
        appliedLuns.clear();
        for (Skipped k : skipped) {
            LOG.warn("{} (skipped; in {})", k.message(), file);
        }
        if (Files.exists(file)) {
            LOG.info("{}: {} target(s) to create", file, targets.size());
        }
    }

    /** The daemon went away, and with it everything it had; all is applied again on its return. */
    synchronized void daemonGone() {
        appliedTargets.clear();
        appliedLuns.clear();
    }

    /** Creates in the daemon what the file describes and the daemon lacks; what fails is skipped. */
    synchronized void applyPending() {
        TargetAdmin admin = env.targetAdmin();
        if (admin == null) {
            return;
        }
        Map<String, TargetInfo> existing = new LinkedHashMap<>();
        for (TargetInfo i : admin.targets()) {
            existing.put(i.name(), i);
        }
        Map<Integer, TargetSpec> next = new TreeMap<>(targets);
        for (TargetSpec t : targets.values()) {
            if (!appliedTargets.contains(t.tid())) {
                try {
                    if (!existing.containsKey(t.iqn())) {
                        admin.createTarget(t.iqn());
                    }
                    admin.setAcl(t.iqn(), t.daemonAcl());
                    appliedTargets.add(t.tid());
                } catch (TargetAdminException e) {
                    skip(t.line(), "target " + t.tid() + " " + t.iqn(), e.getMessage());
                    for (LunSpec l : t.luns().values()) {
                        skip(l.line(), l.format(t.tid()), "its target was skipped");
                    }
                    for (String a : t.acl()) {
                        skip(t.line(), "acl " + t.tid() + " " + a, "its target was skipped");
                    }
                    next.remove(t.tid());
                    continue;
                }
            }
            TargetInfo info = existing.get(t.iqn());
            TargetSpec kept = t;
            for (LunSpec l : t.luns().values()) {
                String key = key(t.tid(), l.lun());
                if (appliedLuns.contains(key)) {
                    continue;
                }
                if (info != null && info.luns().stream().anyMatch(x -> x.lun() == l.lun())) {
                    appliedLuns.add(key);   // the daemon kept it while this bundle restarted
                    continue;
                }
                BackingStoreProvider provider = env.provider(l.type());
                if (provider == null) {
                    if (waitingFor.add(l.type())) {
                        LOG.info("{}:{}: waiting for the {} backing store provider", TargetsFile.NAME, l.line(), l.type());
                    }
                    continue;
                }
                try {
                    addLun(admin, provider, t.iqn(), l, false);
                    appliedLuns.add(key);
                } catch (IOException | RuntimeException e) {
                    skip(l.line(), l.format(t.tid()), e.getMessage());
                    kept = kept.withoutLun(l.lun());
                }
            }
            next.put(t.tid(), kept);
        }
        targets = next;
    }

    private void skip(int line, String text, String reason) {
        Skipped k = new Skipped(line, text, reason);
        LOG.warn("{} (skipped; in {})", k.message(), file);
        skipped.add(k);
    }

    /** Opens the LUN's store ({@code create}: a missing file, sparse) and hands it to the daemon. */
    private static void addLun(TargetAdmin admin, BackingStoreProvider provider, String iqn, LunSpec l, boolean create)
            throws IOException {
        Map<String, String> storeOptions = Map.of();
        if (create) {
            storeOptions = Map.of(FILE_CREATE, "true");
        } else if (l.type().equals("file") && l.options().readOnly()) {
            // the daemon refuses writes to a read-only LUN; opening the file read-only as well
            // serves images the daemon's user may not write
            storeOptions = Map.of(FILE_READONLY, "true");
        }
        BackingStore store = provider.open(l.path(), l.size(), storeOptions);
        try {
            admin.addLun(iqn, l.lun(), store, l.blockSize(), l.options());
        } catch (RuntimeException e) {
            closeQuietly(store);
            throw e;
        }
    }

    // =========================== jtgtadm changes ===========================

    synchronized String newTarget(int tid, String iqn) {
        TargetAdmin admin = daemon();
        if (targets.containsKey(tid)) {
            throw new TargetAdminException("tid " + tid + " is in use by " + targets.get(tid).iqn());
        }
        for (TargetSpec t : targets.values()) {
            if (t.iqn().equalsIgnoreCase(iqn)) {
                throw new TargetAdminException("target " + iqn + " exists already as tid " + t.tid());
            }
        }
        if (iqn.chars().anyMatch(Character::isWhitespace)) {
            throw new TargetAdminException("target name '" + iqn + "' contains white space");
        }
        admin.createTarget(iqn);   // the daemon checks the name
        Map<Integer, TargetSpec> next = new TreeMap<>(targets);
        next.put(tid, new TargetSpec(tid, iqn, Map.of(), List.of(), 0));
        try {
            save(next);
        } catch (TargetAdminException e) {
            admin.deleteTarget(iqn, true);
            throw e;
        }
        appliedTargets.add(tid);
        return "target " + tid + " " + iqn + " created";
    }

    synchronized String deleteTarget(int tid, boolean force) {
        TargetAdmin admin = daemon();
        TargetSpec t = target(tid);
        Map<Integer, TargetSpec> next = new TreeMap<>(targets);
        next.remove(tid);
        Map<Integer, TargetSpec> before = targets;
        save(next);   // first: a deletion cannot be undone once the stores are closed
        try {
            admin.deleteTarget(t.iqn(), force);
        } catch (RuntimeException e) {
            save(before);
            throw e;
        }
        appliedTargets.remove(tid);
        appliedLuns.removeIf(k -> k.startsWith(tid + "/"));
        return "target " + tid + " " + t.iqn() + " deleted";
    }

    /** {@code entry} is {@value TargetsFile#ALL} or an initiator name. */
    synchronized String bind(int tid, String entry, boolean bind) {
        TargetAdmin admin = daemon();
        TargetSpec t = target(tid);
        String e = entry.equalsIgnoreCase(TargetsFile.ALL) ? TargetsFile.ALL : entry;
        if (e.isBlank() || e.chars().anyMatch(ch -> Character.isWhitespace(ch) || ch == ',')) {
            throw new TargetAdminException("'" + entry + "' is not an initiator name");
        }
        List<String> acl = new ArrayList<>(t.acl());
        boolean present = acl.removeIf(a -> a.equalsIgnoreCase(e));
        if (bind) {
            if (present) {
                return "target " + tid + " admits " + e + " already";
            }
            acl.add(e);
        } else if (!present) {
            throw new TargetAdminException("target " + tid + " has no ACL entry " + e);
        }
        TargetSpec changed = t.withAcl(acl);
        admin.setAcl(t.iqn(), changed.daemonAcl());
        Map<Integer, TargetSpec> next = new TreeMap<>(targets);
        next.put(tid, changed);
        try {
            save(next);
        } catch (TargetAdminException x) {
            admin.setAcl(t.iqn(), t.daemonAcl());
            throw x;
        }
        List<String> now = changed.daemonAcl();
        return "target " + tid + " ACL: " + (now.isEmpty() ? "all initiators" : String.join(", ", now));
    }

    /**
     * A new LUN. Memory: {@code size} required, {@code path} ignored. File: an absolute path; an
     * existing regular file is used at its own length ({@code size}, if given, must equal it:
     * jtgtadm never grows or truncates a file); a missing file is created sparse when
     * {@code size} is given, and removed again if the LUN cannot be added.
     */
    synchronized String newLun(int tid, int lun, String type, String path, Long size, int blockSize) {
        return newLun(tid, lun, type, path, size, blockSize, TargetsFile.defaultOptions(type));
    }

    /** {@link #newLun(int, int, String, String, Long, int)} with the LUN's options. */
    synchronized String newLun(int tid, int lun, String type, String path, Long size, int blockSize,
            LunOptions options) {
        TargetAdmin admin = daemon();
        TargetSpec t = target(tid);
        if (t.luns().containsKey(lun)) {
            throw new TargetAdminException("tid " + tid + " has a LUN " + lun + " already");
        }
        BackingStoreProvider provider = env.provider(type);
        if (!type.equals("memory") && !type.equals("file")) {
            throw new TargetAdminException("unknown backing store type '" + type + "' (memory, file)");
        }
        if (provider == null) {
            throw new TargetAdminException("the " + type + " backing store provider is not running");
        }
        boolean created = false;
        long bytes;
        String storePath = null;
        if (type.equals("memory")) {
            if (size == null) {
                throw new TargetAdminException("a memory LUN needs --size BYTES");
            }
            bytes = size;
        } else {
            if (path == null || path.isEmpty()) {
                throw new TargetAdminException("a file LUN needs -b PATH");
            }
            if (path.chars().anyMatch(Character::isWhitespace)) {
                throw new TargetAdminException("backing path '" + path + "' contains white space (not supported)");
            }
            Path p = Path.of(path);
            if (!p.isAbsolute()) {
                throw new TargetAdminException("backing path " + path + " is not absolute (jtgt does not run in "
                        + "jtgtadm's directory)");
            }
            storePath = p.normalize().toString();
            if (Files.exists(p)) {
                if (!Files.isRegularFile(p)) {
                    throw new TargetAdminException(storePath + " is not a regular file");
                }
                try {
                    bytes = Files.size(p);
                } catch (IOException e) {
                    throw new TargetAdminException("cannot read the size of " + storePath + ": " + e.getMessage());
                }
                if (bytes == 0) {
                    throw new TargetAdminException(storePath + " is empty");
                }
                if (size != null && size != bytes) {
                    throw new TargetAdminException(storePath + " has " + bytes + " bytes, not --size " + size
                            + " (jtgtadm neither grows nor truncates an existing file)");
                }
            } else {
                if (size == null) {
                    throw new TargetAdminException("no such file: " + storePath + " (give --size BYTES to create it)");
                }
                bytes = size;
                created = true;
            }
        }
        if (bytes % blockSize != 0) {
            throw new TargetAdminException("size " + bytes + " is not a multiple of the block size " + blockSize);
        }
        LunSpec l = new LunSpec(lun, type, storePath, bytes, blockSize, options, 0);
        try {
            addLun(admin, provider, t.iqn(), l, created);
        } catch (IOException | RuntimeException e) {
            if (created) {
                deleteQuietly(storePath);
            }
            throw e instanceof TargetAdminException x ? x : new TargetAdminException(e.getMessage(), e);
        }
        Map<Integer, TargetSpec> next = new TreeMap<>(targets);
        next.put(tid, t.withLun(l));
        try {
            save(next);
        } catch (TargetAdminException e) {
            admin.removeLun(t.iqn(), lun);
            if (created) {
                deleteQuietly(storePath);
            }
            throw e;
        }
        appliedLuns.add(key(tid, lun));
        return "target " + tid + " LUN " + lun + ": " + bytes + " bytes, " + type + (storePath == null ? "" : " " + storePath)
                + (created ? " (created)" : "") + describe(options, TargetsFile.defaultOptions(type));
    }

    synchronized String deleteLun(int tid, int lun) {
        TargetAdmin admin = daemon();
        TargetSpec t = target(tid);
        if (!t.luns().containsKey(lun)) {
            throw new TargetAdminException("tid " + tid + " has no LUN " + lun);
        }
        Map<Integer, TargetSpec> before = targets;
        Map<Integer, TargetSpec> next = new TreeMap<>(targets);
        next.put(tid, t.withoutLun(lun));
        save(next);
        if (appliedLuns.contains(key(tid, lun))) {
            try {
                admin.removeLun(t.iqn(), lun);
            } catch (RuntimeException e) {
                save(before);
                throw e;
            }
            appliedLuns.remove(key(tid, lun));
        }
        return "target " + tid + " LUN " + lun + " deleted";
    }

    /** The tid of a target jtgtadm manages, or {@code null}. */
    synchronized Integer tidOf(String iqn) {
        for (TargetSpec t : targets.values()) {
            if (t.iqn().equals(iqn)) {
                return t.tid();
            }
        }
        return null;
    }

    /** Targets in the file but not (yet) in the daemon, for show. */
    synchronized List<String> pending(List<TargetInfo> inDaemon) {
        List<String> out = new ArrayList<>();
        for (TargetSpec t : targets.values()) {
            TargetInfo info = inDaemon.stream().filter(i -> i.name().equals(t.iqn())).findFirst().orElse(null);
            for (LunSpec l : t.luns().values()) {
                boolean there = info != null && info.luns().stream().map(LunInfo::lun).anyMatch(n -> n == l.lun());
                if (!there) {
                    out.add(l.format(t.tid()));
                }
            }
        }
        return out;
    }

    private void save(Map<Integer, TargetSpec> next) {
        try {
            TargetsFile.write(file, TargetsFile.format(next, skipped));
        } catch (IOException e) {
            throw new TargetAdminException("cannot write " + file + ": " + e.getMessage() + "; nothing changed", e);
        }
        targets = next;
    }

    private TargetAdmin daemon() {
        TargetAdmin admin = env.targetAdmin();
        if (admin == null) {
            throw new IllegalStateException("the target daemon is not running");
        }
        return admin;
    }

    private TargetSpec target(int tid) {
        TargetSpec t = targets.get(tid);
        if (t == null) {
            throw new TargetAdminException("no target with tid " + tid);
        }
        return t;
    }

    /** For replies: the options that differ from the defaults of the LUN's type. */
    private static String describe(LunOptions o, LunOptions defaults) {
        List<String> parts = new ArrayList<>();
        if (o.readOnly()) {
            parts.add("read-only");
        }
        if (o.removable()) {
            parts.add("removable");
        }
        if (o.thin() != defaults.thin()) {
            parts.add(o.thin() ? "thin" : "fully provisioned");
        }
        if (o.serial() != null) {
            parts.add("serial " + o.serial());
        }
        if (o.physicalBlockSize() != 0) {
            parts.add("physical block size " + o.physicalBlockSize());
        }
        return parts.isEmpty() ? "" : ", " + String.join(", ", parts);
    }

    private static String key(int tid, int lun) {
        return tid + "/" + lun;
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing {} failed: {}", c, e.toString());
        }
    }

    private static void deleteQuietly(String path) {
        try {
            Files.deleteIfExists(Path.of(path));
        } catch (IOException e) {
            LOG.warn("cannot remove {} after a failed jtgtadm command: {}", path, e.toString());
        }
    }
}
