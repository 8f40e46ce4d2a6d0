package org.jtgt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.jtgt.api.config.TargetConfiguration;
import org.jtgt.api.target.ChapAccounts;
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
 * Authentication fails closed across the bundle that provides per-target CHAP accounts
 * ({@code jtgt-config}): while it is stopped the iSCSI driver refuses every login (Service
 * Unavailable), with the target's secret or without; started again, it reads targets.conf, the
 * secret logs in and a login without it is refused. The initiator is libiscsi's
 * {@code iscsi-inq}, an external process.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ChapAccountSourceIT {
    private static final String PORTAL_PROPERTY = "jtgt.iscsi.portal";
    private static final String DIR = "chap-account-source-it";
    private static final String TARGET = "iqn.2026-11.org.jtgt:chap-source";
    private static final String USER = "alice";
    private static final String SECRET = "alice-secret1";
    private static final String CONFIG_BUNDLE = "jtgt-config";
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(30);
    private static final long SERVICE_TIMEOUT_MILLIS = 30_000;

    @Inject
    private BundleContext context;

    /** The config bundle's service, as jtgtadm's commands use it. */
    @Inject
    private TargetConfiguration configuration;

    private ExternalTool tools;

    /** Runs outside the framework: a free portal port, and no targets.conf left by an earlier run. */
    @Configuration
    public Option[] config() throws IOException {
        int free;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            free = probe.getLocalPort();
        }
        Files.deleteIfExists(new File("target", DIR).toPath().toAbsolutePath().resolve("targets.conf"));
        return new Option[] {JtgtOptions.framework(
                frameworkProperty(PORTAL_PROPERTY).value("127.0.0.1:" + free),
                JtgtOptions.admin(DIR),
                bundle(JtgtOptions.file("jtgt-lld-iscsi")))};
    }

    @Test
    public void loginsAreRefusedWhileTheAccountSourceIsStoppedAndAdmittedWithTheSecretOnceItIsBack() throws Exception {
        ExternalTool.require("iscsi-inq", "libiscsi-bin");
        Path work = Path.of(System.getProperty("jtgt.itest.work", "target/interop")).toAbsolutePath().resolve(DIR);
        tools = new ExternalTool(work, TOOL_TIMEOUT);
        configuration.newTarget(1, TARGET);
        configuration.newLun(1, 0, "memory", null, 1L << 20, 512, Map.of());
        configuration.newAccount(USER, SECRET);
        configuration.bindAccount(1, USER, false, true);
        String portal = context.getProperty(PORTAL_PROPERTY);
        awaitPortal(Integer.parseInt(portal.substring(portal.lastIndexOf(':') + 1)));
        String plain = "iscsi://" + portal + "/" + TARGET + "/0";
        String withSecret = "iscsi://" + USER + "%" + SECRET + "@" + portal + "/" + TARGET + "/0";
        assertAdmitted(withSecret);
        assertRefused(plain, "authentication");

        Bundle config = Scsi.bundle(context, CONFIG_BUNDLE);
        assertNotNull(CONFIG_BUNDLE + " is not installed", config);
        config.stop();
        assertEquals("no CHAP account source while " + CONFIG_BUNDLE + " is stopped", null,
                context.getServiceReference(ChapAccounts.class));
        assertRefused(plain, "unavailable");
        assertRefused(withSecret, "unavailable");

        config.start();
        awaitAccountSource();
        assertAdmitted(withSecret);
        assertRefused(plain, "authentication");
    }

    /** One framework per class: the config bundle runs again whatever the test left, and the target goes. */
    @After
    public void restoreAndDelete() throws Exception {
        Bundle config = Scsi.bundle(context, CONFIG_BUNDLE);
        if (config != null && config.getState() != Bundle.ACTIVE) {
            config.start();
        }
        awaitAccountSource();
        TargetConfiguration now = context.getService(context.getServiceReference(TargetConfiguration.class));
        if (now.tidOf(TARGET) != null) {
            now.deleteTarget(1, true);
        }
    }

    private void assertAdmitted(String url) throws Exception {
        String inq = tools.run("iscsi-inq", url);
        assertTrue(inq, inq.contains("Peripheral Device Type:DIRECT_ACCESS"));
    }

    /** Refused, and the tool's output names the reason ({@code unavailable}, {@code authentication}). */
    private void assertRefused(String url, String reason) throws Exception {
        ExternalTool.Outcome o = tools.execute("iscsi-inq", url);
        assertTrue(o.describe(), o.exit() != 0 && o.output().toLowerCase().contains(reason));
    }

    private void awaitAccountSource() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SERVICE_TIMEOUT_MILLIS);
        while (context.getServiceReference(ChapAccounts.class) == null
                || context.getServiceReference(TargetConfiguration.class) == null) {
            if (System.nanoTime() > deadline) {
                fail("no CHAP account source within " + SERVICE_TIMEOUT_MILLIS + " ms of starting " + CONFIG_BUNDLE);
            }
            Thread.sleep(20);
        }
    }

    private static void awaitPortal(int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SERVICE_TIMEOUT_MILLIS);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1_000);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    fail("nothing listens on port " + port);
                }
                Thread.sleep(50);
            }
        }
    }
}
