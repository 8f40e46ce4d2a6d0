package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/**
 * Task management on tasks that are really in flight (RFC 7143 4.2.3.3, 11.5.1; SAM-5 7): a
 * function answers only once the tasks it ends can no longer answer, an aborted task is ended
 * with the aborted record (no response to the initiator) and never with its result, and no
 * record of an aborted task follows the function's response.
 */
class InFlightTaskManagementTest {
    private static final long OTHER = 8;

    private final HeldStore store = new HeldStore(Harness.SIZE);
    private final Harness h = Harness.withLun(new Harness(), LunOptions.DEFAULT, store);

    private long read(long nexus, long lba, TaskAttribute attribute) {
        return h.send(nexus, 0, Cdbs.rw10(false, lba, 1, 0), DataDirection.READ, 512, null, attribute);
    }

    private void assertAborted(long cid) {
        ByteBuffer rsp = h.awaitAnswer(cid);
        assertTrue(CmdRspEvent.aborted(rsp, 0), "ended as aborted");
        assertEquals(ScsiStatus.TASK_ABORTED, CmdRspEvent.status(rsp, 0));
        assertEquals(0, CmdRspEvent.dataLength(rsp, 0));
        assertEquals(0, CmdRspEvent.senseLength(rsp, 0));
    }

    private void assertAnsweredBefore(long cid, long mid) {
        int task = h.indexOfAnswer(cid);
        int tmf = h.indexOfTmfAnswer(mid);
        assertTrue(task >= 0 && tmf >= 0 && task < tmf, "the task's record (" + task + ") goes before the TMF's (" + tmf + ")");
    }

