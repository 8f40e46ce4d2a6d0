package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
 * kill -9 of the owner of a two-gateway cluster under fio load, and fio itself deciding what
 * had to survive. fio's libiscsi engine writes 4 KiB blocks at random (each once) with crc32c
 * verify headers at queue depth 8 through gateway 1 (the owner), with {@code verify_state_save=1};
 * gateway 1 is killed with SIGKILL mid-run; gateway 2 takes over, timed from the kill to the
 * first WRITE it accepts; fio's trigger file makes fio save its write state (what it issued, and
 * which of the last writes completed), and a second fio with {@code --verify_only
 * --verify_state_load=1} reads every acknowledged block back through gateway 2 and checks its
 * header and crc32c. Then the blocks of the first MiB are overwritten through gateway 2 and the
 * same verification must fail: it can.
 *
 * <p>libiscsi (1.19) does not give fio an I/O error when the portal dies: it reconnects to the
 * dead address again and again, so fio would wait for ever; the trigger file (fio's own
 * mechanism for power-cut tests: save the write state, then stop) ends the write run instead.
 * The verify run uses queue depth 1: fio 3.33 decides whether one of the last writes is to be
 * checked by comparing with the reads it has completed, so with several reads in flight it may
 * read a block whose write never completed (and report it as corrupt).
 */
@Timeout(600)
class RbdGatewayFioIT {
    private static final Path WORK = LauncherProcess.TARGET.resolve("rbd-gateway-fio-it");
    private static final String INITIATOR = "iqn.2026-12.org.jtgt:gateway-fio";
    private static final String PROBE = "iqn.2026-12.org.jtgt:gateway-fio-probe";
    private static final String POOL = RbdGateways.POOL;
    private static final String IMAGE = "fio";
    private static final long SIZE = 256L << 20;
    /** fio's region: all but the last MiB, where the takeover probe writes. */
    private static final long FIO_BYTES = SIZE - (1L << 20);
    private static final long PROBE_LBA = FIO_BYTES / 512;
    private static final int DEPTH = 8;
    private static final int RATE_IOPS = 3000;
    private static final long HEARTBEAT_MS = 500;
    private static final long TAKEOVER_MS = 3000;
    /** Takeover bound: the takeover time, two heartbeats, and the blocklisting (a monitor command). */
    private static final long TAKEOVER_BOUND_MS = TAKEOVER_MS + 2 * HEARTBEAT_MS + 10_000;
    private static final byte[] TEST_UNIT_READY = new byte[6];

    @RegisterExtension
    final Processes processes = new Processes();

