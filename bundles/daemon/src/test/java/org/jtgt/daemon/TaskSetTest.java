package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;

import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.scsi.SenseData;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/**
 * SAM-5 task attributes on tasks really in flight: the unit's store holds every read and write
 * until released, so the daemon has several tasks at once and must decide which may start.
 */
class TaskSetTest {
    private final HeldStore store = new HeldStore(Harness.SIZE);
    private final Harness h = Harness.withLun(new Harness(), LunOptions.DEFAULT, store);

    private long read(long lba, TaskAttribute attribute) {
        return h.send(Harness.NEXUS, 0, Cdbs.rw10(false, lba, 1, 0), DataDirection.READ, 512, null, attribute);
    }

    private long write(long lba, int seed, TaskAttribute attribute) {
        return h.send(Harness.NEXUS, 0, Cdbs.rw10(true, lba, 1, 0), DataDirection.WRITE, 512, Harness.pattern(512, seed),
                attribute);
    }

    @Test
    void simpleTasksAreInFlightTogetherAndAnsweredWhenTheirStoreCompletesThem() throws Exception {
        long a = read(1, TaskAttribute.SIMPLE);
        long b = read(2, TaskAttribute.SIMPLE);
        long c = write(3, 7, TaskAttribute.SIMPLE);
        store.awaitHeld(3);
        assertNull(h.answer(a), "answered before its store completed it");
        store.releaseAll();
        for (long cid : new long[] {a, b, c}) {
            assertEquals(0, CmdRspEvent.status(h.awaitAnswer(cid), 0));
        }
        assertEquals(0, h.daemon.nexus(Harness.HOST, Harness.NEXUS).target().lun(0).tasks().size());
    }

    @Test
    void anOrderedTaskWaitsForOlderOnesAndYoungerOnesWaitForIt() throws Exception {
        long first = write(1, 1, TaskAttribute.SIMPLE);
        store.awaitHeld(1);
        long ordered = write(1, 2, TaskAttribute.ORDERED);
        long after = read(1, TaskAttribute.SIMPLE);
        assertEquals(1, store.submitted, "the ORDERED write and the SIMPLE read behind it wait");
        store.releaseOne();   // the first write ends: the ORDERED one starts, the read still waits
        assertEquals(0, CmdRspEvent.status(h.awaitAnswer(first), 0));
        store.awaitHeld(1);
        assertEquals(2, store.submitted);
        assertNull(h.answer(after));
        store.releaseOne();   // the ORDERED write ends: the read starts and sees its bytes
        assertEquals(0, CmdRspEvent.status(h.awaitAnswer(ordered), 0));
        store.awaitHeld(1);
        store.releaseOne();
        ByteBuffer rsp = h.awaitAnswer(after);
        assertEquals(0, CmdRspEvent.status(rsp, 0));
        byte[] data = h.endpoint.get(CmdRspEvent.dataOffset(rsp, 0), 512);
        org.junit.jupiter.api.Assertions.assertArrayEquals(Harness.pattern(512, 2), data,
                "the read ran after the ORDERED write, not before");
    }

    @Test
    void headOfQueueRunsAheadOfDormantTasks() throws Exception {
        long running = read(1, TaskAttribute.SIMPLE);
        store.awaitHeld(1);
        long ordered = write(2, 3, TaskAttribute.ORDERED);   // dormant behind the running read
        long hoq = read(5, TaskAttribute.HEAD_OF_QUEUE);
        store.awaitHeld(2);
        assertEquals(2, store.submitted, "HEAD OF QUEUE started at once; ORDERED still dormant");
        store.releaseOne();
        store.releaseOne();
        store.awaitHeld(1);   // the ORDERED write, once both ended
        store.releaseOne();
        for (long cid : new long[] {running, ordered, hoq}) {
            assertEquals(0, CmdRspEvent.status(h.awaitAnswer(cid), 0));
        }
    }

    @Test
    void commandsThatDoNotTouchTheStoreAreAnsweredWhileIoIsInFlight() throws Exception {
        long r = read(1, TaskAttribute.SIMPLE);
        store.awaitHeld(1);
        h.read(0, Cdbs.inquiry(false, 0, 96), 96).assertGood();
        h.none(0, Cdbs.testUnitReady()).assertGood();
        store.releaseAll();
        assertNotNull(h.awaitAnswer(r));
    }

    @Test
    void theAcaAttributeIsRefusedSinceAcaIsNeverEstablished() {
        long cid = h.send(Harness.NEXUS, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null, TaskAttribute.ACA);
        ByteBuffer rsp = h.awaitAnswer(cid);
        assertEquals(0x02, CmdRspEvent.status(rsp, 0));
        byte[] sense = new byte[CmdRspEvent.senseLength(rsp, 0)];
        CmdRspEvent.sense(rsp, 0, sense);
        assertEquals(new SenseData(SenseKey.ILLEGAL_REQUEST, 0x0E, 0x03), SenseData.parse(sense, sense.length));
    }

    @Test
    void aStoreFailureReportedByTheCompletionBecomesTheCommandsSense() throws Exception {
        long r = read(9, TaskAttribute.SIMPLE);
        store.awaitHeld(1);
        store.failure = new java.io.IOException("device gone");
        store.releaseAll();
        ByteBuffer rsp = h.awaitAnswer(r);
        assertEquals(0x02, CmdRspEvent.status(rsp, 0));
        assertEquals(0, CmdRspEvent.dataLength(rsp, 0), "no Data-In from a failed read");
        byte[] sense = new byte[CmdRspEvent.senseLength(rsp, 0)];
        CmdRspEvent.sense(rsp, 0, sense);
        assertEquals(SenseKey.MEDIUM_ERROR, SenseData.parse(sense, sense.length).key());
    }
}
