package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operators' view of a running launcher while libiscsi's {@code iscsi-perf} reads: {@code
 * /metrics} counts the initiator's commands and names its session, and the status page, loaded in
 * headless Chromium, shows the target, its LUN, the iSCSI session, the active transport, the
 * standby ring's occupancy and a live rate above zero.
 */
@Timeout(180)
class StatusPageIT {
    private static final Path WORK = LauncherProcess.TARGET.resolve("status-page-it");
    private static final Pattern HTTP = Pattern.compile("metrics: HTTP on http://127\\.0\\.0\\.1:(\\d+)/");
    private static final String TARGET = "iqn.2026-11.org.jtgt:default";

    @RegisterExtension
    final Processes processes = new Processes();

    @Test
    void metricsAndStatusPageShowLiveIscsiIo() throws Exception {
        ExternalTool.require("iscsi-perf", "libiscsi-bin");
        ExternalTool.require("chromium", "chromium");
        LauncherProcess.deleteTree(WORK);
        Files.createDirectories(WORK);
        LauncherProcess launcher = LauncherProcess.startOn(WORK.resolve("config"));
        processes.add(launcher.process);
        Matcher m = HTTP.matcher(launcher.output.await(HTTP, 10));
        assertTrue(m.find());
        URI base = URI.create("http://127.0.0.1:" + m.group(1) + "/");
        String url = "iscsi://127.0.0.1:" + launcher.iscsiPort() + "/" + TARGET + "/0";

        Path perfLog = WORK.resolve("iscsi-perf.log");
        processes.add(new ProcessBuilder("iscsi-perf", "-m", "4", "-b", "8", url).redirectErrorStream(true)
                .redirectOutput(perfLog.toFile()).start());

        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String lun = "jtgt_lun_commands_total{target=\"" + TARGET + "\",lun=\"0\"} ";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String metrics;
        while (!(metrics = client.send(HttpRequest.newBuilder(base.resolve("metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).contains(",driver=\"iscsi\",") || count(metrics, lun) < 1000) {
            assertTrue(System.nanoTime() < deadline, "no iSCSI session with commands in /metrics within 30 s:\n" + metrics
                    + "\n" + Files.readString(perfLog));
            Thread.sleep(200);
        }
        assertTrue(metrics.contains("jtgt_transport_active{transport=\"direct\"} 1"), metrics);
        Thread.sleep(2500);   // two samples with I/O between them: the page's rates

        Path home = WORK.resolve("chromium-home");
        ExternalTool tools = new ExternalTool(WORK, Duration.ofSeconds(60));
        ExternalTool.Outcome page = tools.execute("env", "HOME=" + home, "chromium", "--headless", "--no-sandbox",
                "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-extensions",
                "--user-data-dir=" + home.resolve("profile"), "--virtual-time-budget=4000", "--dump-dom", base.toString());
        assertEquals(0, page.exit(), page.describe());
        String dom = page.output();
        assertTrue(dom.contains("<td>" + TARGET + "</td>"), "target missing:\n" + dom);
        assertTrue(dom.contains("<td>" + TARGET + "</td><td class=\"n\">0</td><td>memory, 64 MiB"),
                "LUN 0 row missing:\n" + dom);
        assertTrue(dom.contains("<td>iscsi</td><td>iqn.2010-11.libiscsi:iscsi-perf</td>"), "the iSCSI session missing:\n" + dom);
        assertTrue(dom.contains("<b id=\"transport\">direct</b>"), "active transport missing:\n" + dom);
        // the shared-memory transport stands by: its rings (1024 slots each) hold nothing
        assertTrue(dom.contains("<td>shm</td><td>standby</td><td>0, 0 / 1024</td>"), "shm's ring occupancy missing:\n" + dom);
        Matcher rate = Pattern.compile("<span id=\"rates\">([\\d,]+) IOPS").matcher(dom);
        assertTrue(rate.find(), "no rate:\n" + dom);
        assertTrue(Long.parseLong(rate.group(1).replace(",", "")) > 0, "IOPS 0 under iscsi-perf:\n" + dom);
        Matcher polls = Pattern.compile("data-polls=\"(\\d+)\"").matcher(dom);
        assertTrue(polls.find() && Integer.parseInt(polls.group(1)) > 0, "the page never polled /api/status:\n" + dom);
        launcher.stopCleanly();
    }

    private static long count(String metrics, String series) {
        int i = metrics.indexOf(series);
        if (i < 0) {
            return 0;
        }
        int end = metrics.indexOf('\n', i);
        return Long.parseLong(metrics.substring(i + series.length(), end).trim());
    }
}
