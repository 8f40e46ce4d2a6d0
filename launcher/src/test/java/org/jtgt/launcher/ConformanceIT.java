package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * libiscsi's whole conformance suite against the launcher, as CI must run it: {@code iscsi-test-cu
 * -d -t ALL} (destructive tests included) on the default target's LUN, with one URL per portal so
 * the multipath tests have their second path. The output goes through
 * {@code conformance/summarize-test-cu.sh}, whose per-test lines and totals are printed and kept in
 * {@code target/conformance-it/summary.txt}.
 *
 * <p>The run fails on any FAILED test, and on any test listed in {@code conformance/passing.txt}
 * (the tests that passed when the list was last written) that does not pass now: a test that
 * starts to skip is a regression too. When more tests pass, add them to the list
 * ({@code grep '^pass' target/conformance-it/summary.txt | cut -c7-}). A second run covers the
 * families that need a 512e LUN ({@code conformance/passing-512e.txt}, from
 * {@code target/conformance-it/512e/summary.txt}).
 */
@Timeout(600)
class ConformanceIT {
    private static final Path WORK = LauncherProcess.TARGET.resolve("conformance-it");
    private static final Path CONFORMANCE = LauncherProcess.TARGET.getParent().getParent().resolve("conformance");
    private static final Pattern PORTAL = Pattern.compile("iSCSI portal listening on (127\\.0\\.0\\.1:\\d+)");
    private static final Pattern TOTALS = Pattern.compile("^(\\d+) passed, (\\d+) skipped, (\\d+) failed \\(of (\\d+)\\)$",
            Pattern.MULTILINE);
    private static final String TARGET_IQN = "iqn.2026-11.org.jtgt:default";
    /** The LUN the suite runs on: thin, 256 MiB, as in the side-by-side script. */
    private static final long LUN_SIZE = 256L << 20;

    private LauncherProcess launcher;

