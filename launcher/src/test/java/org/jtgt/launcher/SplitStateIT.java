package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The split shape keeps the SCSI state initiators see across daemon processes: MODE SELECT
 * changes made through one session (the probe's D_SENSE) and another (libiscsi's
 * {@code iscsi-swp}, SWP), and the MODE PARAMETERS CHANGED unit attention pending for a second
 * session, are all there after the daemon is killed (SIGKILL) and a new one attaches, on the same
 * sessions; the unit attention is reported once.
 */
@Timeout(300)
class SplitStateIT {
    private static final Path WORK = LauncherProcess.TARGET.resolve("split-state-it");
    private static final String TARGET = "iqn.2026-12.org.jtgt:split-state-it";
    private static final Pattern ATTACHED = Pattern.compile("daemon pid \\d+ attached: generation (\\d+)");
    private static final Pattern WAITING = Pattern.compile("waiting for the front|attached to the front's region");
    private static final int BLOCKS = (16 << 20) / 512;

    @RegisterExtension
    final Processes processes = new Processes();

    private static final byte[] TEST_UNIT_READY = new byte[6];

    private static byte[] modeSense6Control() {
        return new byte[] {0x1A, 0x08, 0x0A, 0, (byte) 255, 0};   // DBD, current Control page
    }

    private static byte[] read10PastTheEnd() {
        return new byte[] {0x28, 0, (byte) (BLOCKS >>> 24), (byte) (BLOCKS >>> 16), (byte) (BLOCKS >>> 8), (byte) BLOCKS,
            0, 0, 1, 0};
    }

    private static byte[] write10(int lba) {
        return new byte[] {0x2A, 0, 0, 0, 0, (byte) lba, 0, 0, 1, 0};
    }

    /** {response code, sense key, ASC, ASCQ} of fixed (70h) or descriptor (72h) sense data. */
    private static List<Integer> sense(IscsiProbe.Result r) {
        byte[] s = r.sense();
        assertTrue(s.length >= 8, "no sense data: " + r);
        int code = s[0] & 0x7F;
        if (code == 0x72) {
            return List.of(code, s[1] & 0x0F, s[2] & 0xFF, s[3] & 0xFF);
        }
        assertTrue(s.length >= 14, "short fixed sense: " + Arrays.toString(s));
        return List.of(code, s[2] & 0x0F, s[12] & 0xFF, s[13] & 0xFF);
    }

