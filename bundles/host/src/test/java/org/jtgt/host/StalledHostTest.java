package org.jtgt.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.event.ItNexusReqEvent;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.host.HostCallbacks;
import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.NexusOperation;
import org.jtgt.api.host.NexusResult;
import org.jtgt.api.host.ResponseDelivery;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
import org.jtgt.util.BlockAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two hosts share one transport. Host B's command is refused while the transport is full of host
 * A's traffic and B has nothing in flight, so no answer of its own would make it retry: the
 * answers to A must.
 */
@Timeout(30)
class StalledHostTest {
    /** A transport whose one endpoint records what it is offered, refuses on demand, and is answered by the test. */
    static class ScriptedTransport implements Transport, TransportEndpoint, DataArea {
        final ByteBuffer area = ByteBuffer.allocateDirect(1 << 20);
        final BlockAllocator allocator = new BlockAllocator(1 << 20, 4096);
        final Queue<ByteBuffer> offered = new ArrayDeque<>();
        final String name;
        volatile boolean full;
        EventSink host;

        ScriptedTransport() {
            this("scripted");
        }

        ScriptedTransport(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public TransportEndpoint attachDaemon(EventSink sink) {
            throw new UnsupportedOperationException();
        }

        @Override
        public TransportEndpoint attachHost(EventSink sink) {
            host = sink;
            return this;
        }

        @Override
        public synchronized boolean offer(ByteBuffer src, int offset, int length) {
            if (full) {
                return false;
            }
            ByteBuffer copy = ByteBuffer.allocate(length);
            copy.put(0, src, offset, length);
            offered.add(copy);
            return true;
        }

        @Override
        public boolean send(ByteBuffer src, int offset, int length) {
            return offer(src, offset, length);
        }

        synchronized ByteBuffer next() {
            return offered.poll();
        }

        /** Answers every request offered so far with success, as a daemon would. */
        void answerAll() {
            ByteBuffer r = ByteBuffer.allocateDirect(EventHeader.MAX_RECORD_LENGTH);
            for (ByteBuffer e = next(); e != null; e = next()) {
                EventType type = EventType.fromCode(EventHeader.type(e, 0));
                int hostNo = EventHeader.hostNo(e, 0);
                if (type == EventType.KEVENT_IT_NEXUS_REQ) {
                    ItNexusRspEvent.write(r, 0, hostNo, ItNexusReqEvent.nexusId(e, 0), 0, ItNexusReqEvent.op(e, 0));
                    host.onEvent(r, 0, ItNexusRspEvent.LENGTH, this);
                } else if (type == EventType.KEVENT_CMD_REQ) {
                    CmdRspEvent.write(r, 0, hostNo, CmdReqEvent.cid(e, 0), 0, 0, 0, 0);
                    host.onEvent(r, 0, CmdRspEvent.LENGTH, this);
                }
            }
        }

        @Override
        public DataArea dataArea() {
            return this;
        }

        @Override
        public Transport transport() {
            return this;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }

        @Override
        public ByteBuffer buffer() {
            return area;
        }

        @Override
        public long size() {
            return area.capacity();
        }

        @Override
        public long allocate(int length) {
            return allocator.allocate(length);
        }

        @Override
        public void free(long offset, int length) {
            allocator.free(offset, length);
        }
    }

    /** Completes every command at once, as an LLD does after delivering it. */
    static final class Lld implements HostCallbacks {
        ScsiHost host;
        final CountDownLatch completed;

        Lld(int expected) {
            completed = new CountDownLatch(expected);
        }

        @Override
        public void commandCompleted(HostCommand command) {
            host.done(command, ResponseDelivery.DELIVERED);
            completed.countDown();
        }

        @Override
        public void taskManagementCompleted(long mid, TmfResponse response) {
        }

        @Override
        public void nexusResult(long nexusId, NexusOperation op, NexusResult result) {
        }
    }

