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
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.jtgt.api.loopback.LoopbackInitiator;
import org.jtgt.api.target.TargetAdmin;
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
 * The three drivers on one LUN at once, in Felix: the FC emulation (its emulated initiator run as
 * a process of its own), iSCSI (QEMU's qemu-io writing and verifying patterns) and loopback
 * (verified I/O from four threads), each in its own block range. The FC bundle is stopped and
 * started in the middle; the others keep serving, and FC serves again after the start.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FcIT {
    private static final String FC_BUNDLE = "jtgt-lld-fc";
    /** Loopback workers start at 8 MiB; FC verifies the first 1 MiB; qemu-io uses [32 MiB, 40 MiB). */
    private static final long LOOPBACK_BASE_LBA = (8L << 20) / 512;
    private static final int FC_VERIFY_BLOCKS = 2048;

    private static int fcPort;
    private static int iscsiPort;

    @Inject
    private LoopbackInitiator initiator;

    @Inject
    private TargetAdmin admin;

    @Inject
    private BundleContext context;

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
                bundle(JtgtOptions.file("jtgt-lld-iscsi")),
                bundle(JtgtOptions.file(FC_BUNDLE)))};
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

    /** Runs the emulated FC initiator's CLI as a process: FLOGI, discovery, PLOGI/PRLI, INQUIRY, verified I/O. */
    private static String fcInitiator(String portal, Path work) throws Exception {
        String classpath = new File(JtgtOptions.path("jtgt-api")).getPath() + File.pathSeparator
                + new File(JtgtOptions.path(FC_BUNDLE)).getPath();
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-UsePerfData", "-Djava.io.tmpdir=" + work, "-cp", classpath,
                "org.jtgt.fc.initiator.FcInitiatorCli", portal, "--verify", Integer.toString(FC_VERIFY_BLOCKS));
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
