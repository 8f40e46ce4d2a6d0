package org.jtgt.itests;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.ops4j.pax.exam.Option;

/**
 * The framework every integration test boots: Felix or Equinox ({@link #FRAMEWORK}) with
 * Declarative Services, slf4j (through SPI Fly) and all jtgt bundles, installed from the jars the
 * build copied into {@code target/bundles} ({@code file:} URLs: under {@code mvn verify} the
 * reactor's SNAPSHOTs are in no repository).
 *
 * <p>Pax Exam's native container runs the one OSGi framework whose {@code FrameworkFactory} is on
 * the test class path: itests/pom.xml runs the tests once with Felix there and once (failsafe
 * execution {@code equinox}) with Equinox, and sets {@code jtgt.itest.framework} to match.
 */
public final class JtgtOptions {
    /** The target the daemon's DefaultTarget component creates. */
    public static final String DEFAULT_TARGET = "iqn.2026-11.org.jtgt:default";

    /** {@code jtgt.default.target.size} for the tests: 64 MiB, thin. */
    public static final long DEFAULT_TARGET_SIZE = 64L << 20;

    /** Every jtgt bundle, in install order. */
    public static final List<String> JTGT_BUNDLES = List.of(
            "jtgt-api",
            "jtgt-ring",
            "jtgt-backing-memory",
            "jtgt-backing-file",
            "jtgt-transport-shm",
            "jtgt-transport-direct",
            "jtgt-host",
            "jtgt-daemon",
            "jtgt-lld-loopback");

    /**
     * Bundles that may export packages, and then only {@code org.jtgt.api.*} (the FC tools bundle
     * exports its emulated initiator, {@code org.jtgt.api.fc.initiator}), or the library package
     * {@link #LIBRARY_EXPORTS} names for them.
     */
    public static final List<String> EXPORTING_BUNDLES = List.of("jtgt-api", "jtgt-ring", "jtgt-fc-initiator",
            "jtgt-transport-shm");

    /**
     * Libraries outside {@code org.jtgt.api}, by the bundle that exports them: the slot ring, and
     * the split shape's medium SPI (transport-shm, for the netlink-style transport).
     */
    public static final Map<String, String> LIBRARY_EXPORTS = Map.of("jtgt-ring", "org.jtgt.ring",
            "jtgt-transport-shm", "org.jtgt.transport.split");

    /** Whether {@code bundle} (one of {@link #EXPORTING_BUNDLES}) may export {@code pkg}. */
    public static boolean mayExport(String bundle, String pkg) {
        return LIBRARY_EXPORTS.containsKey(bundle) ? pkg.equals(LIBRARY_EXPORTS.get(bundle))
                : pkg.startsWith("org.jtgt.api.") || pkg.equals("org.jtgt.api");
    }

    /** The FC target and the emulated initiator: each embeds the FC codecs, neither exports them. */
    public static final List<String> FC_BUNDLES = List.of("jtgt-lld-fc", "jtgt-fc-initiator");

    private static final String BUNDLES_PROPERTY = "jtgt.itest.bundles";

    /** The framework the tests run in, {@code felix} or {@code equinox} (the system property {@code jtgt.itest.framework}). */
    public static final String FRAMEWORK = System.getProperty("jtgt.itest.framework", "felix");

    /** The symbolic name of {@link #FRAMEWORK}'s system bundle. */
    public static String systemBundleName() {
        switch (FRAMEWORK) {
            case "felix":
                return "org.apache.felix.framework";
            case "equinox":
                return "org.eclipse.osgi";
            default:
                throw new IllegalStateException("jtgt.itest.framework is felix or equinox, not " + FRAMEWORK);
        }
    }

    private JtgtOptions() {
    }

    public static Option framework(Option... extra) {
        List<Option> jtgt = new ArrayList<>();
        for (String name : JTGT_BUNDLES) {
            jtgt.add(bundle(file(name)));
        }
        return composite(
                strictClassLoading(),
                frameworkProperty("jtgt.default.target.enabled").value("true"),
                frameworkProperty("jtgt.default.target.size").value(Long.toString(DEFAULT_TARGET_SIZE)),

                // slf4j 2 finds its provider with ServiceLoader: SPI Fly (with ASM) has to be
                // active before slf4j-api is first used, or logging is silently a no-op.
                bundle(file("asm")).startLevel(1),
                bundle(file("asm-tree")).startLevel(1),
                bundle(file("asm-analysis")).startLevel(1),
                bundle(file("asm-commons")).startLevel(1),
                bundle(file("asm-util")).startLevel(1),
                bundle(file("org.apache.aries.spifly.dynamic.bundle")).startLevel(1),
                bundle(file("slf4j-api")).startLevel(1),
                bundle(file("slf4j-simple")).startLevel(1),

                bundle(file("org.osgi.util.function")).startLevel(2),
                bundle(file("org.osgi.util.promise")).startLevel(2),
                bundle(file("org.osgi.service.component")).startLevel(2),
                bundle(file("org.apache.felix.scr")).startLevel(2),

                // The file store punches holes through JNA (libjnidispatch from its Bundle-NativeCode).
                bundle(file("jna")),
                composite(jtgt.toArray(Option[]::new)),
                junitBundles(),
                cleanCaches(true),
                composite(extra));
    }

    /**
     * Bundles see what they import and nothing else: without this Felix lets the JDK's
     * ServiceLoader see the test class path. Equinox falls back to the JDK's boot loader only
     * (its bundles' parent), never the class path, and needs nothing; its instance and user
     * areas (by default under the working and home directories) go to {@code target/}.
     */
    private static Option strictClassLoading() {
        if (systemBundleName().equals("org.eclipse.osgi")) {
            File areas = new File("target", "equinox-areas").getAbsoluteFile();
            return composite(
                    frameworkProperty("osgi.instance.area").value(new File(areas, "instance").getPath()),
                    frameworkProperty("osgi.user.area").value(new File(areas, "user").getPath()));
        }
        return frameworkProperty("felix.bootdelegation.implicit").value("false");
    }

    /**
     * The config and admin bundles, with {@code targets.conf} and the control socket in
     * {@code target/NAME}: the iSCSI driver refuses logins while its CHAP account source (config)
     * is missing, so a test that logs in over iSCSI installs it, as every deployment does.
     */
    public static Option admin(String name) {
        File dir = new File("target", name).getAbsoluteFile();
        return composite(
                frameworkProperty("jtgt.control").value(new File(dir, "control.sock").getPath()),
                frameworkProperty("jtgt.config.dir").value(dir.getPath()),
                bundle(file("jtgt-config")),
                bundle(file("jtgt-admin")));
    }

    /** {@code file:} URL of a copied bundle; fails early, naming the jar, if the build did not copy it. */
    static String file(String artifactId) {
        return new File(path(artifactId)).toURI().toString();
    }

    /** Path of a copied bundle jar; fails early, naming the jar, if the build did not copy it. */
    static String path(String artifactId) {
        String dir = System.getProperty(BUNDLES_PROPERTY);
        if (dir == null) {
            throw new IllegalStateException(BUNDLES_PROPERTY + " is not set: run the tests through"
                    + " maven-failsafe-plugin (mvn verify), which copies the bundles and sets it");
        }
        File jar = new File(dir, artifactId + ".jar");
        if (!jar.isFile()) {
            throw new IllegalStateException(jar + " is missing: is " + artifactId
                    + " a provided dependency of itests/pom.xml?");
        }
        return jar.getPath();
    }
}
