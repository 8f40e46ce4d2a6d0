package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.jtgt.launcher.RbdGateways.Gateway;
import org.jtgt.testkit.CephCluster;
import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * libiscsi's whole suite across a gateway cluster: two launchers on 127.0.0.2 and 127.0.0.3
 * export one RBD image (512-byte blocks, so COMPARE AND WRITE is offered with one block) as the
 * same target and LUN, the second gateway an active/non-optimized follower, and
 * {@code iscsi-test-cu -d -t ALL URL_A URL_B} runs with gateway A's URL first and gateway B's
 * second: the persistent reservation families' second initiator and the multipath families'
 * second path go through gateway B. The full output is kept in
 * {@code target/rbd-gateway-conformance-it/iscsi-test-cu.txt}, the per-test lines of
 * {@code conformance/summarize-test-cu.sh} in {@code summary.txt} and the counts per family in
 * {@code families.txt}; the run fails on any FAILED test and names them, and on a test skipped
 * for another reason than those {@link #ACCEPTED_SKIPS} names.
 */
@Timeout(1200)
class RbdGatewayConformanceIT {
    private static final Path WORK = LauncherProcess.TARGET.resolve("rbd-gateway-conformance-it");
    private static final String IMAGE = "disk";
    /** Small: the suite's long tests walk the LUN's first and last blocks, not all of it. */
    private static final long SIZE = 64L << 20;
    private static final Pattern TOTALS = Pattern.compile("^(\\d+) passed, (\\d+) skipped, (\\d+) failed \\(of (\\d+)\\)$",
            Pattern.MULTILINE);
    /** A summary line: result, then the family (libiscsi's suite) before the first dot. */
    private static final Pattern RESULT = Pattern.compile("^(pass|skip|fail) +([^.:\\s]+)\\.", Pattern.MULTILINE);

    /**
     * The reasons a test may skip for: features this LUN honestly does not offer, as on
     * ConformanceIT's memory LUN (one logical block per physical block, not removable, writable,
     * no --allow-sanitize, WRITE SAME of 0 blocks), plus SPC-2 RESERVE/RELEASE, which a LUN whose
     * persistent reservations are shared across gateways does not offer.
     */
    private static final List<String> ACCEPTED_SKIPS = List.of("LBPPB < 2", "Logical unit is not removable",
            "Media is not removable", "Logical unit is not write-protected", "--allow-sanitize flag is not set",
            "does not support 0-blocks", "RESERVE6 is not implemented on target");

    @RegisterExtension
    final Processes processes = new Processes();

    @Test
    void libiscsiSuiteAcrossTwoGatewaysHasNoFailure() throws Exception {
        ExternalTool.require("iscsi-test-cu", "libiscsi-bin");
        ExternalTool.require("iscsi-inq", "libiscsi-bin");
        CephCluster.require();
        LauncherProcess.deleteTree(WORK);
        Files.createDirectories(WORK);
        try (CephCluster ceph = CephCluster.start(WORK.resolve("ceph"), RbdGateways.POOL)) {
            ceph.createImage(RbdGateways.POOL, IMAGE, SIZE);
            // libiscsi's reset tests send TARGET WARM/COLD RESET: the suite's initiators are allowed to
            List<String> jvm = List.of("-Djtgt.iscsi.targetResetInitiators=*");
            Gateway a = RbdGateways.start(processes, WORK, ceph, IMAGE, SIZE, 1, "follower=active/non-optimized", jvm);
            Gateway b = RbdGateways.start(processes, WORK, ceph, IMAGE, SIZE, 2, "follower=active/non-optimized", jvm);
            ExternalTool tools = new ExternalTool(WORK.resolve("tools"), Duration.ofSeconds(60));

            // one logical unit: the same identity through both gateways, two target ports
            String vpdA = tools.run("iscsi-inq", "-e", "1", "-c", "131", a.url());
            String vpdB = tools.run("iscsi-inq", "-e", "1", "-c", "131", b.url());
            assertEquals(naa(vpdA), naa(vpdB), vpdA + "\n" + vpdB);
            assertEquals(tools.run("iscsi-inq", "-e", "1", "-c", "128", a.url()),
                    tools.run("iscsi-inq", "-e", "1", "-c", "128", b.url()), "the same serial number");

            String[] command = {"iscsi-test-cu", "-d", "-t", "ALL", a.url(), b.url()};
            long t0 = System.nanoTime();
            ExternalTool.Outcome suite = new ExternalTool(WORK.resolve("tools"), Duration.ofSeconds(900))
                    .execute(command);
            long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
            Files.writeString(WORK.resolve("iscsi-test-cu.txt"), String.join(" ", command) + "\n" + suite.output(),
                    StandardCharsets.ISO_8859_1);
            String summary = ConformanceIT.summarize(suite.output());
            Files.writeString(WORK.resolve("summary.txt"), summary);
            Matcher totals = TOTALS.matcher(summary);
            assertTrue(totals.find(), "no totals line from summarize-test-cu.sh:\n" + summary);
            String families = families(summary);
            Files.writeString(WORK.resolve("families.txt"), families);
            System.out.println("RbdGatewayConformanceIT: " + String.join(" ", command) + "\nRbdGatewayConformanceIT: "
                    + totals.group() + " in " + seconds + " s\n" + families);

            // libiscsi opened both paths and found them one logical unit (the MultipathIO tests skip,
            // which fails below, when it has only one)
            assertTrue(suite.output().contains("found matching LU device identifier for all (2) paths"),
                    "libiscsi did not take the two gateways as two paths to one logical unit");
            String failed = summary.lines().filter(l -> l.startsWith("fail ")).collect(Collectors.joining("\n"));
            assertEquals("", failed, "iscsi-test-cu reported FAILED tests (" + totals.group() + "); full output in "
                    + WORK.resolve("iscsi-test-cu.txt"));
            String skipped = summary.lines().filter(l -> l.startsWith("skip "))
                    .filter(l -> ACCEPTED_SKIPS.stream().noneMatch(l::contains)).collect(Collectors.joining("\n"));
            assertEquals("", skipped, "tests skipped for a reason that is not a feature this LUN does not offer");
            a.launcher().stopCleanly();
            b.launcher().stopCleanly();
        }
    }

    /** "FAMILY passed/skipped/failed" for every family in the summary, in name order. */
    private static String families(String summary) {
        Map<String, int[]> counts = new TreeMap<>();
        Matcher m = RESULT.matcher(summary);
        while (m.find()) {
            int kind = switch (m.group(1)) {
                case "pass" -> 0;
                case "skip" -> 1;
                default -> 2;
            };
            counts.computeIfAbsent(m.group(2), k -> new int[3])[kind]++;
        }
        StringBuilder out = new StringBuilder("family passed/skipped/failed\n");
        counts.forEach((family, c) -> out.append(family).append(' ').append(c[0]).append('/').append(c[1]).append('/')
                .append(c[2]).append('\n'));
        return out.toString();
    }

    private static String naa(String vpd) {
        Matcher m = Pattern.compile("Designator Type:\\(3\\) NAA[^\\[]*?Designator:\\[([^\\]]*)\\]", Pattern.DOTALL)
                .matcher(vpd);
        assertTrue(m.find(), vpd);
        return m.group(1);
    }
}
