package org.jtgt.fc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.jtgt.api.fc.initiator.FcInitiator;
import org.jtgt.fc.initiator.FcInitiatorCli;
import org.jtgt.fc.wire.Els;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Configuration, stop and start while an initiator is logged in, and the command-line initiator. */
@Timeout(60)
class FcTargetTest {

    @Test
    void configurationIsCheckedAtActivation() {
        FcTarget.Settings s = FcTarget.settingsOf(FcFixture.config(Map.of()));
        assertEquals(2048, s.frameSize());
        assertEquals(0x500140a0f1c0e001L, s.portName());
        assertEquals("", s.target());
        assertThrows(IllegalArgumentException.class, () -> FcTarget.settingsOf(FcFixture.config(Map.of("frameSize", 4096))));
        assertThrows(IllegalArgumentException.class, () -> FcTarget.settingsOf(FcFixture.config(Map.of("frameSize", 1026))));
        assertEquals(256 * 1024, s.maxBurstLength());
        assertThrows(IllegalArgumentException.class,
                () -> FcTarget.settingsOf(FcFixture.config(Map.of("maxBurstLength", 256))));
        assertThrows(IllegalArgumentException.class,
                () -> FcTarget.settingsOf(FcFixture.config(Map.of("portName", "50:01:40"))));
        assertEquals(0x500140a0f1c0e0ffL, FcTarget.parseWwn("w", "50:01:40:a0:f1:c0:e0:ff"));
        assertEquals(new InetSocketAddress("127.0.0.1", 3225), FcTarget.parsePortal("127.0.0.1:3225"));
        assertEquals(3225, FcTarget.parsePortal("[::1]:3225").getPort());
        assertThrows(IllegalArgumentException.class, () -> FcTarget.parsePortal("localhost"));
        assertThrows(IllegalArgumentException.class, () -> FcTarget.parsePortal("127.0.0.1:70000"));
    }

    @Test
    void stopEndsLinksAndNexusesAndStartServesAgain() throws Exception {
        try (FcFixture f = new FcFixture(1 << 20)) {
            FcInitiator i = f.login();
            assertEquals(1, f.nexusCount());
            f.fc.stop();
            FcLoginTest.eventually(() -> !i.isOpen(), "link closed by stop");
            FcLoginTest.eventually(() -> f.nexusCount() == 0, "nexus destroyed by stop");
            i.close();
            f.fc.start(FcFixture.config(Map.of("portal", "127.0.0.1:" + f.port)), null);
            try (FcInitiator again = f.login()) {
                FcInitiator.ScsiResult r = again.command(FcFabric.TARGET_PORT_ID, 0, FcIoTest.rw10(0x28, 0, 1), null, 512);
                assertEquals(0, r.status());
            }
        }
    }

    @Test
    void theTargetNPortIsATargetPortOfItsOwn() throws Exception {
        try (FcFixture f = new FcFixture(1 << 20)) {
            assertEquals(1, f.daemon.ports().size());
            assertEquals(256, f.daemon.ports().get(0).relativeId());
            assertEquals("fc", f.daemon.ports().get(0).driver());
            try (FcInitiator i = f.login()) {
                byte[] vpd83 = {0x12, 0x01, (byte) 0x83, 0, (byte) 0xFF, 0};
                FcInitiator.ScsiResult r = i.command(FcFabric.TARGET_PORT_ID, 0, vpd83, null, 255);
                assertEquals(0, r.status());
                byte[] d = r.data();
                int relative = -1;
                int group = -1;
                for (int p = 4; p + 8 <= r.dataLength(); p += 4 + (d[p + 3] & 0xFF)) {
                    int value = (d[p + 6] & 0xFF) << 8 | (d[p + 7] & 0xFF);
                    if ((d[p + 1] & 0x3F) == 0x14) {
                        relative = value;
                    } else if ((d[p + 1] & 0x3F) == 0x15) {
                        group = value;
                    }
                }
                assertEquals(256, relative, "relative target port of the FC nexus");
                assertEquals(256, group, "its target port group");
            }
            f.fc.stop();
            assertTrue(f.daemon.ports().isEmpty(), "unregistered when the driver stops");
        }
    }

    @Test
    void noTargetMeansLsRjtForPrli() throws Exception {
        try (FcFixture f = new FcFixture(1 << 20)) {
            f.fc.stop();
            f.fc.start(FcFixture.config(Map.of("portal", "127.0.0.1:0", "target", "iqn.2026-11.org.jtgt:absent")), null);
            try (FcInitiator i = FcInitiator.connect("127.0.0.1", f.fc.boundPort(), 0x2100000000000999L, 1)) {
                i.flogi();
                assertTrue(i.plogi(FcFabric.TARGET_PORT_ID).accepted());
                FcInitiator.Reply r = i.prli(FcFabric.TARGET_PORT_ID);
                assertFalse(r.accepted());
                assertEquals(Els.RJT_UNABLE, r.rejectReason());
            }
        }
    }

    @Test
    void commandLineInitiatorVerifiesTheWholeLun() throws Exception {
        try (FcFixture f = new FcFixture(1 << 20)) {
            String out = cli("127.0.0.1:" + f.port, "--verify", "all", "--chunk", "64");
            assertTrue(out.contains("FLOGI: N_Port ID 01"), out);
            assertTrue(out.contains("READ CAPACITY(16): 2048 blocks of 512 bytes"), out);
            assertTrue(out.contains("verify 2048 blocks: OK (2048 blocks verified, LBA 0..2047, 32 WRITE(16), 43 READ(16))"),
                    out);
            String part = cli("127.0.0.1:" + f.port, "--lba", "2000", "--verify", "48");
            assertTrue(part.contains("verify 48 blocks: OK (48 blocks verified, LBA 2000..2047"), part);
            String past = cli("127.0.0.1:" + f.port, "--lba", "2000", "--verify", "49");
            assertTrue(past.contains("outside the 2048 blocks"), past);
        }
    }

    @Test
    void blockPatternNamesItsLba() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1024);
        FcInitiatorCli.fill(b, 0, 512, 7, 42);
        FcInitiatorCli.fill(b, 512, 512, 8, 42);
        assertEquals(null, FcInitiatorCli.check(b, 0, 512, 7, 42));
        assertTrue(FcInitiatorCli.check(b, 512, 512, 7, 42).contains("holds the block of LBA 8"));
        assertTrue(FcInitiatorCli.check(b, 0, 512, 7, 43).contains("of run 42"));
        b.put(300, (byte) (b.get(300) ^ 1));
        assertTrue(FcInitiatorCli.check(b, 0, 512, 7, 42).contains("byte 296 differs"));
    }

    private static String cli(String... args) throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int status = FcInitiatorCli.run(args, new PrintStream(captured, true, StandardCharsets.UTF_8));
        String out = captured.toString(StandardCharsets.UTF_8);
        return out + "exit " + status + "\n";
    }
}
