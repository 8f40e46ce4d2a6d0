package org.jtgt.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of the embedded framework: start Felix or Equinox ({@link OsgiFramework}) with the
 * bundles from the launcher jar, wait until something stops it, stop it within
 * {@link #STOP_TIMEOUT_MS}.
 */
final class EmbeddedFramework {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedFramework.class);

    /** How long a stop may take before the launcher gives up with status 1. */
    static final long STOP_TIMEOUT_MS = TimeUnit.SECONDS.toMillis(30);

    /** Framework property naming the configuration directory (for bundles; {@code --config}). */
    static final String CONFIG_DIR_PROPERTY = "jtgt.config.dir";

    /** Where component configurations ({@code PID.cfg}) live, below the configuration directory. */
    static final String ETC_DIR = "etc";

    /** Held while a launcher uses the configuration directory. */
    static final String LOCK_FILE = "jtgt.lock";

    /** Framework property telling a daemon process whether a front process ran when it started. */
    static final String FRONT_RUNNING_PROPERTY = "jtgt.front.running";

    /** System properties with this prefix are passed on as framework properties. */
    static final String PASS_THROUGH_PREFIX = "jtgt.";

    /** The slf4j packages the system bundle exports from the launcher's class path. */
    private static final String[] SLF4J_PACKAGES = {"org.slf4j", "org.slf4j.event", "org.slf4j.helpers", "org.slf4j.spi"};

    private final Path configDir;
    private final OsgiFramework kind;
    private final Role role;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final AtomicBoolean stopLogged = new AtomicBoolean();
    private volatile boolean gaveUp;
    private volatile Framework framework;
    /** Kept open (and locked) until the process exits. */
    private FileChannel lockChannel;
    /** The role's own lock in the split shape, likewise. */
    private FileChannel roleLockChannel;

    EmbeddedFramework(Path configDir, OsgiFramework kind) {
        this(configDir, kind, Role.EMBEDDED);
    }

    EmbeddedFramework(Path configDir, OsgiFramework kind, Role role) {
        this.configDir = configDir;
        this.kind = kind;
        this.role = role;
    }

    /** Runs until the framework stops; returns the process exit status. */
    int runUntilStopped() {
        // First: an Error on any thread from here on ends the process instead of leaving it half alive.
        FatalErrors.install();
        Properties build = buildProperties();
        String buildName = BuildId.describe(build.getProperty("version"));
        LOG.info("jtgt {} starting in {}{}; config {}", buildName,
                kind.displayName(), role == Role.EMBEDDED ? "" : " as the " + role.id(), configDir);
        long started = System.nanoTime();
        List<Bundle> bundles;
        try {
            if (!ConfigDirectory.prepare(configDir, ETC_DIR)) {
                return Main.EXIT_FAILURE;
            }
            if (!lockConfigDir()) {
                LOG.error("{} is in use by another jtgt process{}; stop it or choose another --config", configDir,
                        role == Role.EMBEDDED ? "" : " (an embedded one, or another " + role.id() + ")");
                return Main.EXIT_FAILURE;
            }
            Map<String, String> properties = frameworkProperties(kind, role, configDir,
                    build.getProperty("slf4j.version"), System.getProperties());
            // Which build runs here, for bundles that tell a peer (the split daemon's HELLO).
            properties.put(BUILD_PROPERTY, buildName);
            framework = kind.factory(kind.classLoader(configDir)).newFramework(properties);
            framework.init();
            Runtime.getRuntime().addShutdownHook(new Thread(this::stopOnJvmShutdown, "jtgt-shutdown"));
            if (!StopSignals.install(this::stopOnSignal)) {
                LOG.warn("cannot handle SIGINT/SIGTERM here; a signal will stop jtgt through the"
                        + " shutdown hook and the JVM will exit with 128 + signal");
            }
            bundles = install(framework.getBundleContext(), BundleList.embedded(role));
            framework.start();
        } catch (IOException | BundleException | RuntimeException e) {
            if (stopRequested.get() && framework != null) {
                // A signal stopped the framework while bundles were being installed: that is
                // the failure seen here, and what was asked for.
                LOG.info("stopped during start-up ({})", e.getMessage());
                return awaitStop();
            }
            LOG.error("jtgt could not start: {}", e.toString(), e);
            stopAfterFailedStart();
            return Main.EXIT_FAILURE;
        }
        for (Bundle bundle : bundles) {
            if (stopRequested.get()) {
                break;
            }
            start(bundle);
        }
        if (!stopRequested.get()) {
            reportStarted(bundles, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        }
        return awaitStop();
    }

    /**
     * Locks {@value #LOCK_FILE} in the configuration directory. A second launcher on the same
     * directory would otherwise wipe the running one's framework cache (storage.clean) under it.
     */
    private boolean lockConfigDir() throws IOException {
        // Embedded: the directory alone. Front and daemon share it (a shared lock, which an
        // embedded launcher's exclusive one excludes) and each holds its role's lock alone.
        lockChannel = lockFile(LOCK_FILE);
        FileLock lock = lockChannel.tryLock(0, Long.MAX_VALUE, role != Role.EMBEDDED);
        if (lock == null) {
            lockChannel.close();
            return false;
        }
        if (role.roleLock() != null) {
            roleLockChannel = lockFile(role.roleLock());
            if (roleLockChannel.tryLock() == null) {
                roleLockChannel.close();
                return false;
            }
        }
        return true;
    }

    /** Whether a front process holds its lock in {@code configDir} (the daemon starts warm then). */
    static boolean frontRunning(Path configDir) {
        Path file = configDir.resolve(Role.FRONT.roleLock());
        if (!Files.exists(file)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            FileLock probe = ch.tryLock();
            if (probe == null) {
                return true;
            }
            probe.release();
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    private FileChannel lockFile(String name) throws IOException {
        Path file = configDir.resolve(name);
        Set<StandardOpenOption> options = Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        return file.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? FileChannel.open(file, options, PosixFilePermissions.asFileAttribute(ConfigDirectory.FILE_MODE))
                : FileChannel.open(file, options);
    }

    /** Framework properties for a run of {@code kind} with {@code configDir}; package-private for tests. */
    /** The framework property naming this launcher's build: "0.1.0 (build 0123456789ab)". */
    static final String BUILD_PROPERTY = "jtgt.build";

    static Map<String, String> frameworkProperties(OsgiFramework kind, Path configDir, String slf4jVersion,
            Properties system) {
        return frameworkProperties(kind, Role.EMBEDDED, configDir, slf4jVersion, system);
    }

    static Map<String, String> frameworkProperties(OsgiFramework kind, Role role, Path configDir, String slf4jVersion,
            Properties system) {
        Map<String, String> properties = new LinkedHashMap<>();
        for (String name : system.stringPropertyNames()) {
            if (name.startsWith(PASS_THROUGH_PREFIX)) {
                properties.put(name, system.getProperty(name));
            }
        }
        // The storage below configDir, and what only this framework reads.
        properties.putAll(kind.properties(configDir, role));
        properties.put(Role.PROPERTY, role.id());
        if (role == Role.DAEMON) {
            properties.put(FRONT_RUNNING_PROPERTY, Boolean.toString(frontRunning(configDir)));
        }
        StringBuilder slf4j = new StringBuilder();
        for (String pkg : SLF4J_PACKAGES) {
            slf4j.append(slf4j.length() == 0 ? "" : ",").append(pkg).append(";version=").append(slf4jVersion);
        }
        properties.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, slf4j.toString());
        properties.put(CONFIG_DIR_PROPERTY, configDir.toString());
        // Component configurations (PID.cfg, key=value lines) from DIR/etc, applied at start and
        // when a file changes. Not written back: the files are the operator's.
        properties.put("felix.fileinstall.dir", configDir.resolve(ETC_DIR).toString());
        properties.put("felix.fileinstall.filter", ".*\\.cfg");
        properties.put("felix.fileinstall.poll", "1000");
        properties.put("felix.fileinstall.noInitialDelay", "true");
        properties.put("felix.fileinstall.enableConfigSave", "false");
        properties.put("felix.fileinstall.log.level", "2");
        // File Install's scratch directory: by default a fresh fileinstall-* in java.io.tmpdir on
        // every start, never removed. Kept with the framework cache instead, which each start clears.
        properties.put("felix.fileinstall.tmpdir", kind.storage(configDir, role).resolve("fileinstall").toString());
        return properties;
    }

    private static List<Bundle> install(BundleContext context, List<String> names) throws IOException, BundleException {
        List<Bundle> bundles = new ArrayList<>(names.size());
        for (String name : names) {
            String resource = BundleList.DIRECTORY + name;
            try (InputStream in = EmbeddedFramework.class.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IOException(resource + " is listed in " + BundleList.RESOURCE + " but missing from the jar");
                }
                Bundle bundle = context.installBundle("jtgt:" + resource, in);
                LOG.debug("installed {} {} from {}", bundle.getSymbolicName(), bundle.getVersion(), resource);
                bundles.add(bundle);
            }
        }
        return bundles;
    }

    private static void start(Bundle bundle) {
        if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null) {
            return;
        }
        try {
            bundle.start();
        } catch (BundleException | RuntimeException e) {
            LOG.error("bundle {} did not start: {}", bundle.getSymbolicName(), e.getMessage(), e);
        }
    }

    private void reportStarted(List<Bundle> bundles, long millis) {
        List<String> inactive = new ArrayList<>();
        for (Bundle bundle : bundles) {
            boolean fragment = bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null;
            LOG.debug("bundle {} {} {}", bundle.getSymbolicName(), bundle.getVersion(), stateName(bundle.getState()));
            if (!fragment && bundle.getState() != Bundle.ACTIVE) {
                inactive.add(bundle.getSymbolicName() + " (" + stateName(bundle.getState()) + ")");
            }
        }
        if (inactive.isEmpty()) {
            LOG.info("jtgt started: {} bundles active in {} ms", bundles.size(), millis);
        } else {
            LOG.error("jtgt started with errors: {} of {} bundles active; not active: {}",
                    bundles.size() - inactive.size(), bundles.size(), String.join(", ", inactive));
        }
    }

    private int awaitStop() {
        try {
            FrameworkEvent event = framework.waitForStop(0);
            if (gaveUp) {
                return Main.EXIT_FAILURE;
            }
            logStopped();
            if (event.getType() == FrameworkEvent.ERROR) {
                LOG.error("framework stopped with an error", event.getThrowable());
                return Main.EXIT_FAILURE;
            }
            return Main.EXIT_OK;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return stopAndWait("interrupted") ? Main.EXIT_OK : Main.EXIT_FAILURE;
        }
    }

    /** Signal thread: stop while the JVM is still alive, so {@code main} can exit 0. */
    private void stopOnSignal(String signal) {
        if (!stopAndWait(signal)) {
            gaveUp = true;
            System.exit(Main.EXIT_FAILURE);
        }
    }

    /** Shutdown hook: the JVM is exiting for a reason of its own; stop the framework first. */
    private void stopOnJvmShutdown() {
        if (gaveUp || framework == null || (framework.getState() & (Bundle.STARTING | Bundle.ACTIVE | Bundle.STOPPING)) == 0) {
            return;
        }
        stopAndWait("JVM shutdown");
    }

    /** Stops the framework and waits up to {@link #STOP_TIMEOUT_MS}; true if it stopped. */
    private boolean stopAndWait(String reason) {
        Framework fw = framework;
        if (stopRequested.compareAndSet(false, true)) {
            LOG.info("{}: stopping jtgt", reason);
        }
        try {
            fw.stop();
            FrameworkEvent event = fw.waitForStop(STOP_TIMEOUT_MS);
            if (event.getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                LOG.error("jtgt did not stop within {} s; giving up", TimeUnit.MILLISECONDS.toSeconds(STOP_TIMEOUT_MS));
                return false;
            }
            logStopped();
            return true;
        } catch (BundleException e) {
            LOG.error("stopping the framework failed", e);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void stopAfterFailedStart() {
        Framework fw = framework;
        if (fw == null) {
            return;
        }
        stopRequested.set(true);
        try {
            fw.stop();
            fw.waitForStop(STOP_TIMEOUT_MS);
        } catch (BundleException | RuntimeException e) {
            LOG.debug("stop after a failed start", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void logStopped() {
        if (stopLogged.compareAndSet(false, true)) {
            LOG.info("jtgt stopped");
        }
    }

    private static Properties buildProperties() {
        Properties properties = new Properties();
        try (InputStream in = EmbeddedFramework.class.getResourceAsStream("launcher.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read launcher.properties", e);
        }
        return properties;
    }

    static String stateName(int state) {
        switch (state) {
            case Bundle.UNINSTALLED:
                return "UNINSTALLED";
            case Bundle.INSTALLED:
                return "INSTALLED";
            case Bundle.RESOLVED:
                return "RESOLVED";
            case Bundle.STARTING:
                return "STARTING";
            case Bundle.STOPPING:
                return "STOPPING";
            case Bundle.ACTIVE:
                return "ACTIVE";
            default:
                return "state " + state;
        }
    }
}