    @Test
    void aRefusedHostIsRetriedWhenAnotherHostsAnswersArrive() throws Exception {
        HostSide side = new HostSide();
        side.activate(PathFixture.config(16));
        ScriptedTransport t = new ScriptedTransport();
        side.bindTransport(t, Map.of(Transport.NAME_PROPERTY, "scripted", "service.id", 1L));
        Lld a = new Lld(2);
        Lld b = new Lld(1);
        a.host = side.addHost("a", a);
        b.host = side.addHost("b", b);
        long nexusA = a.host.createNexus("iqn.2026-11.org.jtgt:a,i,0x1", "iqn.2026-11.org.jtgt:t", 1);
        long nexusB = b.host.createNexus("iqn.2026-11.org.jtgt:b,i,0x1", "iqn.2026-11.org.jtgt:t", 1);
        t.answerAll();

        submitTestUnitReady(a.host, nexusA);
        t.full = true; // the transport is full of A's traffic
        submitTestUnitReady(b.host, nexusB); // refused: B now has one queued entry and nothing in flight
        submitTestUnitReady(a.host, nexusA); // refused too
        assertEquals(1, t.offered.size(), "only A's first command got through");
        assertTrue(b.completed.getCount() == 1);

        t.full = false; // room again, but nobody tells the hosts ...
        t.answerAll(); // ... except A's answer, which must also get B (and A) going
        t.answerAll(); // the commands that got through because of it
        assertTrue(a.completed.await(5, TimeUnit.SECONDS), "A's commands did not complete");
        assertTrue(b.completed.await(5, TimeUnit.SECONDS), "B stalled: nothing retried its refused command");
        side.deactivate();
    }

    /**
     * A command queued while a swap ends: its submitter finds no transport bound and is still
     * dispatching when the swap binds the new one and asks the host to dispatch. That request
     * must not be lost, or the command waits in the queue with nothing left to send it (the
     * host's only other command has been answered; nothing else will come).
     */
    @Test
    void aCommandQueuedAsASwapEndsIsSentOnTheNewTransport() throws Exception {
        ScriptedTransport x = new ScriptedTransport("x");
        ScriptedTransport y = new ScriptedTransport("y");
        AtomicReference<Thread> pauseOn = new AtomicReference<>();
        AtomicReference<Runnable> whilePaused = new AtomicReference<>();
        HostSide side = new HostSide() {
            @Override
            TransportBinding activeBinding() {
                TransportBinding b = super.activeBinding();
                if (b == null && pauseOn.compareAndSet(Thread.currentThread(), null)) {
                    whilePaused.get().run(); // the swap ends while this thread holds the host's dispatch
                }
                return b;
            }
        };
        side.activate(PathFixture.config(16));
        side.bindTransport(x, Map.of(Transport.NAME_PROPERTY, "x", "service.id", 1L));
        side.bindTransport(y, Map.of(Transport.NAME_PROPERTY, "y", "service.id", 2L));
        assertEquals("x", side.activeTransport());
        Lld lld = new Lld(2);
        lld.host = side.addHost("h", lld);
        long nexus = lld.host.createNexus("iqn.2026-11.org.jtgt:h,i,0x1", "iqn.2026-11.org.jtgt:t", 1);
        x.answerAll();

        submitTestUnitReady(lld.host, nexus); // in flight on x: the swap waits for its answer
        Thread swapper = new Thread(() -> side.swapTo("y"), "swapper");
        swapper.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (side.activeTransport() != null) {
            assertTrue(System.nanoTime() < deadline, "the swap never started draining x");
            Thread.sleep(1);
        }
        whilePaused.set(() -> {
            try {
                Thread answer = new Thread(x::answerAll, "x-answers");
                answer.start(); // ends the drain: the swap binds y and dispatches the host
                answer.join();
                swapper.join(5000);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        pauseOn.set(Thread.currentThread());
        submitTestUnitReady(lld.host, nexus); // finds no transport, and pauses before it lets go
        assertEquals(null, pauseOn.get(), "the submitter never saw the swap's gap");
        assertEquals("y", side.activeTransport());

        y.answerAll();
        assertTrue(lld.completed.await(5, TimeUnit.SECONDS),
                "the command queued as the swap ended was never sent: y was offered nothing");
        side.deactivate();
    }

    private static void submitTestUnitReady(ScsiHost host, long nexus) throws InterruptedException {
        HostCommand cmd = host.allocate(nexus, 0, TimeUnit.SECONDS.toNanos(5));
        assertNotNull(cmd);
        cmd.setLun(0).setCdb(new byte[6], 0, 6).setExpectedLength(0);
        host.submit(cmd);
    }
}
