package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A thin file LUN on a file system that really fills up, end to end: jtgt runs in a mount
 * namespace of its own ({@code unshare -m}, as root) with an 8 MiB tmpfs, and jtgtadm makes a
 * 16 MiB file LUN there with {@code softthreshold=25}. QEMU writes through libiscsi: past 4 MiB in
 * use the soft threshold is reached (the log says so, and QEMU meets THIN PROVISIONING SOFT
 * THRESHOLD REACHED as a unit attention and retries); when the tmpfs is full its write fails with
 * ENOSPC, which is how QEMU reports DATA PROTECT, SPACE ALLOCATION FAILED WRITE PROTECT; what was
 * written still reads back, and after a discard (UNMAP punches holes, giving the tmpfs its space
 * back) the refused write succeeds. The tmpfs goes with the namespace when jtgt stops.
 *
 * <p>Needs root, {@code unshare}, qemu-io and libiscsi's tools; without them the test is skipped,
 * except with {@code CI=true}, where it fails.
 */
@Timeout(240)
class FullFileLunIT {
    private static final Path WORK = LauncherProcess.TARGET.resolve("full-file-lun-it");
    private static final String TARGET = "iqn.2026-11.org.jtgt:full-file-lun-it";
    private static final Pattern THRESHOLD = Pattern.compile("Target " + Pattern.quote(TARGET)
            + " LUN 0: soft threshold reached");

    /** How QEMU (through libiscsi) reports the unit attention it retries after. */
    private static final String SOFT_THRESHOLD_UA = "iSCSI CheckCondition: SENSE KEY:UNIT_ATTENTION(6) "
            + "ASCQ:THIN PROVISIONING SOFT THRESHOLD REACHED(0x3807)";

    private static int count(String text, String what) {
        return text.split(Pattern.quote(what), -1).length - 1;
    }

    @RegisterExtension
    final Processes processes = new Processes();

    @Test
    void aFullFileSystemAnswersSpaceAllocationFailedAfterTheSoftThresholdAndWritesAgainOnceSpaceReturns()
            throws Exception {
        ExternalTool.require("unshare", "util-linux");
        ExternalTool.require("qemu-io", "qemu-utils and qemu-block-extra");
        LauncherProcess.deleteTree(WORK);
        Path fs = WORK.resolve("fs");
        Files.createDirectories(fs);
        ExternalTool tools = new ExternalTool(WORK, Duration.ofSeconds(60));
        Path config = WORK.resolve("config");
        String control = config.resolve("control.sock").toString();
        Path disk = fs.resolve("lun.img");

        LauncherProcess launcher = LauncherProcess.startWrapped(List.of("unshare", "-m", "--propagation", "private",
                "sh", "-c", "mount -t tmpfs -o size=8m jtgt-full \"$0\" || exit 97; exec \"$@\"", fs.toString()),
                List.of("-Djtgt.default.target.size=16777216"), "--config", config.toString(), "--portal",
                "127.0.0.1:0");
        processes.add(launcher.process);
        Thread.sleep(500);
        if (!launcher.process.isAlive() && launcher.process.exitValue() == 97 || launcher.output.text()
                .contains("unshare: ")) {
            String why = "no tmpfs in a mount namespace here (not root?):\n" + launcher.output.text();
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(why);
            }
            Assumptions.abort(why);
        }
        launcher.output.await(LauncherProcess.STARTED, 120);

        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "target", "--tid", "1", "-T", TARGET);
        String made = LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "logicalunit", "--tid", "1",
                "--lun", "0", "-b", disk.toString(), "--size", String.valueOf(16 << 20), "--params",
                "thin=1,softthreshold=25");
        assertTrue(made.contains("soft threshold 25%"), made);
        String shown = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "target");
        assertTrue(shown.contains("thin: yes, soft threshold: 25%"), shown);
        assertTrue(Files.readString(config.resolve("targets.conf")).contains("thin=1 softthreshold=25"));
        assertFalse(Files.exists(disk), "the file is in the namespace's tmpfs, not on the disk under it");

        String url = "iscsi://127.0.0.1:" + launcher.iscsiPort() + "/" + TARGET + "/0";
        int mark = launcher.output.mark();
        String first = tools.run("qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 6M", url);
        assertTrue(first.contains("wrote 6291456/6291456 bytes"), first);
        launcher.output.awaitSince(mark, THRESHOLD, 10);
        assertEquals(1, count(first, SOFT_THRESHOLD_UA), "QEMU met the unit attention once and retried:\n" + first);

        ExternalTool.Outcome full = tools.execute("qemu-io", "-f", "raw", "-c", "write -P 0xa5 6M 4M", url);
        assertTrue(full.output().contains("No space left on device"), "ENOSPC, as QEMU reports 27h/07h:\n"
                + full.describe());
        assertFalse(full.output().contains("wrote 4194304/4194304"), full.describe());
        assertTrue(launcher.output.since(mark).contains("SPACE_ALLOCATION_FAILED_WRITE_PROTECT"),
                launcher.output.since(mark));

        String back = tools.run("qemu-io", "-f", "raw", "-r", "-c", "read -P 0x5a 0 6M", url);
        assertTrue(back.contains("read 6291456/6291456 bytes"), back);
        assertFalse(back.contains("Pattern verification failed"), back);

        tools.run("qemu-io", "-f", "raw", "-c", "discard 0 6M", url);
        String again = tools.run("qemu-io", "-f", "raw", "-c", "write -P 0xa5 6M 4M", "-c", "write -P 0x33 0 2M", "-c",
                "read -P 0xa5 6M 4M", url);
        assertTrue(again.contains("wrote 4194304/4194304 bytes"), again);
        assertTrue(again.contains("read 4194304/4194304 bytes"), again);
        assertFalse(again.contains("Pattern verification failed"), again);
        // the discard took the use below the threshold's range (about 2 MiB left); 6 MiB crosses it again
        assertEquals(1, count(again, SOFT_THRESHOLD_UA), again);
        assertEquals(2, count(launcher.output.since(mark), "soft threshold reached"), launcher.output.since(mark));

        launcher.stopCleanly();
        try (var left = Files.list(fs)) {
            assertEquals(List.of(), left.toList(), "the tmpfs went with jtgt's namespace");
        }
        LauncherProcess.deleteTree(WORK);
    }
}
