package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

/**
 * Live transport swaps under iSCSI load, as a user does them: the launcher runs, QEMU reads and
 * writes over iSCSI, and {@code jtgtadm --op swap --mode transport} moves the target between the
 * shared-memory ring, the netlink-style socket and the direct transport 21 times. No I/O may fail, and a pattern
 * written before the swaps must read back after them.
 */
@Timeout(300)
class IscsiSwapIT {
    private static final Path WORK = LauncherProcess.TARGET.resolve("iscsi-swap-it");
    /** Swaps through {@link #ORDER}: a multiple of three ends on direct. */
    private static final int SWAPS = 21;
    private static final String[] ORDER = {"netlink", "shm", "direct"};

    @RegisterExtension
    final Processes processes = new Processes();

    @Test
    void twentyOneSwapsUnderQemuLoadLoseNothing() throws Exception {
        ExternalTool.require("qemu-io", "qemu-utils and qemu-block-extra");
        ExternalTool.require("qemu-img", "qemu-utils and qemu-block-extra");
        ExternalTool tools = new ExternalTool(WORK, Duration.ofSeconds(120));
        Path config = WORK.resolve("config");
        LauncherProcess launcher = LauncherProcess.startOn(config);
        processes.add(launcher.process);
        String url = "iscsi://127.0.0.1:" + launcher.iscsiPort() + "/iqn.2026-11.org.jtgt:default/0";
        String control = config.resolve("control.sock").toString();
        String transports = LauncherProcess.jtgtadmAt(control, 0, "-m", "transport", "-o", "show");
        assertTrue(transports.contains("netlink") && transports.contains("direct"),
                "the netlink or direct transport is not registered:\n" + transports + launcher.output.text());

        // Before: 8 MiB of pattern at the start of the LUN.
        tools.run("qemu-io", "-f", "raw", "-c", "write -P 0x5c 0 8M", url);

        // During: a sequential read benchmark over the whole LUN, and verified writes in [32M, 64M).
        Path reads = WORK.resolve("bench.log");
        Process bench = background(reads, "qemu-img", "bench", "-f", "raw", "-t", "none", "-c", "2000000", "-d", "16",
                "-s", "4k", url);
        List<String> io = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        for (int i = 0; i < 400; i++) {
            long offset = (32L << 20) + (i % 64) * (512L << 10);
            String pattern = String.format("0x%02x", 1 + i % 250);
            io.addAll(List.of("-c", "write -P " + pattern + " " + offset + " 512k",
                    "-c", "read -P " + pattern + " " + offset + " 512k"));
        }
        io.add(url);
        Path writes = WORK.resolve("qemu-io.log");
        Process writer = background(writes, io.toArray(new String[0]));

        List<String> swaps = new ArrayList<>();
        for (int i = 0; i < SWAPS; i++) {
            String to = ORDER[i % ORDER.length];
            String out = LauncherProcess.jtgtadmAt(control, 0, "--mode", "transport", "--op", "swap", "--name", to);
            assertTrue(out.contains("-> " + to + ": paused"), out);
            swaps.add(out.strip());
            Thread.sleep(100);
        }
        assertTrue(bench.isAlive() || writer.isAlive(), "the load ended before the swaps did; make it longer");

        assertTrue(writer.waitFor(180, TimeUnit.SECONDS), "qemu-io did not finish");
        String writeLog = Files.readString(writes);
        assertEquals(0, writer.exitValue(), writeLog);
        assertFalse(writeLog.contains("Pattern verification failed"), writeLog);
        assertFalse(writeLog.toLowerCase().contains("error"), writeLog);
        assertEquals(400, count(writeLog, "^read 524288/524288"), writeLog);
        bench.destroy(); // enough reading; an I/O error would have ended it with a message
        bench.waitFor(30, TimeUnit.SECONDS);
        String benchLog = Files.readString(reads);
        assertFalse(benchLog.toLowerCase().contains("error"), benchLog);

        // After: the pattern written before the swaps.
        String after = tools.run("qemu-io", "-f", "raw", "-c", "read -P 0x5c 0 8M", url);
        assertFalse(after.contains("Pattern verification failed"), after);
        String summary = LauncherProcess.jtgtadmAt(control, 0, "--mode", "transport", "--op", "show");
        assertTrue(summary.contains("direct (active)"), summary);
        System.out.println("IscsiSwapIT: " + SWAPS + " swaps under load; " + summary.lines()
                .filter(l -> l.startsWith("Swaps:")).findFirst().orElse(summary));
        assertFalse(launcher.output.text().contains(" ERROR "), launcher.output.text());

        assertTrue(launcher.process.toHandle().destroy(), "SIGTERM not sent");
        assertTrue(launcher.process.waitFor(30, TimeUnit.SECONDS), launcher.output.text());
        assertEquals(0, launcher.process.exitValue(), launcher.output.text());
    }

    private Process background(Path log, String... command) throws Exception {
        Files.createDirectories(WORK);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("TMPDIR", WORK.toString());
        Process p = builder.start();
        p.getOutputStream().close();
        processes.add(p);
        return p;
    }


    private static int count(String text, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
