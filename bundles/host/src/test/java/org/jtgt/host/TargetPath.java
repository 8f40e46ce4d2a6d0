package org.jtgt.host;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.api.target.LunOptions;
import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.Transport;
import org.jtgt.backing.memory.MemoryStoreProvider;
import org.jtgt.daemon.TargetDaemon;
import org.jtgt.transport.shm.ShmTransport;

/**
 * The path under a driver, without a framework, wired by hand the way Declarative Services wires
 * it: {@link HostSide} → a transport → {@link TargetDaemon} → one target with a memory LUN 0.
 * Driver tests (iSCSI, FC, the transports) build it with {@link #builder(String)} and hand
 * {@link #hostSide()} and {@link #daemon()} (its {@code TargetAdmin} and {@code TargetPorts}) to
 * the driver under test. This class lives in the host bundle's package because {@code HostSide}'s
 * DS lifecycle (activate, bind, unbind, deactivate) is package-private; the host module publishes
 * it in its test jar.
 */
public final class TargetPath implements AutoCloseable {
    /** Region files are numbered across paths, so a path never maps another one's live file. */
    private static final AtomicInteger FILES = new AtomicInteger();
    private static final Path SHM_DIR = Path.of("target", "shm-test");

    private final TargetDaemon daemon = new TargetDaemon();
    private final HostSide hostSide = new HostSide();
    /** The shm transport the builder bound, owned (unbound, closed and deleted) by this path; or null. */
    private final ShmTransport boundShm;
    private final Path boundRegion;
    private long serviceIds = 100;

    private TargetPath(Builder b) throws IOException {
        daemon.createTarget(b.target);
        daemon.addLun(b.target, 0, new MemoryStoreProvider().open(null, b.lunBytes, Map.of()), b.blockSize,
                LunOptions.DEFAULT);
        hostSide.activate(config(b));
        if (b.shmPrefix != null) {
            boundRegion = regionFile(b.shmPrefix);
            boundShm = shm(boundRegion, b.shmDataArea);
            bind(boundShm, 0);
        } else {
            boundShm = null;
            boundRegion = null;
        }
    }

    /** A path to target {@code target}; LUN 0 is a memory store of {@link Builder#lun(long, int)}. */
    public static Builder builder(String target) {
        return new Builder(target);
    }

    /** The host side drivers talk to ({@code HostService}), activated. */
    public HostSide hostSide() {
        return hostSide;
    }

    /** The target daemon: its {@code TargetAdmin} and {@code TargetPorts}, and the far end of every transport. */
    public TargetDaemon daemon() {
        return daemon;
    }

    /** The shm transport the builder bound ({@link Builder#shm(String, long)}). */
    public ShmTransport transport() {
        if (boundShm == null) {
            throw new IllegalStateException("built without Builder.shm: no transport is bound");
        }
        return boundShm;
    }

    /**
     * A new shm transport with the daemon attached, not yet offered to the host side; the caller
     * binds, unbinds and deactivates it.
     */
    public ShmTransport newShm(String prefix, long dataAreaBytes) throws IOException {
        return shm(regionFile(prefix), dataAreaBytes);
    }

    /** Offers {@code transport} to the host side as DS does, under its own name. */
    public void bind(Transport transport, int ranking) {
        bind(transport, transport.name(), ranking);
    }

    /** Offers {@code transport} to the host side as DS does, with {@code jtgt.transport=name}. */
    public void bind(Transport transport, String name, int ranking) {
        hostSide.bindTransport(transport, Map.of(Transport.NAME_PROPERTY, name, "service.ranking", ranking,
                "service.id", serviceIds++));
    }

    /** Withdraws {@code transport} from the host side as DS does when its service goes away. */
    public void unbind(Transport transport) {
        hostSide.unbindTransport(transport);
    }

    /** Data held by the commands of every host (whole blocks). */
    public long heldBytes() {
        return hostSide.heldBytes();
    }

    /** Free command slots of every host added so far. */
    public int freeSlots() {
        int n = 0;
        for (HostQueue h : hostSide.hosts()) {
            n += h.freeSlots();
        }
        return n;
    }

