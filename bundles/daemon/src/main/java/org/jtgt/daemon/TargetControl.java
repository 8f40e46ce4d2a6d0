package org.jtgt.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.jtgt.api.store.BackingStore;
import org.jtgt.api.target.GatewayOwnership;
import org.jtgt.api.target.IoStatistics;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.NexusInfo;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.target.TargetAdminException;
import org.jtgt.api.target.TargetInfo;
import org.jtgt.api.target.TargetPorts;
import org.jtgt.util.file.OwnerOnlyFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane: targets, LUNs, ACLs and target ports ({@link TargetAdmin},
 * {@link TargetPorts}), called from any thread. Every change is made under the admin lock of the
 * {@link DaemonState} and published as a new immutable snapshot, so the data plane
 * ({@link EventDispatcher}) never waits for it; stores of removed units are drained and closed
 * outside the lock.
 */
final class TargetControl implements TargetAdmin, TargetPorts {
    /** Logs as the daemon: administration lines are known by that name (README). */
    private static final Logger LOG = LoggerFactory.getLogger(TargetDaemon.class);

    /** How long removing a LUN waits for its running commands before closing the store anyway. */
    static final long RETIRE_TIMEOUT_MILLIS = 30_000;
    static final int MIN_LUN = 0;
    static final int MAX_LUN = LunAddress.MAX_LUN;
    static final int BLOCK_SIZE_512 = 512;
    static final int BLOCK_SIZE_4096 = 4096;

    private final DaemonState state;
    private final int maxTransferBytes;
    /** Worker threads per unit whose store blocks ({@link UnitWorkers}); for units added from now on. */
    private volatile int storeThreads = UnitWorkers.DEFAULT_THREADS;
    /** Whether READs over a store that blocks are tried on the delivering thread first. */
    private volatile boolean readNow = true;
    private volatile boolean handOff = true;
    /**
     * Where persistent reservations with APTPL are kept ({@link AptplFile}); {@code null}: nowhere,
     * and APTPL = 1 is refused (PTPL_C = 0).
     */
    private volatile Path stateDir;
    /** The split shape's daemon: where every unit's reservations are kept for the next daemon process, or null. */
    private volatile Path keptDir;

    /** @param maxTransferBytes the most one command may read or write (Block Limits VPD) */
    TargetControl(DaemonState state, int maxTransferBytes) {
        if (maxTransferBytes < BLOCK_SIZE_4096) {
            throw new IllegalArgumentException("maximum transfer " + maxTransferBytes + " is below one block");
        }
        this.state = state;
        this.maxTransferBytes = maxTransferBytes;
    }

    /** Sets where APTPL state lives, for units added from now on. */
    void stateDirectory(Path dir) {
        stateDir = dir;
        if (dir == null) {
            LOG.info("No state directory: persistent reservations are not kept across restarts (PTPL_C = 0)");
        } else {
            LOG.info("Persistent reservations with APTPL are kept in {}", dir.resolve(AptplFile.DIRECTORY));
            if (!OwnerOnlyFiles.supported(dir)) {
                LOG.debug("{} has no POSIX permissions: reservation files get the file system's default mode", dir);
            }
        }
    }

