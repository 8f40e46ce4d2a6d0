package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.metrics.LatencyHistogram;
import org.jtgt.api.metrics.NexusMetrics;
import org.jtgt.api.metrics.UnitMetrics;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.IoStatistics;
import org.jtgt.api.target.NexusInfo;
import org.jtgt.api.target.TargetAdminException;
import org.junit.jupiter.api.Test;

/** Per-nexus and per-unit statistics: commands, Data-In and Data-Out bytes, CHECK CONDITIONs. */
class StatisticsTest {
    private final Harness h = Harness.withLun();

    @Test
    void readsWritesAndErrorsAreCountedPerNexusAndPerUnit() {
        h.login("iqn.2026-11.org.jtgt:second", Harness.TARGET, 8);
        h.write(0, Cdbs.rw10(true, 0, 4, 0), new byte[4 * 512]).assertGood();
        h.read(0, Cdbs.rw10(false, 0, 2, 0), 2 * 512).assertGood();
        h.read(0, Cdbs.rw10(false, 4096, 1, 0), 512);   // LBA out of range: CHECK CONDITION
        h.none(0, Cdbs.testUnitReady()).assertGood();
        h.command(8, 0, Cdbs.rw10(false, 0, 1, 0), DataDirection.READ, 512, null).assertGood();
        h.read(5, Cdbs.inquiry(false, 0, 36), 36);   // no such LUN: the nexus counts it, no unit does

        List<NexusInfo> nexuses = h.daemon.nexuses();
        assertEquals(2, nexuses.size());
        NexusInfo first = nexuses.stream().filter(n -> n.nexusId() == Harness.NEXUS).findFirst().orElseThrow();
        assertEquals(Harness.TARGET, first.target());
        assertEquals(Harness.HOST, first.hostNo());
        assertEquals(Harness.INITIATOR + ",i,0x23d000000001", first.initiatorPort());
        assertEquals(new IoStatistics(5, 2 * 512 + 36, 4 * 512, 1), first.statistics());
        NexusInfo second = nexuses.stream().filter(n -> n.nexusId() == 8).findFirst().orElseThrow();
        assertEquals(new IoStatistics(1, 512, 0, 0), second.statistics());
        assertEquals(new IoStatistics(5, 3 * 512, 4 * 512, 1), h.daemon.lunStatistics(Harness.TARGET, 0));
        assertThrows(TargetAdminException.class, () -> h.daemon.lunStatistics(Harness.TARGET, 3));
    }

    @Test
    void senseKeysTaskManagementAndLatencyAreCountedForMetrics() {
        h.write(0, Cdbs.rw10(true, 0, 4, 0), new byte[4 * 512]).assertGood();
        h.read(0, Cdbs.rw10(false, 4096, 1, 0), 512);                 // ILLEGAL REQUEST, LBA out of range
        h.read(0, Cdbs.rw10(false, 8192, 1, 0), 512);                 // again
        h.none(0, Cdbs.testUnitReady()).assertGood();
        assertEquals(TmfResponse.TASK_DOES_NOT_EXIST, h.tmf(TaskManagementFunction.ABORT_TASK, 0, 4711));
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0));
        h.none(0, Cdbs.testUnitReady());                              // UNIT ATTENTION after the reset

        List<UnitMetrics> units = h.daemon.unitMetrics();
        assertEquals(1, units.size());
        UnitMetrics unit = units.get(0);
        assertEquals(Harness.TARGET, unit.target());
        assertEquals(0, unit.lun());
        assertEquals(h.daemon.lunStatistics(Harness.TARGET, 0), unit.io());
        assertEquals(5, unit.io().commands());
        assertEquals(2, unit.checkConditions()[SenseKey.ILLEGAL_REQUEST]);
        assertEquals(1, unit.checkConditions()[SenseKey.UNIT_ATTENTION]);
        assertEquals(3, java.util.Arrays.stream(unit.checkConditions()).sum());
        assertEquals(0, unit.tasks(), "nothing in flight");
        long[] latency = unit.latency().snapshot();
        assertEquals(5, LatencyHistogram.count(latency), "one latency per answered command");
        assertTrue(latency[LatencyHistogram.SUM] > 0);
        assertTrue(LatencyHistogram.quantile(latency, 0.5) > 0);

        NexusMetrics nexus = h.daemon.nexusMetrics().get(0);
        assertEquals(Harness.NEXUS, nexus.nexusId());
        assertEquals(2, nexus.checkConditions()[SenseKey.ILLEGAL_REQUEST]);
        assertEquals(1, nexus.taskManagement(TaskManagementFunction.ABORT_TASK));
        assertEquals(1, nexus.taskManagement(TaskManagementFunction.LOGICAL_UNIT_RESET));
        assertEquals(0, nexus.taskManagement(TaskManagementFunction.TARGET_WARM_RESET));
    }
}
