package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.jtgt.api.store.BackingStore;
import org.jtgt.testkit.LoopbackCapture;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Descriptor-format sense data as Wireshark's SCSI dissector, a decoder nobody here wrote, reads
 * it from a loopback capture of an iSCSI session: MODE SELECT sets the Control mode page's D_SENSE
 * on LUN 0, whose next CHECK CONDITION (an INQUIRY with a VPD page code but no EVPD) carries
 * response code 72h with ILLEGAL REQUEST, INVALID FIELD IN CDB and a sense-key specific
 * descriptor pointing at byte 2; LUN 1 (D_SENSE 0) has 2^33 blocks whose reads fail, and a READ
 * at LBA 2^32 + 5 answers MEDIUM ERROR in descriptor format on its own, with the LBA in an
 * information descriptor, while a READ at LBA 7 stays fixed format (70h) with INFORMATION 7. No
 * frame is malformed and no expert error is reported.
 *
 * <p>Needs {@code tshark} and capture rights on {@code lo}; without them the test is skipped,
 * except with {@code CI=true}, where it fails.
 */
@Timeout(120)
class DescriptorSenseTsharkTest {
    private static final long LUN1 = 1L << 48;
    private static final long WIDE_LBA = (1L << 32) + 5;

    /** 2^33 blocks of 512 bytes whose reads fail: MEDIUM ERROR with the LBA as INFORMATION. */
    private static final class FailingHugeStore implements BackingStore {
        @Override public long size() { return (1L << 33) * 512; }
        @Override public boolean blocks() { return false; }
        @Override public void read(long offset, ByteBuffer dst) throws IOException { throw new IOException("unreadable at " + offset); }
        @Override public void write(long offset, ByteBuffer src, boolean fua) { src.position(src.limit()); }
        @Override public void flush() { }
        @Override public String describe() { return "failing huge"; }
        @Override public void close() { }
    }

    private static byte[] read16(long lba, int blocks) {
        byte[] c = new byte[16];
        c[0] = (byte) 0x88;
        ByteBuffer.wrap(c).putLong(2, lba).putInt(10, blocks);
        return c;
    }

    private static void clearUnitAttentions(TestInitiator i, long lun) throws IOException {
        for (int n = 0; n < 10; n++) {
            if (i.command(lun, TestInitiator.testUnitReady(), 0, false, null).status == 0) {
                return;
            }
        }
        fail("unit attentions do not end on LUN " + lun);
    }

