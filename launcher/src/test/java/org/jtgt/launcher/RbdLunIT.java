package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.jtgt.testkit.CephCluster;
import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * LUNs on Ceph RBD images in the packaged launcher: a one-node cluster under target/
 * ({@link CephCluster}), jtgt started on a {@code targets.conf} with an rbd LUN; QEMU writes a
 * pattern through iSCSI and reads it back through its own rbd driver, and the other way round;
 * jtgtadm makes a second rbd LUN with the cluster options in {@code --params} and refuses a
 * missing image with the reason; Block Limits reports COMPARE AND WRITE within Ceph 16.2's
 * one-sector atomic operation.
 */
@Timeout(900)
class RbdLunIT {
    private static final Path WORK = LauncherProcess.TARGET.resolve("rbd-lun-it");
    private static final String TARGET = "iqn.2026-12.org.jtgt:rbd-lun-it";
    private static final String POOL = "jtgt";
    private static final long SIZE = 64L << 20;

    @RegisterExtension
    final Processes processes = new Processes();

    @Test
    void qemuSeesTheSameBytesThroughIscsiAndThroughRbd() throws Exception {
        ExternalTool.require("qemu-io", "qemu-utils and qemu-block-extra");
        ExternalTool.require("iscsi-inq", "libiscsi-bin");
        CephCluster.require();
        LauncherProcess.deleteTree(WORK);
        Files.createDirectories(WORK);
        ExternalTool tools = new ExternalTool(WORK.resolve("tools"), Duration.ofSeconds(60));
        try (CephCluster ceph = CephCluster.start(WORK.resolve("ceph"), POOL)) {
            ceph.createImage(POOL, "disk", SIZE);
            ceph.createImage(POOL, "disk2", SIZE / 2);
            String clusterOptions = "conf=" + ceph.conf() + " keyring=" + ceph.adminKeyring() + " id=" + ceph.clientId();
            Path config = WORK.resolve("config");
            Files.createDirectories(config);
            Files.writeString(config.resolve("targets.conf"), "target 1 " + TARGET + "\n"
                    + "lun 1 0 rbd " + POOL + "/disk size=" + SIZE + " blocksize=512 " + clusterOptions + "\n");
            LauncherProcess launcher = LauncherProcess.startOn(config);
            processes.add(launcher.process);
            String control = config.resolve("control.sock").toString();
            String iscsi = "iscsi://127.0.0.1:" + launcher.iscsiPort() + "/" + TARGET + "/0";
            String rbd = ceph.qemuRbdUrl(POOL, "disk");

            String shown = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "target");
            assertTrue(shown.contains("Backing store: rbd " + POOL + "/disk"), shown);

            // iSCSI → rbd
            String w = tools.run("qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 1M", iscsi);
            assertTrue(w.contains("wrote 1048576/1048576 bytes"), w);
            String r = tools.run("qemu-io", "-f", "raw", "-c", "read -P 0x5a 0 1M", rbd);
            assertTrue(r.contains("read 1048576/1048576 bytes"), r);
            assertFalse(r.contains("Pattern verification failed"), r);

            // rbd → iSCSI (the exclusive lock moves to QEMU's client and back)
            w = tools.run("qemu-io", "-f", "raw", "-c", "write -P 0xa5 1M 1M", rbd);
            assertTrue(w.contains("wrote 1048576/1048576 bytes"), w);
            r = tools.run("qemu-io", "-f", "raw", "-c", "read -P 0xa5 1M 1M", "-c", "read -P 0x5a 0 1M", iscsi);
            assertEquals(2, count(r, "read 1048576/1048576 bytes"), r);
            assertFalse(r.contains("Pattern verification failed"), r);

            // Block Limits: COMPARE AND WRITE of one 512-byte block, rbd's atomic limit on 16.2
            String limits = tools.run("iscsi-inq", "-e", "1", "-c", "176", iscsi);
            assertTrue(limits.contains("maximum compare and write length:1\n"), limits);

            // jtgtadm: a second rbd LUN with the cluster in --params, a missing image refused
            String params = clusterOptions.replace(' ', ',');
            String made = LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "logicalunit", "--tid", "1",
                    "--lun", "1", "--bstype", "rbd", "-b", POOL + "/disk2", "--params", params);
            assertTrue(made.contains("target 1 LUN 1: " + SIZE / 2 + " bytes"), made);
            String missing = LauncherProcess.jtgtadmAt(control, 1, "--op", "new", "--mode", "logicalunit", "--tid",
                    "1", "--lun", "2", "--bstype", "rbd", "-b", POOL + "/nosuch", "--params", params);
            assertTrue(missing.contains("no such image in pool " + POOL), missing);
            String conf = Files.readString(config.resolve("targets.conf"));
            assertTrue(conf.contains("lun 1 1 rbd " + POOL + "/disk2 size=" + SIZE / 2), conf);
            String w2 = tools.run("qemu-io", "-f", "raw", "-c", "write -P 0x3c 0 64k",
                    "iscsi://127.0.0.1:" + launcher.iscsiPort() + "/" + TARGET + "/1");
            assertTrue(w2.contains("wrote 65536/65536 bytes"), w2);
            r = tools.run("qemu-io", "-f", "raw", "-c", "read -P 0x3c 0 64k", ceph.qemuRbdUrl(POOL, "disk2"));
            assertFalse(r.contains("Pattern verification failed"), r);

