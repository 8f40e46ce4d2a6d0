package org.jtgt.testkit;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A one-node Ceph cluster for tests: one monitor and one OSD (BlueStore on a sparse file), bound
 * to 127.0.0.1 on a free port, everything in one directory: {@code ceph.conf}, the keyrings, the
 * monitor's and the OSD's data, the run directory (pid files, admin sockets), logs and the crash
 * directory. No manager daemon: pools and images are made through the monitor and librados
 * ({@code ceph osd pool create}, {@code rbd}), which need none, and it saves memory. Replication
 * size 1, 8 placement groups per pool, the OSD's memory target 512 MiB with a 64 MiB cache.
 *
 * <p>The daemons run in the foreground as children of this JVM; {@link #stop()} ends them
 * (SIGTERM, then SIGKILL after 10 s), as does a shutdown hook if the JVM exits first, and
 * {@link #start} ends daemons an earlier run left in the same directory (by their pid files).
 * Every step is bounded in time. Missing Ceph binaries skip the test, or fail it where the
 * environment says {@code CI=true} ({@link #require()}).
 *
 * <p>Ceph 16.2 (Debian 12) is what this was written against; the daemons are started as the
 * current user with {@code -f} (no systemd). Every default path of Ceph's that a daemon or client
 * here writes ({@code /var/run/ceph}, {@code /var/log/ceph} with the monitor's cluster and audit
 * logs, {@code /var/lib/ceph}, {@code /var/lib/ceph/crash}, {@code /tmp}) is set into the directory.
 */
public final class CephCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CephCluster.class);

    /** The packages that hold what this class runs and what a store links. */
    public static final String DEBIAN_PACKAGES =
            "ceph-mon ceph-osd ceph-mgr ceph-common librbd-dev librados-dev (apt-get install --no-install-recommends)";
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final Path dir;
    private final int port;
    private final ExternalTool tool;
    private final List<Process> daemons = new ArrayList<>();
    private final Thread shutdownHook;
    private volatile boolean stopped;

    private CephCluster(Path dir, int port) {
        this.dir = dir;
        this.port = port;
        this.tool = new ExternalTool(dir.resolve("tmp"), COMMAND_TIMEOUT);
        this.shutdownHook = new Thread(this::killDaemons, "ceph-cluster-stop");
    }

    /** Skips the calling test (fails it under {@code CI=true}) unless the Ceph tools are installed. */
    public static void require() {
        for (String t : List.of("ceph-mon", "ceph-osd", "ceph", "rbd", "ceph-authtool", "monmaptool")) {
            ExternalTool.require(t, DEBIAN_PACKAGES);
        }
    }

    /**
     * Makes a new cluster in {@code dir} (emptied first; made if missing) and starts it, with one
     * pool {@code pool} ready for RBD images. Takes about 10 to 15 s.
     */
    public static CephCluster start(Path dir, String pool) throws IOException, InterruptedException {
        require();
        dir = dir.toAbsolutePath();
        killLeftovers(dir);
        deleteTree(dir);
        for (String sub : List.of("run", "log", "crash", "tmp", "mon/a", "osd/0")) {
            Files.createDirectories(dir.resolve(sub));
        }
        CephCluster c = new CephCluster(dir, freePort());
        Runtime.getRuntime().addShutdownHook(c.shutdownHook);
        boolean started = false;
        try {
            long t0 = System.nanoTime();
            c.make();
            c.createPool(pool);
            started = true;
            LOG.info("Ceph cluster up in {} ms: {} (mon 127.0.0.1:{})", (System.nanoTime() - t0) / 1_000_000,
                    c.conf(), c.port);
            return c;
        } finally {
            if (!started) {
                c.stop();
            }
        }
    }

    /**
     * The cluster for a script (the benchmarks): {@code CephCluster DIR POOL [IMAGE BYTES]...}
     * makes it in DIR with pool POOL and the images, prints {@code ready CONF} and runs until the
     * JVM is told to end (SIGTERM, SIGINT), when the shutdown hook stops the daemons. Exits with
     * status 1, the daemons stopped, if a step fails.
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 2 || args.length % 2 != 0) {
            System.err.println("usage: CephCluster DIR POOL [IMAGE BYTES]...");
            System.exit(2);
        }
        CephCluster c = start(Path.of(args[0]), args[1]);
        try {
            for (int i = 2; i < args.length; i += 2) {
                c.createImage(args[1], args[i], Long.parseLong(args[i + 1]));
            }
        } catch (IOException | RuntimeException e) {
            c.stop();
            throw e;
        }
        System.out.println("ready " + c.conf());
        System.out.flush();
        new java.util.concurrent.CountDownLatch(1).await();
    }

    /** {@code ceph.conf} of the cluster (clients read it: mon address, keyring, admin socket, log). */
    public Path conf() {
        return dir.resolve("ceph.conf");
    }

    /** The keyring of {@code client.admin}. */
    public Path adminKeyring() {
        return dir.resolve("ceph.client.admin.keyring");
    }

    /** The client id that {@link #adminKeyring()} holds the key of. */
    public String clientId() {
        return "admin";
    }

    public Path directory() {
        return dir;
    }

    /** The monitor's port on 127.0.0.1 (msgr v2). */
    public int monitorPort() {
        return port;
    }

    /** Makes pool {@code pool} (8 placement groups, size 1) and initialises it for RBD; waits until it takes I/O. */
    public void createPool(String pool) throws IOException, InterruptedException {
        ceph("osd", "pool", "create", pool, "8", "8");
        tool.run("rbd", "-c", conf().toString(), "pool", "init", pool);
    }

    /** Makes RBD image {@code pool/image} of {@code bytes} (default features: layering, exclusive-lock, object-map, ...). */
    public void createImage(String pool, String image, long bytes) throws IOException, InterruptedException {
        tool.run("rbd", "-c", conf().toString(), "create", "--size", bytes + "B", pool + "/" + image);
    }

    public void removeImage(String pool, String image) throws IOException, InterruptedException {
        tool.run("rbd", "-c", conf().toString(), "rm", "--no-progress", pool + "/" + image);
    }

    /** Runs {@code rbd ARGS} against this cluster; returns its output. */
    public String rbd(String... args) throws IOException, InterruptedException {
        return tool.run(prepend("rbd", args));
    }

    /** Runs {@code ceph ARGS} against this cluster; returns its output. */
    public String ceph(String... args) throws IOException, InterruptedException {
        return tool.run(prepend("ceph", args));
    }

    /** QEMU's rbd driver's file name for {@code pool/image} as client.admin of this cluster. */
    public String qemuRbdUrl(String pool, String image) {
        return "rbd:" + pool + "/" + image + ":conf=" + conf() + ":id=" + clientId() + ":keyring=" + adminKeyring();
    }

    /** The daemons' process ids (monitor first), for checks that they are gone after {@link #stop()}. */
    public List<Long> daemonPids() {
        synchronized (daemons) {
            return daemons.stream().map(Process::pid).toList();
        }
    }

    /** Stops the daemons (SIGTERM, then SIGKILL); the directory stays for its logs. Idempotent. */
    public void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        killDaemons();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs or ran
        }
    }

    @Override
    public void close() {
        stop();
    }

    private String[] prepend(String command, String... args) {
        String[] all = new String[args.length + 3];
        all[0] = command;
        all[1] = "-c";
        all[2] = conf().toString();
        System.arraycopy(args, 0, all, 3, args.length);
        return all;
    }

    private void make() throws IOException, InterruptedException {
        String fsid = UUID.randomUUID().toString();
        Files.writeString(conf(), config(fsid), StandardCharsets.US_ASCII);
        Path monKeyring = dir.resolve("ceph.mon.keyring");
        tool.run("ceph-authtool", "--create-keyring", monKeyring.toString(), "--gen-key", "-n", "mon.",
                "--cap", "mon", "allow *");
        tool.run("ceph-authtool", "--create-keyring", adminKeyring().toString(), "--gen-key", "-n", "client.admin",
                "--cap", "mon", "allow *", "--cap", "osd", "allow *", "--cap", "mgr", "allow *");
        tool.run("ceph-authtool", monKeyring.toString(), "--import-keyring", adminKeyring().toString());
        Path monmap = dir.resolve("monmap");
        tool.run("monmaptool", "--create", "--addv", "a", "[v2:127.0.0.1:" + port + "]", "--fsid", fsid,
                monmap.toString());
        tool.run("ceph-mon", "-c", conf().toString(), "--mkfs", "-i", "a", "--monmap", monmap.toString(),
                "--keyring", monKeyring.toString());
        daemon("mon.a", "ceph-mon", "-c", conf().toString(), "-i", "a", "-f");

        String osdUuid = UUID.randomUUID().toString();
        String osdKey = tool.run("ceph-authtool", "--gen-print-key").trim();
        Path osdJson = dir.resolve("osd.json");
        Files.writeString(osdJson, "{\"cephx_secret\": \"" + osdKey + "\"}", StandardCharsets.US_ASCII);
        String id = ceph("--connect-timeout", "30", "osd", "new", osdUuid, "-i", osdJson.toString()).trim();
        if (!id.equals("0")) {
            throw new IOException("ceph osd new gave OSD id '" + id + "', expected 0");
        }
        tool.run("ceph-authtool", "--create-keyring", dir.resolve("ceph.osd.0.keyring").toString(), "--name", "osd.0",
                "--add-key", osdKey);
        tool.run("ceph-osd", "-c", conf().toString(), "-i", "0", "--mkfs", "--osd-uuid", osdUuid);
        daemon("osd.0", "ceph-osd", "-c", conf().toString(), "-i", "0", "-f");
    }

    private String config(String fsid) {
        String d = dir.toString();
        return String.join("\n",
                "# a one-node test cluster; everything lives in " + d,
                "[global]",
                "fsid = " + fsid,
                "mon host = v2:127.0.0.1:" + port,
                "mon initial members = a",
                "public addr = 127.0.0.1",
                "public network = 127.0.0.0/8",
                "ms bind msgr1 = false",
                "auth cluster required = cephx",
                "auth service required = cephx",
                "auth client required = cephx",
                "keyring = " + d + "/$cluster.$name.keyring",
                "run dir = " + d + "/run",
                "admin socket = " + d + "/run/$cluster-$name.$pid.asok",
                "log file = " + d + "/log/$cluster-$name.log",
                "mon cluster log file = " + d + "/log/$cluster.$channel.log",
                "mon debug dump location = " + d + "/log/$cluster-$name.tdump",
                "rbd persistent cache path = " + d + "/tmp",
                "crash dir = " + d + "/crash",
                "mon data = " + d + "/mon/$id",
                "osd data = " + d + "/osd/$id",
                "pid file = " + d + "/run/$cluster-$name.pid",
                "client mount timeout = 30",
                "osd pool default size = 1",
                "osd pool default min size = 1",
                "mon allow pool size one = true",
                "mon allow pool delete = true",
                "osd pool default pg num = 8",
                "osd pool default pgp num = 8",
                "osd pool default pg autoscale mode = off",
                "mon warn on pool no redundancy = false",
                "osd crush chooseleaf type = 0",
                "mon data avail warn = 1",
                "mon data avail crit = 0",
                "[osd]",
                "osd objectstore = bluestore",
                "bluestore block create = true",
                "bluestore block size = 4294967296",
                "bluestore block path = " + d + "/osd/$id.block",
                "bluestore fsck on mount = false",
                "osd memory target = 536870912",
                "bluestore cache autotune = false",
                "bluestore cache size = 67108864",
                "osd op num shards = 1",
                "osd op num threads per shard = 2",
                "");
    }

    private void daemon(String name, String... command) throws IOException {
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("log/" + name + ".out").toFile());
        b.environment().put("TMPDIR", dir.resolve("tmp").toString());
        b.environment().put("CEPH_CONF", conf().toString());
        Process p = b.start();
        p.getOutputStream().close();
        synchronized (daemons) {
            daemons.add(p);
        }
    }

    private void killDaemons() {
        List<Process> all;
        synchronized (daemons) {
            all = new ArrayList<>(daemons);
            daemons.clear();
        }
        // the OSD first, then the monitor
        for (int i = all.size() - 1; i >= 0; i--) {
            end(all.get(i).toHandle());
        }
    }

    private static void end(ProcessHandle p) {
        if (!p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            p.onExit().get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("Ceph daemon {} did not end on SIGTERM within {} s: killed", p.pid(), STOP_TIMEOUT.toSeconds());
            p.destroyForcibly();
            try {
                p.onExit().get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception ignored) {
                LOG.error("Ceph daemon {} still runs after SIGKILL", p.pid());
            }
        }
    }

    /** Ends daemons an earlier run left behind in {@code dir} (a JVM killed before its shutdown hook ran). */
    private static void killLeftovers(Path dir) throws IOException {
        Path run = dir.resolve("run");
        if (!Files.isDirectory(run)) {
            return;
        }
        try (Stream<Path> pids = Files.list(run)) {
            for (Path f : (Iterable<Path>) pids.filter(p -> p.toString().endsWith(".pid"))::iterator) {
                long pid;
                try {
                    pid = Long.parseLong(Files.readString(f, StandardCharsets.US_ASCII).trim());
                } catch (NumberFormatException | IOException e) {
                    continue;
                }
                Optional<ProcessHandle> h = ProcessHandle.of(pid);
                if (h.isPresent() && h.get().info().commandLine().orElse("").contains(dir + File.separator + "ceph.conf")) {
                    LOG.warn("ending Ceph daemon {} left by an earlier run in {}", pid, dir);
                    end(h.get());
                }
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.sorted((a, b) -> b.compareTo(a))::iterator) {
                Files.delete(p);
            }
        }
    }
}