    @Test
    void everyWriteFioHadAcknowledgedVerifiesThroughTheGatewayThatTookOver() throws Exception {
        Path fio = FioLibiscsi.require();
        ExternalTool.require("qemu-io", "qemu-utils");
        CephCluster.require();
        LauncherProcess.deleteTree(WORK);
        Path fioDir = Files.createDirectories(WORK.resolve("fio"));
        ExternalTool tools = new ExternalTool(WORK.resolve("tools"), Duration.ofSeconds(60));
        try (CephCluster ceph = CephCluster.start(WORK.resolve("ceph"), POOL)) {
            ceph.createImage(POOL, IMAGE, SIZE);
            String lunOptions = "follower=active/non-optimized heartbeat=" + HEARTBEAT_MS + " takeover=" + TAKEOVER_MS;
            Gateway a = RbdGateways.start(processes, WORK, ceph, IMAGE, SIZE, 1, lunOptions, List.of());   // up first: owns it
            Gateway b = RbdGateways.start(processes, WORK, ceph, IMAGE, SIZE, 2, lunOptions, List.of());
            RbdGateways.awaitGroups(a, PROBE, RbdGateways.groups(0x00, 0x01), 10_000);
            RbdGateways.awaitGroups(b, PROBE, RbdGateways.groups(0x00, 0x01), 10_000);

            // the probe's session on gateway 2, its unit attentions taken; its writes are forwarded to
            // gateway 1 while that owns the image
            IscsiProbe probe = IscsiProbe.login(b.host(), b.port(), PROBE, RbdGateways.TARGET, 7);
            for (int i = 0; i < 3 && probe.read(TEST_UNIT_READY, 0).status() != 0; i++) {
                continue;
            }
            byte[] block = new byte[512];
            IscsiProbe.Result forwarded = probe.write(write10(PROBE_LBA), block);
            assertEquals(0, forwarded.status(), "a write through the follower before the kill: " + forwarded);

            // fio writes through gateway 1; killed under it
            Process writer = processes.add(fio(fio, fioDir, a, "write", List.of("--iodepth=" + DEPTH,
                    "--rate_iops=" + RATE_IOPS, "--do_verify=0", "--verify_state_save=1",
                    "--trigger-file=" + fioDir.resolve("trigger"))));
            Thread.sleep(5_000);
            assertTrue(writer.isAlive(), "fio ended before the kill:\n" + log(fioDir, "write"));
            a.launcher().process.destroyForcibly();   // SIGKILL
            long killedAt = System.nanoTime();
            assertTrue(a.launcher().process.waitFor(10, TimeUnit.SECONDS));

            // takeover: the first WRITE gateway 2 accepts (forwarded ones fail once gateway 1 is dead)
            long takeoverMs = -1;
            IscsiProbe.Result last = forwarded;
            long deadline = killedAt + TimeUnit.MILLISECONDS.toNanos(TAKEOVER_BOUND_MS);
            while (System.nanoTime() < deadline) {
                last = probe.write(write10(PROBE_LBA), block);
                if (last.status() == 0) {
                    takeoverMs = (System.nanoTime() - killedAt) / 1_000_000;
                    break;
                }
                Thread.sleep(20);
            }
            probe.close();
            assertTrue(takeoverMs >= 0, "gateway 2 accepted no write within " + TAKEOVER_BOUND_MS
                    + " ms of the kill; last answer " + last);
            RbdGateways.awaitGroups(b, PROBE, RbdGateways.groups(0x01, 0x00), 5_000);

            // fio's write state: saved when the job ends (an I/O error) or on its trigger file
            boolean endedByItself = !writer.isAlive();
            Files.writeString(fioDir.resolve("trigger"), "");
            Path state = fioDir.resolve("local-" + JOB + "-0-verify.state");
            long stateDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(state) && System.nanoTime() < stateDeadline) {
                Thread.sleep(100);
            }
            assertTrue(Files.exists(state), "fio saved no write state:\n" + log(fioDir, "write"));
            Thread.sleep(1_000);   // written with O_SYNC in a few writes; then fio has nothing more to say
            if (!writer.waitFor(5, TimeUnit.SECONDS)) {
                // libiscsi still reconnecting to the dead portal (the job is a thread: --thread)
                writer.descendants().forEach(ProcessHandle::destroyForcibly);
                writer.destroyForcibly();
                assertTrue(writer.waitFor(10, TimeUnit.SECONDS));
            }
            byte[] saved = Files.readAllBytes(state);

            // fio reads back through gateway 2 everything its state says was acknowledged
            Verify ok = verify(fio, fioDir, b, "verify");
            assertEquals(0, ok.exit(), "fio's verification through gateway 2 failed:\n" + ok.log());
            assertEquals(0, ok.error(), ok.log());
            assertTrue(ok.reads() >= 1000 && ok.reads() < FIO_BYTES / 4096,
                    "blocks verified: " + ok.reads() + " (of " + FIO_BYTES / 4096 + "): the kill came mid-run\n" + ok.log());
            assertTrue(java.util.Arrays.equals(saved, Files.readAllBytes(state)), "the verify run left the state alone");

            // the same verification fails once blocks fio wrote hold other data
            String w = tools.run("qemu-io", "-f", "raw", "-c", "write -P 0x33 0 1M", b.url());
            assertTrue(w.contains("wrote 1048576/1048576 bytes"), w);
            Verify bad = verify(fio, fioDir, b, "corrupted");
            assertNotEquals(0, bad.exit(), "verification passed over overwritten blocks:\n" + bad.log());
            assertTrue(bad.log().contains("verify: bad magic header"), bad.log());

            String timing = "takeover " + takeoverMs + " ms from kill -9 to the first write accepted by gateway 2; fio "
                    + (endedByItself ? "ended by itself" : "still waiting on libiscsi at the trigger") + "; "
                    + ok.reads() + " acknowledged blocks verified through gateway 2\n";
            Files.writeString(WORK.resolve("timing.txt"), timing);
            System.out.print(timing);
            assertTrue(takeoverMs <= TAKEOVER_BOUND_MS, timing);
            b.launcher().stopCleanly();
        }
    }

    private static final String JOB = "gateway-takeover";

    /** WRITE(10) of one 512-byte block at {@code lba}. */
    private static byte[] write10(long lba) {
        return new byte[] {0x2A, 0, (byte) (lba >>> 24), (byte) (lba >>> 16), (byte) (lba >>> 8), (byte) lba, 0, 0, 1, 0};
    }

    /**
     * fio's job {@link #JOB} in {@code dir} (its state file lands there) through gateway {@code g}:
     * 4 KiB random writes, each block of the region once, crc32c verify headers; output to
     * {@code name}.json and {@code name}.log. The job runs as a thread of the fio process (not a
     * child process of its own, fio's default), so ending that process ends the job.
     */
    private static Process fio(Path fio, Path dir, Gateway g, String name, List<String> extra) throws IOException {
        String url = g.url().replace(":", "\\:");   // fio separates file names with ':'
        List<String> command = new ArrayList<>(List.of(fio.toString(), "--name=" + JOB, "--ioengine=libiscsi",
                "--initiator=" + INITIATOR, "--filename=" + url, "--rw=randwrite", "--bs=4k", "--size=" + FIO_BYTES,
                "--verify=crc32c", "--verify_fatal=1", "--thread", "--output-format=json",
                "--output=" + dir.resolve(name + ".json")));
        command.addAll(extra);
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile());
        builder.environment().put("TMPDIR", dir.toString());
        return builder.start();
    }

    private record Verify(int exit, int error, long reads, String log) {
    }

    /** fio's verify-only run of the saved state through {@code g} at queue depth 1. */
    private Verify verify(Path fio, Path dir, Gateway g, String name) throws Exception {
        Process p = processes.add(fio(fio, dir, g, name, List.of("--iodepth=1", "--verify_only=1",
                "--verify_state_load=1", "--verify_state_save=0")));
        assertTrue(p.waitFor(240, TimeUnit.SECONDS), "fio's verification did not end within 240 s:\n" + log(dir, name));
        String json = Files.exists(dir.resolve(name + ".json"))
                ? Files.readString(dir.resolve(name + ".json"), StandardCharsets.UTF_8) : "";
        Matcher error = Pattern.compile("\"error\" : (\\d+)").matcher(json);
        Matcher reads = Pattern.compile("\"read\" : \\{[^{}]*\"total_ios\" : (\\d+)").matcher(json);
        String log = log(dir, name) + json;
        assertTrue(error.find() && reads.find(), "no job totals in fio's json:\n" + log);
        assertFalse(json.isEmpty(), log);
        return new Verify(p.exitValue(), Integer.parseInt(error.group(1)), Long.parseLong(reads.group(1)), log);
    }

    private static String log(Path dir, String name) throws IOException {
        Path f = dir.resolve(name + ".log");
        return Files.exists(f) ? Files.readString(f, StandardCharsets.ISO_8859_1) : "";
    }
}