    /** Commands and bytes the session {@code nexusId} of host {@code hostNo} holds. */
    public long[] held(int hostNo, long nexusId) {
        return hostSide.hosts()[hostNo].held(nexusId);
    }

    /** Whether the data area commands are given now has no reservation at all (tried, and given back). */
    public boolean areaWhollyFree() {
        DataArea area = hostSide.allocationArea();
        int size = (int) Math.min(area.size(), Integer.MAX_VALUE);
        long offset = area.allocate(size);
        if (offset < 0) {
            return false;
        }
        area.free(offset, size);
        return true;
    }

    /**
     * Withdraws the bound shm transport (if the builder bound one), deactivates the host side, then
     * closes that transport and deletes its region file. Transports from {@link #newShm} stay the
     * caller's.
     */
    @Override
    public void close() throws IOException {
        if (boundShm != null) {
            unbind(boundShm);
        }
        hostSide.deactivate();
        if (boundShm != null) {
            boundShm.deactivate();
            Files.deleteIfExists(boundRegion);
        }
    }

    private ShmTransport shm(Path region, long dataAreaBytes) throws IOException {
        ShmTransport t = new ShmTransport();
        t.open(region, 256, 256, dataAreaBytes);
        t.attachDaemon(daemon);
        return t;
    }

    private static Path regionFile(String prefix) throws IOException {
        Files.createDirectories(SHM_DIR);
        return SHM_DIR.resolve(prefix + "-" + ProcessHandle.current().pid() + "-" + FILES.incrementAndGet());
    }

    /** The host side's configuration as DS would pass it; the share limits are the defaults. */
    static HostSide.Config config(Builder b) {
        return new HostSide.Config() {
            @Override public Class<? extends Annotation> annotationType() { return HostSide.Config.class; }
            @Override public String transport() { return b.preferredTransport; }
            @Override public int commandsPerHost() { return b.commandsPerHost; }
            @Override public int maxDataLength() { return b.maxDataLength; }
            @Override public int stagingAreaSize() { return b.stagingAreaSize; }
            @Override public int drainTimeoutSeconds() { return b.drainTimeoutSeconds; }
            @Override public int sessionDataSharePercent() { return 25; }
            @Override public int sessionCommandSharePercent() { return 25; }
            @Override public int hostDataSharePercent() { return 50; }
            @Override public int reservePercent() { return 25; }
        };
    }

    /** What the path is made of; every value has the default the tests used before. */
    public static final class Builder {
        private final String target;
        private long lunBytes = 16 << 20;
        private int blockSize = 512;
        private String preferredTransport = "shm";
        private int commandsPerHost = 256;
        private int maxDataLength = 1 << 20;
        private int stagingAreaSize = 8 << 20;
        private int drainTimeoutSeconds = 10;
        private String shmPrefix;
        private long shmDataArea;

        private Builder(String target) {
            this.target = target;
        }

        /** LUN 0: a memory store of {@code bytes} in blocks of {@code blockSize}. */
        public Builder lun(long bytes, int blockSize) {
            this.lunBytes = bytes;
            this.blockSize = blockSize;
            return this;
        }

        /** The host side's {@code transport}: the name it prefers among bound transports. */
        public Builder preferredTransport(String name) {
            this.preferredTransport = name;
            return this;
        }

        public Builder commandsPerHost(int n) {
            this.commandsPerHost = n;
            return this;
        }

        public Builder maxDataLength(int bytes) {
            this.maxDataLength = bytes;
            return this;
        }

        public Builder stagingAreaSize(int bytes) {
            this.stagingAreaSize = bytes;
            return this;
        }

        /** How long a swap waits for the old transport's answers. */
        public Builder drainTimeoutSeconds(int seconds) {
            this.drainTimeoutSeconds = seconds;
            return this;
        }

        /** Binds a shm transport (region file {@code target/shm-test/PREFIX-PID-N}) when built. */
        public Builder shm(String regionPrefix, long dataAreaBytes) {
            this.shmPrefix = regionPrefix;
            this.shmDataArea = dataAreaBytes;
            return this;
        }

        public TargetPath build() throws IOException {
            return new TargetPath(this);
        }
    }
}
