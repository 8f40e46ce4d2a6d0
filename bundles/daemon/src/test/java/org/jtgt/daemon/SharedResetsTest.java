package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.store.SharedUnitResets;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/**
 * Two gateways (daemons) in one JVM serving one unit whose store shares resets
 * ({@link SharedUnitResets}), over a bus that delivers an announcement to every other gateway's
 * listener on a thread of its own, as the rbd store's notify does: LOGICAL UNIT RESET through
 * gateway A answers only after gateway B has applied it, B's nexus then has the reset's unit
 * attention and B's tasks on the unit are aborted.
 */
class SharedResetsTest {
    /** The gateways' channel; {@link #gate} holds deliveries until the test opens it. */
    static final class Bus {
        final List<Member> members = new CopyOnWriteArrayList<>();
        volatile CountDownLatch gate = new CountDownLatch(0);
    }

    /** One gateway's part of the bus. */
    static final class Member implements SharedUnitResets {
        final Bus bus;
        volatile Consumer<Kind> listener;

        Member(Bus bus) {
            this.bus = bus;
            bus.members.add(this);
        }

        @Override
        public void announce(Kind kind, Consumer<Boolean> done) {
            Thread t = new Thread(() -> {
                try {
                    bus.gate.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                for (Member m : bus.members) {
                    Consumer<Kind> l = m.listener;
                    if (m != this && l != null) {
                        l.accept(kind);
                    }
                }
                done.accept(true);
            }, "reset-bus");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void listen(Consumer<Kind> l) {
            listener = l;
        }

        @Override
        public long timeoutMillis() {
            return 10_000;
        }

        @Override
        public String describe() {
            return "test bus";
        }
    }

    /** A held store over shared bytes that offers the bus. */
    static final class ResetStore extends HeldStore {
        final Member member;

        ResetStore(Bus bus, byte[] shared) {
            super(0);
            this.bytes = shared;
            this.member = new Member(bus);
        }

        @Override
        public SharedUnitResets sharedResets() {
            return member;
        }
    }

    private final Bus bus = new Bus();
    private final byte[] shared = new byte[Harness.SIZE];
    private final ResetStore storeA = new ResetStore(bus, shared);
    private final ResetStore storeB = new ResetStore(bus, shared);
    private final Harness a = Harness.withLun(new Harness(), LunOptions.DEFAULT, storeA);
    private final Harness b = Harness.withLun(new Harness(), LunOptions.DEFAULT, storeB);

    private static Harness.Result tur(Harness h) {
        return h.command(Harness.NEXUS, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null);
    }

    /** Clears the unit attentions of the new nexus (power on). */
    private static void settle(Harness h) {
        for (int i = 0; i < 5 && tur(h).status() != 0; i++) {
            // a unit attention per command until none is left
        }
        tur(h).assertGood();
    }

    private static void assertAborted(Harness h, long cid) {
        ByteBuffer rsp = h.awaitAnswer(cid);
        assertTrue(CmdRspEvent.aborted(rsp, 0), "ended as aborted");
        assertEquals(ScsiStatus.TASK_ABORTED, CmdRspEvent.status(rsp, 0));
    }

    @Test
    void aLunResetOnOneGatewayResetsTheUnitOnTheOtherBeforeItAnswers() throws Exception {
        storeA.holding = false;
        storeB.holding = false;
        settle(a);
        settle(b);
        storeB.holding = true;
        long running = b.send(Harness.NEXUS, 0, Cdbs.rw10(false, 1, 1, 0), DataDirection.READ, 512, null,
                TaskAttribute.SIMPLE);
        storeB.awaitHeld(1);
        long queued = b.send(Harness.NEXUS, 0, Cdbs.rw10(false, 2, 1, 0), DataDirection.READ, 512, null,
                TaskAttribute.ORDERED);

        bus.gate = new CountDownLatch(1);
        long mid = a.sendTmf(Harness.NEXUS, TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0);
        TimeUnit.MILLISECONDS.sleep(100);
        assertEquals(-1, a.indexOfTmfAnswer(mid), "no answer before the other gateway has the reset");
        assertEquals(-1, b.indexOfAnswer(queued), "gateway B has not heard yet");
        bus.gate.countDown();
        assertEquals(TmfResponse.FUNCTION_COMPLETE, a.tmfAnswer(mid));

        // gateway B applied it before A answered: its queued task is gone as aborted, its running one
        // answers as aborted when the store gives it back, and its nexus has the reset's attention
        assertTrue(b.indexOfAnswer(queued) >= 0, "the queued task was answered before A's TMF answer");
        assertAborted(b, queued);
        storeB.releaseAll();
        assertAborted(b, running);
        b.done(running);
        b.done(queued);
        storeB.holding = false;
        tur(b).assertSense(SenseKey.UNIT_ATTENTION, 0x29, 0x03);
        tur(b).assertGood();
        tur(a).assertSense(SenseKey.UNIT_ATTENTION, 0x29, 0x03);
        tur(a).assertGood();

        // a target reset reaches the unit on the other gateway the same way (29h/00h)
        assertEquals(TmfResponse.FUNCTION_COMPLETE, b.tmf(TaskManagementFunction.TARGET_WARM_RESET, 0, 0));
        tur(a).assertSense(SenseKey.UNIT_ATTENTION, 0x29, 0x00);
        tur(a).assertGood();
    }

    @Test
    void aRemovedUnitHearsNoMoreResets() {
        storeA.holding = false;
        storeB.holding = false;
        settle(b);
        b.daemon.removeLun(Harness.TARGET, 0);
        assertEquals(null, storeB.member.listener, "the listener is gone with the unit");
        settle(a);
        assertEquals(TmfResponse.FUNCTION_COMPLETE, a.tmf(TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0));
    }
}
