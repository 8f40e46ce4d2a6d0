package org.jtgt.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import org.jtgt.api.store.StorePlan;
import org.jtgt.backing.file.FileStoreProvider;
import org.jtgt.backing.memory.MemoryStoreProvider;

import org.jtgt.api.store.BackingStore;
import org.jtgt.api.store.BackingStoreProvider;
import org.jtgt.api.target.IoStatistics;
import org.jtgt.api.target.LunInfo;
import org.jtgt.api.target.LunMaps;
import org.jtgt.api.target.NexusInfo;
import org.jtgt.api.target.SessionSource;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.target.TargetAdminException;
import org.jtgt.api.target.TargetInfo;

/**
 * A {@link TargetAdmin} that keeps what it is told and refuses what the daemon refuses (bad
 * names, duplicates, block sizes, deleting a target with nexuses without force), with the two
 * backing store providers jtgtadm uses, which follow the rules of the real ones (backing-memory,
 * backing-file) but open stores that record whether they were closed. Public for the command
 * tests of the admin bundle.
 */
public final class FakeDaemon implements TargetAdmin, LunMaps, ConfiguredTargets.Environment {
    /** The real providers, for their rules: a type's path, size and option handling. */
    public static final Function<String, BackingStoreProvider> REAL_PROVIDERS = type -> switch (type) {
        case "memory" -> new MemoryStoreProvider();
        case "file" -> new FileStoreProvider();
        default -> null;
    };

    public static final class Store implements BackingStore {
        final String describe;
        public long size;
        /** What the provider was asked to open it with. */
        public Map<String, String> openedWith = Map.of();
        public boolean closed;
        /** The real store this one stands for ({@link FakeDaemon#realFiles}), closed with it. */
        BackingStore real;

