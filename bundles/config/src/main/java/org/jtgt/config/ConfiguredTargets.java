package org.jtgt.config;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.jtgt.api.config.ConfigValues;
import org.jtgt.api.config.LunMapConfiguration;
import org.jtgt.api.config.PortGroupConfiguration;
import org.jtgt.api.config.TargetConfiguration;
import org.jtgt.api.store.BackingStore;
import org.jtgt.api.store.BackingStoreProvider;
import org.jtgt.api.store.StorePlan;
import org.jtgt.api.target.AccessState;
import org.jtgt.api.target.ChapAccounts;
import org.jtgt.api.target.LunInfo;
import org.jtgt.api.target.LunMaps;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.PortGroup;
import org.jtgt.api.target.PortGroupAdmin;
import org.jtgt.api.target.SessionSource;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.target.TargetAdminException;
import org.jtgt.api.target.TargetInfo;
import org.slf4j.Logger;
import org.jtgt.config.TargetsFile.Contents;
import org.jtgt.config.TargetsFile.LunSpec;
import org.jtgt.config.TargetsFile.Skipped;
import org.jtgt.config.TargetsFile.TargetSpec;
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
 * <p>What is specific to a store type (a path or none, where the size comes from, the options to
 * open with, thin or not by default) its {@link BackingStoreProvider} says.
 *
 * <p>All methods are synchronized: one change at a time, and never at the same time as a load.
 * Public for the command tests of the admin bundle; the package is private to this bundle.
 */
