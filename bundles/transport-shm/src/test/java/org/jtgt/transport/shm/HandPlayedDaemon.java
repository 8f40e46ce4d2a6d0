package org.jtgt.transport.shm;

import static org.jtgt.transport.shm.SplitPeers.wrap;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.event.ItNexusReqEvent;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.TransportEndpoint;

/**
 * A daemon as the front sees one, played by the test over either medium: the link, the requests
 * that reach it, answers written by hand. Subclasses attach the medium and say how it dies.
 */
abstract class HandPlayedDaemon implements EventSink {
    final PeerLink link;
    final BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
    final BlockingQueue<PeerLink.Frame> frames = new LinkedBlockingQueue<>();

    HandPlayedDaemon(PeerLink link) {
        this.link = link;
    }

    /** The endpoint this daemon answers through. */
    abstract TransportEndpoint endpoint();

    /** The link, the medium and any bell close as a killed process's do. */
    abstract void die();

    /** After READY: the link's frames from the front go to {@link #frames}. */
    void readLink() {
        Thread reader = new Thread(() -> {
            try {
                while (true) {
                    frames.add(link.read());
                }
            } catch (IOException e) {
                // link closed
            }
        }, "test-daemon-link");
        reader.setDaemon(true);
        reader.start();
    }

    byte[] next() throws InterruptedException {
        byte[] r = received.poll(10, TimeUnit.SECONDS);
        assertNotNull(r, "nothing reached the daemon");
        return r;
    }

    byte[] poll(long millis) throws InterruptedException {
        return received.poll(millis, TimeUnit.MILLISECONDS);
    }

    PeerLink.Frame awaitFrame(int type) throws InterruptedException {
        PeerLink.Frame f = frames.poll(15, TimeUnit.SECONDS);
        assertNotNull(f, "no link frame from the front");
        assertEquals(type, f.type());
        return f;
    }

    void answerNexus(byte[] req) {
        ByteBuffer q = wrap(req);
        assertEquals(EventType.KEVENT_IT_NEXUS_REQ.code(), EventHeader.type(q, 0));
        byte[] r = new byte[ItNexusRspEvent.LENGTH];
        ItNexusRspEvent.write(wrap(r), 0, EventHeader.hostNo(q, 0), ItNexusReqEvent.nexusId(q, 0),
                ItNexusRspEvent.RESULT_OK, ItNexusReqEvent.op(q, 0));
        assertTrue(endpoint().send(wrap(r), 0, r.length));
    }

    void answerGood(byte[] req) {
        ByteBuffer q = wrap(req);
        byte[] r = new byte[CmdRspEvent.LENGTH];
        CmdRspEvent.write(wrap(r), 0, EventHeader.hostNo(q, 0), CmdReqEvent.cid(q, 0), CmdReqEvent.dataOffset(q, 0),
                CmdReqEvent.expectedLength(q, 0), 0, ScsiStatus.GOOD);
        assertTrue(endpoint().send(wrap(r), 0, r.length));
    }

    @Override
    public void onEvent(ByteBuffer buffer, int offset, int length, TransportEndpoint from) {
        byte[] copy = new byte[length];
        buffer.get(offset, copy);
        received.add(copy);
    }
}
