package org.jtgt.itests.karaf;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.maven;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.systemTimeout;
import static org.ops4j.pax.exam.CoreOptions.vmOption;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.features;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.logLevel;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.replaceConfigurationFile;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.inject.Inject;

import org.jtgt.api.loopback.LoopbackInitiator;
import org.jtgt.api.loopback.LoopbackSession;
import org.jtgt.api.loopback.ScsiResult;
import org.jtgt.api.scsi.SenseData;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunInfo;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.target.TargetInfo;
import org.jtgt.api.target.TargetPorts;
import org.jtgt.testkit.ExternalTool;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.karaf.options.LogLevelOption.LogLevel;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;
import org.osgi.util.tracker.ServiceTracker;

/**
 * jtgt as a Karaf user gets it: an unpacked Apache Karaf (minimal distribution), the feature
 * repository this build made added and feature {@code jtgt} installed; no jtgt bundle gets into
 * Karaf any other way. Karaf resolves every {@code mvn:} link of the feature from
 * {@code target/jtgt-repo} (the build copies the reactor's jars there) and its own distribution,
 * never from the network. The test itself runs inside Karaf, as Pax Exam's probe bundle.
 *
 * <p>The default target comes from the daemon, told by properties in Karaf's
 * {@code etc/system.properties} (which bundles read as framework properties, as the launcher's);
 * the iSCSI and FC drivers are configured through Karaf's {@code etc/*.cfg} files (Config Admin),
 * on loopback port 0, and the test reads the port the iSCSI driver bound from the daemon's
 * target port list. Initiators nobody here wrote (libiscsi's utilities, QEMU) then reach the
 * target, and the loopback driver reads what QEMU wrote over iSCSI and the other way round.
 *
 * <p>Karaf runs on Felix, or on Equinox when {@code jtgt.itest.framework} is {@code equinox}
 * (itests-karaf/pom.xml runs the test once each way): {@code karaf.framework=equinox} in
 * {@code etc/config.properties}, with the Equinox jar (the version the launcher embeds) put into
 * the distribution's {@code system/} folder, where Karaf's launcher looks for the framework (the
 * minimal distribution ships only Felix's).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class KarafFeatureIT {
    private static final String TARGET = "iqn.2026-11.org.jtgt:default";
    /** {@code jtgt.default.target.size}: 64 MiB, thin. */
    private static final long LUN_BYTES = 64L << 20;
    private static final int BLOCK_SIZE = 512;

    /** Every bundle of feature {@code jtgt}, by Bundle-SymbolicName (the artifact id). */
    private static final List<String> JTGT_BUNDLES = List.of(
            "jtgt-api",
            "jtgt-ring",
            "jtgt-backing-memory",
            "jtgt-backing-file",
            "jtgt-backing-rbd",
            "jtgt-transport-shm",
            "jtgt-transport-netlink",
            "jtgt-transport-direct",
            "jtgt-host",
            "jtgt-daemon",
            "jtgt-lld-loopback",
            "jtgt-lld-iscsi",
            "jtgt-lld-fc",
            "jtgt-config",
            "jtgt-admin",
            "jtgt-metrics");   // from the optional feature jtgt-metrics

    /** The metrics feature's HTTP port, picked free in the test JVM and passed into Karaf. */
    private static final String METRICS_PORT_PROPERTY = "jtgt.itest.metricsPort";
    private static final int METRICS_PORT = Integer.getInteger(METRICS_PORT_PROPERTY, freePort());

    /** System property (set by failsafe, passed on into Karaf) naming the external tools' work directory. */
    private static final String WORK_PROPERTY = "jtgt.itest.work";
    private static final String VERSION_PROPERTY = "jtgt.version";
    /** {@code felix} (default) or {@code equinox}: the framework Karaf runs on. */
    private static final String FRAMEWORK = System.getProperty("jtgt.itest.framework", "felix");

    private static final String LIBISCSI = "libiscsi-bin";
    private static final String QEMU = "qemu-utils and qemu-block-extra";
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);
    /** How long Pax Exam waits for Karaf and its own bundles in it. */
    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(90);
    /** Feature installation, DS activation and the listeners all happen after Karaf reports itself started. */
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    @Inject
    private BundleContext context;

    /** Runs in the test JVM: unpacks Karaf under {@code target/karaf} and configures it. */
    @Configuration
    public Option[] config() {
        String version = required(VERSION_PROPERTY);
        File repo = new File(required("jtgt.itest.repo")).getAbsoluteFile();
        File karaf = new File(required("jtgt.itest.karaf")).getAbsoluteFile();
        // Karaf's JVM writes temporary files and could read ~/.m2 settings: both stay in target/.
        File tmp = new File(karaf, "tmp");
        File home = new File(karaf, "home");
        File sockets = new File(karaf, "sockets");
        tmp.mkdirs();
        home.mkdirs();
        sockets.mkdirs();
        String paxUrl = "etc/org.ops4j.pax.url.mvn.cfg";
        return new Option[] {
            karafDistributionConfiguration()
                    .frameworkUrl(maven().groupId("org.apache.karaf").artifactId("apache-karaf-minimal")
                            .type("tar.gz").version(required("karaf.version")))
                    .name("Apache Karaf")
                    .unpackDirectory(karaf)
                    .useDeployFolder(false),
            configureConsole().ignoreLocalConsole().ignoreRemoteShell(),
            // Karaf is up in about 10 s here. A boot feature that does not resolve leaves it without
            // Pax Exam's bundles, and the default wait for them is 3 minutes; Karaf's resolver
            // error is in the build output above "Container never came up".
            systemTimeout(BOOT_TIMEOUT.toMillis()),
            logLevel(LogLevel.WARN),
            vmOption("-Djava.io.tmpdir=" + tmp),
            vmOption("-Duser.home=" + home),
            // Pax Exam's RMI between the two JVMs on loopback only, as in the test JVM (failsafe's argLine)
            vmOption("-javaagent:" + new File(required("jtgt.itest.rmiAgent")).getAbsolutePath()),
            vmOption("-Djava.rmi.server.hostname=127.0.0.1"),
            jdk9PlusOptions(),

            // mvn: links resolve from the distribution's system/ folder and from the jars this
            // build copied; no remote repository, and an empty local one inside target/.
            editConfigurationFilePut(paxUrl, "org.ops4j.pax.url.mvn.defaultRepositories",
                    "${karaf.home.uri}${karaf.default.repository}@id=system.repository@snapshots,"
                            + repo.toURI() + "@id=jtgt@snapshots"),
            editConfigurationFilePut(paxUrl, "org.ops4j.pax.url.mvn.repositories", ""),
            editConfigurationFilePut(paxUrl, "org.ops4j.pax.url.mvn.localRepository",
                    new File(karaf, "m2").getPath()),
            editConfigurationFilePut(paxUrl, "org.ops4j.pax.url.mvn.offline", "true"),

            features(maven().groupId("org.jtgt").artifactId("jtgt-features").type("xml").classifier("features")
                    .version(version), "jtgt", "jtgt-metrics"),

            systemProperty("jtgt.default.target.enabled").value("true"),
            systemProperty("jtgt.default.target.size").value(Long.toString(LUN_BYTES)),
            // Loopback only, and port 0: the driver picks a free port, so parallel builds do not collide.
            editConfigurationFilePut("etc/org.jtgt.iscsi.cfg", "portals", "127.0.0.1:0"),
            editConfigurationFilePut("etc/org.jtgt.fc.cfg", "portal", "127.0.0.1:0"),
            // The metrics feature's HTTP on a port free now (the test in Karaf must know it).
            editConfigurationFilePut("etc/org.jtgt.metrics.cfg", "http", "127.0.0.1:" + METRICS_PORT),
            systemProperty(METRICS_PORT_PROPERTY).value(Integer.toString(METRICS_PORT)),
            // A Unix socket path holds at most 107 bytes: the bundles' data areas in the unpacked
            // Karaf are too deep for the netlink transport's and the control socket's files.
            systemProperty("jtgt.netlink.dir").value(sockets.getPath()),
            systemProperty("jtgt.control").value(new File(sockets, "control.sock").getPath()),
            systemProperty(WORK_PROPERTY).value(required(WORK_PROPERTY)),
            systemProperty(VERSION_PROPERTY).value(version),
            systemProperty("jtgt.itest.framework").value(FRAMEWORK),
            framework(repo),
        };
    }

    /** Karaf on Equinox, the jar from this build's repository; nothing to change for Felix, Karaf's default. */
    private static Option framework(File repo) {
        switch (FRAMEWORK) {
            case "felix":
                return composite();
            case "equinox":
                String version = required("equinox.version");
                String path = "org/eclipse/platform/org.eclipse.osgi/" + version + "/org.eclipse.osgi-" + version + ".jar";
                return composite(
                        replaceConfigurationFile("system/" + path, new File(repo, path)),
                        editConfigurationFilePut("etc/config.properties", "karaf.framework", "equinox"),
                        editConfigurationFilePut("etc/config.properties", "karaf.framework.equinox",
                                "mvn:org.eclipse.platform/org.eclipse.osgi/" + version),
                        // Karaf's launcher takes the first line of the jar's
                        // META-INF/services/...FrameworkFactory for the class name; since 3.18.500
                        // Equinox's file starts with a comment line, so the class is named here.
                        editConfigurationFilePut("etc/config.properties", "karaf.framework.factory",
                                "org.eclipse.osgi.launch.EquinoxFactory"));
            default:
                throw new IllegalStateException("jtgt.itest.framework is felix or equinox, not " + FRAMEWORK);
        }
    }

    /** The matrix runs each framework for real: Karaf runs on the one jtgt.itest.framework names. */
    @Test
    public void karafRunsOnTheFrameworkTheBuildAskedFor() {
        String expected = FRAMEWORK.equals("equinox") ? "org.eclipse.osgi" : "org.apache.felix.framework";
        assertEquals(expected, context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).getSymbolicName());
    }

    @Test
    public void featureJtgtInstallsEveryBundleFromTheRepositoryAndStartsIt() throws Exception {
        String version = System.getProperty(VERSION_PROPERTY);
        List<String> problems = new ArrayList<>();
        await("every jtgt bundle ACTIVE", () -> {
            Map<String, Bundle> bundles = bySymbolicName();
            return JTGT_BUNDLES.stream().allMatch(n -> bundles.containsKey(n) && bundles.get(n).getState() == Bundle.ACTIVE);
        }, this::describeJtgtBundles);
        Map<String, Bundle> bundles = bySymbolicName();
        for (String name : JTGT_BUNDLES) {
            Bundle bundle = bundles.get(name);
            // The feature's own link: the bundle came from feature.xml, not from anything the test installed.
            String location = "mvn:org.jtgt/" + name + "/" + version;
            if (!location.equals(bundle.getLocation())) {
                problems.add(name + " was installed from " + bundle.getLocation() + ", not " + location);
            }
        }
        assertTrue(String.join("; ", problems), problems.isEmpty());
    }

    /**
     * The file store imports JNA optionally (it resolves without it and then writes zeros for
     * UNMAP); the feature ships JNA, so in Karaf the import must be wired, or hole punching is
     * silently off. The rbd store needs JNA outright.
     */
    @Test
    public void theStoresAreWiredToJna() throws Exception {
        await("every jtgt bundle ACTIVE", () -> notActive().isEmpty(), () -> String.join("; ", notActive()));
        Map<String, Bundle> bundles = bySymbolicName();
        for (String name : List.of("jtgt-backing-file", "jtgt-backing-rbd")) {
            BundleWiring wiring = bundles.get(name).adapt(BundleWiring.class);
            boolean wired = wiring.getRequiredWires(PackageNamespace.PACKAGE_NAMESPACE).stream()
                    .anyMatch(w -> "com.sun.jna".equals(w.getCapability().getAttributes()
                            .get(PackageNamespace.PACKAGE_NAMESPACE)));
            assertTrue(name + " imports com.sun.jna from the feature's JNA bundle", wired);
        }
    }

    /** A bundle left INSTALLED did not resolve; one left RESOLVED was never started: both are silent in Karaf. */
    @Test
    public void noBundleIsLeftInstalledOrResolved() throws Exception {
        await("all bundles ACTIVE", () -> notActive().isEmpty(), () -> String.join("; ", notActive()));
    }

    /**
     * A bundle can be ACTIVE while its components failed to activate (an exception in
     * {@code @Activate}) or wait for a reference nobody provides; the bundle states show neither. Every
     * component of a jtgt bundle must be active (or satisfied, for delayed services nobody
     * has asked for yet).
     */
    @Test
    public void everyJtgtComponentIsSatisfied() throws Exception {
        ServiceComponentRuntime scr = awaitService(ServiceComponentRuntime.class);
        await("jtgt components satisfied", () -> unsatisfiedComponents(scr).isEmpty(),
                () -> String.join("; ", unsatisfiedComponents(scr)));
        Map<String, Bundle> bundles = bySymbolicName();
        List<String> without = new ArrayList<>();
        for (String name : JTGT_BUNDLES) {
            if (!name.equals("jtgt-api") && !name.equals("jtgt-ring")
                    && scr.getComponentDescriptionDTOs(bundles.get(name)).isEmpty()) {
                without.add(name);
            }
        }
        assertTrue("no components found in " + without, without.isEmpty());
    }

    /**
     * The optional feature {@code jtgt-metrics}: Prometheus text on the configured port (the JDK's
     * HTTP server, reached through Karaf's {@code com.sun.*} boot delegation) and the MBeans in
     * Karaf's platform MBeanServer.
     */
    @Test
    public void metricsFeatureServesPrometheusTextAndMBeans() throws Exception {
        String series = "jtgt_lun_commands_total{target=\"iqn.2026-11.org.jtgt:default\",lun=\"0\"} ";
        String[] body = {""};
        await("/metrics on 127.0.0.1:" + METRICS_PORT, () -> {
            try {
                java.net.HttpURLConnection c = (java.net.HttpURLConnection)
                        new java.net.URL("http://127.0.0.1:" + METRICS_PORT + "/metrics").openConnection();
                c.setConnectTimeout(2000);
                c.setReadTimeout(5000);
                try (java.io.InputStream in = c.getInputStream()) {
                    body[0] = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                }
                return c.getResponseCode() == 200 && body[0].contains(series);
            } catch (IOException e) {
                body[0] = e.toString();
                return false;
            }
        }, () -> body[0]);
        javax.management.ObjectName lun = new javax.management.ObjectName(
                "org.jtgt:type=LogicalUnit,target=\"iqn.2026-11.org.jtgt:default\",lun=0");
        javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        await("MBean " + lun, () -> server.isRegistered(lun), () -> "not registered");
        assertTrue(server.getAttribute(lun, "Commands") instanceof Long);
        assertEquals(Long.valueOf(LUN_BYTES), server.getAttribute(lun, "SizeBytes"));
    }

    private static int freePort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    public void libiscsiSeesTheDefaultTargetAsA64MiBDisk() throws Exception {
        ExternalTool.require("iscsi-inq", LIBISCSI);
        ExternalTool.require("iscsi-readcapacity16", LIBISCSI);
        String url = url(awaitIscsiPort());
        ExternalTool tools = tools();

        String inq = tools.run("iscsi-inq", url);
        assertTrue(inq, inq.contains("Peripheral Device Type:DIRECT_ACCESS"));

        String capacity = tools.run("iscsi-readcapacity16", url);
        assertTrue(capacity, capacity.contains("LOGICAL BLOCK LENGTH IN BYTES:" + BLOCK_SIZE));
        assertTrue(capacity, capacity.contains("RETURNED LOGICAL BLOCK ADDRESS:" + (LUN_BYTES / BLOCK_SIZE - 1)));
        assertTrue(capacity, capacity.contains("Total size:" + LUN_BYTES));
    }

    /**
     * QEMU writes a pattern over iSCSI that the loopback driver reads back, and the loopback
     * driver writes one that QEMU verifies over iSCSI: two drivers, one LUN, the same bytes.
     */
    @Test
    public void qemuOverIscsiAndTheLoopbackDriverSeeEachOthersWrites() throws Exception {
        ExternalTool.require("qemu-io", QEMU);
        String url = url(awaitIscsiPort());
        ExternalTool tools = tools();
        int mib = 1 << 20;
        int blocks = mib / BLOCK_SIZE;

        String written = tools.run("qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 1M", "-c", "read -P 0x5a 0 1M", url);
        assertFalse(written, written.contains("Pattern verification failed"));
        assertTrue(written, written.contains("wrote 1048576/1048576"));
        assertTrue(written, written.contains("read 1048576/1048576"));

        LoopbackInitiator initiator = awaitService(LoopbackInitiator.class);
        try (LoopbackSession session = initiator.login("iqn.2026-11.org.jtgt.itests:karaf", TARGET)) {
            awaitReady(session);

            ByteBuffer in = ByteBuffer.allocate(mib);
            good(session, rw16(0x88, 0, blocks), null, in);
            for (int i = 0; i < mib; i++) {
                if (in.get(i) != 0x5a) {
                    fail("byte " + i + " read through the loopback driver is " + in.get(i) + ", QEMU wrote 0x5a");
                }
            }

            ByteBuffer out = ByteBuffer.allocate(mib);
            while (out.hasRemaining()) {
                out.put((byte) 0xa5);
            }
            out.flip();
            good(session, rw16(0x8A, blocks, blocks), out, null);
            in.clear();
            good(session, rw16(0x88, blocks, blocks), null, in);
            for (int i = 0; i < mib; i++) {
                assertEquals("loopback read-back at byte " + i, (byte) 0xa5, in.get(i));
            }
        }

        String read = tools.run("qemu-io", "-f", "raw", "-c", "read -P 0xa5 1M 1M", "-c", "read -P 0x5a 0 1M", url);
        assertFalse(read, read.contains("Pattern verification failed"));
        assertEquals(read, 2, Pattern.compile("^read 1048576/1048576", Pattern.MULTILINE).matcher(read).results().count());
    }

    // ------------------------------------------------------------------ helpers

    /**
     * What Karaf's {@code bin/karaf} passes a Java 9+ VM and Pax Exam's runner does not: without
     * the patched {@code java.base} the specs activator fails on every bundle event with
     * {@code NoClassDefFoundError: org/apache/karaf/specs/locator/OsgiLocator}. Paths are relative
     * to the Karaf base, the runner's working directory.
     */
    private static Option jdk9PlusOptions() {
        String version = required("karaf.version");
        List<String> args = new ArrayList<>(List.of(
                "--add-reads=java.xml=java.logging",
                "--add-exports=java.base/org.apache.karaf.specs.locator=java.xml,ALL-UNNAMED",
                "--patch-module=java.base=lib/endorsed/org.apache.karaf.specs.locator-" + version + ".jar",
                "--patch-module=java.xml=lib/endorsed/org.apache.karaf.specs.java.xml-" + version + ".jar"));
        for (String open : List.of("java.base/java.security", "java.base/java.net", "java.base/java.lang",
                "java.base/java.util", "java.naming/javax.naming.spi", "java.rmi/sun.rmi.transport.tcp")) {
            args.add("--add-opens=" + open + "=ALL-UNNAMED");
        }
        for (String export : List.of("java.base/sun.net.www.protocol.file", "java.base/sun.net.www.protocol.ftp",
                "java.base/sun.net.www.protocol.http", "java.base/sun.net.www.protocol.https",
                "java.base/sun.net.www.protocol.jar", "java.base/sun.net.www.content.text",
                "jdk.xml.dom/org.w3c.dom.html", "jdk.naming.rmi/com.sun.jndi.url.rmi", "java.rmi/sun.rmi.registry",
                "java.security.sasl/com.sun.security.sasl", "java.naming/com.sun.jndi.ldap")) {
            args.add("--add-exports=" + export + "=ALL-UNNAMED");
        }
        return composite(args.stream().map(a -> vmOption(a)).toArray(Option[]::new));
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException(property + " is not set: run the test through maven-failsafe-plugin"
                    + " (mvn verify), which copies the Karaf repository and sets it");
        }
        return value;
    }

    private static String url(int port) {
        return "iscsi://127.0.0.1:" + port + "/" + TARGET + "/0";
    }

    private static ExternalTool tools() {
        return new ExternalTool(Path.of(System.getProperty(WORK_PROPERTY, "target/interop")), TOOL_TIMEOUT);
    }

    /**
     * Waits for the default target with its LUN and for the iSCSI portal, and returns the port
     * the driver bound (configured port 0): the driver registers each portal with the daemon as
     * a target port described {@code HOST:PORT TPGT n}.
     */
    private int awaitIscsiPort() throws Exception {
        TargetAdmin admin = awaitService(TargetAdmin.class);
        await("target " + TARGET + " with a " + LUN_BYTES + "-byte LUN", () -> {
            for (TargetInfo target : admin.targets()) {
                if (target.name().equals(TARGET)) {
                    return target.luns().stream().map(LunInfo::sizeBytes).anyMatch(s -> s == LUN_BYTES);
                }
            }
            return false;
        }, () -> "targets: " + admin.targets());

        TargetPorts ports = awaitService(TargetPorts.class);
        Pattern portal = Pattern.compile("^127\\.0\\.0\\.1:(\\d+) ");
        int[] port = {-1};
        await("an iSCSI portal on 127.0.0.1", () -> {
            for (TargetPorts.Port p : ports.ports()) {
                Matcher m = portal.matcher(p.description());
                if ("iscsi".equals(p.driver()) && m.find()) {
                    port[0] = Integer.parseInt(m.group(1));
                    return accepts(port[0]);
                }
            }
            return false;
        }, () -> "target ports: " + ports.ports());
        return port[0];
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private <T> T awaitService(Class<T> type) throws InterruptedException {
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context, type, null);
        tracker.open();
        try {
            T service = tracker.waitForService(STARTUP_TIMEOUT.toMillis());
            assertNotNull(type.getSimpleName() + " not registered within " + STARTUP_TIMEOUT.toSeconds() + " s; "
                    + describeJtgtBundles(), service);
            return service;
        } finally {
            tracker.close();
        }
    }

    /** Polls {@code condition} until it holds; fails after {@link #STARTUP_TIMEOUT} with {@code state}. */
    private static void await(String what, BooleanSupplier condition, Supplier<String> state)
            throws InterruptedException {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail(what + ": not within " + STARTUP_TIMEOUT.toSeconds() + " s; " + state.get());
            }
            Thread.sleep(100);
        }
    }

    /** Components of jtgt bundles that are enabled but neither active nor satisfied, with why. */
    private static List<String> unsatisfiedComponents(ServiceComponentRuntime scr) {
        List<String> problems = new ArrayList<>();
        for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs()) {
            if (!description.bundle.symbolicName.startsWith("jtgt-") || !scr.isComponentEnabled(description)) {
                continue;
            }
            for (ComponentConfigurationDTO configuration : scr.getComponentConfigurationDTOs(description)) {
                if (configuration.state == ComponentConfigurationDTO.ACTIVE
                        || configuration.state == ComponentConfigurationDTO.SATISFIED) {
                    continue;
                }
                StringBuilder why = new StringBuilder(description.name + " is in state " + configuration.state);
                for (UnsatisfiedReferenceDTO reference : configuration.unsatisfiedReferences) {
                    why.append(", missing ").append(reference.name).append(' ').append(reference.target);
                }
                if (configuration.failure != null) {
                    why.append(", failed: ").append(configuration.failure.lines().findFirst().orElse(""));
                }
                problems.add(why.toString());
            }
        }
        return problems;
    }

    private Map<String, Bundle> bySymbolicName() {
        Map<String, Bundle> bundles = new HashMap<>();
        for (Bundle bundle : context.getBundles()) {
            if (bundle.getSymbolicName() != null) {
                bundles.put(bundle.getSymbolicName(), bundle);
            }
        }
        return bundles;
    }

    private String describeJtgtBundles() {
        Map<String, Bundle> bundles = bySymbolicName();
        List<String> states = new ArrayList<>();
        for (String name : JTGT_BUNDLES) {
            Bundle b = bundles.get(name);
            states.add(name + "=" + (b == null ? "missing" : state(b.getState())));
        }
        return String.join(", ", states);
    }

    /** Bundles that are not ACTIVE and not fragments (a fragment is RESOLVED at best). */
    private List<String> notActive() {
        List<String> problems = new ArrayList<>();
        for (Bundle bundle : context.getBundles()) {
            if (bundle.getState() != Bundle.ACTIVE && bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                problems.add(bundle.getSymbolicName() + " " + bundle.getVersion() + " is " + state(bundle.getState()));
            }
        }
        return problems;
    }

    private static String state(int state) {
        switch (state) {
            case Bundle.INSTALLED: return "INSTALLED";
            case Bundle.RESOLVED: return "RESOLVED";
            case Bundle.STARTING: return "STARTING";
            case Bundle.STOPPING: return "STOPPING";
            case Bundle.ACTIVE: return "ACTIVE";
            default: return "UNINSTALLED";
        }
    }

    /** READ (16) ({@code 0x88}) or WRITE (16) ({@code 0x8A}), SBC-4 5.16 / 5.41. */
    private static byte[] rw16(int opcode, long lba, int blocks) {
        byte[] cdb = new byte[16];
        ByteBuffer b = ByteBuffer.wrap(cdb);
        b.put(0, (byte) opcode);
        b.putLong(2, lba);
        b.putInt(10, blocks);
        return cdb;
    }

    private static void good(LoopbackSession session, byte[] cdb, ByteBuffer out, ByteBuffer in) throws IOException {
        ScsiResult result = session.execute(0, cdb, out, in);
        assertTrue(String.format("opcode 0x%02X -> %s", cdb[0], result), result.good());
    }

    /** TEST UNIT READY until GOOD, letting a new nexus report its UNIT ATTENTIONs first (SAM-5 5.14). */
    private static void awaitReady(LoopbackSession session) throws IOException {
        for (int attempt = 0; attempt < 4; attempt++) {
            ScsiResult result = session.execute(0, new byte[6], null, null);
            if (result.good()) {
                return;
            }
            SenseData sense = result.senseData();
            assertTrue("TEST UNIT READY -> " + result, sense != null && sense.key() == SenseKey.UNIT_ATTENTION);
        }
        fail("TEST UNIT READY still reports unit attentions after 4 tries");
    }
}