    @Test
    void modeSelectChangesAndPendingUnitAttentionsOutliveAKilledDaemon() throws Exception {
        ExternalTool.require("iscsi-swp", "libiscsi-bin");
        LauncherProcess.deleteTree(WORK);
        Files.createDirectories(WORK);
        Path config = WORK.resolve("c");
        String control = config.resolve("control.sock").toString();

        LauncherProcess daemon = startDaemon(config);
        LauncherProcess front = LauncherProcess.start(List.of("-Djtgt.default.target.size=16777216"), "--role",
                "front", "--config", config.toString(), "--portal", "127.0.0.1:0");
        processes.add(front.process);
        front.output.await(LauncherProcess.STARTED, 120);
        front.output.await(ATTACHED, 60);
        int port = front.iscsiPort();
        // The daemon attaches before its framework has started everything: jtgtadm's socket comes last.
        daemon.output.await(LauncherProcess.STARTED, 120);
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "target", "--tid", "1", "-T", TARGET);
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0",
                "--bstype", "memory", "--size", Integer.toString(BLOCKS * 512));
        LauncherProcess.jtgtadmAt(control, 0, "--op", "bind", "--mode", "target", "--tid", "1", "-I", "ALL");
        String url = "iscsi://127.0.0.1:" + port + "/" + TARGET + "/0";
        ExternalTool tools = new ExternalTool(WORK, Duration.ofSeconds(30));
        SplitRun.awaitTargetOnFront(tools, url);

        int closed;
        try (IscsiProbe a = login(port, "iqn.2026-12.org.jtgt:state-a", 1);
             IscsiProbe b = login(port, "iqn.2026-12.org.jtgt:state-b", 2)) {
            drain(a);
            drain(b);
            assertEquals(List.of(0x70, 5, 0x21, 0), sense(a.read(read10PastTheEnd(), 512)), "fixed format by default");

            // D_SENSE = 1 through session a
            IscsiProbe.Result page = a.read(modeSense6Control(), 255);
            assertEquals(0, page.status(), page.toString());
            byte[] list = new byte[4 + 12];
            System.arraycopy(page.data(), 4, list, 4, 12);
            list[4] &= 0x7F;         // PS is reserved in MODE SELECT
            list[4 + 2] |= 0x04;     // D_SENSE
            IscsiProbe.Result select = a.write(new byte[] {0x15, 0x10, 0, 0, (byte) list.length, 0}, list);
            assertEquals(0, select.status(), select.toString());
            // SWP = 1 through libiscsi: a third session, so a and b both have MODE PARAMETERS CHANGED pending
            ExternalTool.Outcome swp = tools.execute("iscsi-swp", "--swp=on", url);
            assertEquals(0, swp.exit(), swp.describe());

            int mark = front.output.mark();
            daemon.process.destroyForcibly();
            assertTrue(daemon.process.waitFor(30, TimeUnit.SECONDS), "daemon did not end:\n" + daemon.output.text());
            daemon = startDaemon(config);
            front.output.awaitSince(mark, ATTACHED, 60);

            // the same sessions, a new daemon process: the condition comes first, in descriptor format
            assertEquals(List.of(0x72, 6, 0x2A, 0x01), sense(a.read(TEST_UNIT_READY, 0)), "MODE PARAMETERS CHANGED kept");
            assertEquals(0, a.read(TEST_UNIT_READY, 0).status(), "reported once");
            assertEquals(List.of(0x72, 5, 0x21, 0), sense(a.read(read10PastTheEnd(), 512)), "D_SENSE kept");
            IscsiProbe.Result now = a.read(modeSense6Control(), 255);
            assertEquals(0x04, now.data()[4 + 2] & 0x04, "MODE SENSE: D_SENSE = 1");
            assertEquals(0x08, now.data()[4 + 4] & 0x08, "MODE SENSE: SWP = 1");
            assertEquals(0x80, now.data()[2] & 0x80, "WP");
            assertEquals(List.of(0x72, 6, 0x2A, 0x01), sense(b.read(TEST_UNIT_READY, 0)), "b's pending condition kept");
            assertEquals(0, b.read(TEST_UNIT_READY, 0).status(), "reported once");
            assertEquals(List.of(0x72, 7, 0x27, 0x02), sense(b.write(write10(1), new byte[512])), "SWP kept");

            // libiscsi clears SWP in the new daemon process; the sessions hear of it and write again
            swp = tools.execute("iscsi-swp", "--swp=off", url);
            assertEquals(0, swp.exit(), swp.describe());
            assertEquals(List.of(0x72, 6, 0x2A, 0x01), sense(b.read(TEST_UNIT_READY, 0)));
            IscsiProbe.Result write = b.write(write10(1), new byte[512]);
            assertEquals(0, write.status(), write.toString());

            // a planned stop (SIGTERM): a's condition from that change is still pending, and kept
            mark = front.output.mark();
            daemon.stopCleanly();
            daemon = startDaemon(config);
            front.output.awaitSince(mark, ATTACHED, 60);
            assertEquals(List.of(0x72, 6, 0x2A, 0x01), sense(a.read(TEST_UNIT_READY, 0)), "kept across a planned stop");
            assertEquals(0, a.read(TEST_UNIT_READY, 0).status());
            assertEquals(0, b.read(TEST_UNIT_READY, 0).status());
            closed = daemon.output.mark();
        }
        // the sessions end in this daemon before it stops: none is left for a daemon that never comes
        for (String initiator : List.of("state-a", "state-b")) {
            daemon.output.awaitSince(closed, Pattern.compile("destroyed: iqn\\.2026-12\\.org\\.jtgt:" + initiator), 30);
        }
        String frontLog = front.output.text();
        assertEquals(1, SplitRun.count(frontLog, "login iqn.2026-12.org.jtgt:state-a"), "session a logged in once:\n" + frontLog);
        daemon.stopCleanly();
        front.stopCleanly();
    }

    private static IscsiProbe login(int port, String initiator, int isid) throws IOException {
        return IscsiProbe.login(port, initiator, TARGET, isid);
    }

    /** Takes what a new session may have pending, until TEST UNIT READY is GOOD. */
    private static void drain(IscsiProbe p) throws IOException {
        for (int i = 0; i < 10; i++) {
            if (p.read(TEST_UNIT_READY, 0).status() == 0) {
                return;
            }
        }
        throw new AssertionError("unit attentions do not end");
    }

    private LauncherProcess startDaemon(Path config) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Djava.io.tmpdir=" + LauncherProcess.TARGET);
        command.add("-Djtgt.default.target.size=16777216");
        command.add("-Djtgt.metrics.http=127.0.0.1:0");
        command.addAll(List.of("-jar", LauncherProcess.JAR.toString(), "--role", "daemon", "--config", config.toString()));
        LauncherProcess daemon = LauncherProcess.wrap(new ProcessBuilder(command)
                .directory(LauncherProcess.TARGET.toFile()).redirectErrorStream(true).start());
        processes.add(daemon.process);
        daemon.output.await(WAITING, 120);
        return daemon;
    }

    /** The front answers discovery from the catalog the daemon sends it; wait for the new target there. */
}
