package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The split shape: a front process (drivers, sessions) and a daemon process (SCSI execution,
 * stores, targets.conf) on one {@code --config} directory, the transport between them given to
 * both as {@code -Djtgt.split.transport=NAME} (the scenario runs once per name). Two initiators
 * work through one session each while the daemon is killed (SIGKILL) and stopped (SIGTERM) in
 * turn and started again: QEMU's iSCSI driver writes and reads back patterns on LUN 0, fio's
 * libiscsi engine writes and reads 4 KiB blocks at random on LUN 1 and checks each block's crc32c.
 * The planned restarts start another build (a jar whose bundles and launcher carry newer versions,
 * {@link NextBuild}), the kills this one again, so the daemon is upgraded and downgraded 20 times
 * each. Every write is acknowledged and reads back, no command fails, fio sees no I/O error and
 * no verify failure, each initiator logs in once, and the front names the build that attached.
 */
@Timeout(600)
class SplitDaemonIT {
    private static final Path WORK = LauncherProcess.TARGET.resolve("split-it");
    private static final String TARGET = "iqn.2026-12.org.jtgt:split-it";
    private static final long DISK = 32L << 20;
    private static final int REGIONS = 16;
    /** Restarts of each kind (kill -9, SIGTERM); the issue asks for 20 of each. */
    private static final int RESTARTS = Integer.getInteger("split.restarts", 20);
    private static final Pattern ATTACHED = Pattern.compile("daemon pid \\d+ attached: generation (\\d+)");
    /** The front's line for a daemon's HELLO: its pid and build (its transport bundle's name and version). */
    private static final Pattern ATTACHING = Pattern.compile("daemon pid (\\d+) \\((.+)\\) attaching as generation");
    private static final Pattern STARTING = Pattern.compile("jtgt (\\S+) \\(build ([0-9a-f]{12})\\) starting in .* as the daemon");
    private static final String QEMU_INITIATOR = "iqn.2008-11.org.linux-kvm";
    private static final String FIO_INITIATOR = "iqn.2026-12.org.jtgt:split-fio";
    private static final long FIO_DISK = 16L << 20;
    private static final Pattern METRICS = Pattern.compile("metrics: HTTP on http://127\\.0\\.0\\.1:(\\d+)/");
    private static final Pattern WAITING = Pattern.compile("waiting for the front|attached to the front('s region| over)");

    @RegisterExtension
    final Processes processes = new Processes();

