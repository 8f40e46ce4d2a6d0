package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jtgt.testkit.CephCluster;
import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two gateways: two jtgt processes on 127.0.0.2 and 127.0.0.3 export one RBD image under the
 * same target name and LUN (so the same NAA and serial), gateway B with {@code portalGroupTag = 2}
 * (its relative target port 2, A's 1). libiscsi's persistent reservation tests run with gateway
 * A's URL for the first initiator and gateway B's for the second: registrations, reservations,
 * PREEMPT and CLEAR made through one gateway are enforced and read through the other.
 */
@Timeout(1200)
class RbdGatewayPrIT {
    private static final Path WORK = LauncherProcess.TARGET.resolve("rbd-gateway-pr-it");
    private static final String TARGET = "iqn.2026-12.org.jtgt:gateways";
    private static final String POOL = "jtgt";
    private static final long SIZE = 64L << 20;
    /** libiscsi's persistent reservation families. */
    private static final String[] FAMILIES = {"SCSI.PrinReadKeys", "SCSI.PrinServiceactionRange",
        "SCSI.PrinReportCapabilities", "SCSI.ProutRegister", "SCSI.ProutReserve", "SCSI.ProutClear", "SCSI.ProutPreempt"};
    private static final Pattern PASSED = Pattern.compile("Run Summary.*?tests\\s+\\d+\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)",
            Pattern.DOTALL);

    @RegisterExtension
    final Processes processes = new Processes();

    private LauncherProcess gateway(String name, String address, int portalGroupTag, String clusterOptions)
            throws Exception {
        Path config = WORK.resolve(name);
        Files.createDirectories(config.resolve("etc"));
        Files.writeString(config.resolve("targets.conf"), "target 1 " + TARGET + "\n"
                + "lun 1 0 rbd " + POOL + "/disk size=" + SIZE + " blocksize=512 " + clusterOptions + "\n");
        Files.writeString(config.resolve("etc").resolve("org.jtgt.iscsi.cfg"), "portalGroupTag = " + portalGroupTag + "\n");
        LauncherProcess p = LauncherProcess.start(List.of("-Djtgt.default.target.size=67108864"), "--config",
                config.toString(), "--portal", address + ":0");
        processes.add(p.process);
        p.output.await(LauncherProcess.STARTED, 120);
        return p;
    }

    @Test
    void libiscsiPersistentReservationTestsPassAcrossTwoGateways() throws Exception {
        ExternalTool.require("iscsi-test-cu", "libiscsi-bin");
        CephCluster.require();
        LauncherProcess.deleteTree(WORK);
        Files.createDirectories(WORK);
        try (CephCluster ceph = CephCluster.start(WORK.resolve("ceph"), POOL)) {
            ceph.createImage(POOL, "disk", SIZE);
            String clusterOptions = "conf=" + ceph.conf() + " keyring=" + ceph.adminKeyring() + " id=" + ceph.clientId();
            LauncherProcess a = gateway("a", "127.0.0.2", 1, clusterOptions);
            LauncherProcess b = gateway("b", "127.0.0.3", 2, clusterOptions);
            String urlA = "iscsi://127.0.0.2:" + port(a, "127.0.0.2") + "/" + TARGET + "/0";
            String urlB = "iscsi://127.0.0.3:" + port(b, "127.0.0.3") + "/" + TARGET + "/0";
            ExternalTool tools = new ExternalTool(WORK.resolve("tools"), Duration.ofSeconds(60));

            // one logical unit: the same identity through both gateways, two target ports
            String vpdA = tools.run("iscsi-inq", "-e", "1", "-c", "131", urlA);
            String vpdB = tools.run("iscsi-inq", "-e", "1", "-c", "131", urlB);
            assertEquals(naa(vpdA), naa(vpdB), vpdA + "\n" + vpdB);
            assertEquals(designator(vpdA, 1), designator(vpdB, 1), "T10 vendor identification");
            String serialA = tools.run("iscsi-inq", "-e", "1", "-c", "128", urlA);
            assertEquals(serialA, tools.run("iscsi-inq", "-e", "1", "-c", "128", urlB));

            ExternalTool suite = new ExternalTool(WORK.resolve("tools"), Duration.ofSeconds(400));
            StringBuilder all = new StringBuilder();
            int ran = 0;
            for (String family : FAMILIES) {
                long t0 = System.nanoTime();
                ExternalTool.Outcome cu = suite.execute("iscsi-test-cu", "-d", "-V", "-t", family, urlA, urlB);
                String record = family + ": " + (System.nanoTime() - t0) / 1_000_000 + " ms\n" + cu.output() + "\n";
                all.append(record);
                Files.writeString(WORK.resolve("iscsi-test-cu.txt"), all.toString());
                Matcher m = PASSED.matcher(cu.output());
                assertTrue(m.find(), cu.describe());
                assertEquals("0", m.group(3), family + " failed:\n" + cu.describe());
                assertFalse(cu.output().contains("FAILED"), cu.describe());
                // the second initiator's session goes to gateway B (libiscsi says which device it took)
                assertFalse(cu.output().contains("cloning sd1 for second session"), cu.describe());
                ran += Integer.parseInt(m.group(1));
            }
            assertTrue(ran >= FAMILIES.length, "tests ran: " + ran);
            assertTrue(all.indexOf("using multipath dev for second session") >= 0, "no second session through B");

            a.stopCleanly();
            b.stopCleanly();
        }
    }

    private static int port(LauncherProcess p, String address) throws InterruptedException {
        Pattern portal = Pattern.compile("iSCSI portal listening on " + Pattern.quote(address) + ":(\\d+)");
        Matcher m = portal.matcher(p.output.await(portal, 10));
        assertTrue(m.find());
        return Integer.parseInt(m.group(1));
    }

    /** The text iscsi-inq shows for the first designator of {@code type} (binary ones as raw characters). */
    private static String designator(String vpd, int type) {
        Matcher m = Pattern.compile("Designator Type:\\(" + type + "\\)[^\\[]*?Designator:\\[([^\\]]*)\\]", Pattern.DOTALL)
                .matcher(vpd);
        assertTrue(m.find(), vpd);
        return m.group(1);
    }

    private static String naa(String vpd) {
        Matcher m = Pattern.compile("Designator Type:\\(3\\) NAA[^\\[]*?Designator:\\[([^\\]]*)\\]", Pattern.DOTALL)
                .matcher(vpd);
        assertTrue(m.find(), vpd);
        return m.group(1);
    }
}
