package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

/**
 * The target process killed (SIGKILL) in the middle of QEMU writes to a file-backed LUN made
 * with jtgtadm: on the same {@code --config} it starts again (the lock, the control socket and
 * the transports' files of the dead process are no obstacle, and the files are removed), the
 * target comes back from {@code targets.conf}, and every write QEMU had been told was done reads
 * back: patterns written and flushed before the load, and the region the load was writing, of
 * which at least one whole pass had been acknowledged before the kill (every pass writes the
 * same pattern, so a pass cut short leaves no other bytes).
 */
@Timeout(300)
class CrashRecoveryIT {
    private static final Path WORK = LauncherProcess.TARGET.resolve("crash-it");
    private static final String TARGET = "iqn.2026-11.org.jtgt:crash-it";
    private static final long DISK = 64L << 20;
    private static final String LOAD_PASS = "wrote 33554432/33554432 bytes at offset 33554432";

    @RegisterExtension
    final Processes processes = new Processes();

    @Test
    void acknowledgedWritesSurviveAKilledTargetAndItStartsAgain() throws Exception {
        ExternalTool.require("qemu-io", "qemu-utils qemu-block-extra");
        LauncherProcess.deleteTree(WORK);
        Files.createDirectories(WORK);
        ExternalTool tools = new ExternalTool(WORK, Duration.ofSeconds(60));
        Path config = WORK.resolve("config");
        String control = config.resolve("control.sock").toString();
        Path disk = WORK.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(DISK);
        }

        LauncherProcess launcher = start(config);
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "target", "--tid", "1", "-T", TARGET);
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "-b", disk.toString());
        LauncherProcess.jtgtadmAt(control, 0, "--op", "bind", "--mode", "target", "--tid", "1", "-I", "ALL");
        String url = url(launcher.iscsiPort());
        String before = tools.run("qemu-io", "-f", "raw", "-c", "write -P 0xa5 0 8M", "-c", "write -P 0x5c 8M 8M",
                "-c", "flush", url);
        assertTrue(before.contains("wrote 8388608/8388608 bytes at offset 8388608"), before);

        // Whole 32 MiB passes over the upper half, one after the other, until the kill.
        List<String> load = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        for (int i = 0; i < 200; i++) {
            load.add("-c");
            load.add("write -P 0x33 32M 32M");
        }
        load.add(url);
        Path loadLog = WORK.resolve("qemu-io-load.log");
        Process writer = new ProcessBuilder(load).redirectErrorStream(true).redirectOutput(loadLog.toFile()).start();
        processes.add(writer);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (count(loadLog, LOAD_PASS) < 2) {
            assertTrue(writer.isAlive() && System.nanoTime() < deadline, "the load did not get going:\n"
                    + Files.readString(loadLog));
            Thread.sleep(20);
        }
        long deadPid = launcher.process.pid();
        launcher.process.destroyForcibly();   // SIGKILL: no shutdown hook, nothing closed
        assertTrue(launcher.process.waitFor(30, TimeUnit.SECONDS));
        int acknowledged = count(loadLog, LOAD_PASS);
        writer.destroyForcibly();
        writer.waitFor(10, TimeUnit.SECONDS);
        assertTrue(acknowledged < 200, "the kill came before the load ended");
        assertTrue(Files.exists(config.resolve("control.sock")) && Files.exists(config.resolve("jtgt.lock")),
                "a killed process leaves its socket and lock behind");
        assertFalse(orphans(config, deadPid).isEmpty(), "and its netlink socket");

        LauncherProcess again = start(config);
        String restarted = again.output.text();
        assertTrue(restarted.contains("left by a process that is gone"), restarted);
        assertEquals(List.of(), orphans(config, deadPid), "the dead process's transport files are removed");
        String shown = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "target");
        assertTrue(shown.contains(TARGET) && shown.contains(disk.toString()), shown);
        String after = tools.run("qemu-io", "-f", "raw", "-c", "read -P 0xa5 0 8M", "-c", "read -P 0x5c 8M 8M",
                "-c", "read -P 0x33 32M 32M", "-c", "read -P 0 16M 16M", url(again.iscsiPort()));
        assertFalse(after.contains("Pattern verification failed"), after);
        assertEquals(4, count(after, "read "), after);
        again.stopCleanly();
    }

    private LauncherProcess start(Path config) throws IOException, InterruptedException {
        LauncherProcess launcher = LauncherProcess.startOn(config);
        processes.add(launcher.process);
        return launcher;
    }

    private static String url(int port) {
        return "iscsi://127.0.0.1:" + port + "/" + TARGET + "/0";
    }

    /** The files under {@code config} named after process {@code pid} (transport regions and sockets). */
    private static List<Path> orphans(Path config, long pid) throws IOException {
        try (Stream<Path> all = Files.walk(config)) {
            return all.filter(p -> p.getFileName().toString().matches("jtgt-(netlink|shm)-" + pid + "-.*")).toList();
        }
    }

    private static int count(Path log, String text) throws IOException {
        return count(Files.readString(log), text);
    }

    private static int count(String s, String text) {
        int n = 0;
        for (int at = s.indexOf(text); at >= 0; at = s.indexOf(text, at + text.length())) {
            n++;
        }
        return n;
    }
}
