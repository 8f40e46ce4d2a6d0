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

import org.jtgt.fc.initiator.FcInitiator;
import org.jtgt.fc.initiator.FcInitiatorCli;
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
    void commandLineInitiatorVerifiesBlocks() throws Exception {
        try (FcFixture f = new FcFixture(1 << 20)) {
            PrintStream old = System.out;
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            try {
                FcInitiatorCli.main(new String[] {"127.0.0.1:" + f.port, "--verify", "16"});
            } finally {
                System.setOut(old);
            }
            String out = captured.toString(StandardCharsets.UTF_8);
            assertTrue(out.contains("FLOGI: N_Port ID 01"), out);
            assertTrue(out.contains("READ CAPACITY(10): 2048 blocks of 512 bytes"), out);
            assertTrue(out.contains("verify 16 blocks: OK"), out);
        }
    }
}
