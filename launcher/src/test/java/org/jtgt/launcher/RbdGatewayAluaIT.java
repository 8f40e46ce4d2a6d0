package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jtgt.launcher.RbdGateways.Gateway;
import org.jtgt.testkit.CephCluster;
import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A gateway cluster of two launcher processes, gateway 1 on 127.0.0.2 and gateway 2 on
 * 127.0.0.3, exporting one RBD image as the same target and LUN ({@code gateway=N}, each its
 * own portal group tag): REPORT TARGET PORT GROUPS reads the same through both, a pattern
 * written through one reads back through the other and through QEMU's rbd driver, SET TARGET
 * PORT GROUPS moves ownership, a write through the active/non-optimized gateway is forwarded to
 * the owner, libiscsi's MultipathIO tests pass with one URL per gateway, and kill -9 of the owner while qemu-io writes through it ends
 * with the other gateway owning the image within the configured bound, the killed one
 * blocklisted, and every acknowledged write there; a hung owner (SIGSTOP) loses the image the
 * same way and, resumed, is fenced: no write acknowledged, its group unavailable.
 */
@Timeout(900)
class RbdGatewayAluaIT {
    private static final Path WORK = LauncherProcess.TARGET.resolve("rbd-gateway-alua-it");
    private static final String TARGET = RbdGateways.TARGET;
    private static final String INITIATOR = "iqn.2026-12.org.jtgt:gateway-probe";
    private static final String POOL = RbdGateways.POOL;
    private static final long SIZE = 64L << 20;
    private static final long HEARTBEAT_MS = 500;
    private static final long TAKEOVER_MS = 3000;
    /** Takeover bound: the takeover time, two heartbeats, and the blocklisting (a monitor command). */
    private static final long TAKEOVER_BOUND_MS = TAKEOVER_MS + 2 * HEARTBEAT_MS + 10_000;
    private static final byte[] STPG_CDB = {(byte) 0xA4, 0x0A, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0};
    private static final byte[] TEST_UNIT_READY = new byte[6];

    @RegisterExtension
    final Processes processes = new Processes();

    private Gateway start(CephCluster ceph, int n) throws Exception {
        return start(ceph, n, WORK);
    }

    private Gateway start(CephCluster ceph, int n, Path work) throws Exception {
        return RbdGateways.start(processes, work, ceph, "shared", SIZE, n, "follower=active/non-optimized heartbeat="
                + HEARTBEAT_MS + " takeover=" + TAKEOVER_MS, List.of());
    }

    private static String groups(int state1, int state2) {
        return RbdGateways.groups(state1, state2);
    }

    private static long awaitGroups(Gateway g, String expected, long ms) throws Exception {
        return RbdGateways.awaitGroups(g, INITIATOR, expected, ms);
    }

    /** INQUIRY VPD page {@code page} through a new session: bytes {@code from} to {@code to} (0, 0: all). */
    private static byte[] vpd(Gateway g, int page, int from, int to) throws Exception {
        try (IscsiProbe p = IscsiProbe.login(g.host(), g.port(), INITIATOR, TARGET, 5)) {
            IscsiProbe.Result r = p.read(new byte[] {0x12, 1, (byte) page, 0, (byte) 255, 0}, 255);
            assertEquals(0, r.status(), r.toString());
            return to == 0 ? r.data() : java.util.Arrays.copyOfRange(r.data(), from, to);
        }
    }