    @AfterEach
    void stop() throws InterruptedException {
        if (launcher != null && launcher.process.isAlive()) {
            launcher.process.destroyForcibly();
            launcher.process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void libiscsiSuiteHasNoFailureAndNoRegression() throws Exception {
        run(WORK, List.of(), "ALL", "passing.txt");
    }

    /**
     * The families whose tests need more than one logical block per physical block (they skip
     * with "LBPPB &lt; 2" on the default LUN) on a 512e LUN: 512-byte logical blocks on
     * 4096-byte physical blocks. Not the whole suite: GetLBAStatus.UnmapSingle asks for the
     * status of LBA i + 1 and wants the first descriptor to start at i + LBPPB, which SBC-3
     * (GET LBA STATUS: the first descriptor contains the starting LBA) forbids once LBPPB &gt; 1;
     * that is why the default LUN keeps one logical block per physical block.
     */
    @Test
    void physicalBlockFamiliesOn512e() throws Exception {
        run(WORK.resolve("512e"), List.of("-Djtgt.default.target.physicalblocksize=4096"),
                "SCSI.CompareAndWrite.*,SCSI.WriteSame10.*,SCSI.WriteSame16.*,SCSI.Unmap.*,SCSI.ReadCapacity16.*,"
                        + "SCSI.Inquiry.*,SCSI.ModeSense6.*",
                "passing-512e.txt");
    }

    /** The removable-medium families (they skip on the default LUN, which is not removable). */
    @Test
    void removableMediumFamiliesOnARemovableLun() throws Exception {
        run(WORK.resolve("removable"), List.of("-Djtgt.default.target.removable=true"),
                "SCSI.PreventAllow.*,SCSI.StartStopUnit.*", "passing-removable.txt");
    }

    /** The write-protect family (it skips on the default LUN, which is writable). */
    @Test
    void writeProtectFamilyOnAReadOnlyLun() throws Exception {
        run(WORK.resolve("readonly"), List.of("-Djtgt.default.target.readonly=true"), "SCSI.ReadOnly.*",
                "passing-readonly.txt");
    }

    /**
     * The I/O and task management families on a file LUN, whose commands run on the LUN's store
     * workers: an ABORT TASK or a reset may then meet a command that is really running, which
     * the memory LUN (answered on the receiving thread) never shows. The launcher's default
     * target is off; {@code targets.conf} exports a thin 64 MiB file under {@code target/}, so
     * the UNMAP and GET LBA STATUS families run against holes punched in a real file.
     */
    @Test
    void ioAndTaskManagementFamiliesOnAFileLun() throws Exception {
        Path work = WORK.resolve("file");
        Path config = work.resolve("config");
        Files.createDirectories(config);
        Path image = work.resolve("lun0.img");
        try (var f = java.nio.channels.FileChannel.open(image, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
            f.write(java.nio.ByteBuffer.allocate(1), (64L << 20) - 1);
        }
        Files.writeString(config.resolve("targets.conf"), "target 1 " + TARGET_IQN + "\n"
                + "lun 1 0 file " + image + " size=" + (64L << 20) + " blocksize=512 thin=1\n"
                + "acl 1 ALL\n");
        run(work, List.of("-Djtgt.default.target.enabled=false"),
                "iSCSI.iSCSITMF.*,SCSI.Read10.*,SCSI.Read16.*,SCSI.Write10.*,SCSI.Write16.*,SCSI.Verify10.*,"
                        + "SCSI.WriteVerify10.*,SCSI.CompareAndWrite.*,SCSI.OrWrite.*,SCSI.SynchronizeCache10.*,"
                        + "SCSI.WriteSame10.*,SCSI.WriteSame16.*,SCSI.Unmap.*,SCSI.GetLBAStatus.*,SCSI.TestUnitReady.*,"
                        + "SCSI.ReadCapacity16.*,SCSI.PersistentReserveIn.*",
                "passing-file.txt");
    }

    /**
     * Starts the launcher with {@code jvmOptions} and two portals, runs {@code iscsi-test-cu -d -t
     * tests} on LUN 0 through both, and checks that nothing failed and that every test the file
     * {@code expected} in {@code conformance/} lists passed.
     */
    private void run(Path work, List<String> jvmOptions, String tests, String expected) throws Exception {
        ExternalTool.require("iscsi-test-cu", "libiscsi-bin");
        Files.createDirectories(work);
        // libiscsi's reset tests send TARGET WARM/COLD RESET: the suite's initiators are allowed to.
        List<String> jvm = new ArrayList<>(List.of("-Djtgt.default.target.size=" + LUN_SIZE,
                "-Djtgt.iscsi.targetResetInitiators=*"));
        jvm.addAll(jvmOptions);
        launcher = LauncherProcess.start(jvm,
                "--config", work.resolve("config").toString(), "--portal", "127.0.0.1:0,127.0.0.1:0");
        launcher.output.await(Pattern.compile("jtgt started: \\d+ bundles active"), 120);
        List<String> command = new ArrayList<>(List.of("iscsi-test-cu", "-d", "-t", tests));
        List<String> portals = portals(launcher.output.text());
        assertEquals(2, portals.size(), "two portals, two paths for the multipath tests: " + portals);
        for (String portal : portals) {
            command.add("iscsi://" + portal + "/" + TARGET_IQN + "/0");
        }

        ExternalTool tools = new ExternalTool(work, Duration.ofSeconds(480));
        ExternalTool.Outcome suite = tools.execute(command.toArray(new String[0]));
        Files.writeString(work.resolve("iscsi-test-cu.txt"), suite.output(), StandardCharsets.ISO_8859_1);
        String summary = summarize(suite.output());
        Files.writeString(work.resolve("summary.txt"), summary);

        Matcher totals = TOTALS.matcher(summary);
        assertTrue(totals.find(), "no totals line from summarize-test-cu.sh:\n" + summary);
        System.out.println("ConformanceIT: " + String.join(" ", jvmOptions) + " " + String.join(" ", command)
                + "\nConformanceIT: " + totals.group());
        String failed = summary.lines().filter(l -> l.startsWith("fail ")).collect(Collectors.joining("\n"));
        Set<String> passed = summary.lines().filter(l -> l.startsWith("pass "))
                .map(l -> l.substring(5).strip()).collect(Collectors.toSet());
        List<String> regressed = new ArrayList<>();
        for (String name : expectedToPass(expected)) {
            if (!passed.contains(name)) {
                regressed.add(summary.lines().filter(l -> l.endsWith(" " + name) || l.contains(" " + name + ":"))
                        .findFirst().orElse("absent " + name));
            }
        }
        assertEquals("", failed, "iscsi-test-cu reported FAILED tests (" + totals.group() + "); full output in "
                + work.resolve("iscsi-test-cu.txt"));
        assertTrue(regressed.isEmpty(), "tests listed in conformance/" + expected + " no longer pass:\n"
                + String.join("\n", regressed));
        assertFalse(launcher.output.text().contains(" ERROR "), launcher.output.text());
    }

    /** Every portal the launcher says it listens on, in the order it says so. */
    private static List<String> portals(String log) {
        Set<String> portals = new LinkedHashSet<>();
        Matcher m = PORTAL.matcher(log);
        while (m.find()) {
            portals.add(m.group(1));
        }
        if (portals.isEmpty()) {
            fail("the launcher named no iSCSI portal:\n" + log);
        }
        return new ArrayList<>(portals);
    }

    /** The suite's output through {@code conformance/summarize-test-cu.sh}. */
    static String summarize(String output) throws Exception {
        Path script = CONFORMANCE.resolve("summarize-test-cu.sh");
        Process p = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true).start();
        Thread feeder = new Thread(() -> {
            try (var in = p.getOutputStream()) {
                in.write(output.getBytes(StandardCharsets.ISO_8859_1));
            } catch (java.io.IOException e) {
                // the script ended early; its own output says why
            }
        }, "summarize-feeder");
        feeder.start();
        String summary = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "summarize-test-cu.sh did not finish");
        feeder.join();
        return summary;
    }

    /** Test names from a list in {@code conformance/}: one per line, {@code #} comments. */
    private static List<String> expectedToPass(String file) throws Exception {
        return Files.readAllLines(CONFORMANCE.resolve(file)).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }
}