    @Test
    void wiresharkDecodesDescriptorSenseSelectedByDSenseAndForAWideLba() throws Exception {
        String tshark = LoopbackCapture.tshark();
        Path dir = Path.of("target", "tshark");
        Files.createDirectories(dir);
        Path capture = dir.resolve("descriptor-sense.pcapng").toAbsolutePath();
        Path captureLog = dir.resolve("descriptor-sense-capture.log");
        Files.deleteIfExists(capture);
        try (IscsiFixture f = new IscsiFixture(1 << 20)) {
            f.daemon.addLun(IscsiFixture.TARGET, 1, new FailingHugeStore(), 512, LunOptions.DEFAULT);
            try (LoopbackCapture cap = LoopbackCapture.start(tshark, f.port, capture, captureLog)) {
                try (TestInitiator i = new TestInitiator(f.port)) {
                    assertEquals(0, i.login(IscsiFixture.TARGET, Map.of()).loginStatus());
                    clearUnitAttentions(i, 0);
                    clearUnitAttentions(i, LUN1);
                    // MODE SENSE(6) of the Control page, then MODE SELECT(6) of it with D_SENSE set
                    TestInitiator.Result control = i.command(0, new byte[] {0x1A, 0x08, 0x0A, 0, (byte) 255, 0}, 255,
                            true, null);
                    assertEquals(0, control.status);
                    byte[] list = new byte[4 + 12];
                    System.arraycopy(control.data, 4, list, 4, 12);
                    list[4 + 2] |= 0x04;
                    assertEquals(0, i.command(0, new byte[] {0x15, 0x10, 0, 0, (byte) list.length, 0}, list.length,
                            false, list).status);
                    TestInitiator.Result bad = i.command(0, new byte[] {0x12, 0, 0x55, 0, 36, 0}, 36, true, null);
                    assertEquals(2, bad.status);
                    assertEquals(0x72, bad.sense[0] & 0xFF, "our own reading: descriptor format");
                    TestInitiator.Result wide = i.command(LUN1, read16(WIDE_LBA, 1), 512, true, null);
                    assertEquals(2, wide.status);
                    assertEquals(0x72, wide.sense[0] & 0xFF);
                    TestInitiator.Result narrow = i.command(LUN1, read16(7, 1), 512, true, null);
                    assertEquals(2, narrow.status);
                    assertEquals(0xF0, narrow.sense[0] & 0xFF);
                }
                Thread.sleep(1000);
            }
        }
        String decode = "tcp.port==" + portOf(captureLog, capture, tshark) + ",iscsi";
        String errors = LoopbackCapture.read(List.of(tshark, "-r", capture.toString(), "-d", decode, "-Y",
                "_ws.malformed || _ws.expert.severity == error", "-T", "fields", "-e", "frame.number", "-e",
                "_ws.col.Info"), dir.resolve("descriptor-sense-errors.txt"));
        assertTrue(errors.isBlank(), "Wireshark reports malformed frames or expert errors:\n" + errors);
        String senses = LoopbackCapture.read(List.of(tshark, "-r", capture.toString(), "-d", decode, "-Y",
                "scsi.sns.errtype", "-T", "fields", "-E", "separator=|", "-e", "scsi.sns.errtype", "-e", "scsi.sns.key", "-e",
                "scsi.sns.ascascq", "-e", "scsi.sns.desc.type", "-e", "scsi.sns.desc.length", "-e",
                "scsi.sns.sks.fp.cd", "-e", "scsi.sns.sks.fp.field", "-e", "scsi.sns.info", "-e", "tcp.payload"),
                dir.resolve("descriptor-sense-fields.txt"));
        List<String[]> lines = senses.lines().map(l -> l.split("\\|", -1)).toList();
        assertEquals(3, lines.size(), "three CHECK CONDITIONs with sense data:\n" + senses);
        // ILLEGAL REQUEST, INVALID FIELD IN CDB; a sense-key specific descriptor: C/D 1, byte 2
        assertEquals(List.of("0x72", "0x05", "0x2400", "0x02", "6", "0x000001", "2", ""),
                List.of(lines.get(0)).subList(0, 8), "sense data as Wireshark decodes it:\n" + senses);
        // MEDIUM ERROR, UNRECOVERED READ ERROR; an information descriptor of 10 bytes
        assertEquals(List.of("0x72", "0x03", "0x1100", "0x00", "10"), List.of(lines.get(1)).subList(0, 5),
                "sense data as Wireshark decodes it:\n" + senses);
        // Wireshark 4.0 shows no value for an information descriptor: the 12 bytes where it found one
        // (type 00h, length 0Ah, VALID, reserved, INFORMATION) carry the LBA
        assertTrue(lines.get(1)[8].contains("000a8000" + String.format("%016x", WIDE_LBA)),
                "the information descriptor holds LBA 2^32 + 5: " + lines.get(1)[8]);
        // fixed format where INFORMATION fits: 70h with VALID, INFORMATION 7
        assertEquals(List.of("0x70", "0x03", "0x1100", "", "", "", "", "0x00000007"),
                List.of(lines.get(2)).subList(0, 8), "sense data as Wireshark decodes it:\n" + senses);
    }

    /** The target's port, from the capture (the filter named it; the fixture is closed by now). */
    private static int portOf(Path captureLog, Path capture, String tshark) throws Exception {
        String ports = LoopbackCapture.read(List.of(tshark, "-r", capture.toString(), "-T", "fields", "-e", "tcp.dstport", "-c", "1"),
                captureLog.resolveSibling("descriptor-sense-port.txt"));
        return Integer.parseInt(ports.strip());
    }
}