        public Store(String describe, long size) {
            this.describe = describe;
            this.size = size;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void read(long offset, ByteBuffer dst) {
        }

        @Override
        public void write(long offset, ByteBuffer src, boolean fua) {
        }

        @Override
        public void flush() {
        }

        @Override
        public String describe() {
            return describe;
        }

        @Override
        public void close() {
            closed = true;
            if (real != null) {
                try {
                    real.close();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }
    }

    public static final class T {
        public final TreeMap<Integer, Store> luns = new TreeMap<>();
        public final TreeMap<Integer, LunOptions> options = new TreeMap<>();
        public List<String> acl = List.of();
        /** Initiator → mapped LUN → LUN ({@link LunMaps}). */
        public final Map<String, Map<Integer, Integer>> lunMaps = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        public int nexuses;
        public boolean closed;
    }

    public final Map<String, T> targets = new TreeMap<>();
    /** What the daemon was told, in order, with what a login would have met at each step. */
    public final List<String> calls = new ArrayList<>();
    public final List<Store> opened = new ArrayList<>();
    public boolean running = true;
    public boolean fileProvider = true;
    public boolean memoryProvider = true;
    /**
     * File LUNs open real file stores (backing-file's {@code FileStore}, with their locks and
     * O_DIRECT), which their stand-ins describe as themselves; otherwise they are only recorded.
     */
    public boolean realFiles;

    @Override
    public TargetAdmin targetAdmin() {
        return running ? this : null;
    }

    @Override
    public BackingStoreProvider provider(String type) {
        if (type.equals("memory")) {
            return memoryProvider ? new Provider(REAL_PROVIDERS.apply("memory")) : null;
        }
        return type.equals("file") && fileProvider ? new Provider(REAL_PROVIDERS.apply("file")) : null;
    }

    @Override
    public List<String> storeTypes() {
        return List.of("memory", "file");
    }

    /** The rules of backing-memory and backing-file; open: a file must exist unless create=true. */
    final class Provider implements BackingStoreProvider {
        private final BackingStoreProvider real;
        private final String type;

        Provider(BackingStoreProvider real) {
            this.real = real;
            this.type = real.type();
        }

        @Override
        public String type() {
            return type;
        }

        @Override
        public boolean usesPath() {
            return real.usesPath();
        }

        @Override
        public boolean thinByDefault() {
            return real.thinByDefault();
        }

        @Override
        public Map<String, String> openOptions(boolean readOnly) {
            return real.openOptions(readOnly);
        }

        @Override
        public StorePlan plan(String path, Long size, boolean readOnly) throws IOException {
            return real.plan(path, size, readOnly);
        }

        @Override
        public java.util.Set<String> optionKeys() {
            return real.optionKeys();
        }

        @Override
        public String optionValues(String key) {
            return real.optionValues(key);
        }

        @Override
        public void checkOptions(Map<String, String> storeOptions) {
            real.checkOptions(storeOptions);
        }

        @Override
        public BackingStore open(String path, long size, Map<String, String> options) throws IOException {
            if (type.equals("memory")) {
                return remember(new Store("memory", size), options);
            }
            if (realFiles) {
                BackingStore file = real.open(path, size, options);
                Store s = new Store(file.describe(), file.size());
                s.real = file;
                return remember(s, options);
            }
            Path p = Path.of(path);
            if (!Files.exists(p)) {
                if (!"true".equals(options.get("create"))) {
                    throw new IOException("no such file: " + p);
                }
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    ch.write(ByteBuffer.allocate(1), size - 1);
                }
            }
            return remember(new Store("file " + p, size == 0 ? Files.size(p) : size), options);
        }
    }

    private Store remember(Store s, Map<String, String> options) {
        s.openedWith = Map.copyOf(options);
        opened.add(s);
        return s;
    }

    @Override
    public void createTarget(String name) {
        if (!name.matches("(iqn|eui|naa)\\..+")) {
            throw new TargetAdminException("'" + name + "' is not an iSCSI name");
        }
        if (targets.containsKey(name)) {
            throw new TargetAdminException("target " + name + " exists already");
        }
        targets.put(name, new T());
        calls.add("create " + name);
    }

    @Override
    public void createClosedTarget(String name) {
        createTarget(name);
        targets.get(name).closed = true;
        calls.set(calls.size() - 1, "create closed " + name);
    }

    @Override
    public void deleteTarget(String name, boolean force) {
        T t = target(name);
        if (t.nexuses > 0 && !force) {
            throw new TargetAdminException("target " + name + " has " + t.nexuses + " I_T nexus(es)");
        }
        t.luns.values().forEach(Store::close);
        targets.remove(name);
    }

    @Override
    public void closeTarget(String name) {
        target(name).closed = true;
        calls.add("close " + name);
    }

    @Override
    public void reopenTarget(String name) {
        target(name).closed = false;
        calls.add("reopen " + name);
    }

    @Override
    public void addLun(String target, int lun, BackingStore store, int blockSize, LunOptions options) {
        T t = target(target);
        if (t.luns.containsKey(lun)) {
            throw new TargetAdminException("target " + target + " has a LUN " + lun + " already");
        }
        if (store.size() % blockSize != 0) {
            throw new TargetAdminException("backing store has " + store.size() + " bytes");
        }
        t.luns.put(lun, (Store) store);
        t.options.put(lun, options);
        calls.add("lun " + lun + (t.closed ? " (closed)" : " (open)"));
    }

    @Override
    public void removeLun(String target, int lun) {
        target(target).options.remove(lun);
        Store s = target(target).luns.remove(lun);
        if (s == null) {
            throw new TargetAdminException("target " + target + " has no LUN " + lun);
        }
        s.close();
    }

    /** Set to make the next resize fail, as a store that cannot grow does. */
    public String refuseResize;

    @Override
    public void resizeLun(String target, int lun, long newSizeBytes) {
        Store s = target(target).luns.get(lun);
        if (s == null) {
            throw new TargetAdminException("target " + target + " has no LUN " + lun);
        }
        if (refuseResize != null) {
            throw new TargetAdminException(refuseResize);
        }
        if (newSizeBytes < s.size) {
            throw new TargetAdminException("shrinking is refused");
        }
        s.size = newSizeBytes;
    }

    @Override
    public void setLunOptions(String target, int lun, LunOptions options) {
        T t = target(target);
        if (!t.luns.containsKey(lun)) {
            throw new TargetAdminException("target " + target + " LUN " + lun + " does not exist");
        }
        t.options.put(lun, options);
    }

    /** Set to make setAcl fail. */
    public String refuseAcl;

    @Override
    public void setAcl(String target, List<String> initiators) {
        if (refuseAcl != null) {
            throw new TargetAdminException(refuseAcl);
        }
        T t = target(target);
        t.acl = List.copyOf(initiators);
        calls.add("acl " + initiators + (t.closed ? " (closed)" : " (open)"));
    }

    @Override
    public List<TargetInfo> targets() {
        List<TargetInfo> out = new ArrayList<>();
        targets.forEach((name, t) -> {
            if (t.closed) {
                return;
            }
            List<LunInfo> luns = new ArrayList<>();
            t.luns.forEach((n, s) -> luns.add(new LunInfo(n, s.describe, s.size, 512,
                    t.options.getOrDefault(n, LunOptions.DEFAULT))));
            out.add(new TargetInfo(name, luns, t.acl, t.nexuses));
        });
        return out;
    }

    /** What {@link #nexuses()} answers. */
    public final List<NexusInfo> nexusList = new ArrayList<>();
    /** The drivers' sessions. */
    public final List<SessionSource> sources = new ArrayList<>();

    @Override
    public List<SessionSource> sessionSources() {
        return sources;
    }

    @Override
    public List<NexusInfo> nexuses() {
        return List.copyOf(nexusList);
    }

    @Override
    public IoStatistics lunStatistics(String target, int lun) {
        if (!target(target).luns.containsKey(lun)) {
            throw new TargetAdminException("target " + target + " has no LUN " + lun);
        }
        return new IoStatistics(lun + 1, 512L * lun, 0, 0);
    }

    private T target(String name) {
        T t = targets.get(name);
        if (t == null) {
            throw new TargetAdminException("no target named " + name);
        }
        return t;
    }

    /** Set to make setLunMap fail. */
    public String refuseLunMap;

    /** How many times {@link #setLunMap} changed something. */
    public int lunMapChanges;

    @Override
    public void setLunMap(String target, String initiator, Map<Integer, Integer> map) {
        if (refuseLunMap != null) {
            throw new TargetAdminException(refuseLunMap);
        }
        T t = target(target);
        if (map == null) {
            t.lunMaps.remove(initiator);
        } else {
            if (map.values().stream().distinct().count() != map.size()) {
                throw new TargetAdminException("a target LUN is mapped twice");
            }
            t.lunMaps.put(initiator, Map.copyOf(map));
        }
        lunMapChanges++;
        calls.add("lunmap " + initiator + (t.closed ? " (closed)" : " (open)"));
    }

    @Override
    public Map<String, Map<Integer, Integer>> lunMaps(String target) {
        return Map.copyOf(target(target).lunMaps);
    }
}
