package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Real initiators nobody here wrote, run as external processes with a bounded run time: libiscsi's
 * utilities and conformance suite, and QEMU's iSCSI block driver (Debian's libiscsi-bin,
 * qemu-utils, qemu-block-extra). A failure carries the tool's own output. Without the tools the
 * tests are skipped, unless the environment says CI=true, where a missing tool is a failure.
 */
@Timeout(600)
class InteropTest {
    private static final long LUN_BYTES = 64L << 20;
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(120);
    private static final Path WORK = Paths.get("target", "interop");

    private static IscsiFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        Files.createDirectories(WORK);
        fixture = new IscsiFixture(LUN_BYTES);
    }

    @AfterAll
    static void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    // ------------------------------------------------------------------ libiscsi utilities

    @Test
    void iscsiLsListsTheTargetAndItsLun() throws Exception {
        require("iscsi-ls", "libiscsi-bin");
        String out = run("iscsi-ls", "-s", "iscsi://127.0.0.1:" + fixture.port + "/");
        assertTrue(out.contains("Target:" + IscsiFixture.TARGET + " Portal:127.0.0.1:" + fixture.port + ",1"), out);
        assertTrue(Pattern.compile("Lun:0\\s+Type:DIRECT_ACCESS").matcher(out).find(), out);
    }

    @Test
    void iscsiInqAnswers() throws Exception {
        require("iscsi-inq", "libiscsi-bin");
        String out = run("iscsi-inq", fixture.url());
        assertTrue(out.contains("Peripheral Device Type:DIRECT_ACCESS"), out);
        assertTrue(out.contains("Vendor:"), out);
        String vpd = run("iscsi-inq", "-e", "1", "-c", "128", fixture.url());
        assertTrue(vpd.toLowerCase().contains("serial"), vpd);
    }

    @Test
    void iscsiReadCapacity16Answers() throws Exception {
        require("iscsi-readcapacity16", "libiscsi-bin");
        String out = run("iscsi-readcapacity16", fixture.url());
        assertTrue(out.contains("LOGICAL BLOCK LENGTH IN BYTES:512"), out);
        assertTrue(out.contains("RETURNED LOGICAL BLOCK ADDRESS:" + (LUN_BYTES / 512 - 1)), out);
        assertTrue(out.contains("Total size:" + LUN_BYTES), out);
    }

    // ------------------------------------------------------------------ QEMU

    @Test
    void qemuIoWritesAndVerifiesPatternsAlignedAndUnaligned() throws Exception {
        require("qemu-io", "qemu-utils and qemu-block-extra");
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
        cmd.add(fixture.url());
        String out = run(cmd.toArray(new String[0]));
        assertFalse(out.contains("Pattern verification failed"), out);
        assertFalse(out.toLowerCase().contains("error"), out);
        assertEquals(writes.length, count(out, "^wrote "), out);
        assertEquals(writes.length + 1, count(out, "^read "), out);
    }

    @Test
    void qemuImgConvertRoundTripsARandomImage() throws Exception {
        require("qemu-img", "qemu-utils and qemu-block-extra");
        byte[] image = new byte[32 << 20];
        new Random(42).nextBytes(image);
        Path in = WORK.resolve("random.img");
        Path out = WORK.resolve("back.img");
        Files.write(in, image);
        Files.deleteIfExists(out);
        try {
            run("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", in.toString(), fixture.url());
            run("qemu-img", "convert", "-f", "raw", "-O", "raw", fixture.url(), out.toString());
            byte[] back = Files.readAllBytes(out);
            assertEquals(LUN_BYTES, back.length);
            assertArrayEquals(image, Arrays.copyOf(back, image.length), "the image read back differs");
            String info = run("qemu-img", "info", fixture.url());
            assertTrue(info.contains("virtual size: 64 MiB"), info);
        } finally {
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
        }
    }

    @Test
    void qemuWithHeaderDigests() throws Exception {
        require("qemu-io", "qemu-utils and qemu-block-extra");
        String out = run("qemu-io", "--image-opts", "-c", "write -P 0x42 4096 300000", "-c", "read -P 0x42 4096 300000",
                "driver=iscsi,transport=tcp,portal=127.0.0.1:" + fixture.port + ",target=" + IscsiFixture.TARGET
                        + ",lun=0,header-digest=crc32c");
        assertFalse(out.contains("Pattern verification failed"), out);
        assertTrue(out.contains("read 300000/300000"), out);
    }

    // ------------------------------------------------------------------ CHAP and ACL

    @Test
    void chapRightSecretWorksWrongSecretFailsAndMutualChapIsAnswered() throws Exception {
        require("iscsi-ls", "libiscsi-bin");
        try (IscsiFixture chap = new IscsiFixture(8 << 20, Map.of("chapUser", "alice", "chapSecret", "alice-secret-123",
                "mutualChapUser", "jtgt", "mutualChapSecret", "target-secret-456"))) {
            String base = "127.0.0.1:" + chap.port;
            String ok = run("iscsi-ls", "-s", "iscsi://alice%alice-secret-123@" + base + "/");
            assertTrue(ok.contains("Target:" + IscsiFixture.TARGET), ok);
            assertTrue(ok.contains("Lun:0"), ok);

            Outcome wrong = execute("iscsi-ls", "-s", "iscsi://alice%wrong-secret-12@" + base + "/");
            assertTrue(wrong.exit != 0, wrong.output);
            assertTrue(wrong.output.contains("Authentication failure"), wrong.output);

            Outcome none = execute("iscsi-inq", "iscsi://" + base + "/" + IscsiFixture.TARGET + "/0");
            assertTrue(none.exit != 0, none.output);
            assertTrue(none.output.contains("Authentication failure"), none.output);

            String mutual = run("iscsi-inq", "iscsi://alice%alice-secret-123@" + base + "/" + IscsiFixture.TARGET
                    + "/0?target_user=jtgt&target_password=target-secret-456");
            assertTrue(mutual.contains("Peripheral Device Type:DIRECT_ACCESS"), mutual);

            // The initiator checks the target's answer: a target that does not know the secret it
            // expects is refused by the initiator.
            Outcome badMutual = execute("iscsi-inq", "iscsi://alice%alice-secret-123@" + base + "/" + IscsiFixture.TARGET
                    + "/0?target_user=jtgt&target_password=another-secret-7");
            assertTrue(badMutual.exit != 0, badMutual.output);
            assertTrue(badMutual.output.contains("Invalid CHAP_R"), badMutual.output);
        }
    }

    @Test
    void anInitiatorOutsideTheAclCanNeitherSeeNorOpenTheTarget() throws Exception {
        require("iscsi-ls", "libiscsi-bin");
        fixture.daemon.setAcl(IscsiFixture.TARGET, List.of("iqn.2026-11.org.jtgt:allowed"));
        try {
            String hidden = run("iscsi-ls", "-i", "iqn.2026-11.org.jtgt:stranger", "iscsi://127.0.0.1:" + fixture.port + "/");
            assertFalse(hidden.contains(IscsiFixture.TARGET), hidden);
            Outcome denied = execute("iscsi-inq", "-i", "iqn.2026-11.org.jtgt:stranger", fixture.url());
            assertTrue(denied.exit != 0, denied.output);
            assertTrue(denied.output.contains("Authorization failure"), denied.output);
            String allowed = run("iscsi-ls", "-i", "iqn.2026-11.org.jtgt:allowed", "iscsi://127.0.0.1:" + fixture.port + "/");
            assertTrue(allowed.contains(IscsiFixture.TARGET), allowed);
        } finally {
            fixture.daemon.setAcl(IscsiFixture.TARGET, List.of());
        }
    }

    // ------------------------------------------------------------------ conformance

    @Test
    void libiscsiConformanceCmdSn() throws Exception {
        conformance("iSCSI.iSCSIcmdsn", 2);
    }

    @Test
    void libiscsiConformanceDataSn() throws Exception {
        conformance("iSCSI.iSCSIdatasn", 1);
    }

    @Test
    void libiscsiConformanceResiduals() throws Exception {
        conformance("iSCSI.iSCSIResiduals", 10);
    }

    @Test
    void libiscsiConformanceTaskManagement() throws Exception {
        conformance("iSCSI.iSCSITMF", 2);
    }

    private void conformance(String family, int expectedTests) throws Exception {
        require("iscsi-test-cu", "libiscsi-bin");
        Outcome o = execute("iscsi-test-cu", "-d", "-t", family, fixture.url());
        Matcher m = Pattern.compile("tests\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)").matcher(o.output);
        assertTrue(m.find(), "no CUnit summary:\n" + o.output);
        int ran = Integer.parseInt(m.group(2));
        int passed = Integer.parseInt(m.group(3));
        int failed = Integer.parseInt(m.group(4));
        assertEquals(expectedTests, ran, o.output);
        assertEquals(0, failed, o.output);
        assertEquals(ran, passed, o.output);
        // A test that prints [SKIPPED] did not test anything: only the daemon gaps above may.
        // (Suite set-up probes print [SKIPPED] lines too: only a test's own output counts, from
        // "Test: NAME ..." to its result.)
        String[] blocks = o.output.split("\n\\s*Test: ");
        Pattern result = Pattern.compile("(?:\\.\\.\\.|\n)(passed|FAILED)");
        for (int i = 1; i < blocks.length; i++) {
            String name = blocks[i].split("\\s")[0];
            Matcher end = result.matcher(blocks[i]);
            String own = end.find() ? blocks[i].substring(0, end.start()) : blocks[i];
            if (own.contains("[SKIPPED]")) {
                fail(family + ": test " + name + " was skipped:\n" + o.output);
            }
        }
    }

    // ------------------------------------------------------------------ process plumbing

    record Outcome(int exit, String output) {
    }

    private static void require(String tool, String debianPackage) {
        boolean found = false;
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (Files.isExecutable(Paths.get(dir, tool))) {
                found = true;
                break;
            }
        }
        if (!found) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(tool + " not found: " + debianPackage + " not installed");
            }
            Assumptions.abort(tool + " not found (" + debianPackage + " not installed)");
        }
    }

    /** Runs a tool, expecting exit status 0; returns its output (stdout and stderr). */
    private static String run(String... command) throws Exception {
        Outcome o = execute(command);
        if (o.exit != 0) {
            fail(String.join(" ", command) + " exited with " + o.exit + ":\n" + o.output);
        }
        return o.output;
    }

    private static Outcome execute(String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile(WORK, "tool-", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("TMPDIR", WORK.toAbsolutePath().toString());
            Process p = pb.start();
            p.getOutputStream().close();
            if (!p.waitFor(TOOL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                fail(String.join(" ", command) + " did not finish within " + TOOL_TIMEOUT.toSeconds() + " s:\n"
                        + Files.readString(log, StandardCharsets.ISO_8859_1));
            }
            return new Outcome(p.exitValue(), Files.readString(log, StandardCharsets.ISO_8859_1));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static int count(String text, String lineRegex) {
        Matcher m = Pattern.compile(lineRegex, Pattern.MULTILINE).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
