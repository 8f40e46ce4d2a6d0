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
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
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
    private static final Pattern STARTED = Pattern.compile("jtgt started: \\d+ bundles active");
    private static final Pattern PORTAL = Pattern.compile("iSCSI portal listening on 127\\.0\\.0\\.1:(\\d+)");
    private static final String TARGET = "iqn.2026-11.org.jtgt:crash-it";
    private static final long DISK = 64L << 20;
    private static final String LOAD_PASS = "wrote 33554432/33554432 bytes at offset 33554432";

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stopAll() throws InterruptedException {
        for (Process p : processes) {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void acknowledgedWritesSurviveAKilledTargetAndItStartsAgain() throws Exception {
        ExternalTool.require("qemu-io", "qemu-utils qemu-block-extra");
        clean(WORK);
        Files.createDirectories(WORK);
        ExternalTool tools = new ExternalTool(WORK, Duration.ofSeconds(60));
        Path config = WORK.resolve("config");
        String control = config.resolve("control.sock").toString();
        Path disk = WORK.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(DISK);
        }

        LauncherProcess launcher = start(config);
        adm(control, "--op", "new", "--mode", "target", "--tid", "1", "-T", TARGET);
        adm(control, "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "-b", disk.toString());
        adm(control, "--op", "bind", "--mode", "target", "--tid", "1", "-I", "ALL");
        String url = url(port(launcher));
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
        String shown = adm(control, "--op", "show", "--mode", "target");
        assertTrue(shown.contains(TARGET) && shown.contains(disk.toString()), shown);
        String after = tools.run("qemu-io", "-f", "raw", "-c", "read -P 0xa5 0 8M", "-c", "read -P 0x5c 8M 8M",
                "-c", "read -P 0x33 32M 32M", "-c", "read -P 0 16M 16M", url(port(again)));
        assertFalse(after.contains("Pattern verification failed"), after);
        assertEquals(4, count(after, "read "), after);
        stop(again);
    }

    private LauncherProcess start(Path config) throws IOException, InterruptedException {
        LauncherProcess launcher = LauncherProcess.start(List.of("-Djtgt.default.target.size=67108864"),
                "--config", config.toString(), "--portal", "127.0.0.1:0");
        processes.add(launcher.process);
        launcher.output.await(STARTED, 120);
        return launcher;
    }

    private static int port(LauncherProcess launcher) throws InterruptedException {
        Matcher m = PORTAL.matcher(launcher.output.await(PORTAL, 10));
        assertTrue(m.find());
        return Integer.parseInt(m.group(1));
    }

    private static String url(int port) {
        return "iscsi://127.0.0.1:" + port + "/" + TARGET + "/0";
    }

    private static void stop(LauncherProcess launcher) throws InterruptedException {
        assertTrue(launcher.process.toHandle().destroy(), "SIGTERM not sent");
        assertTrue(launcher.process.waitFor(30, TimeUnit.SECONDS), "no exit within 30 s of SIGTERM:\n"
                + launcher.output.text());
        launcher.output.join();
        assertEquals(0, launcher.process.exitValue(), launcher.output.text());
    }

    private static String adm(String control, String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("--control", control));
        all.addAll(List.of(args));
        return LauncherProcess.jtgtadm(0, all.toArray(new String[0]));
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

    private static void clean(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
