package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Explicit ALUA through a running launcher: a target port group made and changed with jtgtadm
 * is what initiators see (REPORT TARGET PORT GROUPS, ASYMMETRIC ACCESS STATE CHANGED, NOT
 * READY in standby and unavailable, libiscsi's connection refused at its TEST UNIT READY), an initiator's SET
 * TARGET PORT GROUPS is shown by jtgtadm and written to targets.conf, and the state is there
 * again after a restart. tshark, a decoder nobody here wrote, reads a capture of the session:
 * the INQUIRY TPGS field, the REPORT and SET TARGET PORT GROUPS commands, the sense of each
 * refusal and the REPORT TARGET PORT GROUPS parameter data.
 */
@Timeout(300)
class AluaIT {
    private static final Path WORK = LauncherProcess.TARGET.resolve("alua-it");
    private static final String TARGET = "iqn.2026-11.org.jtgt:alua-it";
    private static final String INITIATOR = "iqn.2026-11.org.jtgt:alua-initiator";
    private static final Pattern ISCSI_PORT = Pattern.compile("(?m)^    (\\d+): iscsi ");

    @RegisterExtension
    final Processes processes = new Processes();

    private static byte[] rtpg() {
        return new byte[] {(byte) 0xA3, 0x2A, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};   // extended header, 256 bytes
    }

    private static byte[] stpg(int state, int group) {
        return new byte[] {0, 0, 0, 0, (byte) state, 0, (byte) (group >>> 8), (byte) group};
    }

    private static final byte[] STPG_CDB = {(byte) 0xA4, 0x0A, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0};
    private static final byte[] TEST_UNIT_READY = new byte[6];
    private static final byte[] READ_10 = {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0};

    private static void assertSense(IscsiProbe.Result r, int key, int asc, int ascq) {
        assertEquals(2, r.status(), r.toString());
        assertEquals(List.of(key, asc, ascq), List.of(r.senseKey(), r.asc(), r.ascq()), r.toString());
    }

    /** The first group descriptor of extended REPORT TARGET PORT GROUPS data: state byte, group, status, port count. */
    private static int[] firstGroup(IscsiProbe.Result r) {
        assertEquals(0, r.status(), r.toString());
        byte[] d = r.data();
        assertEquals(0x10, d[4], "FORMAT TYPE 001b");
        return new int[] {d[8] & 0xFF, (d[10] & 0xFF) << 8 | d[11] & 0xFF, d[13] & 0xFF, d[15] & 0xFF};
    }

    @Test
    void aPortGroupChangedWithJtgtadmIsWhatInitiatorsSeeAndOutlivesARestart() throws Exception {
        ExternalTool.require("tshark", "tshark");
        ExternalTool.require("iscsi-inq", "libiscsi-bin");
        LauncherProcess.deleteTree(WORK);
        Files.createDirectories(WORK);
        ExternalTool tools = new ExternalTool(WORK, Duration.ofSeconds(60));
        Path config = WORK.resolve("config");
        String control = config.resolve("control.sock").toString();
        LauncherProcess launcher = start(config);
        int port = launcher.iscsiPort();
        String url = "iscsi://127.0.0.1:" + port + "/" + TARGET + "/0";

        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "target", "--tid", "1", "-T", TARGET);
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0",
                "--bstype", "memory", "--size", "1048576");
        String shown = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "portgroup", "--tid", "1");
        assertTrue(shown.contains("Every port is a group of its own, active/optimized"), shown);
        Matcher m = ISCSI_PORT.matcher(shown);
        assertTrue(m.find(), shown);
        int iscsiPort = Integer.parseInt(m.group(1));
        // bad input: a usage error or a refusal with the reason, nothing changed
        String bad = LauncherProcess.jtgtadmAt(control, 2, "--op", "new", "--mode", "portgroup", "--tid", "1", "-P",
                "group=10,ports=" + iscsiPort + ",state=asleep");
        assertTrue(bad.contains("'asleep' is not an access state"), bad);

        Path capture = WORK.resolve("alua.pcapng");
        Path captureLog = WORK.resolve("tshark-capture.log");
        Process cap = new ProcessBuilder("tshark", "-i", "lo", "-f", "tcp port " + port, "-w", capture.toString())
                .redirectErrorStream(true).redirectOutput(captureLog.toFile()).start();
        processes.add(cap);
        awaitCapture(cap, captureLog);
        try (IscsiProbe probe = IscsiProbe.login(port, INITIATOR, TARGET, 1)) {
            assertArrayEquals(new int[] {0x00, iscsiPort, 0, 1}, firstGroup(probe.read(rtpg(), 256)),
                    "nothing configured: the portal's own group, active/optimized");
            tools.run("iscsi-inq", "-i", INITIATOR, url);   // standard INQUIRY, for tshark's TPGS

            LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "portgroup", "--tid", "1", "-P",
                    "group=10,ports=" + iscsiPort + ",state=standby,preferred=1");
            assertSense(probe.read(TEST_UNIT_READY, 0), 6, 0x2A, 0x06);
            assertArrayEquals(new int[] {0x82, 10, 0x02, 1}, firstGroup(probe.read(rtpg(), 256)),
                    "PREF, standby, altered implicitly, one port");
            assertSense(probe.read(READ_10, 512), 2, 0x04, 0x0B);
            // libiscsi connects with TEST UNIT READY, which standby does not process (SPC-4 5.16.2.4.4)
            ExternalTool.Outcome standby = tools.execute("iscsi-inq", "-i", INITIATOR + "-2", url);
            assertTrue(standby.exit() != 0 && standby.output().contains("NOT READY")
                    && standby.output().contains("0x040b"), standby.describe());

            // the initiator asks for active/non-optimized; jtgtadm shows it, targets.conf keeps it
            assertEquals(0, probe.write(STPG_CDB, stpg(0x01, 10)).status());
            assertEquals(0, probe.read(READ_10, 512).status());
            assertArrayEquals(new int[] {0x81, 10, 0x01, 1}, firstGroup(probe.read(rtpg(), 256)),
                    "altered by SET TARGET PORT GROUPS");
            String line = "portgroup 1 10 ports=" + iscsiPort + " state=active/non-optimized preferred=1";
            awaitLine(config.resolve("targets.conf"), line);
            String now = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "portgroup", "--tid", "1");
            assertTrue(now.contains("Port group 10: active/non-optimized, preferred"), now);
            IscsiProbe.Result refused = probe.write(STPG_CDB, stpg(0x0F, 10));   // transitioning: not requestable
            assertSense(refused, 5, 0x26, 0x00);

            LauncherProcess.jtgtadmAt(control, 0, "--op", "update", "--mode", "portgroup", "--tid", "1", "-P",
                    "group=10,state=unavailable");
            assertSense(probe.read(READ_10, 512), 6, 0x2A, 0x06);
            assertSense(probe.read(READ_10, 512), 2, 0x04, 0x0C);
            ExternalTool.Outcome unavailable = tools.execute("iscsi-inq", "-i", INITIATOR + "-2", url);
            assertTrue(unavailable.exit() != 0 && unavailable.output().contains("0x040c"), unavailable.describe());
            Thread.sleep(1500);   // dumpcap writes what it has seen before it is stopped
        } finally {
            cap.destroy();
            if (!cap.waitFor(10, TimeUnit.SECONDS)) {
                cap.destroyForcibly();
            }
        }
        checkDecode(tools, capture, port, iscsiPort);

        launcher.stopCleanly();
        launcher = start(config);
        port = launcher.iscsiPort();
        try (IscsiProbe probe = loginWhenThere(port)) {
            assertArrayEquals(new int[] {0x83, 10, 0x02, 1}, firstGroup(probe.read(rtpg(), 256)),
                    "unavailable and preferred again after the restart, set implicitly from targets.conf");
            assertSense(probe.read(READ_10, 512), 2, 0x04, 0x0C);
        }
        LauncherProcess.jtgtadmAt(control, 0, "--op", "delete", "--mode", "portgroup", "--tid", "1", "-P", "group=10");
        try (IscsiProbe probe = IscsiProbe.login(port, INITIATOR, TARGET, 3)) {
            assertArrayEquals(new int[] {0x00, iscsiPort, 0x00, 1}, firstGroup(probe.read(rtpg(), 256)));
            assertEquals(0, probe.read(READ_10, 512).status());
        }
        launcher.stopCleanly();
    }

    /** What tshark makes of the capture: no malformed frame, the TPGS field, the commands, the sense. */
    private static void checkDecode(ExternalTool tools, Path capture, int port, int iscsiPort) throws Exception {
        String decode = "tcp.port==" + port + ",iscsi";
        String errors = tshark(tools, "tshark", "-r", capture.toString(), "-d", decode, "-Y",
                "_ws.malformed || _ws.expert.severity == error", "-T", "fields", "-e", "frame.number", "-e",
                "_ws.col.Info");
        String fields = tshark(tools, "tshark", "-r", capture.toString(), "-d", decode, "-Y", "scsi", "-T", "fields",
                "-E", "separator=|", "-e", "frame.number", "-e", "scsi.inquiry.tpgs", "-e", "scsi.mpi.service_action",
                "-e", "scsi.status", "-e", "scsi.sns.key", "-e", "scsi.sns.asc", "-e", "scsi.sns.ascq", "-e",
                "_ws.col.Info");
        Files.writeString(WORK.resolve("tshark-fields.txt"), fields);
        assertTrue(errors.isBlank(), "Wireshark reports malformed frames or expert errors:\n" + errors + "\n" + fields);
        assertTrue(fields.lines().anyMatch(l -> l.split("\\|", -1)[1].equals("3")),
                "an INQUIRY answered with TPGS = 11b (implicit and explicit)\n" + fields);
        assertTrue(fields.lines().anyMatch(l -> l.split("\\|", -1)[2].equals("0x0a")),
                "REPORT TARGET PORT GROUPS (MAINTENANCE IN, service action 0Ah)\n" + fields);
        assertTrue(fields.contains("0x02|0x04|0x0b"), "NOT READY, TARGET PORT IN STANDBY STATE\n" + fields);
        assertTrue(fields.contains("0x02|0x04|0x0c"), "NOT READY, TARGET PORT IN UNAVAILABLE STATE\n" + fields);
        assertTrue(fields.contains("0x06|0x2a|0x06"), "UNIT ATTENTION, ASYMMETRIC ACCESS STATE CHANGED\n" + fields);
        assertTrue(fields.contains("0x05|0x26|0x00"), "ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST\n" + fields);
        // Wireshark 4.0 knows MAINTENANCE IN but not service action 0Ah's parameter data: the payload of
        // the Data-In PDUs it matched to a REPORT TARGET PORT GROUPS, after their 48-byte header
        String data = tshark(tools, "tshark", "-r", capture.toString(), "-d", decode, "-Y",
                "iscsi.opcode == 0x25 && scsi.mpi.service_action == 0x0a", "-T", "fields", "-e", "tcp.payload");
        Files.writeString(WORK.resolve("tshark-rtpg.txt"), data);
        // after the BHS and RETURN DATA LENGTH: FORMAT TYPE 001b, then the first descriptor
        String standby = "10000000" + "828f000a00020001" + "0000" + String.format("%04x", iscsiPort);
        assertTrue(data.lines().map(l -> l.replace(":", "")).anyMatch(l -> l.length() > 48 * 2 + 8
                && l.substring(48 * 2 + 8).startsWith(standby)),
                "REPORT TARGET PORT GROUPS data with group 10 standby, preferred, altered implicitly, port "
                        + iscsiPort + " (" + standby + ")\n" + data);
    }

    /** A tshark run's output without its warning about running as root. */
    private static String tshark(ExternalTool tools, String... command) throws IOException, InterruptedException {
        return tools.run(command).lines().filter(l -> !l.startsWith("Running as user"))
                .reduce("", (a, b) -> a + b + "\n");
    }

    /** After a start, targets.conf is applied on the config bundle's thread: the target may come a moment later. */
    private static IscsiProbe loginWhenThere(int port) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                return IscsiProbe.login(port, INITIATOR, TARGET, 2);
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private static void awaitCapture(Process cap, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.readString(log).contains("Capturing on")) {
            if (!cap.isAlive() || System.nanoTime() > deadline) {
                String text = Files.readString(log);
                if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                    fail("tshark could not capture on lo:\n" + text);
                }
                org.junit.jupiter.api.Assumptions.abort("tshark cannot capture on lo here: " + text);
            }
            Thread.sleep(50);
        }
        Thread.sleep(500);
    }

    private static void awaitLine(Path file, String line) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.readAllLines(file).contains(line)) {
            if (System.nanoTime() > deadline) {
                fail("targets.conf never got '" + line + "':\n" + Files.readString(file));
            }
            Thread.sleep(50);
        }
    }

    private LauncherProcess start(Path config) throws IOException, InterruptedException {
        LauncherProcess launcher = LauncherProcess.startOn(config);
        processes.add(launcher.process);
        return launcher;
    }

}