    @Test
    void abortTaskOnARunningTaskAnswersOnlyWhenTheStoreGaveItBack() throws Exception {
        long r = read(Harness.NEXUS, 4, TaskAttribute.SIMPLE);
        store.awaitHeld(1);
        long mid = h.sendTmf(Harness.NEXUS, TaskManagementFunction.ABORT_TASK, 0, h.tagOf(r));
        TimeUnit.MILLISECONDS.sleep(50);
        assertEquals(-1, h.indexOfTmfAnswer(mid), "no TMF response while the aborted READ still fills its buffer");
        assertNull(h.answer(r));
        store.releaseAll();
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmfAnswer(mid));
        assertAborted(r);
        assertAnsweredBefore(r, mid);
        h.done(r);
        assertEquals(0, h.daemon.nexus(Harness.HOST, Harness.NEXUS).tasks().size(), "CMD_DONE ended the record");
    }

    @Test
    void abortTaskOnADormantTaskEndsItAtOnceAndTheOthersGoOn() throws Exception {
        long running = read(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        store.awaitHeld(1);
        long ordered = read(Harness.NEXUS, 2, TaskAttribute.ORDERED);
        long behind = read(Harness.NEXUS, 3, TaskAttribute.SIMPLE);
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(TaskManagementFunction.ABORT_TASK, 0, h.tagOf(ordered)));
        assertAborted(ordered);
        assertNull(h.answer(behind), "still waits for the running task");
        store.releaseOne();
        assertEquals(0, CmdRspEvent.status(h.awaitAnswer(running), 0));
        store.awaitHeld(1);   // with the ORDERED task gone, the one behind it starts
        store.releaseOne();
        ByteBuffer rsp = h.awaitAnswer(behind);
        assertFalse(CmdRspEvent.aborted(rsp, 0));
        assertEquals(0, CmdRspEvent.status(rsp, 0));
    }

    @Test
    void abortTaskOfATaskAlreadyAnsweredIsTaskDoesNotExist() {
        store.holding = false;
        long r = read(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        assertEquals(0, CmdRspEvent.status(h.awaitAnswer(r), 0));
        assertEquals(TmfResponse.TASK_DOES_NOT_EXIST, h.tmf(TaskManagementFunction.ABORT_TASK, 0, h.tagOf(r)));
    }

    @Test
    void abortTaskSetWaitsForEveryRunningTaskOfItsNexusOnly() throws Exception {
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(Harness.INITIATOR + ",i,0x23d000000002", Harness.TARGET, OTHER));
        long a = read(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        long b = read(Harness.NEXUS, 2, TaskAttribute.SIMPLE);
        long theirs = read(OTHER, 3, TaskAttribute.SIMPLE);
        store.awaitHeld(3);
        long mid = h.sendTmf(Harness.NEXUS, TaskManagementFunction.ABORT_TASK_SET, 0, 0);
        store.releaseOne();
        TimeUnit.MILLISECONDS.sleep(20);
        assertEquals(-1, h.indexOfTmfAnswer(mid), "one aborted task is still running");
        store.releaseAll();
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmfAnswer(mid));
        assertAborted(a);
        assertAborted(b);
        assertAnsweredBefore(a, mid);
        assertAnsweredBefore(b, mid);
        ByteBuffer rsp = h.awaitAnswer(theirs);
        assertFalse(CmdRspEvent.aborted(rsp, 0), "another nexus's task is not in the I_T_L task set");
        assertEquals(0, CmdRspEvent.status(rsp, 0));
    }

    @Test
    void clearTaskSetEndsEveryNexusTasksAndTellsTheOthers() throws Exception {
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(Harness.INITIATOR + ",i,0x23d000000002", Harness.TARGET, OTHER));
        long mine = read(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        long theirs = read(OTHER, 2, TaskAttribute.SIMPLE);
        store.awaitHeld(2);
        long mid = h.sendTmf(Harness.NEXUS, TaskManagementFunction.CLEAR_TASK_SET, 0, 0);
        store.releaseAll();
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmfAnswer(mid));
        assertAborted(mine);
        assertAborted(theirs);
        h.done(mine);
        h.done(theirs);
        h.command(OTHER, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null)
                .assertSense(SenseKey.UNIT_ATTENTION, 0x2F, 0x00);
        h.none(0, Cdbs.testUnitReady()).assertGood();
    }

    @Test
    void logicalUnitResetEndsTasksOfEveryNexusBeforeItAnswers() throws Exception {
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(Harness.INITIATOR + ",i,0x23d000000002", Harness.TARGET, OTHER));
        long mine = read(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        long theirs = read(OTHER, 2, TaskAttribute.SIMPLE);
        store.awaitHeld(2);
        long dormant = read(OTHER, 3, TaskAttribute.ORDERED);
        long mid = h.sendTmf(Harness.NEXUS, TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0);
        assertAborted(dormant);   // never started: ended at once
        assertEquals(-1, h.indexOfTmfAnswer(mid));
        store.releaseAll();
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmfAnswer(mid));
        assertAborted(mine);
        assertAborted(theirs);
        assertAnsweredBefore(theirs, mid);
        assertEquals(2, store.submitted, "the dormant ORDERED read never reached the store");
    }

    @Test
    void aTaskWhoseStoreFailsAfterTheAbortIsStillAnsweredAsAborted() throws Exception {
        long r = read(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        store.awaitHeld(1);
        long mid = h.sendTmf(Harness.NEXUS, TaskManagementFunction.ABORT_TASK, 0, h.tagOf(r));
        store.failure = new java.io.IOException("gone");
        store.releaseAll();
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmfAnswer(mid));
        assertAborted(r);
    }

    @Test
    void theLossOfTheNexusAbortsItsRunningTasks() throws Exception {
        long r = read(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        store.awaitHeld(1);
        assertEquals(ItNexusRspEvent.RESULT_OK, h.logout(Harness.NEXUS));
        store.releaseAll();
        assertAborted(r);
    }

    @Test
    void twoFunctionsNamingTheSameRunningTaskBothWaitForIt() throws Exception {
        long r = read(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        store.awaitHeld(1);
        long abort = h.sendTmf(Harness.NEXUS, TaskManagementFunction.ABORT_TASK, 0, h.tagOf(r));
        long reset = h.sendTmf(Harness.NEXUS, TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0);
        TimeUnit.MILLISECONDS.sleep(20);
        assertEquals(-1, h.indexOfTmfAnswer(abort));
        assertEquals(-1, h.indexOfTmfAnswer(reset));
        store.releaseAll();
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmfAnswer(abort));
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmfAnswer(reset));
        assertAborted(r);
        assertAnsweredBefore(r, abort);
        assertAnsweredBefore(r, reset);
    }

    /**
     * A shared store that lost access to its medium (another client holds the lock: standby; this
     * one fenced: unavailable) answers NOT READY, LOGICAL UNIT NOT ACCESSIBLE, so a multipath
     * initiator retries on another path, on reads and writes alike; other failures stay medium errors.
     */
    @Test
    void aStoreThatLostAccessAnswersNotAccessible() throws Exception {
        long r = read(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        store.awaitHeld(1);
        store.failure = new org.jtgt.api.store.NotAccessibleException("lock held elsewhere", false);
        store.releaseAll();
        assertSense(r, SenseKey.NOT_READY, 0x04, 0x0B);
        long w = h.send(Harness.NEXUS, 0, Cdbs.rw10(true, 2, 1, 0), DataDirection.WRITE, 512, new byte[512],
                TaskAttribute.SIMPLE);
        store.awaitHeld(1);
        store.failure = new org.jtgt.api.store.NotAccessibleException("blocklisted", true);
        store.releaseAll();
        assertSense(w, SenseKey.NOT_READY, 0x04, 0x0C);
        long g = read(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        store.awaitHeld(1);
        store.failure = new java.io.IOException("medium");
        store.releaseAll();
        assertSense(g, SenseKey.MEDIUM_ERROR, 0x11, 0x00);
    }

    private void assertSense(long cid, int key, int asc, int ascq) {
        ByteBuffer rsp = h.awaitAnswer(cid);
        assertEquals(ScsiStatus.CHECK_CONDITION, CmdRspEvent.status(rsp, 0));
        byte[] sense = new byte[CmdRspEvent.senseLength(rsp, 0)];
        CmdRspEvent.sense(rsp, 0, sense);
        assertEquals(key, sense[2] & 0x0F, "sense key");
        assertEquals(asc, sense[12] & 0xFF, "ASC");
        assertEquals(ascq, sense[13] & 0xFF, "ASCQ");
    }
}
