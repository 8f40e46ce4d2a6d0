package org.jtgt.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.inject.Inject;

import org.jtgt.api.target.ChapAccounts;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.testkit.ExternalTool;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Real initiators nobody here wrote, run as external processes with a bounded run time, against
 * the iSCSI bundle running in Felix with the rest of jtgt: libiscsi's utilities and conformance
 * suite, and QEMU's iSCSI block driver (Debian's libiscsi-bin, qemu-utils, qemu-block-extra).
 * A failure carries the tool's own output. Without the tools the tests are skipped, unless the
 * environment says CI=true, where a missing tool is a failure.
 *
 * <p>This test installs {@code jtgt-lld-iscsi} with {@code jtgt-admin} (the CHAP account source,
 * without which every login is refused) and Config Admin (for CHAP); {@link FcIT} does too. The portal is a free loopback port chosen when the
 * framework is configured; the LUN is the default target's 64 MiB memory disk.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class IscsiInteropIT {
    /** Framework property the iSCSI component reads in place of its configured portals. */
    private static final String PORTAL_PROPERTY = "jtgt.iscsi.portal";
    /** Configuration PID of the iSCSI component (IscsiTarget.Config). */
    private static final String ISCSI_PID = "org.jtgt.iscsi";
    private static final String TARGET = JtgtOptions.DEFAULT_TARGET;
    private static final long LUN_BYTES = JtgtOptions.DEFAULT_TARGET_SIZE;

    private static final String LIBISCSI = "libiscsi-bin";
    private static final String QEMU = "qemu-utils and qemu-block-extra";
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);
    /** How long the portal may take to (re)appear after activation or a configuration change. */
    private static final Duration PORTAL_TIMEOUT = Duration.ofSeconds(30);
    /** Per attempt while polling the portal: a stuck login must not eat the whole wait. */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);

    private static final String CHAP_USER = "alice";
    private static final String CHAP_SECRET = "alice-secret-123";
    private static final String MUTUAL_USER = "jtgt";
    private static final String MUTUAL_SECRET = "target-secret-456";

    @Inject
    private BundleContext context;

    @Inject
    private TargetAdmin admin;

    @Inject
    private ConfigurationAdmin configAdmin;

    /** The admin bundle's CHAP account source: without it every login is refused. */
    @Inject
    private ChapAccounts accounts;

    private Path work;
    private ExternalTool tools;
    private int port;

    /** Runs outside the framework: picks the port the framework's iSCSI portal will bind. */
    @Configuration
    public Option[] config() throws IOException {
        int free;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            free = probe.getLocalPort();
        }
        return new Option[] {JtgtOptions.framework(
                frameworkProperty(PORTAL_PROPERTY).value("127.0.0.1:" + free),
                bundle(JtgtOptions.file("org.apache.felix.configadmin")).startLevel(2),
                JtgtOptions.admin("iscsi-interop-admin"),
                bundle(JtgtOptions.file("jtgt-lld-iscsi")))};
    }

    @Before
    public void awaitPortal() throws Exception {
        // Read back from the framework: this instance lives in it, not where config() ran.
        String portal = context.getProperty(PORTAL_PROPERTY);
        assertTrue(PORTAL_PROPERTY + " = " + portal, portal != null && portal.startsWith("127.0.0.1:"));
        port = Integer.parseInt(portal.substring(portal.lastIndexOf(':') + 1));
        work = Path.of(System.getProperty("jtgt.itest.work", "target/interop")).toAbsolutePath();
        tools = new ExternalTool(work, TOOL_TIMEOUT);
        Scsi.awaitTarget(admin, TARGET);
        long deadline = System.nanoTime() + PORTAL_TIMEOUT.toNanos();
        while (!portalAccepts()) {
            assertTrue("nothing listens on " + portal + " within " + PORTAL_TIMEOUT.toSeconds() + " s",
                    System.nanoTime() < deadline);
            Thread.sleep(100);
        }
    }

    /** Tool logs and images go to the work directory, which is also the tools' TMPDIR: clear it. */
    @After
    public void deleteWorkFiles() throws IOException {
        if (work == null || !Files.exists(work)) {
            return;
        }
        try (Stream<Path> files = Files.walk(work)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    // ------------------------------------------------------------------ libiscsi utilities

    @Test
    public void iscsiLsListsTheTargetAndItsLun() throws Exception {
        ExternalTool.require("iscsi-ls", LIBISCSI);
        String out = tools.run("iscsi-ls", "-s", "iscsi://127.0.0.1:" + port + "/");
        assertTrue(out, out.contains("Target:" + TARGET + " Portal:127.0.0.1:" + port + ",1"));
        assertTrue(out, Pattern.compile("Lun:0\\s+Type:DIRECT_ACCESS").matcher(out).find());
    }

    @Test
    public void iscsiInqAnswers() throws Exception {
        ExternalTool.require("iscsi-inq", LIBISCSI);
        String out = tools.run("iscsi-inq", url());
        assertTrue(out, out.contains("Peripheral Device Type:DIRECT_ACCESS"));
        assertTrue(out, out.contains("Vendor:"));
        String vpd = tools.run("iscsi-inq", "-e", "1", "-c", "128", url());
        assertTrue(vpd, vpd.toLowerCase().contains("serial"));
    }

    @Test
    public void iscsiReadCapacity16Answers() throws Exception {
        ExternalTool.require("iscsi-readcapacity16", LIBISCSI);
        String out = tools.run("iscsi-readcapacity16", url());
        assertTrue(out, out.contains("LOGICAL BLOCK LENGTH IN BYTES:512"));
        assertTrue(out, out.contains("RETURNED LOGICAL BLOCK ADDRESS:" + (LUN_BYTES / 512 - 1)));
        assertTrue(out, out.contains("Total size:" + LUN_BYTES));
    }

    // ------------------------------------------------------------------ QEMU

    @Test
    public void qemuIoWritesAndVerifiesPatternsAlignedAndUnaligned() throws Exception {
        ExternalTool.require("qemu-io", QEMU);
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        // Whole device first, then aligned and unaligned writes over the 64 MiB, each read back.
        String[][] writes = {
            {"0x11", "0", "64M"},
            {"0xa5", "0", "1M"},
            {"0x5a", "1060000", "70000"},
            {"0x3c", "33554431", "4097"},
            {"0x77", "8M", "8M"},
            {"0x99", "20971521", "1048573"},
            {"0xc3", "67043328", "65535"},
            {"0xe1", "67108863", "1"},
        };
        for (String[] w : writes) {
            cmd.addAll(List.of("-c", "write -P " + w[0] + " " + w[1] + " " + w[2]));
        }
        for (String[] w : Arrays.copyOfRange(writes, 1, writes.length)) {
            cmd.addAll(List.of("-c", "read -P " + w[0] + " " + w[1] + " " + w[2]));
        }
        // Bytes between the patches keep the whole-device pattern.
        cmd.addAll(List.of("-c", "read -P 0x11 1048576 11424", "-c", "read -P 0x11 16777216 4194304"));
        cmd.add(url());
        String out = tools.run(cmd.toArray(new String[0]));
        assertFalse(out, out.contains("Pattern verification failed"));
        assertFalse(out, out.toLowerCase().contains("error"));
        assertEquals(out, writes.length, count(out, "^wrote "));
        assertEquals(out, writes.length + 1, count(out, "^read "));
    }

    @Test
    public void qemuImgConvertRoundTripsARandomImage() throws Exception {
        ExternalTool.require("qemu-img", QEMU);
        byte[] image = new byte[32 << 20];
        new Random(42).nextBytes(image);
        Files.createDirectories(work);
        Path in = work.resolve("random.img");
        Path out = work.resolve("back.img");
        Files.write(in, image);
        Files.deleteIfExists(out);
        try {
            tools.run("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", in.toString(), url());
            tools.run("qemu-img", "convert", "-f", "raw", "-O", "raw", url(), out.toString());
            byte[] back = Files.readAllBytes(out);
            assertEquals(LUN_BYTES, back.length);
            assertArrayEquals("the image read back differs", image, Arrays.copyOf(back, image.length));
            String info = tools.run("qemu-img", "info", url());
            assertTrue(info, info.contains("virtual size: 64 MiB"));
        } finally {
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
        }
    }

    @Test
    public void qemuWithHeaderDigests() throws Exception {
        ExternalTool.require("qemu-io", QEMU);
        String out = tools.run("qemu-io", "--image-opts", "-c", "write -P 0x42 4096 300000", "-c", "read -P 0x42 4096 300000",
                "driver=iscsi,transport=tcp,portal=127.0.0.1:" + port + ",target=" + TARGET
                        + ",lun=0,header-digest=crc32c");
        assertFalse(out, out.contains("Pattern verification failed"));
        assertTrue(out, out.contains("read 300000/300000"));
    }

    // ------------------------------------------------------------------ CHAP and ACL

    /** CHAP is switched on through Config Admin; the component restarts, and again when it is deleted. */
    @Test
    public void chapRightSecretWorksWrongSecretFailsAndMutualChapIsAnswered() throws Exception {
        ExternalTool.require("iscsi-ls", LIBISCSI);
        ExternalTool.require("iscsi-inq", LIBISCSI);
        Dictionary<String, Object> chap = new Hashtable<>();
        chap.put("chapUser", CHAP_USER);
        chap.put("chapSecret", CHAP_SECRET);
        chap.put("mutualChapUser", MUTUAL_USER);
        chap.put("mutualChapSecret", MUTUAL_SECRET);
        try (IscsiConfiguration applied = IscsiConfiguration.apply(this, chap)) {
            String base = "127.0.0.1:" + port;
            String ok = tools.run("iscsi-ls", "-s", "iscsi://" + CHAP_USER + "%" + CHAP_SECRET + "@" + base + "/");
            assertTrue(ok, ok.contains("Target:" + TARGET));
            assertTrue(ok, ok.contains("Lun:0"));

            ExternalTool.Outcome wrong = tools.execute("iscsi-ls", "-s", "iscsi://" + CHAP_USER + "%wrong-secret-12@" + base + "/");
            assertTrue(wrong.describe(), wrong.exit() != 0);
            assertTrue(wrong.describe(), wrong.output().contains("Authentication failure"));

            ExternalTool.Outcome none = tools.execute("iscsi-inq", "iscsi://" + base + "/" + TARGET + "/0");
            assertTrue(none.describe(), none.exit() != 0);
            assertTrue(none.describe(), none.output().contains("Authentication failure"));

            String mutual = tools.run("iscsi-inq", "iscsi://" + CHAP_USER + "%" + CHAP_SECRET + "@" + base + "/" + TARGET
                    + "/0?target_user=" + MUTUAL_USER + "&target_password=" + MUTUAL_SECRET);
            assertTrue(mutual, mutual.contains("Peripheral Device Type:DIRECT_ACCESS"));

            // The initiator checks the target's answer: a target that does not know the secret it
            // expects is refused by the initiator.
            ExternalTool.Outcome badMutual = tools.execute("iscsi-inq", "iscsi://" + CHAP_USER + "%" + CHAP_SECRET + "@" + base
                    + "/" + TARGET + "/0?target_user=" + MUTUAL_USER + "&target_password=another-secret-7");
            assertTrue(badMutual.describe(), badMutual.exit() != 0);
            assertTrue(badMutual.describe(), badMutual.output().contains("Invalid CHAP_R"));
        }
    }

    @Test
    public void anInitiatorOutsideTheAclCanNeitherSeeNorOpenTheTarget() throws Exception {
        ExternalTool.require("iscsi-ls", LIBISCSI);
        ExternalTool.require("iscsi-inq", LIBISCSI);
        admin.setAcl(TARGET, List.of("iqn.2026-11.org.jtgt:allowed"));
        try {
            String hidden = tools.run("iscsi-ls", "-i", "iqn.2026-11.org.jtgt:stranger", "iscsi://127.0.0.1:" + port + "/");
            assertFalse(hidden, hidden.contains(TARGET));
            ExternalTool.Outcome denied = tools.execute("iscsi-inq", "-i", "iqn.2026-11.org.jtgt:stranger", url());
            assertTrue(denied.describe(), denied.exit() != 0);
            assertTrue(denied.describe(), denied.output().contains("Authorization failure"));
            String allowed = tools.run("iscsi-ls", "-i", "iqn.2026-11.org.jtgt:allowed", "iscsi://127.0.0.1:" + port + "/");
            assertTrue(allowed, allowed.contains(TARGET));
        } finally {
            admin.setAcl(TARGET, List.of());
        }
    }

    // ------------------------------------------------------------------ conformance

    @Test
    public void libiscsiConformanceCmdSn() throws Exception {
        conformance("iSCSI.iSCSIcmdsn", 2);
    }

    @Test
    public void libiscsiConformanceDataSn() throws Exception {
        conformance("iSCSI.iSCSIdatasn", 1);
    }

    @Test
    public void libiscsiConformanceResiduals() throws Exception {
        conformance("iSCSI.iSCSIResiduals", 10);
    }

    @Test
    public void libiscsiConformanceTaskManagement() throws Exception {
        conformance("iSCSI.iSCSITMF", 2);
    }

    private void conformance(String family, int expectedTests) throws Exception {
        ExternalTool.require("iscsi-test-cu", LIBISCSI);
        ExternalTool.Outcome o = tools.execute("iscsi-test-cu", "-d", "-t", family, url());
        Matcher m = Pattern.compile("tests\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)").matcher(o.output());
        assertTrue("no CUnit summary:\n" + o.describe(), m.find());
        int ran = Integer.parseInt(m.group(2));
        int passed = Integer.parseInt(m.group(3));
        int failed = Integer.parseInt(m.group(4));
        assertEquals(o.describe(), expectedTests, ran);
        assertEquals(o.describe(), 0, failed);
        assertEquals(o.describe(), ran, passed);
        // A test that prints [SKIPPED] did not test anything: only the daemon gaps above may.
        // (Suite set-up probes print [SKIPPED] lines too: only a test's own output counts, from
        // "Test: NAME ..." to its result.)
        String[] blocks = o.output().split("\n\\s*Test: ");
        Pattern result = Pattern.compile("(?:\\.\\.\\.|\n)(passed|FAILED)");
        for (int i = 1; i < blocks.length; i++) {
            String name = blocks[i].split("\\s")[0];
            Matcher end = result.matcher(blocks[i]);
            String own = end.find() ? blocks[i].substring(0, end.start()) : blocks[i];
            if (own.contains("[SKIPPED]")) {
                fail(family + ": test " + name + " was skipped:\n" + o.describe());
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private String url() {
        return "iscsi://127.0.0.1:" + port + "/" + TARGET + "/0";
    }

    private boolean portalAccepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Waits until the portal accepts connections and an unauthenticated discovery session gets the
     * answer of the wanted configuration: refused with an authentication failure when CHAP is
     * required, answered when it is not. The component has no {@code @Modified}: a configuration
     * change deactivates and reactivates it asynchronously, and polling until the behaviour
     * changes is what tells the restarted component from the old one.
     */
    private void awaitChapRequired(boolean required) throws Exception {
        ExternalTool probe = new ExternalTool(work, PROBE_TIMEOUT);
        long deadline = System.nanoTime() + PORTAL_TIMEOUT.toNanos();
        String last = "no attempt";
        while (System.nanoTime() < deadline) {
            if (portalAccepts()) {
                ExternalTool.Outcome o;
                try {
                    o = probe.execute("iscsi-ls", "iscsi://127.0.0.1:" + port + "/");
                } catch (AssertionError stuck) {
                    // The probe logged in to the old component just as it stopped and closed the
                    // session; libiscsi then waits to reconnect. Seen once: a failed attempt.
                    last = stuck.getMessage();
                    continue;
                }
                boolean refused = o.exit() != 0 && o.output().contains("Authentication failure");
                if (required ? refused : o.exit() == 0) {
                    return;
                }
                last = o.describe();
            } else {
                last = "127.0.0.1:" + port + " refuses TCP connections";
            }
            Thread.sleep(100);
        }
        fail("the iSCSI component did not come back with CHAP " + (required ? "required" : "off") + " within "
                + PORTAL_TIMEOUT.toSeconds() + " s; last attempt: " + last);
    }

    private static int count(String text, String lineRegex) {
        Matcher m = Pattern.compile(lineRegex, Pattern.MULTILINE).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /**
     * A configuration of the iSCSI component for the length of a try block: applied and waited
     * for, then deleted and waited out, so later tests see the defaults. A failure while restoring
     * is added to the test's own failure, not put in its place.
     */
    private static final class IscsiConfiguration implements AutoCloseable {
        private final IscsiInteropIT test;
        private final org.osgi.service.cm.Configuration configuration;

        private IscsiConfiguration(IscsiInteropIT test, org.osgi.service.cm.Configuration configuration) {
            this.test = test;
            this.configuration = configuration;
        }

        /** Applies {@code properties} (only CHAP settings are waited for) and waits until they are in force. */
        static IscsiConfiguration apply(IscsiInteropIT test, Dictionary<String, Object> properties) throws Exception {
            org.osgi.service.cm.Configuration configuration = test.configAdmin.getConfiguration(ISCSI_PID, null);
            IscsiConfiguration applied = new IscsiConfiguration(test, configuration);
            configuration.update(properties);
            try {
                test.awaitChapRequired(properties.get("chapUser") != null);
            } catch (Exception | AssertionError e) {
                try {
                    applied.close();
                } catch (Exception | AssertionError again) {
                    e.addSuppressed(again);
                }
                throw e;
            }
            return applied;
        }

        @Override
        public void close() throws Exception {
            configuration.delete();
            test.awaitChapRequired(false);
        }
    }
}
