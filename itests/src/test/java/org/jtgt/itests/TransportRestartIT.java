package org.jtgt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hot-swap acceptance test: verified I/O from four threads continues across ten stops and
 * starts of the transport bundles (shared-memory and direct, both stopped each cycle and started
 * in alternating order, so the host side binds either first and then moves to its preferred one).
 * While no transport is there, commands wait in the host queues; when one is back they complete.
 * No command is lost, none completes twice, no byte is wrong.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TransportRestartIT {
    private static final Logger LOG = LoggerFactory.getLogger(TransportRestartIT.class);

    private static final String[] TRANSPORT_BUNDLES = {"jtgt-transport-shm", "jtgt-transport-direct"};
    private static final int WORKERS = 4;
    private static final int CYCLES = 10;
    private static final long PAUSE_MS = 200;
    /** Commands each worker must complete after the last restart. */
    private static final int PROGRESS_AFTER_LAST_START = 20;

    @Inject
    private LoopbackInitiator initiator;

    @Inject
    private TargetAdmin admin;

    @Inject
    private BundleContext context;

    private VerifiedIo io;

    @Configuration
    public Option[] config() {
        return new Option[] {JtgtOptions.framework()};
    }

    @After
    public void restoreTransport() throws Exception {
        if (io != null) {
            io.close();
        }
        for (String name : TRANSPORT_BUNDLES) {
            Bundle transport = Scsi.bundle(context, name);
            if (transport != null && transport.getState() != Bundle.ACTIVE) {
                transport.start();
            }
        }
    }

    @Test
    public void ioSurvivesTenTransportRestarts() throws Exception {
        Scsi.awaitTarget(admin, JtgtOptions.DEFAULT_TARGET);
        Bundle[] transports = new Bundle[TRANSPORT_BUNDLES.length];
        for (int i = 0; i < transports.length; i++) {
            transports[i] = Scsi.bundle(context, TRANSPORT_BUNDLES[i]);
            assertNotNull(TRANSPORT_BUNDLES[i] + " is not installed", transports[i]);
            assertEquals(Bundle.ACTIVE, transports[i].getState());
        }

        io = new VerifiedIo(initiator, "iqn.2026-11.org.jtgt.itests:restart", WORKERS);
        io.awaitProgress(10, "before the first restart");

        long started = System.nanoTime();
        for (int cycle = 1; cycle <= CYCLES; cycle++) {
            long before = io.totalCompleted();
            for (Bundle transport : transports) {
                transport.stop();
            }
            Thread.sleep(PAUSE_MS);
            for (int i = 0; i < transports.length; i++) {
                Bundle transport = transports[(i + cycle) % transports.length];
                transport.start();
                assertEquals(transport.getSymbolicName() + " after start, cycle " + cycle, Bundle.ACTIVE,
                        transport.getState());
            }
            Thread.sleep(PAUSE_MS);
            LOG.info("transport restart {}/{} done; {} commands completed during the cycle",
                    cycle, CYCLES, io.totalCompleted() - before);
            assertTrue("errors during cycle " + cycle + ": " + io.errors(), io.errors().isEmpty());
        }
        LOG.info("{} restarts in {} ms", CYCLES, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));

        io.awaitProgress(PROGRESS_AFTER_LAST_START, "after the last restart");
        io.stopAndVerify();
        LOG.info("workers completed {} commands in total", io.totalCompleted());
    }
}
