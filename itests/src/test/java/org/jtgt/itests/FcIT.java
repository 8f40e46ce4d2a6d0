package org.jtgt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.jtgt.api.fc.initiator.FcInitiator;
import org.jtgt.api.fc.initiator.FcInitiator.Exchange;
import org.jtgt.api.loopback.LoopbackInitiator;
import org.jtgt.api.target.ChapAccounts;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.testkit.ExternalTool;
import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * The FC emulation in Felix. The emulated initiator, through the API the FC tools bundle
 * (jtgt-fc-initiator) exports ({@code org.jtgt.api.fc.initiator}), logs in, discovers the target
 * port through the name server, writes and verifies the whole LUN, and aborts (ABTS, FCP's ABORT
 * TASK) and resets the LUN in the middle of I/O. And the three drivers on one LUN at once: the FC
 * emulation (its command-line initiator run as a process of its own), iSCSI (QEMU's qemu-io
 * writing and verifying patterns) and loopback (verified I/O from four threads), each in its own
 * block range; the FC bundle is stopped and started in the middle, the others keep serving, and
 * FC serves again after the start.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FcIT {
    private static final String FC_BUNDLE = "jtgt-lld-fc";
    /** The emulated initiator: its API for this test, its CLI for the process. */
    private static final String FC_INITIATOR_BUNDLE = "jtgt-fc-initiator";
    /** Loopback workers start at 8 MiB; FC verifies the first 1 MiB; qemu-io uses [32 MiB, 40 MiB). */
    private static final long LOOPBACK_BASE_LBA = (8L << 20) / 512;
    private static final int FC_VERIFY_BLOCKS = 2048;
    /** The target N_Port's ID in the emulated fabric (domain 01, area 00, port 01). */
    private static final int FC_TARGET_PORT = 0x010001;
    /** Blocks per command in the abort and reset tests (64 KiB). */
    private static final int CHUNK = 128;

    private static int fcPort;
    private static int iscsiPort;

    @Inject
    private LoopbackInitiator initiator;

    @Inject
    private TargetAdmin admin;

    @Inject
    private BundleContext context;

    /** The admin bundle's CHAP account source: without it every iSCSI login is refused. */
    @Inject
    private ChapAccounts accounts;

    private VerifiedIo io;
    private Process qemu;

    @Configuration
    public Option[] config() throws IOException {
        fcPort = freePort();
        iscsiPort = freePort();
        return new Option[] {JtgtOptions.framework(
                frameworkProperty("jtgt.fc.portal").value("127.0.0.1:" + fcPort),
                frameworkProperty("jtgt.iscsi.portal").value("127.0.0.1:" + iscsiPort),
                frameworkProperty("jtgt.itest.fc.port").value(Integer.toString(fcPort)),
                frameworkProperty("jtgt.itest.iscsi.port").value(Integer.toString(iscsiPort)),
                JtgtOptions.admin("fc-it-admin"),
                bundle(JtgtOptions.file("jtgt-lld-iscsi")),
                bundle(JtgtOptions.file(FC_BUNDLE)),
                bundle(JtgtOptions.file(FC_INITIATOR_BUNDLE)))};
    }

    @After
    public void cleanUp() throws Exception {
        if (io != null) {
            io.close();
        }
        if (qemu != null && qemu.isAlive()) {
            qemu.destroyForcibly();
            qemu.waitFor(10, TimeUnit.SECONDS);
        }
        Bundle fc = Scsi.bundle(context, FC_BUNDLE);
        if (fc != null && fc.getState() != Bundle.ACTIVE) {
            fc.start();
        }
    }

    @Test
    public void fcIscsiAndLoopbackServeOneLunAtOnceAndFcRestartsAlone() throws Exception {
        ExternalTool.require("qemu-io", "qemu-utils and qemu-block-extra");
        Scsi.awaitTarget(admin, JtgtOptions.DEFAULT_TARGET);
        String fcPortal = "127.0.0.1:" + context.getProperty("jtgt.itest.fc.port");
        String url = "iscsi://127.0.0.1:" + context.getProperty("jtgt.itest.iscsi.port") + "/"
                + JtgtOptions.DEFAULT_TARGET + "/0";
        Path work = Path.of("target", "fc-it").toAbsolutePath();
        Files.createDirectories(work);

        io = new VerifiedIo(initiator, "iqn.2026-11.org.jtgt.itests:fc", 4, LOOPBACK_BASE_LBA);
        io.awaitProgress(10, "before FC and iSCSI start");

        List<String> writes = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        for (int i = 0; i < 200; i++) {
            long offset = (32L << 20) + (i % 16) * (512L << 10);
            String pattern = String.format("0x%02x", 1 + i % 250);
            writes.addAll(List.of("-c", "write -P " + pattern + " " + offset + " 512k", "-c",
                    "read -P " + pattern + " " + offset + " 512k"));
        }
        writes.add(url);
        Path qemuLog = work.resolve("qemu-io.log");
        qemu = new ProcessBuilder(writes).redirectErrorStream(true).redirectOutput(qemuLog.toFile()).start();

        String first = fcInitiator(fcPortal, work);
        assertTrue(first, first.contains("verify " + FC_VERIFY_BLOCKS + " blocks: OK"));

        Bundle fc = Scsi.bundle(context, FC_BUNDLE);
        assertNotNull(fc);
        fc.stop();
        io.awaitProgress(20, "with the FC bundle stopped");
        fc.start();
        assertEquals(Bundle.ACTIVE, fc.getState());
        String second = fcInitiator(fcPortal, work);
        assertTrue(second, second.contains("verify " + FC_VERIFY_BLOCKS + " blocks: OK"));
        io.awaitProgress(20, "after the FC bundle came back");

        assertTrue("qemu-io did not finish", qemu.waitFor(120, TimeUnit.SECONDS));
        String qemuOut = Files.readString(qemuLog);
        assertEquals(qemuOut, 0, qemu.exitValue());
        assertFalse(qemuOut, qemuOut.contains("Pattern verification failed"));
        assertEquals(qemuOut, 200, qemuOut.split("read 524288/524288", -1).length - 1);
        io.stopAndVerify();
    }

    @Test
    public void emulatedInitiatorLogsInAndVerifiesTheWholeLun() throws Exception {
        Scsi.awaitTarget(admin, JtgtOptions.DEFAULT_TARGET);
        try (FcVerifiedIo w = FcVerifiedIo.connect(fcPort(), 0x11)) {
            List<Integer> listed = w.login();
            assertEquals("GID_FT lists the target port (and not the asking port)", List.of(FC_TARGET_PORT), listed);
            assertEquals(JtgtOptions.DEFAULT_TARGET_SIZE / FcVerifiedIo.BLOCK, w.blocks);
            long started = System.nanoTime();
            // 1 MiB WRITE(16)s, 768 KiB READ(16)s, eight exchanges in flight
            long verified = w.writeAndVerify(0, w.blocks, 1, 2048, 1536, 8);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertEquals(w.blocks, verified);
            assertEquals(0, w.fc.unexpectedFrames());
            // a 1 MiB write is asked for in 256 KiB bursts (the driver's default maxBurstLength)
            Exchange mib = w.submit(Cdbs.write16(0, 2048), w.pattern(0, 2048, 1), 0, false);
            assertEquals(0, w.fc.await(mib).status());
            assertEquals("FCP_XFER_RDYs for 1 MiB", 4, mib.xferRdys());
            System.out.println("FcIT: whole LUN over FC: " + verified + " of " + w.blocks + " blocks written (WRITE(16)) "
                    + "and verified (READ(16)) in " + millis + " ms; LBA-tagged patterns; 1 MiB WRITE(16) took "
                    + mib.xferRdys() + " FCP_XFER_RDYs");
            assertTrue("LOGO", w.fc.logo(w.target).accepted());
        }
        // and the command-line initiator, a process of its own, over the whole LUN
        String out = fcInitiator("127.0.0.1:" + fcPort(), Path.of("target", "fc-it").toAbsolutePath(), "--verify",
                "all");
        long all = JtgtOptions.DEFAULT_TARGET_SIZE / FcVerifiedIo.BLOCK;
        assertTrue(out, out.contains("verify " + all + " blocks: OK (" + all + " blocks verified"));
        System.out.println("FcIT: FcInitiatorCli: " + out.lines().filter(l -> l.startsWith("verify")).findFirst().orElse(""));
    }

    @Test
    public void abortTaskInTheMiddleOfIoEndsEachExchangeOnce() throws Exception {
        Scsi.awaitTarget(admin, JtgtOptions.DEFAULT_TARGET);
        try (FcVerifiedIo a = FcVerifiedIo.connect(fcPort(), 0xA1)) {
            a.login();
            int chunks = 64;
            a.writeAndVerify(0, (long) chunks * CHUNK, 1, 1024, 768, 8);
            // Four writes wait for data at the target (their data is held back), sixty more
            // commands in flight behind them: writes of generation 2 and reads of generation 1.
            List<Exchange> held = new ArrayList<>();
            for (int k = 0; k < 4; k++) {
                held.add(a.submit(Cdbs.write16((long) k * CHUNK, CHUNK), a.pattern((long) k * CHUNK, CHUNK, 2), 0, true));
            }
            List<Exchange> xs = new ArrayList<>(held);
            for (int k = 4; k < chunks; k++) {
                long lba = (long) k * CHUNK;
                xs.add(k % 2 == 0 ? a.submit(Cdbs.write16(lba, CHUNK), a.pattern(lba, CHUNK, 2), 0, false)
                        : a.submit(Cdbs.read16(lba, CHUNK), null, CHUNK * FcVerifiedIo.BLOCK, false));
            }
            for (Exchange x : held) {
                awaitTrue(() -> a.fc.xferRdyHeld(x), "FCP_XFER_RDY for a held write");
            }
            // ABTS for the held writes and for every sixth of the others, whatever state they are in
            Map<Exchange, Integer> answers = new HashMap<>();
            for (int k = 0; k < xs.size(); k++) {
                if (k < held.size() || k % 6 == 0) {
                    answers.put(xs.get(k), a.fc.abort(a.target, xs.get(k).oxId()));
                }
            }
            int completed = 0;
            int aborted = 0;
            int accepted = 0;
            for (int k = 0; k < xs.size(); k++) {
                Exchange x = xs.get(k);
                Integer answer = answers.get(x);
                accepted += answer != null && answer == FcInitiator.BA_ACC ? 1 : 0;
                long lba = (long) (k) * CHUNK;
                boolean write = k < held.size() || k % 2 == 0;
                try {
                    FcInitiator.ScsiResult r = a.fc.await(x);
                    assertTrue("ABTS answered BA_ACC but the exchange completed", answer == null || answer == FcInitiator.BA_RJT);
                    assertEquals(0, r.status());
                    if (!write) {
                        a.verify(r.data(), lba, CHUNK, 1);
                    }
                    completed++;
                } catch (FcInitiator.AbortedException e) {
                    assertTrue(e.getMessage(), e.byAbts());
                    assertEquals("an exchange ended without FCP_RSP only after BA_ACC", Integer.valueOf(FcInitiator.BA_ACC), answer);
                    aborted++;
                }
            }
            for (Exchange x : held) {
                assertEquals("a write waiting for data is aborted", Integer.valueOf(FcInitiator.BA_ACC), answers.get(x));
            }
            assertEquals(xs.size(), completed + aborted);
            assertEquals(accepted, aborted);
            assertEquals("no exchange answered twice", 0, a.fc.unexpectedFrames());
            assertEquals(0, a.fc.openExchanges());
            // The data: completed writes hold generation 2, aborted ones generation 1 or 2 (an
            // aborted command may have run), held ones generation 1 (their data never came).
            long checked = 0;
            for (int k = 0; k < chunks; k++) {
                long lba = (long) k * CHUNK;
                FcInitiator.ScsiResult r = a.good(Cdbs.read16(lba, CHUNK), null, CHUNK * FcVerifiedIo.BLOCK);
                boolean write = k < held.size() || k % 2 == 0;
                boolean wasAborted = answers.get(xs.get(k)) != null && answers.get(xs.get(k)) == FcInitiator.BA_ACC;
                if (k < held.size() || !write) {
                    checked += a.verify(r.data(), lba, CHUNK, 1);
                } else if (wasAborted) {
                    checked += a.verify(r.data(), lba, CHUNK, 1, 2);
                } else {
                    checked += a.verify(r.data(), lba, CHUNK, 2);
                }
            }
            // I/O goes on: a new generation over the range, verified
            long again = a.writeAndVerify(0, (long) chunks * CHUNK, 3, 1024, 768, 8);
            System.out.println("FcIT: ABORT TASK (ABTS) during I/O: " + xs.size() + " exchanges, " + answers.size()
                    + " ABTS (" + accepted + " BA_ACC, " + (answers.size() - accepted) + " BA_RJT): " + completed
                    + " completed with FCP_RSP, " + aborted + " aborted without, each once; " + checked
                    + " blocks verified after, then " + again + " blocks rewritten and verified");
        }
    }

    @Test
    public void lunResetInTheMiddleOfIoEndsEachExchangeOnce() throws Exception {
        Scsi.awaitTarget(admin, JtgtOptions.DEFAULT_TARGET);
        try (FcVerifiedIo a = FcVerifiedIo.connect(fcPort(), 0xB1); FcVerifiedIo b = FcVerifiedIo.connect(fcPort(), 0xB2)) {
            a.login();
            b.login();
            int chunksA = 48;
            long baseB = 64L * CHUNK;
            int chunksB = 16;
            a.writeAndVerify(0, (long) chunksA * CHUNK, 1, 1024, 768, 8);
            b.writeAndVerify(baseB, (long) chunksB * CHUNK, 1, 1024, 768, 8);
            List<Exchange> xs = new ArrayList<>();
            for (int k = 0; k < chunksA; k++) {
                long lba = (long) k * CHUNK;
                boolean held = k < 4;
                xs.add(held || k % 2 == 0 ? a.submit(Cdbs.write16(lba, CHUNK), a.pattern(lba, CHUNK, 2), 0, held)
                        : a.submit(Cdbs.read16(lba, CHUNK), null, CHUNK * FcVerifiedIo.BLOCK, false));
            }
            List<Exchange> ys = new ArrayList<>();
            for (int k = 0; k < chunksB; k++) {
                long lba = baseB + (long) k * CHUNK;
                ys.add(k % 2 == 0 ? b.submit(Cdbs.write16(lba, CHUNK), b.pattern(lba, CHUNK, 2), 0, false)
                        : b.submit(Cdbs.read16(lba, CHUNK), null, CHUNK * FcVerifiedIo.BLOCK, false));
            }
            for (int k = 0; k < 4; k++) {
                Exchange x = xs.get(k);
                awaitTrue(() -> a.fc.xferRdyHeld(x), "FCP_XFER_RDY for a held write");
            }
            assertEquals(FcInitiator.RSP_TMF_COMPLETE, a.fc.taskManagement(a.target, FcVerifiedIo.LUN0,
                    FcInitiator.TMF_LUN_RESET));
            // Every exchange of the resetting port ended by the time the answer came: with its
            // FCP_RSP before it, or terminated by it (FCP-4 12.3). Nothing is left to time out.
            int completed = 0;
            int terminated = 0;
            boolean[] wasTerminated = new boolean[chunksA];
            for (int k = 0; k < chunksA; k++) {
                Exchange x = xs.get(k);
                assertTrue("exchange " + Integer.toHexString(x.oxId()) + " still open after the LUN RESET answer",
                        x.result().isDone());
                try {
                    FcInitiator.ScsiResult r = x.result().get();
                    assertTrue("a held write cannot have completed", k >= 4);
                    assertEquals(0, r.status());
                    if (k % 2 == 1) {
                        a.verify(r.data(), (long) k * CHUNK, CHUNK, 1);
                    }
                    completed++;
                } catch (ExecutionException e) {
                    assertTrue(e.toString(), e.getCause() instanceof FcInitiator.AbortedException);
                    assertTrue(e.getCause().getMessage(), e.getCause().getMessage().contains("LOGICAL UNIT RESET"));
                    wasTerminated[k] = true;
                    terminated++;
                }
            }
            assertEquals(chunksA, completed + terminated);
            assertEquals(terminated, a.fc.terminatedByTaskManagement());
            assertTrue("the held writes were terminated", terminated >= 4);
            assertEquals("no exchange answered twice", 0, a.fc.unexpectedFrames());
            assertEquals(0, a.fc.openExchanges());
            // The other port's commands are not aborted: each is answered, GOOD, or a unit
            // attention if the daemon saw it after the reset.
            int otherGood = 0;
            int otherAttention = 0;
            boolean[] otherWritten = new boolean[chunksB];
            for (int k = 0; k < chunksB; k++) {
                FcInitiator.ScsiResult r = b.fc.await(ys.get(k));
                if (r.status() == 0) {
                    otherGood++;
                    otherWritten[k] = k % 2 == 0;
                    if (k % 2 == 1) {
                        b.verify(r.data(), baseB + (long) k * CHUNK, CHUNK, 1);
                    }
                } else {
                    assertEquals(2, r.status());
                    assertEquals(FcVerifiedIo.UNIT_ATTENTION, r.sense()[2] & 0x0F);
                    assertEquals(0x29, r.sense()[12] & 0xFF);
                    otherAttention++;
                }
            }
            assertEquals(0, b.fc.unexpectedFrames());
            assertEquals(0, b.fc.openExchanges());
            // Both nexuses see the reset: 29h (BUS DEVICE RESET FUNCTION OCCURRED) once
            assertTrue("UNIT ATTENTION 29h on the resetting nexus", a.awaitReady().contains(0x29));
            List<Integer> bAttentions = b.awaitReady();
            assertTrue("UNIT ATTENTION 29h on the other nexus", otherAttention > 0 || bAttentions.contains(0x29));
            // Data: completed writes generation 2, terminated ones 1 or 2, held ones 1.
            long checked = 0;
            for (int k = 0; k < chunksA; k++) {
                long lba = (long) k * CHUNK;
                byte[] data = a.good(Cdbs.read16(lba, CHUNK), null, CHUNK * FcVerifiedIo.BLOCK).data();
                if (k < 4 || k % 2 == 1) {
                    checked += a.verify(data, lba, CHUNK, 1);
                } else if (wasTerminated[k]) {
                    checked += a.verify(data, lba, CHUNK, 1, 2);
                } else {
                    checked += a.verify(data, lba, CHUNK, 2);
                }
            }
            for (int k = 0; k < chunksB; k++) {
                long lba = baseB + (long) k * CHUNK;
                byte[] data = b.good(Cdbs.read16(lba, CHUNK), null, CHUNK * FcVerifiedIo.BLOCK).data();
                checked += b.verify(data, lba, CHUNK, otherWritten[k] ? 2 : 1);
            }
            // I/O goes on on both ports
            long again = a.writeAndVerify(0, (long) chunksA * CHUNK, 3, 1024, 768, 8)
                    + b.writeAndVerify(baseB, (long) chunksB * CHUNK, 3, 1024, 768, 8);
            System.out.println("FcIT: LUN RESET during I/O: resetting port " + chunksA + " exchanges: " + completed
                    + " completed with FCP_RSP, " + terminated + " terminated by the reset (4 of them waiting for data), "
                    + "each once, none open after the answer; other port " + chunksB + " exchanges: " + otherGood
                    + " GOOD, " + otherAttention + " UNIT ATTENTION 29h; " + checked + " blocks verified after, then "
                    + again + " blocks rewritten and verified");
        }
    }

    private int fcPort() {
        return Integer.parseInt(context.getProperty("jtgt.itest.fc.port"));
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue("timed out waiting for " + what, System.nanoTime() < deadline);
            Thread.sleep(5);
        }
    }

    /** Runs the emulated FC initiator's CLI as a process: FLOGI, discovery, PLOGI/PRLI, INQUIRY, verified I/O. */
    private static String fcInitiator(String portal, Path work, String... verify) throws Exception {
        Files.createDirectories(work);
        String classpath = new File(JtgtOptions.path("jtgt-api")).getPath() + File.pathSeparator
                + new File(JtgtOptions.path(FC_INITIATOR_BUNDLE)).getPath();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-UsePerfData", "-Djava.io.tmpdir=" + work, "-cp", classpath,
                "org.jtgt.fc.initiator.FcInitiatorCli", portal));
        command.addAll(verify.length > 0 ? List.of(verify) : List.of("--verify", Integer.toString(FC_VERIFY_BLOCKS)));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("FcInitiatorCli did not finish", p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(String.join(" ", command) + "\n" + out, 0, p.exitValue());
        assertTrue(out, out.contains("INQUIRY: status 0"));
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
