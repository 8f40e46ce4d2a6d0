package org.jtgt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.io.File;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.jtgt.api.host.TransportControl;
import org.jtgt.api.host.TransportControl.SwapRecord;
import org.jtgt.api.host.TransportControl.SwapSummary;
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
import org.osgi.service.cm.ConfigurationAdmin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live transport swaps under verified load: four loopback sessions write and read back patterns
 * while the active transport is swapped shm → netlink → direct → shm ... 51 times through
 * {@link TransportControl}, then by configuration (Config Admin, PID {@code org.jtgt.host}), and
 * while each transport bundle is stopped and started. Every command completes exactly once,
 * every read verifies, and the pause of each swap is reported.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TransportSwapIT {
    private static final Logger LOG = LoggerFactory.getLogger(TransportSwapIT.class);

    private static final int WORKERS = 4;
    /** Swaps by name: a multiple of three, plus one, ends on shm again. */
    private static final int SWAPS = 51;
    /** Commands each worker completes between two swaps, so every binding carries load. */
    private static final int COMMANDS_BETWEEN_SWAPS = 4;
    private static final String SHM_BUNDLE = "jtgt-transport-shm";
    private static final String NETLINK_BUNDLE = "jtgt-transport-netlink";
    private static final String DIRECT_BUNDLE = "jtgt-transport-direct";
    /** The swap order by name, starting from shm. */
    private static final String[] ORDER = {"netlink", "direct", "shm"};

    @Inject
    private LoopbackInitiator initiator;

    @Inject
    private TargetAdmin admin;

    @Inject
    private TransportControl control;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Inject
    private BundleContext context;

    private VerifiedIo io;

    @Configuration
    public Option[] config() {
        return new Option[] {JtgtOptions.framework(
                // A short directory for the socket: a Unix socket path may not exceed 107 bytes.
                frameworkProperty("jtgt.netlink.dir").value(new File("target/netlink").getAbsolutePath()),
                bundle(JtgtOptions.file("org.apache.felix.configadmin")).startLevel(2),
                bundle(JtgtOptions.file(NETLINK_BUNDLE)))};
    }

    @After
    public void restore() throws Exception {
        if (io != null) {
            io.close();
        }
        for (String name : new String[] {SHM_BUNDLE, NETLINK_BUNDLE, DIRECT_BUNDLE}) {
            Bundle b = Scsi.bundle(context, name);
            if (b != null && b.getState() != Bundle.ACTIVE) {
                b.start();
            }
        }
        org.osgi.service.cm.Configuration c = configAdmin.getConfiguration("org.jtgt.host", null);
        c.delete();
    }

    @Test
    public void fiftyOneSwapsUnderVerifiedLoad() throws Exception {
        Scsi.awaitTarget(admin, JtgtOptions.DEFAULT_TARGET);
        awaitRegistered("netlink");
        awaitRegistered("shm");
        awaitRegistered("direct");
        configure("shm");
        awaitActive("shm", "at the start");

        io = new VerifiedIo(initiator, "iqn.2026-11.org.jtgt.itests:swap", WORKERS);
        io.awaitProgress(10, "before the first swap");
        long before = control.swapSummary().count();

        // 1. By the control service: shm -> netlink -> direct -> shm ... 51 times.
        for (int i = 1; i <= SWAPS; i++) {
            String to = ORDER[(i - 1) % ORDER.length];
            SwapRecord swap = control.swapTo(to);
            assertEquals("swap " + i + ": " + swap, to, swap.to());
            assertEquals(to, control.activeTransport());
            io.awaitProgress(COMMANDS_BETWEEN_SWAPS, "after swap " + i + " to " + to);
        }
        assertEquals(before + SWAPS, control.swapSummary().count());
        assertEquals("shm", control.activeTransport());

        // 2. By configuration: the host side's preferred transport.
        configure("netlink");
        awaitActive("netlink", "after configuring netlink");
        io.awaitProgress(COMMANDS_BETWEEN_SWAPS, "on netlink by configuration");
        configure("direct");
        awaitActive("direct", "after configuring direct");
        io.awaitProgress(COMMANDS_BETWEEN_SWAPS, "on direct by configuration");
        configure("shm");
        awaitActive("shm", "after configuring shm");
        io.awaitProgress(COMMANDS_BETWEEN_SWAPS, "on shm by configuration");

        // 3. The active transport's bundle goes away: the host side moves to another one by
        // itself, and back to the chosen one when it returns.
        for (int cycle = 1; cycle <= 3; cycle++) {
            for (String[] t : new String[][] {{"shm", SHM_BUNDLE}, {"netlink", NETLINK_BUNDLE}, {"direct", DIRECT_BUNDLE}}) {
                control.swapTo(t[0]);
                Bundle bundle = Scsi.bundle(context, t[1]);
                bundle.stop();
                awaitActiveOtherThan(t[0], "after stopping " + t[1]);
                io.awaitProgress(COMMANDS_BETWEEN_SWAPS, "with " + t[1] + " stopped");
                bundle.start();
                awaitActive(t[0], "after starting the chosen " + t[1] + " again");
                io.awaitProgress(COMMANDS_BETWEEN_SWAPS, "with " + t[1] + " back");
            }
        }
        control.swapTo("shm");

        io.stopAndVerify();
        SwapSummary summary = control.swapSummary();
        String line = String.format("TransportSwapIT: %d swaps under load (%d by name), %d verified commands; pause p50 %d us, "
                + "p99 %d us, max %d us", summary.count() - before, SWAPS, io.totalCompleted(), summary.p50Micros(),
                summary.p99Micros(), summary.worstMicros());
        LOG.info(line);
        System.out.println(line);
    }

    private void configure(String transport) throws Exception {
        org.osgi.service.cm.Configuration c = configAdmin.getConfiguration("org.jtgt.host", null);
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("transport", transport);
        c.update(props);
    }

    private void awaitActive(String name, String when) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!name.equals(control.activeTransport())) {
            assertTrue("active transport is " + control.activeTransport() + ", not " + name + " " + when + "; errors: "
                    + errors(), System.nanoTime() < deadline);
            assertTrue("errors " + when + ": " + errors(), errors().equals("[]"));
            Thread.sleep(5);
        }
    }

    private String errors() {
        return io == null ? "[]" : io.errors().toString();
    }

    private void awaitActiveOtherThan(String name, String when) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String active;
        while ((active = control.activeTransport()) == null || active.equals(name)) {
            assertTrue("active transport is " + active + " " + when + "; errors: " + errors(),
                    System.nanoTime() < deadline);
            assertTrue("errors " + when + ": " + errors(), errors().equals("[]"));
            Thread.sleep(5);
        }
    }

    private void awaitRegistered(String name) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (control.transports().stream().noneMatch(t -> t.name().equals(name))) {
            assertTrue("transport " + name + " never registered: " + control.transports(),
                    System.nanoTime() < deadline);
            Thread.sleep(10);
        }
        assertNotNull(Scsi.bundle(context, "jtgt-transport-" + name));
    }
}
