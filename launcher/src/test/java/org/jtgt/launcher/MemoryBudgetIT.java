package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Memory LUNs larger than the heap, in the packaged launcher with a small heap: a fully
 * provisioned one is refused when jtgtadm adds it or targets.conf names it; a thin one takes
 * writes until the memory budget is used up, then QEMU's writes fail with ENOSPC (DATA
 * PROTECT, SPACE ALLOCATION FAILED WRITE PROTECT, 27h/07h), what was written reads back,
 * libiscsi and jtgtadm go on being answered, discarding gives space back, and SIGTERM stops it
 * cleanly. And when the heap does run out (a budget configured above the heap), the process
 * ends with the fatal-error line and status 70 instead of staying half alive.
 */
@Timeout(300)
class MemoryBudgetIT {
    private static final Path WORK = LauncherProcess.TARGET.resolve("memory-budget-it");
    private static final String TARGET = "iqn.2026-11.org.jtgt:memory-budget-it";
    private static final String TWO_GIB = Long.toString(2L << 30);

    @RegisterExtension
    final Processes processes = new Processes();

    @Test
    void aMemoryLunLargerThanTheBudgetIsRefusedFullAndAnswersSpaceAllocationFailedThin() throws Exception {
        ExternalTool.require("qemu-io", "qemu-utils and qemu-block-extra");
        ExternalTool.require("iscsi-inq", "libiscsi-bin");
        ExternalTool.require("iscsi-ls", "libiscsi-bin");
        Path work = WORK.resolve("budget");
        LauncherProcess.deleteTree(work);
        ExternalTool tools = new ExternalTool(work.resolve("tools"), Duration.ofSeconds(90));
        Path config = work.resolve("config");
        String control = config.resolve("control.sock").toString();
        // targets.conf at start: a fully provisioned 2 GiB memory LUN is skipped with the reason.
        Files.createDirectories(config);
        Files.writeString(config.resolve("targets.conf"), "target 2 " + TARGET + "-conf\n"
                + "lun 2 0 memory size=" + TWO_GIB + " blocksize=512 thin=0\n");
        // 256 MiB of heap: the default budget is what is left after a quarter, at least 128 MiB, is kept free.
        LauncherProcess launcher = LauncherProcess.start(List.of("-Xmx256m", "-Djtgt.default.target.size=16777216"),
                "--config", config.toString(), "--portal", "127.0.0.1:0");
        processes.add(launcher.process);
        launcher.output.await(LauncherProcess.STARTED, 120);
        launcher.output.await(Pattern.compile("memory stores: budget \\d+(\\.\\d)? MiB \\(default for a maximum heap of"), 10);
        launcher.output.await(Pattern.compile("targets\\.conf:2: .*LUN 0 not added: a fully provisioned memory LUN of 2 GiB"
                + " needs .* memory budget in use"), 10);
        int port = launcher.iscsiPort();

        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "target", "--tid", "1", "-T", TARGET);
        String refused = LauncherProcess.jtgtadmAt(control, 1, "--op", "new", "--mode", "logicalunit", "--tid", "1",
                "--lun", "1", "--bstype", "memory", "--size", TWO_GIB, "-P", "thin=0");
        assertTrue(refused.contains("LUN 1 not added: a fully provisioned memory LUN of 2 GiB needs"), refused);
        assertTrue(refused.contains("memory budget in use"), refused);
        String added = LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "logicalunit", "--tid", "1",
                "--lun", "1", "--bstype", "memory", "--size", TWO_GIB);
        assertTrue(added.contains("target 1 LUN 1: " + TWO_GIB + " bytes, memory"), added);

        String url = "iscsi://127.0.0.1:" + port + "/" + TARGET + "/1";
        String first = tools.run("qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 16M", url);
        assertTrue(first.contains("wrote 16777216/16777216 bytes"), first);
        // More than the budget in one go: 768 MiB, 8 MiB per command.
        ExternalTool.Outcome tooMuch = tools.execute("qemu-io", "-f", "raw", "-c", "write -P 0xa5 64M 768M", url);
        assertTrue(tooMuch.output().contains("write failed: No space left on device"), tooMuch.describe());
        assertTrue(tooMuch.output().contains("SENSE KEY:DATA PROTECTION(7) ASCQ:"), tooMuch.describe());
        assertTrue(tooMuch.output().contains("(0x2707)"), tooMuch.describe());
        launcher.output.await(Pattern.compile("LUN 1 SPACE_ALLOCATION_FAILED_WRITE_PROTECT at LBA \\d+"), 10);

        String back = tools.run("qemu-io", "-f", "raw", "-r", "-c", "read -P 0x5a 0 16M", url);
        assertTrue(back.contains("read 16777216/16777216 bytes"), back);
        assertFalse(back.contains("Pattern verification failed"), back);
        String discovered = tools.run("iscsi-ls", "iscsi://127.0.0.1:" + port + "/");
        assertTrue(discovered.contains("Target:" + TARGET + " "), discovered);
        String inq = tools.run("iscsi-inq", url);
        assertTrue(inq.contains("Product:VIRTUAL-DISK"), inq);
        String shown = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "target");
        assertTrue(shown.contains(TARGET), shown);

        // Written blocks go on being writable, and discarding (UNMAP) gives the budget back:
        // the space of most of the refused write is free again.
        tools.run("qemu-io", "-f", "raw", "-c", "write -P 0x33 0 1M", url);
        tools.run("qemu-io", "-f", "raw", "-c", "discard 0 1G", url);
        String after = tools.run("qemu-io", "-f", "raw", "-c", "write -P 0x77 1G 64M", "-c", "read -P 0x77 1G 64M", url);
        assertTrue(after.contains("read 67108864/67108864 bytes"), after);
        assertFalse(after.contains("Pattern verification failed"), after);

        launcher.stopCleanly();
        assertFalse(launcher.output.text().contains("OutOfMemoryError"), launcher.output.text());
    }

    @Test
    void runningOutOfHeapEndsTheProcessWithTheFatalLineAndStatus70() throws Exception {
        ExternalTool.require("qemu-io", "qemu-utils and qemu-block-extra");
        Path work = WORK.resolve("fatal");
        LauncherProcess.deleteTree(work);
        Path config = work.resolve("config");
        // A budget far above a small heap: nothing stops the writes but the heap itself.
        LauncherProcess launcher = LauncherProcess.start(List.of("-Xmx96m", "-Djtgt.memory.budget=4g",
                "-Djtgt.default.target.size=1073741824"), "--config", config.toString(), "--portal", "127.0.0.1:0");
        processes.add(launcher.process);
        launcher.output.await(LauncherProcess.STARTED, 120);
        int port = launcher.iscsiPort();

        String url = "iscsi://127.0.0.1:" + port + "/iqn.2026-11.org.jtgt:default/0";
        // In the background: once the target is gone, QEMU's iSCSI driver tries to reconnect for ever.
        Files.createDirectories(work);
        Path qemuLog = work.resolve("qemu-io.log");
        ProcessBuilder qemuCommand = new ProcessBuilder("qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 512M", url)
                .redirectErrorStream(true).redirectOutput(qemuLog.toFile());
        qemuCommand.environment().put("TMPDIR", work.toString());
        Process qemu = processes.add(qemuCommand.start());
        qemu.getOutputStream().close();
        assertTrue(launcher.process.waitFor(90, TimeUnit.SECONDS),
                "still running after the heap ran out:\n" + launcher.output.text());
        launcher.output.join();
        qemu.destroyForcibly();
        qemu.waitFor(10, TimeUnit.SECONDS);
        String output = launcher.output.text();
        assertEquals(FatalErrors.EXIT_FATAL, launcher.process.exitValue(), output);
        // Whichever thread the heap runs out on (mostly a jtgt- thread writing data, sometimes
        // another that allocated at that moment, such as File Install's), an Error ends the process.
        assertTrue(Pattern.compile("(?m) ERROR FatalErrors - fatal: OutOfMemoryError \\(Java heap space\\)"
                + " on thread .+; stopping jtgt \\(exit 70\\)$").matcher(output).find(), output);
        assertFalse(Files.readString(qemuLog).contains("wrote 536870912/536870912 bytes"), Files.readString(qemuLog));
    }
}
