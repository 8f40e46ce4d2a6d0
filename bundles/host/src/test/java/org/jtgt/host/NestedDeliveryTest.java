package org.jtgt.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.transport.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An in-process transport may deliver answers on the thread that offers (the direct transport
 * does): an answer can then arrive while the host is inside its own {@code offer} of a
 * KEVENT_CMD_DONE, and that answer's command is done in turn, beneath it. Every CMD_DONE must
 * still go out exactly once.
 */
@Timeout(30)
class NestedDeliveryTest {
    /** Answers a held command beneath the offer of the first CMD_DONE, as a direct transport may. */
    static final class NestingTransport extends StalledHostTest.ScriptedTransport {
        final List<Long> dones = new ArrayList<>();
        final List<Long> requests = new ArrayList<>();
        long heldCid = -1;

        @Override
        public synchronized boolean offer(ByteBuffer src, int offset, int length) {
            EventType type = EventType.fromCode(EventHeader.type(src, offset));
            if (type == EventType.KEVENT_CMD_DONE) {
                dones.add(CmdDoneEvent.cid(src, offset));
                long held = heldCid;
                heldCid = -1;
                if (held >= 0) {
                    ByteBuffer r = ByteBuffer.allocateDirect(EventHeader.MAX_RECORD_LENGTH);
                    CmdRspEvent.write(r, 0, EventHeader.hostNo(src, offset), held, 0, 0, 0, 0);
                    host.onEvent(r, 0, CmdRspEvent.LENGTH, this);
                }
                return true;
            }
            if (type == EventType.KEVENT_CMD_REQ) {
                requests.add(CmdReqEvent.cid(src, offset));
                return true;
            }
            return super.offer(src, offset, length);
        }
    }

    @Test
    void aCmdDoneOfferedBeneathAnotherGoesOutOnce() throws Exception {
        HostSide side = new HostSide();
        side.activate(PathFixture.config(16));
        NestingTransport t = new NestingTransport();
        side.bindTransport(t, Map.of(Transport.NAME_PROPERTY, "scripted", "service.id", 1L));
        StalledHostTest.Lld lld = new StalledHostTest.Lld(2);
        lld.host = side.addHost("a", lld);
        long nexus = lld.host.createNexus("iqn.2026-11.org.jtgt:a,i,0x1", "iqn.2026-11.org.jtgt:t", 1);
        t.answerAll();
        submitTestUnitReady(lld.host, nexus);
        submitTestUnitReady(lld.host, nexus);
        assertEquals(2, t.requests.size());
        long first = t.requests.get(0);
        long second = t.requests.get(1);
        t.heldCid = second;   // answered beneath the first command's CMD_DONE
        ByteBuffer r = ByteBuffer.allocateDirect(EventHeader.MAX_RECORD_LENGTH);
        CmdRspEvent.write(r, 0, lld.host.hostNo(), first, 0, 0, 0, 0);
        t.host.onEvent(r, 0, CmdRspEvent.LENGTH, t);
        lld.completed.await(5, TimeUnit.SECONDS);
        assertEquals(List.of(first, second), t.dones, "each command's CMD_DONE exactly once");
        assertEquals(0, lld.host.outstanding());
        assertEquals(16, side.hosts()[0].freeSlots());
        side.deactivate();
    }

    private static void submitTestUnitReady(ScsiHost host, long nexus) throws InterruptedException {
        HostCommand cmd = host.allocate(nexus, 0, TimeUnit.SECONDS.toNanos(5));
        assertNotNull(cmd);
        cmd.setLun(0).setCdb(new byte[6], 0, 6).setExpectedLength(0);
        host.submit(cmd);
    }
}
