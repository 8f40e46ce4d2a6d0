package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * LUN mapping per initiator through a running launcher, made with jtgtadm and seen by initiators
 * nobody here wrote: libiscsi's {@code iscsi-ls} lists, per initiator name, the LUNs its REPORT
 * LUNS answer names, and Wireshark's SCSI dissector decodes those answers from a loopback
 * capture. Initiator A sees the target's LUN 2 as its LUN 0 and LUN 0 as its LUN 5; initiator B,
 * without a map, sees LUNs 0, 1 and 2; after a restart the map is read back from targets.conf.
 */
@Timeout(300)
class LunMapIT {
    private static final Path WORK = LauncherProcess.TARGET.resolve("lunmap-it");
    private static final String TARGET = "iqn.2026-11.org.jtgt:lunmap-it";
    private static final String A = "iqn.2026-11.org.jtgt:host-a";
    private static final String B = "iqn.2026-11.org.jtgt:host-b";
    private static final Pattern LUN = Pattern.compile("Lun:(\\d+)\\s+Type:DIRECT_ACCESS");

    @RegisterExtension
    final Processes processes = new Processes();

    @Test
    void twoInitiatorNamesSeeDifferentLunSets() throws Exception {
        ExternalTool.require("iscsi-ls", "libiscsi-bin");
        ExternalTool.require("iscsi-inq", "libiscsi-bin");
        ExternalTool.require("tshark", "tshark");
        LauncherProcess.deleteTree(WORK);
        Files.createDirectories(WORK);
        ExternalTool tools = new ExternalTool(WORK, Duration.ofSeconds(60));
        Path config = WORK.resolve("config");
        String control = config.resolve("control.sock").toString();

        LauncherProcess launcher = start(config);
        int port = launcher.iscsiPort();
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "target", "--tid", "1", "-T", TARGET);
        for (String lun : List.of("0", "1", "2")) {
            LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", lun,
                    "--bstype", "memory", "--size", "1048576");
        }
        String bound = LauncherProcess.jtgtadmAt(control, 0, "--op", "bind", "--mode", "lunmap", "--tid", "1", "-Q", A,
                "--lun", "2", "--mapped-lun", "0");
        assertTrue(bound.contains(A + " sees LUN 2 as LUN 0"), bound);
        LauncherProcess.jtgtadmAt(control, 0, "--op", "bind", "--mode", "lunmap", "--tid", "1", "-Q", A, "--lun", "0",
                "--mapped-lun", "5");
        String missing = LauncherProcess.jtgtadmAt(control, 1, "--op", "bind", "--mode", "lunmap", "--tid", "1", "-Q", A,
                "--lun", "7");
        assertTrue(missing.contains("tid 1 has no LUN 7"), missing);
        String usage = LauncherProcess.jtgtadmAt(control, 2, "--op", "bind", "--mode", "lunmap", "--tid", "1", "-Q", A,
                "--lun", "1", "--mapped-lun", "x");
        assertTrue(usage.contains("mapped LUN 'x' is not a number"), usage);
        String show = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "lunmap", "--tid", "1");
        assertTrue(show.contains(A + ": LUN 2 as 0, LUN 0 as 5"), show);

        String base = "iscsi://127.0.0.1:" + port + "/";
        Path capture = WORK.resolve("lunmap.pcapng");
        Process cap = startCapture(port, capture);
        String seenByA;
        String seenByB;
        try {
            seenByA = tools.run("iscsi-ls", "-s", "-i", A, base);
            seenByB = tools.run("iscsi-ls", "-s", "-i", B, base);
            Thread.sleep(1000);
        } finally {
            cap.destroy();
            if (!cap.waitFor(10, TimeUnit.SECONDS)) {
                cap.destroyForcibly();
            }
        }
        assertEquals(List.of(0, 5), luns(seenByA), seenByA);
        assertEquals(List.of(0, 1, 2), luns(seenByB), seenByB);
        // A's LUN 0 is the target's LUN 2: its serial number (VPD 80h, derived from target and LUN) says so
        String serialA0 = tools.run("iscsi-inq", "-i", A, "-e", "1", "-c", "128", base + TARGET + "/0");
        String serialB2 = tools.run("iscsi-inq", "-i", B, "-e", "1", "-c", "128", base + TARGET + "/2");
        assertEquals(serial(serialB2), serial(serialA0), serialA0 + "\n" + serialB2);
        ExternalTool.Outcome hidden = tools.execute("iscsi-inq", "-i", A, base + TARGET + "/1");
        assertTrue(hidden.exit() != 0, "A's LUN 1 is not accessible: " + hidden.describe());

        assertEquals(Map.of(A, List.of(0, 5), B, List.of(0, 1, 2)), decodedReportLuns(capture, port),
                "the REPORT LUNS answers as Wireshark decodes them");

        // read back from targets.conf after a restart
        launcher.stopCleanly();
        LauncherProcess again = start(config);
        String baseAgain = "iscsi://127.0.0.1:" + again.iscsiPort() + "/";
        assertEquals(List.of(0, 5), luns(tools.run("iscsi-ls", "-s", "-i", A, baseAgain)));
        assertEquals(List.of(0, 1, 2), luns(tools.run("iscsi-ls", "-s", "-i", B, baseAgain)));
        String unbound = LauncherProcess.jtgtadmAt(control, 0, "--op", "delete", "--mode", "lunmap", "--tid", "1", "-Q", A);
        assertTrue(unbound.contains("it sees every LUN of the target again"), unbound);
        assertEquals(List.of(0, 1, 2), luns(tools.run("iscsi-ls", "-s", "-i", A, baseAgain)));
        again.stopCleanly();
    }

    /** The LUN numbers iscsi-ls lists for our target. */
    private static List<Integer> luns(String ls) {
        int at = ls.indexOf("Target:" + TARGET);
        assertTrue(at >= 0, ls);
        List<Integer> out = new ArrayList<>();
        String section = ls.substring(at);
        int next = section.indexOf("Target:", 1);
        Matcher m = LUN.matcher(next < 0 ? section : section.substring(0, next));
        while (m.find()) {
            out.add(Integer.parseInt(m.group(1)));
        }
        return out;
    }

    private static String serial(String inq) {
        Matcher m = Pattern.compile("Unit Serial Number:\\s*(\\S+)").matcher(inq);
        assertTrue(m.find(), inq);
        return m.group(1);
    }

    private static boolean ci() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** tshark capturing the portal's traffic on {@code lo} into {@code capture}, once it says it captures. */
    private Process startCapture(int port, Path capture) throws IOException, InterruptedException {
        Path log = capture.resolveSibling("capture.log");
        Process cap = new ProcessBuilder("tshark", "-i", "lo", "-f", "tcp port " + port, "-w", capture.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(cap);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.readString(log).contains("Capturing on")) {
            if (!cap.isAlive() || System.nanoTime() > deadline) {
                String text = Files.readString(log);
                cap.destroyForcibly();
                if (ci()) {
                    fail("tshark could not capture on lo:\n" + text);
                }
                Assumptions.abort("tshark cannot capture on lo here: " + text);
            }
            Thread.sleep(50);
        }
        Thread.sleep(500);
        return cap;
    }

    /**
     * Initiator name → the LUNs of the REPORT LUNS answers in its sessions, as Wireshark decodes
     * the capture (the TCP stream of each login names its initiator).
     */
    private static Map<String, List<Integer>> decodedReportLuns(Path capture, int port) throws Exception {
        String decode = "tcp.port==" + port + ",iscsi";
        String names = tshark(capture, WORK.resolve("names.txt"), "-d", decode, "-Y",
                "iscsi.keyvalue contains \"InitiatorName=\"", "-T", "fields", "-E", "separator=|", "-E",
                "occurrence=a", "-E", "aggregator=;", "-e", "tcp.stream", "-e", "iscsi.keyvalue");
        // a stream logs in to our target when its login names it (discovery and the default target's sessions do not)
        Map<String, String> initiatorOfStream = new HashMap<>();
        for (String line : names.split("\n")) {
            String[] f = line.split("\\|", -1);
            List<String> keys = f.length > 1 ? List.of(f[1].split(";")) : List.of();
            if (!keys.contains("TargetName=" + TARGET)) {
                continue;
            }
            for (String kv : keys) {
                if (kv.startsWith("InitiatorName=")) {
                    initiatorOfStream.put(f[0], kv.substring("InitiatorName=".length()));
                }
            }
        }
        // PDML: the entries of the LUN list are the scsi.lun fields with bytes (size 2); the ones
        // Wireshark generates for the command's LUN have none
        String pdml = tshark(capture, WORK.resolve("reportluns.pdml"), "-d", decode, "-Y",
                "scsi.reportluns.lun_list_length", "-T", "pdml");
        String errors = tshark(capture, WORK.resolve("errors.txt"), "-d", decode, "-Y",
                "_ws.malformed || _ws.expert.severity == error", "-T", "fields", "-e", "frame.number", "-e",
                "_ws.col.Info");
        assertTrue(errors.isBlank(), "Wireshark reports malformed frames or expert errors:\n" + errors);
        Pattern stream = Pattern.compile("name=\"tcp.stream\"[^>]* show=\"(\\d+)\"");
        Pattern listLength = Pattern.compile("name=\"scsi.reportluns.lun_list_length\"[^>]* show=\"(\\d+)\"");
        Pattern entry = Pattern.compile("name=\"scsi.lun\"[^>]* size=\"2\"[^>]* show=\"(0x[0-9a-f]+)\"");
        Map<String, List<Integer>> out = new TreeMap<>();
        Map<String, Integer> lengths = new HashMap<>();
        int complete = 0;
        for (String packet : pdml.split("<packet>")) {
            Matcher st = stream.matcher(packet);
            Matcher len = listLength.matcher(packet);
            if (!st.find() || !len.find()) {
                continue;
            }
            String initiator = initiatorOfStream.get(st.group(1));
            if (initiator == null) {
                continue;   // another target's session
            }
            int length = Integer.parseInt(len.group(1));
            Integer before = lengths.put(initiator, length);
            assertTrue(before == null || before == length, "every answer to " + initiator + " has one LUN LIST LENGTH");
            List<Integer> luns = new ArrayList<>();
            Matcher e = entry.matcher(packet.substring(len.end()));
            while (e.find()) {
                luns.add(Integer.decode(e.group(1)));
            }
            if (luns.size() * 8 == length) {   // not an answer cut short by a small ALLOCATION LENGTH
                complete++;
                List<Integer> seen = out.put(initiator, luns);
                assertTrue(seen == null || seen.equals(luns), "one view per initiator: " + seen + " and " + luns);
            }
        }
        assertTrue(complete >= 2, "complete REPORT LUNS answers decoded: " + complete);
        return out;
    }

    private static String tshark(Path capture, Path out, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tshark", "-r", capture.toString()));
        cmd.addAll(List.of(args));
        Path err = out.resolveSibling(out.getFileName() + ".stderr");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).redirectOutput(out.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("timed out: " + cmd);
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            fail(cmd + " exited " + p.exitValue() + ":\n" + text + Files.readString(err, StandardCharsets.UTF_8));
        }
        return text;
    }

    private LauncherProcess start(Path config) throws IOException, InterruptedException {
        LauncherProcess launcher = LauncherProcess.startOn(config);
        processes.add(launcher.process);
        return launcher;
    }
}