    @ParameterizedTest(name = "transport {0}")
    @ValueSource(strings = {"shm", "netlink"})
    void sessionsStayWhileTheDaemonIsKilledAndUpgraded(String transport) throws Exception {
        ExternalTool.require("qemu-io", "qemu-utils qemu-block-extra");
        ExternalTool.require("iscsi-inq", "libiscsi-bin");
        Path fioBinary = FioLibiscsi.require();
        Path work = WORK.resolve(transport);
        LauncherProcess.deleteTree(work);
        Files.createDirectories(work);
        Path config = work.resolve("c");
        String control = config.resolve("control.sock").toString();
        Path disk = work.resolve("disk.img");
        Path fioDisk = work.resolve("fio.img");
        for (Path d : List.of(disk, fioDisk)) {
            try (RandomAccessFile f = new RandomAccessFile(d.toFile(), "rw")) {
                f.setLength(d == disk ? DISK : FIO_DISK);
            }
        }
        // The planned restarts run the next build: a daemon from another jar takes over the sessions.
        Path nextJar = work.resolve("jtgt-next.jar");
        NextBuild.write(LauncherProcess.JAR, nextJar, "next");
        // The bundle that carries the link (and HELLO) is transport-shm whichever medium the rings or sockets are.
        String transportBundle = "jtgt-transport-shm";
        String buildA = transportBundle + " " + NextBuild.bundleVersion(LauncherProcess.JAR, transportBundle + ".jar");
        String buildB = transportBundle + " " + NextBuild.bundleVersion(nextJar, transportBundle + ".jar");
        assertFalse(buildA.equals(buildB), buildA);
        List<String> jvm = List.of("-Djtgt.split.transport=" + transport);

        LauncherProcess daemon = startDaemon(LauncherProcess.JAR, config, jvm);
        String[] launcherA = starting(daemon);
        LauncherProcess front = LauncherProcess.start(List.of("-Djtgt.default.target.size=16777216",
                "-Djtgt.split.transport=" + transport), "--role", "front", "--config", config.toString(),
                "--portal", "127.0.0.1:0");
        processes.add(front.process);
        front.output.await(LauncherProcess.STARTED, 120);
        front.output.await(ATTACHED, 60);
        int port = front.iscsiPort();

        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "target", "--tid", "1", "-T", TARGET);
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "-b",
                disk.toString());
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "1", "-b",
                fioDisk.toString());
        LauncherProcess.jtgtadmAt(control, 0, "--op", "bind", "--mode", "target", "--tid", "1", "-I", "ALL");
        String url = "iscsi://127.0.0.1:" + port + "/" + TARGET + "/0";
        SplitRun.awaitTargetOnFront(WORK, url);

        SplitRun.QemuPatternLoop qemu = SplitRun.QemuPatternLoop.start(url, REGIONS, processes);
        qemu.awaitCompleted(40);
        // fio on LUN 1 beside it, in a session of its own, checking every block it wrote; bounded
        // by its rate (so the restarts do not wait for CPU) and by a run time the test never reaches.
        FioLibiscsi fio = FioLibiscsi.start(fioBinary, work.resolve("fio"), FIO_INITIATOR, "127.0.0.1", port, TARGET,
                1, FIO_DISK, 8, 1000, 1200);
        processes.add(fio.process);
        front.output.await(Pattern.compile("login " + Pattern.quote(FIO_INITIATOR)), 30);
        Thread.sleep(1000);
        assertTrue(fio.process.isAlive(), fio.log());

        List<Long> takeover = new ArrayList<>();
        for (int i = 0; i < 2 * RESTARTS; i++) {
            boolean kill = i % 2 == 0;
            int mark = front.output.mark();
            long stopped = System.nanoTime();
            if (kill) {
                daemon.process.destroyForcibly();
            } else {
                assertTrue(daemon.process.toHandle().destroy());
            }
            assertTrue(daemon.process.waitFor(30, TimeUnit.SECONDS), "daemon did not end:\n" + daemon.output.text());
            int before = qemu.completed();
            daemon = startDaemon(kill ? LauncherProcess.JAR : nextJar, config, jvm);
            String[] launcher = starting(daemon);
            Matcher hello = ATTACHING.matcher(front.output.awaitSince(mark, ATTACHING, 60));
            assertTrue(hello.find());
            // The front is served by the build just started: this jar after a kill, the next one after a stop.
            assertEquals(daemon.process.pid(), Long.parseLong(hello.group(1)));
            assertEquals("jtgt " + launcher[0] + " (build " + launcher[1] + "), " + (kill ? buildA : buildB), hello.group(2),
                    "the build the front names after restart " + (i + 1));
            if (kill) {
                assertArrayEquals(launcherA, launcher, "the launcher's version and build after restart " + (i + 1));
            } else {
                assertEquals(launcherA[0] + "-next", launcher[0], daemon.output.text());
                assertNotEquals(launcherA[1], launcher[1], "the next jar's launcher build");
            }
            front.output.awaitSince(mark, ATTACHED, 60);
            qemu.awaitCompleted(before + 1);
            takeover.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped));
            qemu.awaitCompleted(before + 12);
            assertEquals(List.of(), qemu.failures, "qemu-io saw failures after restart " + (i + 1));
            assertTrue(fio.process.isAlive(), "fio ended at restart " + (i + 1) + ":\n" + fio.log());
        }
        FioLibiscsi.Result fioResult = fio.stop();
        assertEquals(0, fioResult.error(), "fio's job error (I/O error or verify failure):\n" + fio.log());
        assertTrue(fioResult.reads() > 0 && fioResult.writes() > 0, fioResult.toString());

        int sent = qemu.finish();
        String frontLog = front.output.text();
        assertEquals(1, SplitRun.count(frontLog, "login " + QEMU_INITIATOR), "one QEMU login for the whole run:\n" + frontLog);
        assertEquals(1, SplitRun.count(frontLog, "login " + FIO_INITIATOR), "one fio login for the whole run:\n" + frontLog);
        assertFalse(frontLog.contains("broke the link protocol"), frontLog);
        List<Long> sorted = new ArrayList<>(takeover);
        Collections.sort(sorted);
        System.out.printf("split daemon (%s): %d restarts (%d kill -9 to %s, %d SIGTERM to %s), %d commands (%d writes, "
                        + "%d verified reads), 0 failed; from the daemon's end to the next completed command: p50 %d ms, "
                        + "max %d ms; fio: %d reads, %d writes with crc32c, 0 errors, longest read %d ms, write %d ms%n",
                transport, takeover.size(), RESTARTS, buildA, RESTARTS, buildB, sent, qemu.wrote.get(), qemu.read.get(),
                sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1), fioResult.reads(), fioResult.writes(),
                fioResult.maxReadMicros() / 1000, fioResult.maxWriteMicros() / 1000);
        // The operators' view in the daemon process counts the daemons the front had before it.
        Matcher http = METRICS.matcher(daemon.output.await(METRICS, 10));
        assertTrue(http.find());
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + http.group(1) + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("\njtgt_split_daemon_restarts_total " + 2 * RESTARTS + "\n"), metrics);
        daemon.stopCleanly();
        front.stopCleanly();
    }

    private LauncherProcess startDaemon(Path jar, Path config, List<String> jvmOptions)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Djava.io.tmpdir=" + LauncherProcess.TARGET);
        command.add("-Djtgt.default.target.size=16777216");
        command.add("-Djtgt.metrics.http=127.0.0.1:0");
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString(), "--role", "daemon", "--config", config.toString()));
        LauncherProcess daemon = LauncherProcess.wrap(new ProcessBuilder(command)
                .directory(LauncherProcess.TARGET.toFile()).redirectErrorStream(true).start());
        processes.add(daemon.process);
        daemon.output.await(WAITING, 120);
        return daemon;
    }

    /** The launcher version and build the daemon's first line names. */
    private static String[] starting(LauncherProcess daemon) throws InterruptedException {
        Matcher m = STARTING.matcher(daemon.output.await(STARTING, 10));
        assertTrue(m.find());
        return new String[] {m.group(1), m.group(2)};
    }

    /** The front answers discovery from the catalog the daemon sends it; wait for the new target there. */
}