    @Test
    void twoGatewaysShareOneImageWithAluaAndTakeOverFromAKilledOwner() throws Exception {
        ExternalTool.require("qemu-io", "qemu-utils and qemu-block-extra");
        ExternalTool.require("stdbuf", "coreutils");
        CephCluster.require();
        LauncherProcess.deleteTree(WORK);
        Files.createDirectories(WORK);
        ExternalTool tools = new ExternalTool(WORK.resolve("tools"), Duration.ofSeconds(60));
        try (CephCluster ceph = CephCluster.start(WORK.resolve("ceph"), POOL)) {
            ceph.createImage(POOL, "shared", SIZE);
            Gateway a = start(ceph, 1);   // up first: owns the image
            Gateway b = start(ceph, 2);

            // the same answer through both: group 1 active/optimized, group 2 active/non-optimized
            awaitGroups(a, groups(0x00, 0x01), 10_000);
            awaitGroups(b, groups(0x00, 0x01), 10_000);
            // the same LUN identity through both: VPD 83h's first designator (NAA) and VPD 80h (serial)
            assertArrayEquals(vpd(a, 0x83, 4, 16), vpd(b, 0x83, 4, 16), "the same NAA designator");
            assertArrayEquals(vpd(a, 0x80, 0, 0), vpd(b, 0x80, 0, 0), "the same serial number");

            // written through gateway 1, read through gateway 2 and through QEMU's rbd driver
            String w = tools.run("qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 1M", a.url());
            assertTrue(w.contains("wrote 1048576/1048576 bytes"), w);
            String r = tools.run("qemu-io", "-f", "raw", "-c", "read -P 0x5a 0 1M", b.url());
            assertTrue(r.contains("read 1048576/1048576 bytes") && !r.contains("Pattern verification failed"), r);
            r = tools.run("qemu-io", "-r", "-f", "raw", "-c", "read -P 0x5a 0 1M", ceph.qemuRbdUrl(POOL, "shared"));
            assertTrue(r.contains("read 1048576/1048576 bytes") && !r.contains("Pattern verification failed"), r);
            // a write through the active/non-optimized gateway goes to the owner and reads back through it
            w = tools.run("qemu-io", "-f", "raw", "-c", "write -P 0x3c 1M 64k", b.url());
            assertTrue(w.contains("wrote 65536/65536 bytes"), w);
            r = tools.run("qemu-io", "-f", "raw", "-c", "read -P 0x3c 1M 64k", a.url());
            assertTrue(r.contains("read 65536/65536 bytes") && !r.contains("Pattern verification failed"), r);
            String forwarded = a.launcher().output.since(0) + b.launcher().output.since(0);
            assertFalse(forwarded.contains("released the image"), "no lock moved for it:\n" + forwarded);

            // SET TARGET PORT GROUPS through gateway 2: gateway 2 owns the image, both report it
            int markA = a.launcher().output.mark();
            IscsiProbe onA = IscsiProbe.login(a.host(), a.port(), INITIATOR, TARGET, 4);
            for (int i = 0; i < 3 && onA.read(TEST_UNIT_READY, 0).status() != 0; i++) {
                continue;   // the new nexus's unit attentions
            }
            try (IscsiProbe p = IscsiProbe.login(b.host(), b.port(), INITIATOR, TARGET, 3)) {
                p.read(TEST_UNIT_READY, 0);
                IscsiProbe.Result s = p.write(STPG_CDB, new byte[] {0, 0, 0, 0, 0x00, 0, 0, 2});
                if (s.status() != 0) {
                    s = p.write(STPG_CDB, new byte[] {0, 0, 0, 0, 0x00, 0, 0, 2});
                }
                assertEquals(0, s.status(), s.toString());
            }
            long moved = awaitGroups(b, groups(0x01, 0x00), 15_000);
            awaitGroups(a, groups(0x01, 0x00), 5_000);
            a.launcher().output.awaitSince(markA, Pattern.compile("gateway 1 released the image"), 5);
            // a session on gateway 1 hears of the change: ASYMMETRIC ACCESS STATE CHANGED
            try (IscsiProbe p = onA) {
                IscsiProbe.Result ua = p.read(TEST_UNIT_READY, 0);
                assertEquals(List.of(2, 0x6, 0x2A, 0x06), List.of(ua.status(), ua.senseKey(), ua.asc(), ua.ascq()),
                        ua.toString());
            }
            String b1 = b.launcher().output.since(0);
            assertTrue(b1.contains("gateway 2 owns the image"), b1);

            // kill -9 of the owner (gateway 2) while qemu-io writes through it
            int writes = 4000;
            StringBuilder script = new StringBuilder();
            for (int i = 0; i < writes; i++) {
                script.append("write -P 0x").append(Integer.toHexString(1 + i % 250)).append(' ')
                        .append(2L * 1024 * 1024 + i * 4096L).append(" 4k\n");
            }
            Path commands = WORK.resolve("writes.txt");
            Path written = WORK.resolve("written.txt");
            Files.writeString(commands, script);
            Process writer = new ProcessBuilder("stdbuf", "-oL", "qemu-io", "-f", "raw", b.url())
                    .redirectInput(commands.toFile()).redirectOutput(written.toFile()).redirectErrorStream(true)
                    .directory(WORK.toFile()).start();
            processes.add(writer);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (acknowledged(written).size() < 200 && System.nanoTime() < deadline && writer.isAlive()) {
                Thread.sleep(20);
            }
            assertTrue(acknowledged(written).size() >= 200, Files.readString(written));
            int markAKill = a.launcher().output.mark();
            b.launcher().process.destroyForcibly();   // SIGKILL
            long killedAt = System.nanoTime();
            assertTrue(b.launcher().process.waitFor(10, TimeUnit.SECONDS));
            long takeover = awaitGroups(a, groups(0x00, 0x01), TAKEOVER_BOUND_MS);
            long sinceKill = (System.nanoTime() - killedAt) / 1_000_000;
            assertTrue(sinceKill <= TAKEOVER_BOUND_MS, "taken over " + sinceKill + " ms after the kill");
            writer.destroyForcibly();
            writer.waitFor(10, TimeUnit.SECONDS);
            String broke = a.launcher().output.awaitSince(markAKill,
                    Pattern.compile("gateway 1: no heartbeat from gateway 2 .* breaking its lock"), 5);
            Matcher addr = Pattern.compile("breaking its lock \\(([^)]+)\\)").matcher(broke);
            assertTrue(addr.find(), broke);
            String blocklist = ceph.ceph("osd", "blocklist", "ls");
            assertTrue(blocklist.contains(addr.group(1)), "the killed gateway (" + addr.group(1) + ") is blocklisted:\n"
                    + blocklist);

            // every acknowledged write is there, read through gateway 1
            List<Long> acked = acknowledged(written);
            assertTrue(acked.size() < writes, "the kill came before the writes ended");
            StringBuilder reads = new StringBuilder();
            for (long off : acked) {
                int i = (int) ((off - 2L * 1024 * 1024) / 4096);
                reads.append("read -P 0x").append(Integer.toHexString(1 + i % 250)).append(' ').append(off)
                        .append(" 4k\n");
            }
            Path readCommands = WORK.resolve("reads.txt");
            Files.writeString(readCommands, reads);
            Process reader = new ProcessBuilder("qemu-io", "-f", "raw", a.url()).redirectInput(readCommands.toFile())
                    .redirectErrorStream(true).directory(WORK.toFile()).start();
            processes.add(reader);
            String out = new String(reader.getInputStream().readAllBytes());
            assertTrue(reader.waitFor(120, TimeUnit.SECONDS));
            assertFalse(out.contains("Pattern verification failed"), out);
            assertEquals(acked.size(), out.split("read 4096/4096 bytes", -1).length - 1, out);
            r = tools.run("qemu-io", "-r", "-f", "raw", "-c", "read -P 0x5a 0 1M", ceph.qemuRbdUrl(POOL, "shared"));
            assertFalse(r.contains("Pattern verification failed"), r);
            Files.writeString(WORK.resolve("timing.txt"), "move " + moved + " ms; takeover seen " + sinceKill
                    + " ms after kill -9 (" + takeover + " ms polling); " + acked.size() + " acknowledged writes\n");

            // gateway 2 restarted follows; gateway 1 hung (SIGSTOP) loses the image to it and,
            // resumed (SIGCONT), is fenced: it answers TARGET PORT IN UNAVAILABLE STATE, acknowledges
            // no write, and reports its own group unavailable
            Gateway b2 = start(ceph, 2);
            awaitGroups(b2, groups(0x00, 0x01), 10_000);
            IscsiProbe stale = IscsiProbe.login(a.host(), a.port(), INITIATOR, TARGET, 6);
            for (int i = 0; i < 3 && stale.read(TEST_UNIT_READY, 0).status() != 0; i++) {
                continue;
            }
            signal("STOP", a.launcher().process.pid());
            awaitGroups(b2, groups(0x01, 0x00), TAKEOVER_BOUND_MS);
            signal("CONT", a.launcher().process.pid());
            byte[] block = new byte[512];
            java.util.Arrays.fill(block, (byte) 0x77);
            byte[] write10 = {0x2A, 0, 0, 0, 0x10, 0, 0, 0, 1, 0};   // LBA 4096: 2 MiB, the first acknowledged write
            try (IscsiProbe p = stale) {
                IscsiProbe.Result wr = p.write(write10, block);
                for (int i = 0; i < 3 && wr.status() == 2 && wr.senseKey() == 0x6; i++) {
                    wr = p.write(write10, block);   // ASYMMETRIC ACCESS STATE CHANGED first
                }
                assertEquals(List.of(2, 0x2, 0x04, 0x0C), List.of(wr.status(), wr.senseKey(), wr.asc(), wr.ascq()),
                        wr.toString());
            }
            a.launcher().output.awaitSince(0, Pattern.compile("gateway 1 is fenced"), 30);
            awaitGroups(a, "1=3[1, 257] 2=15[2, 258]", 10_000);
            r = tools.run("qemu-io", "-f", "raw", "-c", "read -P 0x1 2M 4k", b2.url());
            assertTrue(r.contains("read 4096/4096 bytes") && !r.contains("Pattern verification failed"),
                    "the fenced gateway's write did not land:\n" + r);
            b2.launcher().stopCleanly();
            a.launcher().stopCleanly();
        }
    }

