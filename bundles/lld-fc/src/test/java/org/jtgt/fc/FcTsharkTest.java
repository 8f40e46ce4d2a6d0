package org.jtgt.fc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.fc.initiator.FcInitiator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Wireshark, a decoder nobody here wrote, reads a capture of a login and I/O run: FLOGI, PLOGI
 * and PRLI accepted, FCP_CMND/FCP_RSP decoded with the expected SCSI opcodes and status, no
 * malformed frame and no expert error. Needs {@code tshark} and capture rights on {@code lo};
 * without them the test is skipped, except with {@code CI=true}, where it fails.
 */
@Timeout(120)
class FcTsharkTest {
    private static final int T = FcFabric.TARGET_PORT_ID;

    private static boolean ci() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    private static String tshark() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            Path p = Paths.get(dir, "tshark");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        if (ci()) {
            fail("CI=true but tshark is not installed");
        }
        Assumptions.abort("tshark not installed");
        return null;
    }

    private static String run(List<String> cmd, Path out) throws Exception {
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

    @Test
    void wiresharkDecodesLoginsAndFcpWithoutErrors() throws Exception {
        String tshark = tshark();
        Path dir = Paths.get("target", "tshark");
        Files.createDirectories(dir);
        Path capture = dir.resolve("fc.pcapng").toAbsolutePath();
        Path captureLog = dir.resolve("capture.log");
        Files.deleteIfExists(capture);
        try (FcFixture f = new FcFixture(256 * 1024)) {
            Process cap = new ProcessBuilder(tshark, "-i", "lo", "-f", "tcp port " + f.port, "-w", capture.toString())
                    .redirectErrorStream(true).redirectOutput(captureLog.toFile()).start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!Files.readString(captureLog).contains("Capturing on")) {
                    if (!cap.isAlive() || System.nanoTime() > deadline) {
                        String log = Files.readString(captureLog);
                        if (ci()) {
                            fail("tshark could not capture on lo:\n" + log);
                        }
                        Assumptions.abort("tshark cannot capture on lo here: " + log);
                    }
                    Thread.sleep(50);
                }
                Thread.sleep(500);
                try (FcInitiator i = f.login()) {
                    byte[] data = new byte[16 * 1024];
                    new Random(7).nextBytes(data);
                    assertEquals(0, i.command(T, 0, FcIoTest.rw10(0x2A, 0, 32), data, 0).status());
                    assertEquals(0, i.command(T, 0, FcIoTest.rw10(0x28, 0, 32), null, data.length).status());
                    assertEquals(0, i.command(T, 0, new byte[] {0x12, 0, 0, 0, 96, 0}, null, 96).status());
                    assertEquals(2, i.command(T, 0, FcIoTest.rw10(0x28, 1 << 20, 1), null, 512).status());
                    assertTrue(i.logo(T).accepted());
                }
                Thread.sleep(1000);
            } finally {
                cap.destroy();
                if (!cap.waitFor(10, TimeUnit.SECONDS)) {
                    cap.destroyForcibly();
                }
            }
            String decode = "tcp.port==" + f.port + ",fcip";
            String fields = run(List.of(tshark, "-r", capture.toString(), "-d", decode, "-T", "fields", "-E",
                    "separator=|", "-e", "frame.number", "-e", "fc.r_ctl", "-e", "fcels.opcode", "-e", "scsi.status",
                    "-e", "_ws.col.Info"),
                    dir.resolve("fields.txt"));
            String errors = run(List.of(tshark, "-r", capture.toString(), "-d", decode, "-Y",
                    "_ws.malformed || _ws.expert.severity == error", "-T", "fields", "-e", "frame.number", "-e",
                    "_ws.col.Info"), dir.resolve("errors.txt"));
            assertTrue(errors.isBlank(), "Wireshark reports malformed frames or expert errors:\n" + errors
                    + "\n--- all frames:\n" + fields);
            List<String> accepted = new ArrayList<>();
            for (String line : fields.split("\n")) {
                if (line.contains("ACC")) {
                    accepted.add(line);
                }
            }
            String all = String.join("\n", accepted) + "\n--- all frames:\n" + fields;
            assertTrue(fields.contains("ACC (FLOGI)"), "FLOGI accepted\n" + all);
            assertTrue(fields.contains("ACC (PLOGI)"), "PLOGI accepted\n" + all);
            assertTrue(fields.contains("ACC (PRLI)"), "PRLI accepted\n" + all);
            assertTrue(fields.contains("FCP_CMND") || fields.contains("SCSI: Read(10)"), "FCP_CMND decoded\n" + fields);
            assertTrue(fields.contains("Read(10)") && fields.contains("Write(10)") && fields.contains("Inquiry"),
                    "SCSI opcodes decoded\n" + fields);
            assertTrue(fields.contains("Check Condition"), "a CHECK CONDITION status decoded\n" + fields);
        }
    }
}