    /**
     * The split shape's daemon keeps every unit's persistent reservations, APTPL or not, in
     * {@code dir/}{@value AptplFile#KEPT_DIRECTORY} for the daemon process after it, and mode
     * parameters and pending unit attentions in {@code dir/}{@value KeptState#DIRECTORY}
     * ({@link KeptState}). {@code warm}: a front process runs, so the target lives on and what is
     * kept there is taken over; else the target starts cold and the kept state is removed.
     */
    void keptStateDirectory(Path dir, boolean warm) {
        Path kept = dir.resolve(AptplFile.KEPT_DIRECTORY);
        KeptState keptState = new KeptState(dir);
        if (!warm) {
            int dropped = KeptState.dropAll(dir);
            if (dropped > 0) {
                LOG.info("No front process runs: the target starts cold; {} file(s) of mode parameters and pending "
                        + "unit attentions kept by an earlier daemon process are dropped", dropped);
            }
            try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(kept)) {
                for (Path f : files.toList()) {
                    java.nio.file.Files.deleteIfExists(f);
                }
                LOG.info("No front process runs: the target starts cold; reservations kept by an earlier daemon "
                        + "process are dropped (APTPL ones stay)");
            } catch (java.nio.file.NoSuchFileException e) {
                // nothing kept
            } catch (java.io.IOException e) {
                LOG.warn("cannot empty {}: {}", kept, e.toString());
            }
        }
        keptDir = dir;
        state.kept = keptState;
        LOG.info("Persistent reservations are kept in {}, mode parameters and pending unit attentions in {}, "
                + "for the next daemon process", kept, keptState.directory());
    }

    // =========================== TargetAdmin ===========================

    @Override
    public void createTarget(String name) {
        createTarget(name, false);
    }

    /** Created and closed under one hold of the lock: no nexus request finds it open before its ACL is set. */
    @Override
    public void createClosedTarget(String name) {
        createTarget(name, true);
    }

    private void createTarget(String name, boolean closed) {
        String problem = IscsiNames.check(name);
        if (problem != null) {
            throw new TargetAdminException(problem);
        }
        synchronized (state.lock) {
            if (state.targets.containsKey(name)) {
                throw new TargetAdminException("target " + name + " exists already");
            }
            Target t = new Target(name);
            t.closed(closed);
            Map<String, Target> next = new HashMap<>(state.targets);
            next.put(name, t);
            state.targets = Map.copyOf(next);
        }
        LOG.info(closed ? "Target {} created, closed to I_T nexuses until it is set up" : "Target {} created", name);
    }

    @Override
    public void deleteTarget(String name, boolean force) {
        Target target;
        List<Nexus> ended;
        synchronized (state.lock) {
            target = requireTarget(name);
            ended = Arrays.asList(target.nexuses());
            if (!ended.isEmpty() && !force) {
                throw new TargetAdminException("target " + name + " has " + ended.size()
                        + " I_T nexus(es); log the initiators out first or delete with force");
            }
            for (Nexus n : ended) {
                state.dropNexus(n);
            }
            Map<String, Target> next = new HashMap<>(state.targets);
            next.remove(name);
            state.targets = Map.copyOf(next);
        }
        KeptState keptState = state.kept;
        for (Nexus n : ended) {
            if (keptState != null) {
                keptState.detach(n);
            }
        }
        for (LogicalUnit u : target.luns()) {
            retire(u);
            if (keptState != null) {
                keptState.dropMode(name, u.lun());
            }
        }
        LOG.info("Target {} deleted ({} LUN(s) closed, {} I_T nexus(es) ended)", name, target.luns().length, ended.size());
    }

    @Override
    public void closeTarget(String name) {
        synchronized (state.lock) {
            requireTarget(name).closed(true);
        }
        LOG.info("Target {} closed to new I_T nexuses", name);
    }

    @Override
    public void reopenTarget(String name) {
        synchronized (state.lock) {
            requireTarget(name).closed(false);
        }
        LOG.info("Target {} open to new I_T nexuses again", name);
    }

    @Override
    public void addLun(String targetName, int lun, BackingStore store, int blockSize, LunOptions options) {
        Objects.requireNonNull(store, "store");
        LunOptions opts = options == null ? LunOptions.DEFAULT : options;
        if (lun < MIN_LUN || lun > MAX_LUN) {
            throw new TargetAdminException("LUN " + lun + " is outside " + MIN_LUN + ".." + MAX_LUN);
        }
        if (blockSize != BLOCK_SIZE_512 && blockSize != BLOCK_SIZE_4096) {
            throw new TargetAdminException("block size " + blockSize + " is not supported; use 512 or 4096");
        }
        long size = store.size();
        if (size <= 0 || size % blockSize != 0) {
            throw new TargetAdminException("backing store " + store.describe() + " has " + size
                    + " bytes; it must be a positive multiple of the block size " + blockSize);
        }
        String serialProblem = LogicalUnit.checkSerial(opts.serial());
        if (serialProblem != null) {
            throw new TargetAdminException(serialProblem);
        }
        String physicalProblem = LogicalUnit.checkPhysicalBlockSize(opts.physicalBlockSize(), blockSize);
        if (physicalProblem != null) {
            throw new TargetAdminException(physicalProblem);
        }
        provision(store, opts.thin(), "target " + targetName + " LUN " + lun + " not added: ");
        LogicalUnit unit = new LogicalUnit(targetName, lun, store, blockSize, opts, maxTransferBytes, storeThreads);
        if (unit.workers() != null) {
            unit.workers().readNow(readNow);
            unit.workers().handOff(handOff);
        }
        Path dir = stateDir;
        if (dir != null) {
            unit.persistentReservations().restore(new AptplFile(dir, targetName, lun));   // never throws
        }
        Path kept = keptDir;
        if (kept != null) {
            unit.persistentReservations().keep(new AptplFile(kept, AptplFile.KEPT_DIRECTORY, targetName, lun,
                    "(kept for the next daemon process)"));   // never throws
        }
        shareReservations(unit, store, targetName, lun);
        org.jtgt.api.store.SharedUnitResets resets = SharedResets.open(store, targetName, lun);
        KeptState keptState = state.kept;
        if (keptState != null) {
            keptState.restoreMode(unit);   // never throws
            unit.keepModeParameters(keptState);
        }
        synchronized (state.lock) {
            Target target = requireTarget(targetName);
            if (target.lun(lun) != null) {
                unit.persistentReservations().close();
                throw new TargetAdminException("target " + targetName + " has a LUN " + lun + " already");
            }
            target.addLun(unit);
            unit.persistentReservations().attach(target, lun);
            SharedResets.attach(target, unit, resets);
            target.reportedLunsChanged(lun);   // SPC-4 6.33, on the nexuses that see the new LUN
            if (store instanceof GatewayOwnership) {
                GatewayStates.attach(state, target, (GatewayOwnership) store);
            }
        }
        LOG.info("Target {} LUN {}: {} bytes in {}-byte blocks{}, {}{}{}", targetName, lun, size, blockSize,
                unit.blocksPerPhysicalBlock() > 1 ? " (" + (blockSize << unit.physicalBlockExponent()) + "-byte physical)" : "",
                store.describe(), opts.readOnly() ? ", read-only" : "", opts.thin() ? ", thin" : "");
    }

    @Override
    public void removeLun(String targetName, int lun) {
        LogicalUnit unit;
        synchronized (state.lock) {
            Target target = requireTarget(targetName);
            unit = target.removeLun(lun);
            if (unit == null) {
                throw new TargetAdminException("target " + targetName + " has no LUN " + lun);
            }
            GatewayStates.detach(target, unit);
            SharedResets.detach(unit);
            for (Nexus n : target.nexuses()) {
                n.unitAttentions().forget(lun);
            }
            target.reportedLunsChanged(lun);
        }
        retire(unit);
        KeptState keptState = state.kept;
        if (keptState != null) {
            keptState.dropMode(targetName, lun);
        }
        LOG.info("Target {} LUN {} removed", targetName, lun);
    }

    /**
     * SBC-4 4.7: the capacity changes for every command that starts after the store has grown;
     * CAPACITY DATA HAS CHANGED (2Ah/09h) goes to every I_T nexus of the target. The store grows
     * under the admin lock, so the unit can be neither removed nor resized meanwhile.
     */
    @Override
    public void resizeLun(String targetName, int lun, long newSizeBytes) {
        long before;
        synchronized (state.lock) {
            Target target = requireTarget(targetName);
            LogicalUnit unit = target.lun(lun);
            if (unit == null) {
                throw new TargetAdminException("target " + targetName + " has no LUN " + lun);
            }
            int bs = unit.blockSize();
            before = unit.blockCount() * bs;
            if (newSizeBytes <= 0 || newSizeBytes % bs != 0) {
                throw new TargetAdminException("size " + newSizeBytes + " is not a positive multiple of the block size "
                        + bs);
            }
            if (newSizeBytes < before) {
                throw new TargetAdminException("target " + targetName + " LUN " + lun + " has " + before
                        + " bytes; shrinking to " + newSizeBytes + " is refused (the blocks past the new end would be "
                        + "lost to initiators that were told they exist; copy the data to a smaller LUN instead)");
            }
            if (newSizeBytes == before) {
                return;
            }
            try {
                unit.store().grow(newSizeBytes);
            } catch (IOException | IllegalArgumentException e) {
                throw new TargetAdminException("target " + targetName + " LUN " + lun + " cannot grow to " + newSizeBytes
                        + " bytes: " + e.getMessage(), e);
            }
            if (unit.store().size() < newSizeBytes) {
                throw new TargetAdminException("target " + targetName + " LUN " + lun + ": the store reports "
                        + unit.store().size() + " bytes after growing to " + newSizeBytes);
            }
            unit.grown(newSizeBytes / bs);
            target.unitAttentionForAllNexuses(lun, SenseReason.CAPACITY_DATA_HAS_CHANGED);
        }
        LOG.info("Target {} LUN {} resized from {} to {} bytes", targetName, lun, before, newSizeBytes);
    }

    /**
     * Changes what may change in place (SPC-4 5.14 and 6.6.1 name the unit attentions): write
     * protection, removable medium, thin provisioning; never the serial number (the unit's
     * identity). Turning write protection off first makes the store writable.
     */
    @Override
    public void setLunOptions(String targetName, int lun, LunOptions options) {
        Objects.requireNonNull(options, "options");
        LunOptions old;
        synchronized (state.lock) {
            Target target = requireTarget(targetName);
            LogicalUnit unit = target.lun(lun);
            if (unit == null) {
                throw new TargetAdminException("target " + targetName + " LUN " + lun + " does not exist");
            }
            old = unit.options();
            if (!Objects.equals(old.serial(), options.serial())) {
                throw new TargetAdminException("the serial number of target " + targetName + " LUN " + lun
                        + " is its identity and cannot change while it exists");
            }
            if (old.physicalBlockSize() != options.physicalBlockSize()) {
                throw new TargetAdminException("the physical block size of target " + targetName + " LUN " + lun
                        + " cannot change while it exists");
            }
            if (old.equals(options)) {
                return;
            }
            if (old.readOnly() && !options.readOnly()) {
                try {
                    unit.store().allowWrites();
                } catch (IOException e) {
                    throw new TargetAdminException("target " + targetName + " LUN " + lun + " stays read-only: "
                            + e.getMessage(), e);
                }
            }
            if (old.thin() != options.thin()) {
                provision(unit.store(), options.thin(), "target " + targetName + " LUN " + lun + " stays "
                        + (old.thin() ? "thin" : "fully provisioned") + ": ");
            }
            unit.setOptions(options);
            if (old.readOnly() != options.readOnly() || old.softThreshold() != options.softThreshold()) {
                target.unitAttentionForAllNexuses(lun, SenseReason.MODE_PARAMETERS_CHANGED);
            }
            if (old.thin() != options.thin()) {
                target.unitAttentionForAllNexuses(lun, SenseReason.CAPACITY_DATA_HAS_CHANGED);
            }
            if (old.removable() != options.removable() || old.thin() != options.thin()) {
                target.unitAttentionForAllNexuses(lun, SenseReason.INQUIRY_DATA_HAS_CHANGED);
            }
        }
        LOG.info("Target {} LUN {} options {} -> {}", targetName, lun, old, options);
    }

    @Override
    public void setAcl(String targetName, List<String> initiators) {
        Objects.requireNonNull(initiators, "initiators");
        for (String i : initiators) {
            if (i == null || i.isBlank() || i.chars().anyMatch(ch -> Character.isWhitespace(ch) || ch == ',')) {
                throw new TargetAdminException("ACL entry '" + i + "' is not an initiator name");
            }
        }
        synchronized (state.lock) {
            requireTarget(targetName).setAcl(initiators);
        }
        LOG.info("Target {} ACL: {}", targetName, initiators.isEmpty() ? "all initiators" : initiators);
    }

    @Override
    public List<TargetInfo> targets() {
        List<TargetInfo> out = new ArrayList<>();
        for (Target t : state.targets.values()) {
            if (!t.closed()) {
                out.add(t.info());
            }
        }
        out.sort(Comparator.comparing(TargetInfo::name));
        return List.copyOf(out);
    }

    // =========================== TargetPorts ===========================

    @Override
    public int register(String driver, String description, int preferredId) {
        int id;
        synchronized (state.lock) {
            id = state.ports.register(driver, description, preferredId);
        }
        if (id != preferredId) {
            LOG.warn("Target port {} {}: relative target port {} is taken; it is {}", driver, description, preferredId, id);
        }
        LOG.info("Target port {} {}: relative target port {}, target port group {}", driver, description, id, id);
        return id;
    }

    @Override
    public void unregister(int relativeId) {
        TargetPorts.Port removed;
        synchronized (state.lock) {
            removed = state.ports.unregister(relativeId);
        }
        if (removed != null) {
            LOG.info("Target port {} {} (relative target port {}) removed", removed.driver(), removed.description(), relativeId);
        }
    }

    @Override
    public List<TargetPorts.Port> ports() {
        return state.ports.list();
    }

    @Override
    public List<NexusInfo> nexuses() {
        List<NexusInfo> out = new ArrayList<>();
        for (Target t : state.targets.values()) {
            for (Nexus n : t.nexuses()) {
                out.add(new NexusInfo(t.name(), n.initiatorPortName(), n.hostNo(), n.id(), n.counters().snapshot()));
            }
        }
        out.sort(Comparator.comparing(NexusInfo::target).thenComparingInt(NexusInfo::hostNo)
                .thenComparingLong(NexusInfo::nexusId));
        return List.copyOf(out);
    }

    @Override
    public IoStatistics lunStatistics(String targetName, int lun) {
        LogicalUnit unit = requireTarget(targetName).lun(lun);
        if (unit == null) {
            throw new TargetAdminException("target " + targetName + " has no LUN " + lun);
        }
        return unit.counters().snapshot();
    }

    private Target requireTarget(String name) {
        Target t = state.targets.get(name);
        if (t == null) {
            throw new TargetAdminException("no target named " + name);
        }
        return t;
    }

    /**
     * Tells the store how its unit is provisioned ({@link BackingStore#provision}): a fully
     * provisioned unit's store reserves its whole capacity now, or the unit is refused, so that
     * no write can fail later for want of space; a thin one gives back what it does not use.
     */
    private static void provision(BackingStore store, boolean thin, String refusal) {
        try {
            store.provision(!thin);
        } catch (IOException e) {
            throw new TargetAdminException(refusal + e.getMessage(), e);
        }
    }

    /**
     * Whether a READ over a store that blocks is first tried on the thread that delivered it
     * ({@code BackingStore.readNow}), for units added from now on; true by default.
     */
    void readNow(boolean on) {
        readNow = on;
    }

    /**
     * Whether a command over a store that blocks may run on the thread that delivered it once
     * that thread handed its roles over ({@code HandOff}), for units added from now on; true by default.
     */
    void handOff(boolean on) {
        handOff = on;
    }

    /** Sets how many worker threads a unit whose store blocks may use, for units added from now on. */
    void storeThreads(int threads) {
        if (threads < 1 || threads > UnitWorkers.MAX_THREADS) {
            throw new IllegalArgumentException("store threads per logical unit must be 1 to " + UnitWorkers.MAX_THREADS
                    + ", not " + threads);
        }
        storeThreads = threads;
    }

    /**
     * A store that several gateways export keeps the unit's persistent reservations
     * ({@link BackingStore#sharedReservations()}): the unit uses that record instead of its own
     * state and files. A record that cannot be opened refuses the unit (the gateways would
     * disagree otherwise).
     */
    private static void shareReservations(LogicalUnit unit, BackingStore store, String targetName, int lun) {
        org.jtgt.api.store.SharedReservations sh;
        try {
            sh = store.sharedReservations();
        } catch (IOException e) {
            throw new TargetAdminException("target " + targetName + " LUN " + lun + " not added: " + e.getMessage());
        }
        if (sh == null) {
            return;
        }
        try {
            unit.persistentReservations().share(sh);
        } catch (IOException | RuntimeException e) {
            sh.close();
            throw new TargetAdminException("target " + targetName + " LUN " + lun + " not added: "
                    + sh.describe() + ": " + e.getMessage());
        }
    }

    /** Drains a removed unit's commands and closes its store; never under the admin lock. */
    private void retire(LogicalUnit unit) {
        if (!unit.retire(RETIRE_TIMEOUT_MILLIS)) {
            LOG.warn("Target {} LUN {}: commands still running after {} ms; closing the store anyway",
                    unit.targetName(), unit.lun(), RETIRE_TIMEOUT_MILLIS);
        }
        unit.persistentReservations().close();
        try {
            unit.store().close();
        } catch (IOException | RuntimeException e) {
            LOG.warn("Target {} LUN {}: closing {} failed", unit.targetName(), unit.lun(), unit.store().describe(), e);
        }
    }

    /**
     * Ends every nexus and closes every unit, as the daemon stops; returns how many units were
     * closed.
     */
    int closeAll() {
        List<LogicalUnit> units = new ArrayList<>();
        synchronized (state.lock) {
            for (Target t : state.targets.values()) {
                for (Nexus n : t.nexuses()) {
                    state.dropNexus(n);
                }
                units.addAll(Arrays.asList(t.luns()));
            }
            state.targets = Map.of();
        }
        for (LogicalUnit u : units) {
            retire(u);
        }
        return units.size();
    }
}