    private static final Pattern PASSED = Pattern.compile("Run Summary.*?tests\\s+\\d+\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)",
            Pattern.DOTALL);

    /**
     * libiscsi's MultipathIO family with one URL per gateway: writes on one path read back on the
     * other and are written through it (forwarded to the owner), COMPARE AND WRITE alternates the
     * paths, and a LUN RESET through one gateway gives the reset's unit attention on both.
     */
    @Test
    void libiscsiMultipathTestsPassWithOneUrlPerGateway() throws Exception {
        ExternalTool.require("iscsi-test-cu", "libiscsi-bin");
        CephCluster.require();
        Path work = WORK.resolve("multipath");
        LauncherProcess.deleteTree(work);
        Files.createDirectories(work);
        try (CephCluster ceph = CephCluster.start(work.resolve("ceph"), POOL)) {
            ceph.createImage(POOL, "shared", SIZE);
            Gateway a = start(ceph, 1, work);
            Gateway b = start(ceph, 2, work);
            // both in their final states before the suite logs in (a change would be a unit attention)
            for (Gateway g : List.of(a, b)) {
                awaitGroups(g, groups(0x00, 0x01), 10_000);
            }
            ExternalTool suite = new ExternalTool(work.resolve("tools"), Duration.ofSeconds(300));
            StringBuilder all = new StringBuilder();
            ExternalTool tools = new ExternalTool(work.resolve("tools"), Duration.ofSeconds(60));
            for (String family : new String[] {"ALL.MultipathIO", "SCSI.MultipathIO"}) {
                // MultipathIO.CompareAndWrite zeroes LBAs 0 to 255 but compares and writes 0 to 256
                // (i <= n): LBA 256 must read zero as on a new image, which a run before left at 2
                String z = tools.run("qemu-io", "-f", "raw", "-c", "write -P 0 131072 512", a.url());
                assertTrue(z.contains("wrote 512/512 bytes"), z);
                ExternalTool.Outcome cu = suite.execute("iscsi-test-cu", "-d", "-t", family, a.url(), b.url());
                all.append(family).append(":\n").append(cu.output()).append('\n');
                Files.writeString(work.resolve("iscsi-test-cu.txt"), all.toString());
                Files.writeString(work.resolve("gateway1.txt"), a.launcher().output.since(0));
                Files.writeString(work.resolve("gateway2.txt"), b.launcher().output.since(0));
                Matcher m = PASSED.matcher(cu.output());
                assertTrue(m.find(), cu.describe());
                assertTrue(Integer.parseInt(m.group(2)) >= 3, family + ": the multipath tests ran:\n" + cu.describe());
                assertEquals("0", m.group(3), family + " failed:\n" + cu.describe());
                assertFalse(cu.output().contains("FAILED"), cu.describe());
                assertFalse(cu.output().contains("SKIPPED"), cu.describe());
            }
            a.launcher().stopCleanly();
            b.launcher().stopCleanly();
        }
    }

    private static void signal(String name, long pid) throws Exception {
        Process k = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).redirectErrorStream(true).start();
        assertTrue(k.waitFor(10, TimeUnit.SECONDS) && k.exitValue() == 0, new String(k.getInputStream().readAllBytes()));
    }

    /** The offsets qemu-io said it wrote. */
    private static List<Long> acknowledged(Path output) throws java.io.IOException {
        List<Long> out = new ArrayList<>();
        Matcher m = Pattern.compile("wrote 4096/4096 bytes at offset (\\d+)").matcher(Files.readString(output));
        while (m.find()) {
            out.add(Long.parseLong(m.group(1)));
        }
        return out;
    }
}