            // libiscsi's own tests of what the store does itself: COMPARE AND WRITE (rbd's atomic
            // operation, its miscompare offset), UNMAP and WRITE SAME with UNMAP (write zeroes)
            ExternalTool.require("iscsi-test-cu", "libiscsi-bin");
            ExternalTool suite = new ExternalTool(WORK.resolve("tools"), Duration.ofSeconds(240));
            for (String family : new String[] {"ALL.CompareAndWrite", "ALL.Unmap", "ALL.WriteSame16"}) {
                long t0 = System.nanoTime();
                ExternalTool.Outcome cu = suite.execute("iscsi-test-cu", "-d", "-t", family, iscsi);
                Files.writeString(WORK.resolve(family + ".txt"), cu.output() + "\n" + (System.nanoTime() - t0) / 1_000_000
                        + " ms\n");
                assertFalse(cu.output().contains("FAILED"), cu.describe());
                assertTrue(cu.output().contains("passed"), cu.describe());
            }

            launcher.stopCleanly();
            assertFalse(launcher.output.text().contains("(skipped; in "), launcher.output.text());
        }
    }

    /**
     * Without librbd (hidden here under /dev/null in a mount namespace of the launcher's own, as
     * root; on a machine without Ceph it is simply not there) jtgt starts as always and serves its
     * default LUN; an rbd LUN is refused with the reason.
     */
    @Test
    void withoutLibrbdJtgtStartsAndRefusesRbdLuns() throws Exception {
        ExternalTool.require("iscsi-inq", "libiscsi-bin");
        Path work = LauncherProcess.TARGET.resolve("rbd-lun-it-nolib");
        LauncherProcess.deleteTree(work);
        Path config = work.resolve("config");
        Files.createDirectories(config);
        java.util.List<String> wrapper = java.util.List.of();
        for (String dir : new String[] {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"}) {
            Path librbd = Path.of(dir, "librbd.so.1");
            if (Files.exists(librbd)) {
                ExternalTool.require("unshare", "util-linux");
                wrapper = java.util.List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
                        "mount --bind /dev/null \"$0\" || exit 97; exec \"$@\"", librbd.toString());
                break;
            }
        }
        LauncherProcess launcher = LauncherProcess.startWrapped(wrapper,
                java.util.List.of("-Djtgt.default.target.size=67108864"), "--config", config.toString(), "--portal",
                "127.0.0.1:0");
        processes.add(launcher.process);
        Thread.sleep(500);
        if (!launcher.process.isAlive() && launcher.process.exitValue() == 97 || launcher.output.text().contains("unshare: ")) {
            String why = "cannot hide librbd in a mount namespace here (not root?):\n" + launcher.output.text();
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                org.junit.jupiter.api.Assertions.fail(why);
            }
            org.junit.jupiter.api.Assumptions.abort(why);
        }
        launcher.output.await(LauncherProcess.STARTED, 120);
        String control = config.resolve("control.sock").toString();
        String inq = new ExternalTool(work.resolve("tools"), Duration.ofSeconds(60)).run("iscsi-inq",
                "iscsi://127.0.0.1:" + launcher.iscsiPort() + "/iqn.2026-11.org.jtgt:default/0");
        assertTrue(inq.contains("DIRECT_ACCESS"), inq);
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "target", "--tid", "1", "-T", TARGET);
        String refused = LauncherProcess.jtgtadmAt(control, 1, "--op", "new", "--mode", "logicalunit", "--tid", "1",
                "--lun", "0", "--bstype", "rbd", "-b", POOL + "/disk");
        assertTrue(refused.contains("librbd/librados not usable here"), refused);
        assertTrue(launcher.output.text().contains("rbd stores unavailable"), launcher.output.text());
        launcher.stopCleanly();
    }

    private static int count(String text, String what) {
        return text.split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }
}