public final class ConfiguredTargets implements TargetConfiguration, LunMapConfiguration, PortGroupConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(ConfiguredTargets.class);

    /** The services changes reach; either may be missing (its bundle stopped). */
    public interface Environment {
        TargetAdmin targetAdmin();

        /** The provider of store {@code type}, or null while none runs. */
        BackingStoreProvider provider(String type);

        /** The store types whose providers ran since activation, in the order they came. */
        default List<String> storeTypes() {
            return List.of();
        }

        /** The network drivers, whose sessions a forced target deletion ends. */
        default List<SessionSource> sessionSources() {
            return List.of();
        }

        /** The daemon's LUN maps: its {@link TargetAdmin} service object provides them; null without. */
        default LunMaps lunMaps() {
            return targetAdmin() instanceof LunMaps m ? m : null;
        }

        /** The daemon's asymmetric access, or null while it is not running. */
        default PortGroupAdmin portGroupAdmin() {
            return null;
        }
    }

    /** How long a forced deletion waits for the drivers to end a target's sessions. */
    static final long END_SESSIONS_TIMEOUT_MILLIS = 10_000;

    private final Path file;
    private final Environment env;
    private Map<Integer, TargetSpec> targets = Map.of();
    private Accounts accounts = Accounts.EMPTY;
    private InitiatorLunMaps lunMaps = InitiatorLunMaps.EMPTY;
    /** {@link #chapFor}'s answers, replaced whenever targets or accounts change. */
    private volatile Map<String, ChapAccounts.TargetChap> chapByTarget = Map.of();
    /**
     * Targets of the file that could not be applied, by tid. They keep their CHAP users in
     * {@link #chapByTarget}: a skipped target may still exist in the daemon (created before, kept
     * while this bundle restarted), and dropping its users would open it to logins without CHAP.
     */
    private Map<Integer, TargetSpec> skippedTargets = Map.of();
    private final List<Skipped> skipped = new ArrayList<>();
    /** What the daemon has now: tids, and tid/LUN keys. */
    private final Set<Integer> appliedTargets = new HashSet<>();
    private final Set<String> appliedLuns = new HashSet<>();
    private final Set<String> waitingFor = new HashSet<>();
    /** The target port groups by tid, as written to the file ({@link PortGroupLines}). */
    private Map<Integer, List<PortGroup>> portGroups = Map.of();
    /** The tids whose port groups the daemon has. */
    private final Set<Integer> appliedGroups = new HashSet<>();
    /** Targets this bundle created and keeps closed to logins because their LUN maps are not in the daemon yet. */
    private final Set<Integer> closedForMaps = new HashSet<>();

    public ConfiguredTargets(Path file, Environment env) {
        this.file = file;
        this.env = env;
    }

    Path file() {
        return file;
    }

    /** Reads the file; broken lines are logged as {@code targets.conf:LINE: reason} and skipped. */
    public synchronized void load() throws IOException {
        Contents c = TargetsFile.read(file, env::provider);
        targets = c.targets();
        accounts = c.accounts();
        lunMaps = c.lunMaps();
        portGroups = c.portGroups();
        appliedGroups.clear();
        closedForMaps.clear();
        skippedTargets = Map.of();
        chapByTarget = chapByTarget(targets, accounts);
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
        appliedGroups.clear();
        closedForMaps.clear();
    }

    /**
     * Creates in the daemon what the file describes and the daemon lacks; what fails is skipped.
     * Public for the command tests of the admin bundle, which reload a file as a restart does.
     */
    public synchronized void applyPending() {
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
            // A target this pass creates stays closed to logins until its ACL, LUN maps, port
            // groups and LUNs are in: until they are, it admits every initiator, shows every LUN
            // to all and reports every port active/optimized.
            boolean opening = false;
            if (!appliedTargets.contains(t.tid())) {
                try {
                    if (!existing.containsKey(t.iqn())) {
                        admin.createClosedTarget(t.iqn());
                        opening = true;
                    }
                    admin.setAcl(t.iqn(), t.daemonAcl());
                    appliedTargets.add(t.tid());
                } catch (TargetAdminException e) {
                    if (opening) {
                        deleteHalfMade(admin, t.iqn());
                    }
                    skip(t.line(), "target " + t.tid() + " " + t.iqn(), e.getMessage());
                    for (LunSpec l : t.luns().values()) {
                        skip(l.line(), l.format(t.tid()), "its target was skipped");
                    }
                    for (String a : t.acl()) {
                        skip(t.line(), "acl " + t.tid() + " " + a, "its target was skipped");
                    }
                    next.remove(t.tid());
                    Map<Integer, TargetSpec> kept = new TreeMap<>(skippedTargets);
                    kept.put(t.tid(), t);
                    skippedTargets = kept;
                    continue;
                }
            }
            boolean mapped = true;
            try {
                if (opening) {
                    mapped = applyLunMaps(env.lunMaps(), t);
                    applyPortGroups(env.portGroupAdmin(), t);
                }
                next.put(t.tid(), applyLuns(admin, t, existing.get(t.iqn())));
            } finally {
                if (opening && mapped) {
                    admin.reopenTarget(t.iqn());
                } else if (opening) {
                    // fail closed: without its maps every initiator the ACL admits would see every LUN
                    closedForMaps.add(t.tid());
                    LOG.warn("{}: target {} stays closed to logins until its LUN maps are applied", TargetsFile.NAME,
                            t.iqn());
                }
            }
        }
        targets = next;
        chapByTarget = chapByTarget(next, accounts);
        applyLunMaps();
        applyPortGroups();
    }

    /** Removes a target this pass created when its set-up failed, so no half-made one stays behind. */
    private static void deleteHalfMade(TargetAdmin admin, String iqn) {
        try {
            admin.deleteTarget(iqn, true);
        } catch (TargetAdminException e) {
            LOG.warn("target {}: set-up failed and it cannot be removed again: {} (it stays closed to logins)", iqn,
                    e.getMessage());
        }
    }

    /** Adds the file's LUNs of {@code t} that the daemon lacks; returns {@code t} as applied. */
    private TargetSpec applyLuns(TargetAdmin admin, TargetSpec t, TargetInfo info) {
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
            LunSpec typed = l.withDefaultsOf(provider);
            try {
                addLun(admin, provider, t.iqn(), typed);
                appliedLuns.add(key);
                kept = kept.withLun(typed);
            } catch (IOException | RuntimeException e) {
                skip(l.line(), l.format(t.tid()), e.getMessage());
                kept = kept.withoutLun(l.lun());
            }
        }
        return kept;
    }

    private void skip(int line, String text, String reason) {
        Skipped k = new Skipped(line, text, reason);
        LOG.warn("{} (skipped; in {})", k.message(), file);
        skipped.add(k);
    }

    /** Opens the store of a LUN made before and hands it to the daemon. */
    private static void addLun(TargetAdmin admin, BackingStoreProvider provider, String iqn, LunSpec l)
            throws IOException {
        if (provider.usesPath() != (l.path() != null)) {
            throw new IllegalArgumentException("a " + l.type() + " LUN " + (l.path() == null ? "needs a path"
                    : "has no path"));
        }
        addLun(admin, provider, iqn, l, provider.openOptions(l.options().readOnly(), l.storeOptions()));
    }

    /** Opens the LUN's store with {@code openOptions} and hands it to the daemon. */
    private static void addLun(TargetAdmin admin, BackingStoreProvider provider, String iqn, LunSpec l,
            Map<String, String> openOptions) throws IOException {
        BackingStore store = provider.open(l.path(), l.size(), openOptions);
        try {
            admin.addLun(iqn, l.lun(), store, l.blockSize(), l.options());
        } catch (RuntimeException e) {
            closeQuietly(store);
            throw e;
        }
    }

    // =========================== jtgtadm changes ===========================

    @Override
    public synchronized String newTarget(int tid, String iqn) {
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

    @Override
    public synchronized String deleteTarget(int tid, boolean force) {
        TargetAdmin admin = daemon();
        TargetSpec t = target(tid);
        Map<Integer, TargetSpec> next = new TreeMap<>(targets);
        next.remove(tid);
        Map<Integer, TargetSpec> before = targets;
        Accounts accountsBefore = accounts;
        save(next, accounts.withoutTarget(tid));   // first: a deletion cannot be undone once the stores are closed
        int ended = 0;
        try {
            if (force) {
                // The target is closed to new logins first, then the drivers end its sessions, so
                // initiators see their sessions end (and recover their commands as after any
                // connection loss) rather than commands failing on a nexus that is gone, and a
                // session cannot log in again before the daemon has deleted the target.
                admin.closeTarget(t.iqn());
                ended = endSessions(t.iqn());
            }
            admin.deleteTarget(t.iqn(), force);
        } catch (RuntimeException e) {
            save(before, accountsBefore);
            if (force) {
                reopen(admin, t.iqn());
            }
            throw e;
        }
        appliedTargets.remove(tid);
        appliedLuns.removeIf(k -> k.startsWith(tid + "/"));
        return "target " + tid + " " + t.iqn() + " deleted" + (ended > 0 ? " (" + ended + " session(s) ended)" : "");
    }

    @Override
    public synchronized String bindInitiator(int tid, String entry, boolean bind) {
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

    @Override
    public synchronized Boolean storeUsesPath(String type) {
        BackingStoreProvider provider = env.provider(type);
        return provider == null ? null : provider.usesPath();
    }

    @Override
    public synchronized Map<String, String> storeOptions(String type) {
        BackingStoreProvider provider = env.provider(type);
        if (provider == null) {
            return null;
        }
        Map<String, String> out = new TreeMap<>();
        provider.optionKeys().forEach(k -> out.put(k, provider.optionValues(k)));
        return out;
    }

    @Override
    public synchronized String storeType(int tid, int lun) {
        TargetSpec t = targets.get(tid);
        LunSpec l = t == null ? null : t.luns().get(lun);
        return l == null ? null : l.type();
    }

    @Override
    public synchronized String newLun(int tid, int lun, String type, String path, Long size, int blockSize,
            Map<String, String> params) {
        return newLun(tid, lun, type, path, size, blockSize, ConfigValues.checkCombination(ConfigValues.lunOptions(
                ConfigValues.lunParams(params), TargetsFile.defaultOptions(env.provider(type)))),
                ConfigValues.storeParams(params));
    }

    /** A new LUN with the options its type has unless told otherwise. */
    synchronized String newLun(int tid, int lun, String type, String path, Long size, int blockSize) {
        return newLun(tid, lun, type, path, size, blockSize, Map.of());
    }

    /** A new LUN with {@code options} and no store options. */
    synchronized String newLun(int tid, int lun, String type, String path, Long size, int blockSize,
            LunOptions options) {
        return newLun(tid, lun, type, path, size, blockSize, options, Map.of());
    }

    /**
     * A new LUN with {@code options} and the store options {@code storeOptions}. The store's
     * provider checks {@code path}, {@code size} and the store options
     * ({@link BackingStoreProvider#plan(String, Long, boolean, Map)}); a store that opening
     * created (a missing file, made sparse) is removed again if the LUN cannot be added.
     */
    synchronized String newLun(int tid, int lun, String type, String path, Long size, int blockSize,
            LunOptions options, Map<String, String> storeOptions) {
        TargetAdmin admin = daemon();
        TargetSpec t = target(tid);
        if (t.luns().containsKey(lun)) {
            throw new TargetAdminException("tid " + tid + " has a LUN " + lun + " already");
        }
        BackingStoreProvider provider = env.provider(type);
        if (provider == null) {
            List<String> types = env.storeTypes();
            throw new TargetAdminException(types.contains(type) ? "the " + type + " backing store provider is not running"
                    : "unknown backing store type '" + type + "' (" + String.join(", ", types) + ")");
        }
        StorePlan plan;
        try {
            plan = provider.plan(path, size, options.readOnly(), storeOptions);
        } catch (IOException | RuntimeException e) {
            throw e instanceof TargetAdminException x ? x : new TargetAdminException(e.getMessage(), e);
        }
        long bytes = plan.size();
        if (bytes % blockSize != 0) {
            throw new TargetAdminException("size " + bytes + " is not a multiple of the block size " + blockSize);
        }
        boolean created = plan.creates();
        String storePath = plan.path();
        LunSpec l = new LunSpec(lun, type, storePath, bytes, blockSize, options, plan.storeOptions(), 0);
        try {
            addLun(admin, provider, t.iqn(), l, plan.options());
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
                + (created ? " (created)" : "") + describe(options, TargetsFile.defaultOptions(provider))
                + describe(l.storeOptions());
    }

    @Override
    public synchronized String deleteLun(int tid, int lun) {
        TargetAdmin admin = daemon();
        TargetSpec t = target(tid);
        if (!t.luns().containsKey(lun)) {
            throw new TargetAdminException("tid " + tid + " has no LUN " + lun);
        }
        refuseIfMapped(tid, lun);
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

    /**
     * Changes a LUN in place: its size ({@code newSize}, or null to keep it; only growth) and
     * the options {@code params} name (each missing key keeps its value). targets.conf is
     * written first and written back if the daemon refuses, and the options are set back if
     * the resize fails, so the command applies completely or not at all.
     */
    @Override
    public synchronized String updateLun(int tid, int lun, Long newSize, Map<String, String> params) {
        TargetAdmin admin = daemon();
        TargetSpec t = target(tid);
        LunSpec l = t.luns().get(lun);
        if (l == null) {
            throw new TargetAdminException("tid " + tid + " has no LUN " + lun);
        }
        if (!appliedLuns.contains(key(tid, lun))) {
            throw new TargetAdminException("tid " + tid + " LUN " + lun + " is not running (see the log); it cannot "
                    + "be changed in place");
        }
        checkStoreOptions(tid, lun, l, ConfigValues.storeParams(params));
        LunOptions options = ConfigValues.checkCombination(ConfigValues.lunOptions(ConfigValues.lunParams(params),
                l.options()));
        if (!java.util.Objects.equals(options.serial(), l.options().serial())) {
            throw new TargetAdminException("serial cannot change while the LUN exists (it is the unit's identity in "
                    + "VPD pages 80h and 83h); delete the LUN and create it again");
        }
        if (options.physicalBlockSize() != l.options().physicalBlockSize()) {
            throw new TargetAdminException("physicalblocksize cannot change while the LUN exists (initiators aligned "
                    + "their I/O to it); delete the LUN and create it again");
        }
        long size = newSize == null ? l.size() : newSize;
        if (size % l.blockSize() != 0) {
            throw new TargetAdminException("size " + size + " is not a multiple of the block size " + l.blockSize());
        }
        if (size < l.size()) {
            throw new TargetAdminException("tid " + tid + " LUN " + lun + " has " + l.size() + " bytes; shrinking to "
                    + size + " is refused (the blocks past the new end would be lost to initiators that were told "
                    + "they exist)");
        }
        if (size == l.size() && options.equals(l.options())) {
            return "target " + tid + " LUN " + lun + " unchanged";
        }
        LunSpec changed = l.with(size, options);
        Map<Integer, TargetSpec> before = targets;
        Map<Integer, TargetSpec> next = new TreeMap<>(targets);
        next.put(tid, t.withLun(changed));
        save(next);
        boolean optionsSet = false;
        try {
            if (!options.equals(l.options())) {
                admin.setLunOptions(t.iqn(), lun, options);
                optionsSet = true;
            }
            if (size != l.size()) {
                admin.resizeLun(t.iqn(), lun, size);
            }
        } catch (RuntimeException e) {
            if (optionsSet) {
                try {
                    admin.setLunOptions(t.iqn(), lun, l.options());
                } catch (RuntimeException x) {
                    e.addSuppressed(x);
                    LOG.warn("tid {} LUN {}: setting the options back failed: {}", tid, lun, x.getMessage());
                }
            }
            save(before);
            throw e;
        }
        List<String> parts = new ArrayList<>();
        if (size != l.size()) {
            parts.add("size " + l.size() + " -> " + size + " bytes");
        }
        if (!options.equals(l.options())) {
            parts.add("options " + ConfigValues.describeOptions(l.options()) + " -> " + ConfigValues.describeOptions(options));
        }
        return "target " + tid + " LUN " + lun + ": " + String.join(", ", parts);
    }

    /**
     * Store options cannot change in place: the store was opened with them, and opening it
     * again under initiators' I/O is not something a store offers. One given with the value
     * the LUN has already is no change.
     */
    private void checkStoreOptions(int tid, int lun, LunSpec l, Map<String, String> storeOptions) {
        BackingStoreProvider provider = env.provider(l.type());
        if (provider != null) {
            try {
                provider.checkOptions(storeOptions);
            } catch (IllegalArgumentException e) {
                throw new TargetAdminException(e.getMessage(), e);
            }
        }
        for (Map.Entry<String, String> e : storeOptions.entrySet()) {
            String key = e.getKey();
            String now = l.storeOptions().get(key);
            if (!e.getValue().equals(now)) {
                throw new TargetAdminException(key + "=" + e.getValue() + " cannot be set while tid " + tid + " LUN " + lun
                        + " exists: its " + l.type() + " store was opened " + (now == null ? "without " + key
                        : "with " + key + "=" + now) + "; delete the LUN and create it again with " + key + "="
                        + e.getValue());
            }
        }
    }

    private static void reopen(TargetAdmin admin, String iqn) {
        try {
            admin.reopenTarget(iqn);
        } catch (RuntimeException e) {
            LOG.warn("reopening {} after a failed delete failed: {}", iqn, e.toString());
        }
    }

    /** Asks every driver to end the sessions to {@code iqn}; how many it ended. */
    private int endSessions(String iqn) {
        int ended = 0;
        for (SessionSource source : env.sessionSources()) {
            try {
                ended += source.endSessions(iqn, "target " + iqn + " deleted", END_SESSIONS_TIMEOUT_MILLIS);
            } catch (RuntimeException e) {
                LOG.warn("ending the sessions of {} failed: {}", iqn, e.toString());
            }
        }
        return ended;
    }

    /** The IQN of a tid jtgtadm manages, or {@code null}. */
    @Override
    public synchronized String iqnOf(int tid) {
        TargetSpec t = targets.get(tid);
        return t == null ? null : t.iqn();
    }

    /** The tid of a target jtgtadm manages, or {@code null}. */
    @Override
    public synchronized Integer tidOf(String iqn) {
        for (TargetSpec t : targets.values()) {
            if (t.iqn().equals(iqn)) {
                return t.tid();
            }
        }
        return null;
    }

    /** Targets in the file but not (yet) in the daemon, for show. */
    @Override
    public synchronized List<String> pending(List<TargetInfo> inDaemon) {
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
        save(next, accounts);
    }

    private void save(Map<Integer, TargetSpec> next, Accounts nextAccounts) {
        save(next, nextAccounts, lunMaps.only(next.keySet()));
    }

    private void save(Map<Integer, TargetSpec> next, Accounts nextAccounts, InitiatorLunMaps nextLunMaps) {
        try {
            TargetsFile.write(file, TargetsFile.format(next, nextAccounts, portGroupsOf(next), nextLunMaps, skipped));
        } catch (IOException e) {
            throw new TargetAdminException("cannot write " + file + ": " + e.getMessage() + "; nothing changed", e);
        }
        targets = next;
        accounts = nextAccounts;
        lunMaps = nextLunMaps;
        chapByTarget = chapByTarget(next, nextAccounts);
        portGroups = portGroupsOf(next);
    }

    // =========================== target port groups ===========================

    /** The port groups of the targets in {@code next}: a deleted target's go with it. */
    private Map<Integer, List<PortGroup>> portGroupsOf(Map<Integer, TargetSpec> next) {
        Map<Integer, List<PortGroup>> out = new TreeMap<>(portGroups);
        out.keySet().retainAll(next.keySet());
        return out;
    }

    /** Gives the daemon the port groups of every applied target it does not have them for yet. */
    private void applyPortGroups() {
        PortGroupAdmin admin = env.portGroupAdmin();
        if (admin == null) {
            return;
        }
        for (TargetSpec t : targets.values()) {
            applyPortGroups(admin, t);
        }
    }

    /** {@link #applyPortGroups()} for one target. */
    private void applyPortGroups(PortGroupAdmin admin, TargetSpec t) {
        if (admin == null || !appliedTargets.contains(t.tid()) || appliedGroups.contains(t.tid())) {
            return;
        }
        List<PortGroup> groups = portGroups.getOrDefault(t.tid(), List.of());
        try {
            admin.setPortGroups(t.iqn(), groups);
            appliedGroups.add(t.tid());
        } catch (TargetAdminException e) {
            LOG.warn("{}: the port groups of tid {} were not applied: {} (kept in {})", TargetsFile.NAME, t.tid(),
                    e.getMessage(), file);
        }
    }

    @Override
    public synchronized String newPortGroup(int tid, PortGroup group) {
        TargetSpec t = target(tid);
        List<PortGroup> now = new ArrayList<>(portGroupAdmin().portGroups(t.iqn()));
        if (now.stream().anyMatch(g -> g.id() == group.id())) {
            throw new TargetAdminException("target " + tid + " has port group " + group.id() + " already");
        }
        now.add(group);
        changePortGroups(t, now);
        return "port group " + group.id() + " of target " + tid + " created: " + describe(group);
    }

    @Override
    public synchronized String updatePortGroup(int tid, int group, List<Integer> ports, AccessState state,
            Boolean preferred) {
        TargetSpec t = target(tid);
        List<PortGroup> now = new ArrayList<>(portGroupAdmin().portGroups(t.iqn()));
        int at = indexOf(now, tid, group);
        PortGroup g = now.get(at);
        PortGroup changed = new PortGroup(group, ports != null ? ports : g.ports(), state != null ? state : g.state(),
                preferred != null ? preferred : g.preferred());
        if (changed.equals(g)) {
            return "port group " + group + " of target " + tid + " is " + describe(g) + " already";
        }
        now.set(at, changed);
        changePortGroups(t, now);
        return "port group " + group + " of target " + tid + ": " + describe(changed);
    }

    @Override
    public synchronized String deletePortGroup(int tid, int group) {
        TargetSpec t = target(tid);
        List<PortGroup> now = new ArrayList<>(portGroupAdmin().portGroups(t.iqn()));
        now.remove(indexOf(now, tid, group));
        changePortGroups(t, now);
        return "port group " + group + " of target " + tid + " deleted";
    }

    @Override
    public synchronized List<PortGroup> portGroups(int tid) {
        return portGroupAdmin().portGroups(target(tid).iqn());
    }

    /**
     * An initiator changed states with SET TARGET PORT GROUPS: kept in the file, so the states
     * survive a restart. Runs on the bundle's own thread, never the command's, so a jtgtadm
     * change may have come in between: what is written is what the daemon has now ({@code told}
     * only while the daemon is gone).
     */
    synchronized void portGroupsChanged(String iqn, List<PortGroup> told) {
        Integer tid = tidOf(iqn);
        if (tid == null) {
            return;   // not a target of the file (the launcher's default target)
        }
        PortGroupAdmin admin = env.portGroupAdmin();
        List<PortGroup> groups;
        try {
            groups = admin == null ? told : admin.portGroups(iqn);
        } catch (TargetAdminException e) {
            return;   // deleted meanwhile
        }
        Map<Integer, List<PortGroup>> before = portGroups;
        Map<Integer, List<PortGroup>> next = new TreeMap<>(portGroups);
        next.put(tid, List.copyOf(groups));
        portGroups = next;
        try {
            save(targets);
            LOG.info("{}: access states of tid {} set by an initiator: {}", file, tid, groups);
        } catch (TargetAdminException e) {
            portGroups = before;
            LOG.error("access states of tid {} set by an initiator are in force but not kept: {}", tid, e.getMessage());
        }
    }

    /** The daemon first (it checks the groups), then the file; a failed write puts the daemon back. */
    private void changePortGroups(TargetSpec t, List<PortGroup> groups) {
        PortGroupAdmin admin = portGroupAdmin();
        List<PortGroup> before = admin.portGroups(t.iqn());
        groups.sort((a, b) -> Integer.compare(a.id(), b.id()));
        admin.setPortGroups(t.iqn(), groups);
        Map<Integer, List<PortGroup>> old = portGroups;
        Map<Integer, List<PortGroup>> next = new TreeMap<>(portGroups);
        next.put(t.tid(), List.copyOf(groups));
        portGroups = next;
        try {
            save(targets);
        } catch (TargetAdminException e) {
            portGroups = old;
            admin.setPortGroups(t.iqn(), before);
            throw e;
        }
        appliedGroups.add(t.tid());
    }

    private static int indexOf(List<PortGroup> groups, int tid, int group) {
        for (int i = 0; i < groups.size(); i++) {
            if (groups.get(i).id() == group) {
                return i;
            }
        }
        throw new TargetAdminException("target " + tid + " has no port group " + group);
    }

    static String describe(PortGroup g) {
        return "ports " + g.ports().stream().map(String::valueOf).reduce((a, b) -> a + "," + b).orElse("") + ", "
                + g.state() + (g.preferred() ? ", preferred" : "");
    }

    private PortGroupAdmin portGroupAdmin() {
        PortGroupAdmin admin = env.portGroupAdmin();
        if (admin == null) {
            throw new IllegalStateException("the target daemon is not running");
        }
        return admin;
    }

    // =========================== LUN maps per initiator ===========================

    /**
     * Makes the daemon's LUN maps of the applied targets what the file says: compares first, so
     * applying again changes nothing and raises no unit attention. A map may name a LUN the
     * daemon does not have (yet): that LUN is not accessible to the initiator until it is there.
     */
    private void applyLunMaps() {
        LunMaps daemon = env.lunMaps();
        if (daemon == null) {
            return;
        }
        TargetAdmin admin = env.targetAdmin();
        for (TargetSpec t : targets.values()) {
            // Stays marked closed while no TargetAdmin is there to reopen it: a later pass does.
            if (appliedTargets.contains(t.tid()) && applyLunMaps(daemon, t) && admin != null
                    && closedForMaps.remove(t.tid())) {
                admin.reopenTarget(t.iqn());
                LOG.info("{}: target {} has its LUN maps and is open to logins", TargetsFile.NAME, t.iqn());
            }
        }
    }

    /**
     * {@link #applyLunMaps()} for one target; false if the file has maps for it that are not in
     * the daemon (no {@link LunMaps} service, or the daemon refused one).
     */
    private boolean applyLunMaps(LunMaps daemon, TargetSpec t) {
        if (daemon == null) {
            return lunMaps.of(t.tid()).isEmpty();
        }
        try {
            Map<String, Map<Integer, Integer>> want = lunMaps.of(t.tid());
            Map<String, Map<Integer, Integer>> have = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            have.putAll(daemon.lunMaps(t.iqn()));
            for (String initiator : have.keySet()) {
                if (!want.containsKey(initiator)) {
                    daemon.setLunMap(t.iqn(), initiator, null);
                }
            }
            for (Map.Entry<String, Map<Integer, Integer>> e : want.entrySet()) {
                if (!e.getValue().equals(have.get(e.getKey()))) {
                    daemon.setLunMap(t.iqn(), e.getKey(), e.getValue());
                }
            }
        } catch (TargetAdminException e) {
            LOG.warn("{}: the LUN maps of tid {} are not applied: {}", TargetsFile.NAME, t.tid(), e.getMessage());
            return false;
        }
        return true;
    }

    @Override
    public synchronized String newLunMap(int tid, String initiator) {
        TargetSpec t = target(tid);
        checkInitiator(initiator);
        if (lunMaps.of(tid, initiator) != null) {
            throw new TargetAdminException("tid " + tid + " has a LUN map of " + initiator + " already");
        }
        changeLunMap(t, initiator, Map.of());
        return "target " + tid + ": LUN map of " + initiator + " created; it sees no LUN until LUNs are bound to it";
    }

    @Override
    public synchronized String deleteLunMap(int tid, String initiator) {
        TargetSpec t = target(tid);
        if (lunMaps.of(tid, initiator) == null) {
            throw new TargetAdminException("tid " + tid + " has no LUN map of " + initiator);
        }
        changeLunMap(t, initiator, null);
        return "target " + tid + ": LUN map of " + initiator + " deleted; it sees every LUN of the target again";
    }

    @Override
    public synchronized String mapLun(int tid, String initiator, int lun, int mappedLun) {
        TargetSpec t = target(tid);
        checkInitiator(initiator);
        checkLun(mappedLun, "mapped LUN");
        if (!t.luns().containsKey(lun)) {
            throw new TargetAdminException("tid " + tid + " has no LUN " + lun + "; add it first (--op new --mode "
                    + "logicalunit): an initiator is shown only LUNs that exist");
        }
        Map<Integer, Integer> current = lunMaps.of(tid, initiator);
        Map<Integer, Integer> next = new TreeMap<>(current == null ? Map.of() : current);
        Integer there = next.get(mappedLun);
        if (there != null && there == lun) {
            return "target " + tid + ": " + initiator + " sees LUN " + lun + " as LUN " + mappedLun + " already";
        }
        if (there != null) {
            throw new TargetAdminException(initiator + " sees LUN " + there + " of tid " + tid + " as LUN " + mappedLun
                    + " already; unbind it first");
        }
        for (Map.Entry<Integer, Integer> e : next.entrySet()) {
            if (e.getValue() == lun) {
                throw new TargetAdminException(initiator + " sees LUN " + lun + " of tid " + tid + " as LUN " + e.getKey()
                        + " already; an initiator sees each LUN once (unbind it first to renumber it)");
            }
        }
        next.put(mappedLun, lun);
        changeLunMap(t, initiator, next);
        return "target " + tid + ": " + initiator + " sees LUN " + lun + " as LUN " + mappedLun
                + (current == null ? " (its LUN map is new: it sees only the LUNs bound to it)" : "");
    }

    @Override
    public synchronized String unmapLun(int tid, String initiator, int lun) {
        TargetSpec t = target(tid);
        Map<Integer, Integer> current = lunMaps.of(tid, initiator);
        if (current == null) {
            throw new TargetAdminException("tid " + tid + " has no LUN map of " + initiator
                    + " (it sees every LUN of the target)");
        }
        Map<Integer, Integer> next = new TreeMap<>(current);
        if (!next.values().removeIf(l -> l == lun)) {
            throw new TargetAdminException(initiator + " has no LUN " + lun + " of tid " + tid + " in its LUN map");
        }
        changeLunMap(t, initiator, next);
        return "target " + tid + ": " + initiator + " no longer sees LUN " + lun + (next.isEmpty()
                ? "; its LUN map is empty, so it sees no LUN (--op delete --mode lunmap gives it every LUN again)" : "");
    }

    @Override
    public synchronized String showLunMaps(Integer tid) {
        StringBuilder out = new StringBuilder();
        for (TargetSpec t : targets.values()) {
            if (tid != null && tid != t.tid()) {
                continue;
            }
            out.append("Target ").append(t.tid()).append(": ").append(t.iqn()).append('\n');
            Map<String, Map<Integer, Integer>> maps = lunMaps.of(t.tid());
            if (maps.isEmpty()) {
                out.append("    No LUN maps: every initiator sees every LUN\n");
            }
            maps.forEach((initiator, map) -> {
                out.append("    ").append(initiator).append(": ").append(InitiatorLunMaps.describe(map));
                List<Integer> missing = map.values().stream().filter(l -> !t.luns().containsKey(l)).toList();
                if (!missing.isEmpty()) {
                    out.append(" (not running, see the log: LUN ").append(missing.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", "))).append(')');
                }
                out.append('\n');
            });
        }
        if (tid != null && out.length() == 0) {
            throw new TargetAdminException("no target with tid " + tid);
        }
        return out.length() == 0 ? "No targets\n" : out.toString();
    }

    /** Sets {@code initiator}'s map in the daemon (when the target runs there) and the file, or neither. */
    private void changeLunMap(TargetSpec t, String initiator, Map<Integer, Integer> map) {
        LunMaps daemon = env.lunMaps();
        if (daemon == null) {
            throw new IllegalStateException(env.targetAdmin() == null ? "the target daemon is not running"
                    : "the target daemon offers no LUN maps");
        }
        Map<Integer, Integer> before = lunMaps.of(t.tid(), initiator);
        boolean applied = appliedTargets.contains(t.tid());
        if (applied) {
            daemon.setLunMap(t.iqn(), initiator, map);
        }
        try {
            save(targets, accounts, lunMaps.with(t.tid(), initiator, map));
        } catch (TargetAdminException e) {
            if (applied) {
                daemon.setLunMap(t.iqn(), initiator, before);
            }
            throw e;
        }
    }

    /** A LUN an initiator's map names is not deleted under it: the map would show a hole the initiator was not told of. */
    private void refuseIfMapped(int tid, int lun) {
        Map<String, Integer> users = lunMaps.usersOf(tid, lun);
        if (!users.isEmpty()) {
            List<String> who = new ArrayList<>();
            users.forEach((initiator, mapped) -> who.add(initiator + " (as LUN " + mapped + ")"));
            throw new TargetAdminException("tid " + tid + " LUN " + lun + " is in the LUN map of " + String.join(", ", who)
                    + "; unbind it first (--op unbind --mode lunmap)");
        }
    }

    private static void checkInitiator(String initiator) {
        try {
            InitiatorLunMaps.checkInitiator(initiator);
        } catch (IllegalArgumentException e) {
            throw new TargetAdminException(e.getMessage(), e);
        }
    }

    private static void checkLun(int lun, String what) {
        if (lun < 0 || lun > ConfigValues.MAX_LUN) {
            throw new TargetAdminException(what + " " + lun + " is outside 0.." + ConfigValues.MAX_LUN);
        }
    }

    // =========================== CHAP accounts ===========================

    /** tgtadm {@code --op new --mode account}: a user and its secret, bound to no target yet. */
    @Override
    public synchronized String newAccount(String user, String secret) {
        ConfigValues.checkAccount(user, secret);
        if (accounts.secrets().containsKey(user)) {
            throw new TargetAdminException("account " + user + " exists already");
        }
        save(targets, accounts.withSecret(user, secret));
        return "account " + user + " created";
    }

    /** tgtadm {@code --op delete --mode account}: refused while the account is bound to a target. */
    @Override
    public synchronized String deleteAccount(String user) {
        account(user);
        List<String> bound = accounts.bindingsOf(user);
        if (!bound.isEmpty()) {
            throw new TargetAdminException("account " + user + " is bound to " + String.join(", ", bound)
                    + "; unbind it first");
        }
        save(targets, accounts.withSecret(user, null));
        return "account " + user + " deleted";
    }

    /**
     * tgtadm {@code --op bind|unbind --mode account --tid N --user U [--outgoing]}. A target has
     * any number of incoming users and at most one outgoing user, whose secret must differ from
     * those of its incoming users (RFC 7143 12.1.3: the two directions never share a secret).
     */
    @Override
    public synchronized String bindAccount(int tid, String user, boolean outgoing, boolean bind) {
        TargetSpec t = target(tid);
        String secret = account(user);
        List<String> incoming = new ArrayList<>(accounts.incoming().getOrDefault(tid, List.of()));
        String out = accounts.outgoing().get(tid);
        Accounts next;
        String done;
        if (outgoing) {
            if (bind) {
                if (user.equals(out)) {
                    return "target " + tid + " has outgoing user " + user + " already";
                }
                if (out != null) {
                    throw new TargetAdminException("target " + tid + " has outgoing user " + out
                            + " already; unbind it first (a target answers mutual CHAP with one name)");
                }
                for (String u : incoming) {
                    if (accounts.secrets().get(u).equals(secret)) {
                        throw new TargetAdminException("the secret of " + user + " is that of incoming user " + u
                                + " of target " + tid + "; the two directions of CHAP must not share a secret "
                                + "(RFC 7143 12.1.3)");
                    }
                }
            } else if (!user.equals(out)) {
                throw new TargetAdminException("target " + tid + " has no outgoing user " + user);
            }
            next = accounts.withOutgoing(tid, bind ? user : null);
            done = bind ? "outgoing user " + user + " bound to" : "outgoing user " + user + " unbound from";
        } else {
            if (bind) {
                if (incoming.contains(user)) {
                    return "target " + tid + " has incoming user " + user + " already";
                }
                if (out != null && accounts.secrets().get(out).equals(secret)) {
                    throw new TargetAdminException("the secret of " + user + " is that of outgoing user " + out
                            + " of target " + tid + "; the two directions of CHAP must not share a secret "
                            + "(RFC 7143 12.1.3)");
                }
                incoming.add(user);
            } else if (!incoming.remove(user)) {
                throw new TargetAdminException("target " + tid + " has no incoming user " + user);
            }
            next = accounts.withIncoming(tid, incoming);
            done = bind ? "incoming user " + user + " bound to" : "incoming user " + user + " unbound from";
        }
        save(targets, next);
        return done + " target " + tid + " " + t.iqn();
    }

    /** The account names, each with the targets it is bound to; never a secret. */
    @Override
    public synchronized String showAccounts() {
        return accounts.show();
    }

    /** The users bound to the target {@code iqn}, for show: incoming, then "NAME (outgoing)". */
    @Override
    public synchronized List<String> accountsOf(String iqn) {
        Integer tid = tidOf(iqn);
        if (tid == null) {
            return List.of();
        }
        return accounts.usersOf(tid);
    }

    /**
     * What the iSCSI driver asks at login: the target's accounts, or null while it has no
     * incoming user (then the driver's configured account applies). Lock-free: a snapshot made
     * at every change, so a login never waits behind a change in progress (a forced deletion
     * waits for sessions to end while it holds this object's lock).
     */
    public ChapAccounts.TargetChap chapFor(String iqn) {
        return chapByTarget.get(iqn.toLowerCase(Locale.ROOT));
    }

    /** CHAP per target name, for the targets applied and those skipped (fail closed: see {@link #skippedTargets}). */
    private Map<String, ChapAccounts.TargetChap> chapByTarget(Map<Integer, TargetSpec> targets, Accounts accounts) {
        List<TargetSpec> all = new ArrayList<>(skippedTargets.values());
        all.addAll(targets.values());
        return accounts.chapByTarget(all);
    }

    private String account(String user) {
        String secret = accounts.secrets().get(user);
        if (secret == null) {
            throw new TargetAdminException("no account " + user);
        }
        return secret;
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
        if (o.softThreshold() != 0) {
            parts.add("soft threshold " + o.softThreshold() + "%");
        }
        return parts.isEmpty() ? "" : ", " + String.join(", ", parts);
    }

    /** For replies: {@code , direct=1} for the store options. */
    private static String describe(Map<String, String> storeOptions) {
        StringBuilder s = new StringBuilder();
        storeOptions.forEach((k, v) -> s.append(", ").append(k).append('=').append(v));
        return s.toString();
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
