package org.jtgt.fc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.fc.initiator.FcInitiator;
import org.jtgt.fc.wire.Els;
import org.jtgt.fc.wire.FcFrameHeader;
import org.jtgt.fc.wire.FcipFraming;
import org.jtgt.fc.wire.FcipHeader;
import org.jtgt.fc.wire.Fcp;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Wireshark, a decoder nobody here wrote, reads a capture of a login and I/O run: FLOGI, PLOGI
 * and PRLI accepted, FCP_CMND/FCP_RSP decoded with the expected SCSI opcodes and status, an ABTS
 * with its BA_ACC, a LUN RESET with its FCP_RSP_INFO, a write in two bursts (two FCP_XFER_RDYs)
 * and the FCIP special frame with its echo, no malformed frame and no expert error.
 *
 * <p>Every FCP_RSP is matched to its FCP_CMND from the fields Wireshark decodes: the exchange is
 * (initiator S_ID, target D_ID, OX_ID); the FCP_CMND opens it (F_CTL exchange originator, first
 * sequence, RX_ID FFFFh), every frame the target sends in it carries the exchange-responder bit
 * and the RX_ID the target assigned, the FCP_RSP closes it (last sequence). The test requires
 * exactly one FCP_RSP per FCP_CMND, in that exchange, and the (opcode, status) pairs the run
 * produced. Wireshark's own link ({@code fcp.request_in}) is checked against that match whenever
 * the dissector sets it; 4.0 never does for an FCP_RSP: its {@code packet-fc.c} looks up the
 * exchange's LUN by OX_ID only when a frame is revisited ({@code if (pinfo->fd->visited)}), so on
 * the first pass every frame after the FCP_CMND gets LUN FFFFh, which {@code packet-fcp.c} keeps
 * and matches against no command ("SCSI: Response LUN: 0xffff").
 *
 * <p>Needs {@code tshark} and capture rights on {@code lo}; without them the test is skipped,
 * except with {@code CI=true}, where it fails.
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

    /** One FC frame as Wireshark decoded it. */
    private record Decoded(int number, int rCtl, String sId, String dId, int oxId, int rxId, int fCtl, int opcode,
            int status, int rspCode, int requestIn, int taskManagement, String info) {
        static Decoded parse(String line) {
            String[] f = line.split("\\|", -1);
            return new Decoded(Integer.parseInt(f[0]), hex(f[1]), f[2], f[3], hex(f[4]), hex(f[5]), hex(f[6]),
                    f[7].isEmpty() ? hex(f[8]) : hex(f[7]), hex(f[9]), hex(f[10]), f[11].isEmpty() ? 0 : Integer.parseInt(f[11]),
                    hex(f[12]), f[13]);
        }

        private static int hex(String s) {
            return s.isEmpty() ? -1 : Integer.decode(s.split(",")[0]);
        }

        boolean responder() {
            return (fCtl & FcFrameHeader.F_CTL_EXCHANGE_CONTEXT) != 0;
        }
    }

    @Test
    void wiresharkDecodesLoginsAndFcpWithoutErrorsAndEachFcpRspClosesItsCommandsExchange() throws Exception {
        String tshark = tshark();
        Path dir = Paths.get("target", "tshark");
        Files.createDirectories(dir);
        Path capture = dir.resolve("fc.pcapng").toAbsolutePath();
        Path captureLog = dir.resolve("capture.log");
        Files.deleteIfExists(capture);
        // 8 KiB bursts: the 16 KiB write takes two FCP_XFER_RDYs
        try (FcFixture f = new FcFixture(256 * 1024, java.util.Map.of("maxBurstLength", 8192))) {
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
                try (FcInitiator i = f.connect()) {
                    assertTrue(i.specialFrame(0x1000000000000abcL, 0x5eedL), "FSF echoed");
                    f.login(i);
                    byte[] data = new byte[16 * 1024];
                    new Random(7).nextBytes(data);
                    FcInitiator.Exchange write = i.submit(T, 0, FcIoTest.rw10(0x2A, 0, 32), data, 0,
                            org.jtgt.api.event.TaskAttribute.SIMPLE);
                    assertEquals(0, i.await(write).status());
                    assertEquals(2, write.xferRdys());
                    assertEquals(0, i.command(T, 0, FcIoTest.rw10(0x28, 0, 32), null, data.length).status());
                    assertEquals(0, i.command(T, 0, new byte[] {0x12, 0, 0, 0, 96, 0}, null, 96).status());
                    assertEquals(2, i.command(T, 0, FcIoTest.rw10(0x28, 1 << 20, 1), null, 512).status());
                    // an exchange aborted while it waits for data: ABTS, BA_ACC, no FCP_RSP
                    FcInitiator.Exchange held = i.submit(T, 0, FcIoTest.rw10(0x2A, 8, 2), new byte[1024], 0,
                            org.jtgt.api.event.TaskAttribute.SIMPLE, true);
                    FcLoginTest.eventually(() -> i.xferRdyHeld(held), "FCP_XFER_RDY");
                    assertEquals(FcInitiator.BA_ACC, i.abort(T, held.oxId()));
                    assertEquals(FcInitiator.RSP_TMF_COMPLETE, i.taskManagement(T, 0, FcInitiator.TMF_LUN_RESET));
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
            assertTrue(fields.contains("ABTS") && fields.contains("BA_ACC"), "ABTS and BA_ACC decoded\n" + fields);
            assertEquals(2, fields.lines().filter(l -> l.contains("Special Frame")).count(),
                    "the FSF and its echo decoded\n" + fields);
            assertEquals(3, fields.lines().filter(l -> l.contains("XFER_RDY")).count(),
                    "two FCP_XFER_RDYs for the 16 KiB write, one for the aborted one\n" + fields);

            String exchanges = run(List.of(tshark, "-r", capture.toString(), "-d", decode, "-Y", "fc.type == 0x08",
                    "-T", "fields", "-E", "separator=|", "-e", "frame.number", "-e", "fc.r_ctl", "-e", "fc.s_id", "-e",
                    "fc.d_id", "-e", "fc.ox_id", "-e", "fc.rx_id", "-e", "fc.f_ctl", "-e", "scsi.spc.opcode", "-e",
                    "scsi_sbc.opcode", "-e", "fcp.status", "-e", "fcp.rspcode", "-e", "fcp.request_in", "-e",
                    "fcp.taskmgmt", "-e", "_ws.col.Info"), dir.resolve("exchanges.txt"));
            List<String> matched = matchResponses(exchanges);
            Files.writeString(dir.resolve("matched.txt"), String.join("\n", matched) + "\n");
            assertEquals(List.of("00->GOOD", "2a->GOOD", "28->GOOD", "12->GOOD", "28->CHECK CONDITION",
                    "TMF 10->RSP_CODE 00"), matched.subList(matched.size() - 6, matched.size()).stream()
                            .map(m -> m.substring(m.indexOf(": ") + 2)).toList(),
                    "FCP_RSPs matched to their commands\n" + String.join("\n", matched) + "\n" + exchanges);
        }
    }

    /**
     * Our FC frames' CRCs, checked by Wireshark's FCoE dissector (which verifies the FC CRC; the
     * FCIP one does not): each frame the codec encodes is carried as it is, header to CRC, in an
     * FCoE Ethernet frame (FC-BB-5: EtherType 8906h, version and reserved bytes, SOF, the FC frame
     * and CRC, EOF, reserved) in a pcap file. Good for every frame we encode; Bad for one whose
     * CRC bytes are reversed, so the byte order is what is checked.
     */
    @Test
    void wiresharkVerifiesTheFcCrcOfOurFrames() throws Exception {
        String tshark = tshark();
        Path dir = Paths.get("target", "tshark");
        Files.createDirectories(dir);
        List<byte[]> frames = new ArrayList<>();
        frames.add(FcipFraming.encode(FcFrameHeader.R_CTL_ELS_REQUEST, FcFrameHeader.FABRIC_LOGIN_SERVER, 0,
                FcFrameHeader.TYPE_ELS, FcFrameHeader.F_CTL_REQUEST, 0, 1, FcFrameHeader.UNASSIGNED_ID, 0,
                Els.login(Els.FLOGI, 0x10000000c9a0b001L, 0x20000000c9a0b001L, 2048, 0, 0, 2000)));
        frames.add(FcipFraming.encode(FcFrameHeader.R_CTL_UNSOL_COMMAND, T, 0x010100, FcFrameHeader.TYPE_FCP,
                FcFrameHeader.F_CTL_REQUEST, 1, 2, FcFrameHeader.UNASSIGNED_ID, 0,
                Fcp.command(0, org.jtgt.api.event.TaskAttribute.SIMPLE, 0, FcIoTest.rw10(0x28, 0, 4), true, false, 2048)));
        byte[] data = new byte[2048];
        new Random(1).nextBytes(data);
        frames.add(FcipFraming.encode(FcFrameHeader.R_CTL_DATA, 0x010100, T, FcFrameHeader.TYPE_FCP,
                FcFrameHeader.F_CTL_EXCHANGE_CONTEXT | FcFrameHeader.F_CTL_RELATIVE_OFFSET
                        | FcFrameHeader.F_CTL_END_SEQUENCE, 2, 2, 7, 0, data));
        frames.add(FcipFraming.encode(FcFrameHeader.R_CTL_COMMAND_STATUS, 0x010100, T, FcFrameHeader.TYPE_FCP,
                FcFrameHeader.F_CTL_REPLY, 3, 2, 7, 0, new byte[Fcp.RSP_LENGTH + 3]));   // 3 fill bytes
        byte[] reversed = frames.get(0).clone();
        int crcAt = reversed.length - 8;
        for (int i = 0; i < 4; i++) {
            reversed[crcAt + i] = frames.get(0)[crcAt + 3 - i];
        }
        frames.add(reversed);
        Path pcap = dir.resolve("fcoe.pcap").toAbsolutePath();
        Files.write(pcap, fcoePcap(frames));
        String out = run(List.of(tshark, "-r", pcap.toString(), "-T", "fields", "-E", "separator=|", "-e",
                "frame.number", "-e", "fcoe.crc.status", "-e", "_ws.col.Info"), dir.resolve("fcoe.txt"));
        List<String> status = out.lines().map(l -> l.split("\\|", -1)[1]).toList();
        // proto_tree_add_checksum: 1 = Good, 0 = Bad
        assertEquals(List.of("1", "1", "1", "1", "0"), status, "fcoe.crc.status per frame\n" + out);
    }

    /** A pcap (Ethernet link type) with each encapsulated frame's FC part carried in FCoE. */
    private static byte[] fcoePcap(List<byte[]> fcipFrames) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ByteBuffer header = ByteBuffer.allocate(24).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        header.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
        out.writeBytes(header.array());
        int n = 0;
        for (byte[] f : fcipFrames) {
            int sof = f[FcipHeader.SOF_OFFSET] & 0xFF;
            int eof = f[f.length - 4] & 0xFF;
            int fcLength = f.length - FcipHeader.FRAME_OFFSET - 4;   // FC header, data field and CRC
            ByteBuffer e = ByteBuffer.allocate(14 + 14 + fcLength + 4);
            e.put(new byte[] {0x0e, (byte) 0xfc, 0, 1, 0, 1, 0x0e, (byte) 0xfc, 0, 1, 1, 0}).putShort((short) 0x8906);
            e.put(new byte[13]).put((byte) sof);
            e.put(f, FcipHeader.FRAME_OFFSET, fcLength);
            e.put((byte) eof).put(new byte[3]);
            ByteBuffer record = ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            record.putInt(1_700_000_000 + n++).putInt(0).putInt(e.capacity()).putInt(e.capacity());
            out.writeBytes(record.array());
            out.writeBytes(e.array());
        }
        return out.toByteArray();
    }

    /**
     * Pairs every FCP_RSP with the FCP_CMND whose exchange it closes, from Wireshark's fields.
     *
     * @return one line per FCP_RSP: {@code "cmnd frame -> rsp frame: opcode->status"}
     */
    private static List<String> matchResponses(String exchanges) {
        java.util.Map<String, Decoded> open = new java.util.HashMap<>();
        java.util.Map<String, Integer> rxIds = new java.util.HashMap<>();
        List<String> matched = new ArrayList<>();
        for (String line : exchanges.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            Decoded d = Decoded.parse(line);
            String key = d.responder() ? d.dId() + ">" + d.sId() + "#" + d.oxId() : d.sId() + ">" + d.dId() + "#" + d.oxId();
            if (d.rCtl() == FcFrameHeader.R_CTL_UNSOL_COMMAND) {
                assertTrue(!d.responder() && (d.fCtl() & FcFrameHeader.F_CTL_FIRST_SEQUENCE) != 0
                        && d.rxId() == FcFrameHeader.UNASSIGNED_ID, "FCP_CMND opens an exchange: " + line);
                assertEquals(null, open.put(key, d), "OX_ID reused while its exchange is open: " + line);
                continue;
            }
            Decoded cmnd = open.get(key);
            assertTrue(cmnd != null, "frame outside any open exchange: " + line + "\n" + exchanges);
            if (d.responder()) {
                Integer rx = rxIds.putIfAbsent(key, d.rxId());
                assertEquals(rx == null ? d.rxId() : rx, d.rxId(), "the target keeps one RX_ID per exchange: " + line);
            }
            if (d.rCtl() == FcFrameHeader.R_CTL_COMMAND_STATUS) {
                assertTrue(d.responder() && (d.fCtl() & FcFrameHeader.F_CTL_LAST_SEQUENCE) != 0,
                        "FCP_RSP is the responder's last sequence: " + line);
                if (d.requestIn() != 0) {
                    assertEquals(cmnd.number(), d.requestIn(), "Wireshark's Request In: " + line);
                }
                open.remove(key);
                rxIds.remove(key);
                String what = d.rspCode() >= 0 ? "TMF " + String.format("%02x", cmnd.taskManagement()) + "->RSP_CODE "
                        + String.format("%02x", d.rspCode()) : String.format("%02x", cmnd.opcode()) + "->"
                        + (d.status() == 0 ? "GOOD" : d.status() == 2 ? "CHECK CONDITION" : "status " + d.status());
                matched.add(cmnd.number() + " -> " + d.number() + ": " + what);
            }
        }
        // what stays open: the aborted write (ABTS, BA_ACC) only
        assertEquals(1, open.size(), "one exchange ended by BA_ACC, no FCP_RSP: " + open);
        return matched;
    }
}
