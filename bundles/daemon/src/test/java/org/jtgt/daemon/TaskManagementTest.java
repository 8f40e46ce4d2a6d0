package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.event.LittleEndian;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.event.TskMgmtReqEvent;
import org.jtgt.api.event.TskMgmtRspEvent;
import org.junit.jupiter.api.Test;

/** KEVENT_TSK_MGMT_REQ against the task set kept until KEVENT_CMD_DONE. */
class TaskManagementTest {
    private final Harness h = Harness.withLun();

    @Test
    void queryTaskFindsATaskUntilItsCmdDone() {
        h.autoDone = false;
        Harness.Result r = h.read(0, Cdbs.rw10(false, 0, 1, 0), 512);
        r.assertGood();
        assertEquals(TmfResponse.FUNCTION_SUCCEEDED, h.tmf(TaskManagementFunction.QUERY_TASK, 0, r.tag()));
        assertEquals(TmfResponse.FUNCTION_SUCCEEDED, h.tmf(TaskManagementFunction.QUERY_TASK_SET, 0, 0));
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(TaskManagementFunction.QUERY_TASK, 0, r.tag() + 1), "another tag");
        h.done(r.cid());
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(TaskManagementFunction.QUERY_TASK, 0, r.tag()));
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(TaskManagementFunction.QUERY_TASK_SET, 0, 0));
    }

    @Test
    void abortTaskOfAnAnsweredTaskIsTaskDoesNotExist() {
        h.autoDone = false;
        Harness.Result r = h.write(0, Cdbs.rw10(true, 0, 8, 0), new byte[8 * 512]);
        r.assertGood();
        // the response went out before the TMF arrived: nothing is left to abort (libiscsi's
        // test_async_abort_simple: WRITE good + TASK DOES NOT EXIST)
        assertEquals(TmfResponse.TASK_DOES_NOT_EXIST, h.tmf(TaskManagementFunction.ABORT_TASK, 0, r.tag()));
        h.done(r.cid());
        assertEquals(TmfResponse.TASK_DOES_NOT_EXIST, h.tmf(TaskManagementFunction.ABORT_TASK, 0, r.tag()));
        assertEquals(TmfResponse.TASK_DOES_NOT_EXIST, h.tmf(TaskManagementFunction.ABORT_TASK, 0, 999_999));
    }

    @Test
    void taskSetFunctionsComplete() {
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(TaskManagementFunction.ABORT_TASK_SET, 0, 0));
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(TaskManagementFunction.CLEAR_TASK_SET, 0, 0));
        h.none(0, Cdbs.testUnitReady()).assertGood();   // neither establishes a unit attention
    }

    @Test
    void lunScopedFunctionsOnAnUnknownLun() {
        for (TaskManagementFunction f : new TaskManagementFunction[] {
            TaskManagementFunction.ABORT_TASK, TaskManagementFunction.ABORT_TASK_SET, TaskManagementFunction.CLEAR_TASK_SET,
            TaskManagementFunction.LOGICAL_UNIT_RESET, TaskManagementFunction.QUERY_TASK, TaskManagementFunction.QUERY_TASK_SET,
            TaskManagementFunction.QUERY_ASYNC_EVENT}) {
            assertEquals(TmfResponse.LUN_DOES_NOT_EXIST, h.tmf(f, 4, 1), f.toString());
        }
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(TaskManagementFunction.I_T_NEXUS_RESET, 4, 0), "not LUN-scoped");
    }

    @Test
    void clearAcaIsNotSupported() {
        assertEquals(TmfResponse.FUNCTION_NOT_SUPPORTED, h.tmf(TaskManagementFunction.CLEAR_ACA, 0, 0));
    }

    @Test
    void queryAsyncEventSeesAPendingUnitAttention() {
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(TaskManagementFunction.QUERY_ASYNC_EVENT, 0, 0));
        h.tmf(TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0);
        assertEquals(TmfResponse.FUNCTION_SUCCEEDED, h.tmf(TaskManagementFunction.QUERY_ASYNC_EVENT, 0, 0));
    }

    @Test
    void unknownNexusIsRejected() {
        assertEquals(TmfResponse.FUNCTION_REJECTED, h.tmf(99, TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0));
    }

    @Test
    void unknownFunctionCodeIsNotSupportedAndAnswered() {
        TskMgmtReqEvent.write(h.event, 0, Harness.HOST, 555, Harness.NEXUS, 0, 0, TaskManagementFunction.ABORT_TASK);
        LittleEndian.putU8(h.event, TskMgmtReqEvent.FUNCTION_OFFSET, 0x42);
        h.deliver(TskMgmtReqEvent.LENGTH);
        assertEquals(EventType.UEVENT_TSK_MGMT_RSP.code(), EventHeader.type(h.endpoint.last(), 0));
        assertEquals(555, TskMgmtRspEvent.mid(h.endpoint.last(), 0));
        assertEquals(TmfResponse.FUNCTION_NOT_SUPPORTED.code(), TskMgmtRspEvent.result(h.endpoint.last(), 0));
    }

    @Test
    void destroyingTheNexusForgetsItsTasks() {
        h.autoDone = false;
        Harness.Result r = h.read(0, Cdbs.rw10(false, 0, 1, 0), 512);
        Nexus n = h.daemon.nexus(Harness.HOST, Harness.NEXUS);
        assertEquals(1, n.tasks().count(n, -1));
        h.logout(Harness.NEXUS);
        assertEquals(0, n.tasks().count(n, -1));
        h.done(r.cid());   // a late CMD_DONE for a forgotten cid is ignored
    }
}
