package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The split shape over the netlink-style medium: front and daemon processes both started with
 * {@code -Djtgt.split.transport=netlink}. A daemon left on the default medium is refused by the
 * front with the reason; then QEMU's iSCSI driver writes and reads back patterns through one
 * session while the daemon is killed (SIGKILL) and stopped (SIGTERM) in turn and started again:
 * every write is acknowledged and reads back, no command fails, and the session logs in once.
 * One restart of each kind by default: the 20 + 20 restarts under QEMU and fio over netlink are
 * {@link SplitDaemonIT}'s; this test is for the refusal and the sockets a clean stop leaves none of.
 */
@Timeout(400)
class SplitNetlinkIT {
    private static final Path WORK = LauncherProcess.TARGET.resolve("split-nl-it");
    private static final String TARGET = "iqn.2026-12.org.jtgt:split-nl-it";
    private static final String NETLINK = "-Djtgt.split.transport=netlink";
    private static final long DISK = 16L << 20;
    private static final int REGIONS = 8;
    /** Restarts of each kind (kill -9, SIGTERM). */
    private static final int RESTARTS = Integer.getInteger("split.netlink.restarts", 1);
    private static final Pattern ATTACHED = Pattern.compile("daemon pid \\d+ attached: generation (\\d+)");
    private static final Pattern WAITING = Pattern.compile("waiting for the front|attached to the front over netlink");
    private static final Pattern METRICS = Pattern.compile("metrics: HTTP on http://127\\.0\\.0\\.1:(\\d+)/");
    private static final Pattern REFUSED = Pattern.compile(
            "the front refused this daemon: this front reaches its daemon over netlink, the daemon \\(pid \\d+\\) over shm");

    @RegisterExtension
    final Processes processes = new Processes();

    @Test
    void sessionsStayWhileTheDaemonIsKilledAndRestartedOverNetlink() throws Exception {
        ExternalTool.require("qemu-io", "qemu-utils qemu-block-extra");
        ExternalTool.require("iscsi-inq", "libiscsi-bin");
        LauncherProcess.deleteTree(WORK);
        Files.createDirectories(WORK);
        Path config = WORK.resolve("c");
        String control = config.resolve("control.sock").toString();
        Path disk = WORK.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(DISK);
        }

        LauncherProcess front = LauncherProcess.start(List.of("-Djtgt.default.target.size=16777216", NETLINK), "--role",
                "front", "--config", config.toString(), "--portal", "127.0.0.1:0");
        processes.add(front.process);
        front.output.await(LauncherProcess.STARTED, 120);
        front.output.await(Pattern.compile("front ready over netlink"), 30);

        // A daemon on the other medium is refused on the link, with the reason.
        LauncherProcess wrong = startDaemon(config, null, Pattern.compile("waiting for the front|refused"));
        wrong.output.await(REFUSED, 60);
        wrong.process.destroyForcibly();
        assertTrue(wrong.process.waitFor(30, TimeUnit.SECONDS));

        LauncherProcess daemon = startDaemon(config, NETLINK, WAITING);
        front.output.await(ATTACHED, 60);
        daemon.output.await(Pattern.compile("attached to the front over netlink at \\S+jtgt-netlink-\\d+-g\\d+\\.sock"), 30);
        int port = front.iscsiPort();
        // The daemon attaches before its framework has started everything: jtgtadm's socket comes last.
        daemon.output.await(LauncherProcess.STARTED, 120);

        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "target", "--tid", "1", "-T", TARGET);
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "-b",
                disk.toString());
        LauncherProcess.jtgtadmAt(control, 0, "--op", "bind", "--mode", "target", "--tid", "1", "-I", "ALL");
        String url = "iscsi://127.0.0.1:" + port + "/" + TARGET + "/0";
        SplitRun.awaitTargetOnFront(WORK, url);

        SplitRun.QemuPatternLoop qemu = SplitRun.QemuPatternLoop.start(url, REGIONS, processes);
        qemu.awaitCompleted(20);

        for (int i = 0; i < 2 * RESTARTS; i++) {
            boolean kill = i % 2 == 0;
            int mark = front.output.mark();
            if (kill) {
                daemon.process.destroyForcibly();
            } else {
                assertTrue(daemon.process.toHandle().destroy());
            }
            assertTrue(daemon.process.waitFor(30, TimeUnit.SECONDS), "daemon did not end:\n" + daemon.output.text());
            int before = qemu.completed();
            daemon = startDaemon(config, NETLINK, WAITING);
            front.output.awaitSince(mark, ATTACHED, 60);
            qemu.awaitCompleted(before + 12);
            assertEquals(List.of(), qemu.failures, "qemu-io saw failures after restart " + (i + 1));
        }

        int sent = qemu.finish();
        String frontLog = front.output.text();
        assertEquals(1, SplitRun.count(frontLog, "login iqn.2008-11.org.linux-kvm"), "one login for the whole run:\n" + frontLog);
        assertFalse(frontLog.contains("broke the link protocol"), frontLog);
        assertEquals(2 * RESTARTS + 1, SplitRun.count(frontLog, "attached: generation"), frontLog);
        System.out.printf("split over netlink: %d restarts (%d kill -9, %d SIGTERM), %d commands (%d writes, %d verified"
                + " reads), 0 failed%n", 2 * RESTARTS, RESTARTS, RESTARTS, sent, qemu.wrote.get(), qemu.read.get());
        // The daemon's operators' view counts the daemon processes the front had before it, over netlink too.
        Matcher http = METRICS.matcher(daemon.output.await(METRICS, 10));
        assertTrue(http.find());
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + http.group(1) + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("\njtgt_split_daemon_restarts_total " + 2 * RESTARTS + "\n"), metrics);
        daemon.stopCleanly();
        front.stopCleanly();
        try (var left = Files.list(config)) {
            assertEquals(List.of(), left.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("jtgt-netlink-") && n.endsWith(".sock")).toList(),
                    "no daemon's netlink socket is left behind after a clean stop");
        }
    }

    private LauncherProcess startDaemon(Path config, String medium, Pattern started) throws IOException,
            InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Djava.io.tmpdir=" + LauncherProcess.TARGET);
        command.add("-Djtgt.default.target.size=16777216");
        command.add("-Djtgt.metrics.http=127.0.0.1:0");
        if (medium != null) {
            command.add(medium);
        }
        command.addAll(List.of("-jar", LauncherProcess.JAR.toString(), "--role", "daemon", "--config", config.toString()));
        LauncherProcess daemon = LauncherProcess.wrap(new ProcessBuilder(command)
                .directory(LauncherProcess.TARGET.toFile()).redirectErrorStream(true).start());
        processes.add(daemon.process);
        daemon.output.await(started, 120);
        return daemon;
    }
}
