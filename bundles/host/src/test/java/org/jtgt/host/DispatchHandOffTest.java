package org.jtgt.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.transport.HandOff;
import org.jtgt.api.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The host queue's dispatcher gives its role up inside the transport's offer of the queue's only
 * command ({@link HandOff}), as an in-process transport's daemon asks before it blocks on the
 * dispatching thread; with anything queued behind that command it keeps the role.
 */
class DispatchHandOffTest {
    /** A transport that runs {@link #inOffer} inside the offer of a command, on the offering thread. */
    static final class DaemonOnOfferingThread extends StalledHostTest.ScriptedTransport {
        final AtomicReference<Runnable> inOffer = new AtomicReference<>();

        @Override
        public boolean offer(ByteBuffer src, int offset, int length) {
            if (!super.offer(src, offset, length)) {
                return false;
            }
            Runnable r = inOffer.getAndSet(null);
            if (r != null) {
                r.run();
            }
            return true;
        }
    }

    /** The role of the thread that submits, as a connection's reader offers it. */
    private final HandOff.Role reader = new HandOff.Role() {
        @Override public boolean mayRelease() { return true; }
        @Override public boolean release() { return true; }
    };

    private final DaemonOnOfferingThread t = new DaemonOnOfferingThread();
    private final HostSide side = new HostSide();
    private final StalledHostTest.Lld lld = new StalledHostTest.Lld(0);
    private long nexus;

    private void start() {
        side.activate(PathFixture.config(16));
        side.bindTransport(t, Map.of(Transport.NAME_PROPERTY, "scripted", "service.id", 1L));
        lld.host = side.addHost("h", lld);
        nexus = lld.host.createNexus("iqn.2026-11.org.jtgt:h,i,0x1", "iqn.2026-11.org.jtgt:t", 1);
        t.answerAll();
    }

    @AfterEach
    void stop() {
        HandOff.drop(reader);
        t.answerAll();   // nothing left in flight for the deactivation to wait for
        side.deactivate();
    }

    private static HostCommand testUnitReady(ScsiHost host, long nexus) throws InterruptedException {
        HostCommand cmd = host.allocate(nexus, 0, TimeUnit.SECONDS.toNanos(5));
        assertNotNull(cmd);
        cmd.setLun(0).setCdb(new byte[6], 0, 6).setExpectedLength(0);
        return cmd;
    }

    private void submitFromAnotherThread(HostCommand cmd) {
        Thread other = new Thread(() -> lld.host.submit(cmd), "other submitter");
        other.start();
        try {
            other.join(10_000);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private final AtomicReference<Boolean> handedOff = new AtomicReference<>();
    private final AtomicReference<Integer> offeredMeanwhile = new AtomicReference<>();

    /**
     * Submits a first command with the reader's role offered; inside its offer (where the daemon
     * would run) another thread submits a second one, and the hand-off is asked for before that
     * ({@code handOffFirst}) or after, with the second command queued behind the first.
     */
    private void submitTwo(boolean handOffFirst) throws InterruptedException {
        start();
        HostCommand first = testUnitReady(lld.host, nexus);
        HostCommand second = testUnitReady(lld.host, nexus);
        t.inOffer.set(() -> {
            if (handOffFirst) {
                handedOff.set(HandOff.handOff());
            }
            submitFromAnotherThread(second);
            offeredMeanwhile.set(t.offered.size());
            if (!handOffFirst) {
                handedOff.set(HandOff.handOff());
            }
        });
        HandOff.offer(reader);
        lld.host.submit(first);
    }

    @Test
    void theOnlyCommandsDispatcherHandsOffAndTheNextSubmitterDispatchesAtOnce() throws Exception {
        submitTwo(true);
        assertTrue(handedOff.get());
        assertEquals(2, offeredMeanwhile.get(), "the second command went out (on its own thread) while the first's offer ran");
        assertEquals(0, HandOff.depth());
    }

    @Test
    void aDispatcherWithCommandsQueuedBehindKeepsItsRoleAndSendsThem() throws Exception {
        submitTwo(false);
        assertFalse(handedOff.get());
        assertEquals(1, offeredMeanwhile.get(), "the second command waited for the dispatcher");
        assertEquals(2, t.offered.size(), "and the dispatcher sent it after the first");
        assertEquals(1, HandOff.depth(), "the offered role is still held");
    }
}
