package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.scsi.SenseKey;
import org.junit.jupiter.api.Test;

/** Unit attention conditions: establishment, reporting, clearing. */
class UnitAttentionTest {
    private final Harness h = Harness.withLun();

    @Test
    void logicalUnitResetIsReportedOnceThenCleared() {
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0));
        Harness.Result r = h.none(0, Cdbs.testUnitReady());
        r.assertSense(SenseKey.UNIT_ATTENTION, 0x29, 0x03);
        h.none(0, Cdbs.testUnitReady()).assertGood();
    }

    @Test
    void logicalUnitResetReachesEveryNexusOfTheUnit() {
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login("iqn.2026-11.org.jtgt:second", Harness.TARGET, 8));
        h.tmf(TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0);
        h.command(8, 0, Cdbs.testUnitReady(), org.jtgt.api.event.DataDirection.NONE, 0, null)
                .assertSense(SenseKey.UNIT_ATTENTION, 0x29, 0x03);
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x29, 0x03);
    }

    @Test
    void inquiryAndReportLunsNeitherStopNorClearAUnitAttention() {
        h.tmf(TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0);
        h.read(0, Cdbs.inquiry(false, 0, 36), 36).assertGood();
        h.read(0, Cdbs.reportLuns(0, 64), 64).assertGood();
        h.read(0, Cdbs.rw10(false, 0, 1, 0), 512).assertSense(SenseKey.UNIT_ATTENTION, 0x29, 0x03);
        h.read(0, Cdbs.rw10(false, 0, 1, 0), 512).assertGood();
    }

    @Test
    void requestSenseReturnsAndClearsThePendingUnitAttention() {
        h.tmf(TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0);
        Harness.Result r = h.read(0, Cdbs.requestSense(18), 18);
        r.assertGood();
        assertEquals(18, r.data().length);
        assertEquals(0x70, r.u8(0));
        assertEquals(SenseKey.UNIT_ATTENTION, r.u8(2));
        assertEquals(10, r.u8(7));
        assertEquals(0x29, r.u8(12));
        assertEquals(0x03, r.u8(13));
        Harness.Result again = h.read(0, Cdbs.requestSense(252), 252);
        again.assertGood();
        assertEquals(0, again.u8(2), "NO SENSE");
        assertEquals(0, again.u8(12));
        assertEquals(252 - 18, again.residual());
        h.none(0, Cdbs.testUnitReady()).assertGood();
    }

    @Test
    void requestSenseWithDescAnswersInDescriptorFormatAndUnknownLunAnswersNotSupported() {
        byte[] cdb = Cdbs.requestSense(18);
        cdb[1] = 1;
        Harness.Result d = h.read(9, cdb, 18);
        d.assertGood();
        assertEquals(0x72, d.u8(0), "DESC: descriptor format");
        assertEquals(SenseKey.ILLEGAL_REQUEST, d.u8(1));
        assertEquals(0x25, d.u8(2));
        Harness.Result r = h.read(9, Cdbs.requestSense(18), 18);
        r.assertGood();
        assertEquals(SenseKey.ILLEGAL_REQUEST, r.u8(2));
        assertEquals(0x25, r.u8(12));
    }

    @Test
    void itNexusResetConcernsOnlyThatNexus() {
        h.login("iqn.2026-11.org.jtgt:second", Harness.TARGET, 8);
        h.daemon.addLun(Harness.TARGET, 1, new MemoryStore(8192), 512, null);
        h.none(0, Cdbs.testUnitReady());   // consume REPORTED LUNS DATA HAS CHANGED
        h.command(8, 0, Cdbs.testUnitReady(), org.jtgt.api.event.DataDirection.NONE, 0, null);
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(TaskManagementFunction.I_T_NEXUS_RESET, 0, 0));
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x29, 0x07);
        h.none(1, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x29, 0x07);
        h.none(0, Cdbs.testUnitReady()).assertGood();
        h.command(8, 0, Cdbs.testUnitReady(), org.jtgt.api.event.DataDirection.NONE, 0, null).assertGood();
    }

    @Test
    void targetResetReachesEveryNexusAndLun() {
        h.login("iqn.2026-11.org.jtgt:second", Harness.TARGET, 8);
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(TaskManagementFunction.TARGET_WARM_RESET, 0, 0));
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x29, 0x00);
        h.command(8, 0, Cdbs.testUnitReady(), org.jtgt.api.event.DataDirection.NONE, 0, null)
                .assertSense(SenseKey.UNIT_ATTENTION, 0x29, 0x00);
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(TaskManagementFunction.TARGET_COLD_RESET, 0, 0));
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x29, 0x00);
    }

    @Test
    void addingALunReportsReportedLunsDataHasChangedOnceAcrossLuns() {
        h.daemon.addLun(Harness.TARGET, 1, new MemoryStore(8192), 512, null);
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);
        h.none(0, Cdbs.testUnitReady()).assertGood();
        h.none(1, Cdbs.testUnitReady()).assertGood();
        h.daemon.addLun(Harness.TARGET, 2, new MemoryStore(8192), 512, null);
        h.none(1, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);
        h.none(0, Cdbs.testUnitReady()).assertGood();
    }

    @Test
    void removingALunReportsToTheRemainingOnes() {
        h.daemon.addLun(Harness.TARGET, 1, new MemoryStore(8192), 512, null);
        h.none(0, Cdbs.testUnitReady());
        h.daemon.removeLun(Harness.TARGET, 1);
        h.none(1, Cdbs.testUnitReady()).assertSense(SenseKey.ILLEGAL_REQUEST, 0x25, 0x00);
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);
        h.none(0, Cdbs.testUnitReady()).assertGood();
    }

    @Test
    void aLunAddedToATargetWithoutLunsIsAnnouncedThroughItself() {
        Harness empty = new Harness();
        empty.daemon.createTarget(Harness.TARGET);
        assertEquals(ItNexusRspEvent.RESULT_OK, empty.login(Harness.INITIATOR, Harness.TARGET, Harness.NEXUS));
        assertEquals(ItNexusRspEvent.RESULT_OK, empty.login("iqn.2026-11.org.jtgt:second", Harness.TARGET, 8));
        empty.daemon.addLun(Harness.TARGET, 0, new MemoryStore(8192), 512, null);
        empty.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);
        empty.none(0, Cdbs.testUnitReady()).assertGood();
        empty.command(8, 0, Cdbs.testUnitReady(), org.jtgt.api.event.DataDirection.NONE, 0, null)
                .assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);
    }

    @Test
    void addingALunReachesEveryNexusOfTheTargetOnly() {
        h.login("iqn.2026-11.org.jtgt:second", Harness.TARGET, 8);
        h.daemon.createTarget("iqn.2026-11.org.jtgt:other");
        h.daemon.addLun("iqn.2026-11.org.jtgt:other", 0, new MemoryStore(8192), 512, null);
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(Harness.INITIATOR, "iqn.2026-11.org.jtgt:other", 9));
        h.daemon.addLun(Harness.TARGET, 5, new MemoryStore(8192), 512, null);
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);
        h.command(8, 5, Cdbs.testUnitReady(), org.jtgt.api.event.DataDirection.NONE, 0, null)
                .assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);
        h.command(8, 0, Cdbs.testUnitReady(), org.jtgt.api.event.DataDirection.NONE, 0, null).assertGood();
        h.command(9, 0, Cdbs.testUnitReady(), org.jtgt.api.event.DataDirection.NONE, 0, null).assertGood();
    }

    @Test
    void unitAttentionsBeatInvalidOpcodes() {
        h.tmf(TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0);
        byte[] cdb = new byte[10];
        cdb[0] = 0x3B;
        h.none(0, cdb).assertSense(SenseKey.UNIT_ATTENTION, 0x29, 0x03);
        h.none(0, cdb).assertSense(SenseKey.ILLEGAL_REQUEST, 0x20, 0x00);
    }

    @Test
    void duplicatesAreCoalescedPerLun() {
        UnitAttentions ua = new UnitAttentions();
        ua.establish(0, SenseReason.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
        ua.establish(0, SenseReason.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
        ua.establish(1, SenseReason.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
        assertEquals(1, ua.count(0));
        assertEquals(1, ua.count(1));
        assertEquals(SenseReason.BUS_DEVICE_RESET_FUNCTION_OCCURRED, ua.next(0));
        assertNull(ua.next(0));
        assertEquals(true, ua.pending(), "LUN 1 still has one");
        ua.forget(1);
        assertEquals(false, ua.pending());
    }

    @Test
    void aFullQueueDropsTheOldest() {
        UnitAttentions ua = new UnitAttentions(2);
        ua.establish(0, SenseReason.POWER_ON_RESET_OR_BUS_DEVICE_RESET_OCCURRED);
        ua.establish(0, SenseReason.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
        ua.establish(0, SenseReason.I_T_NEXUS_LOSS_OCCURRED);
        assertEquals(2, ua.count(0));
        assertEquals(SenseReason.BUS_DEVICE_RESET_FUNCTION_OCCURRED, ua.next(0));
        assertEquals(SenseReason.I_T_NEXUS_LOSS_OCCURRED, ua.next(0));
        assertEquals(false, ua.pending());
    }

    @Test
    void reportsInOrderAndClearsSelectively() {
        UnitAttentions ua = new UnitAttentions();
        SenseReason[] order = {SenseReason.POWER_ON_RESET_OR_BUS_DEVICE_RESET_OCCURRED, SenseReason.BUS_DEVICE_RESET_FUNCTION_OCCURRED,
            SenseReason.I_T_NEXUS_LOSS_OCCURRED, SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED};
        for (SenseReason r : order) {
            ua.establish(0, r);
        }
        ua.establish(3, SenseReason.I_T_NEXUS_LOSS_OCCURRED);
        assertEquals(4, ua.count(0));
        assertEquals(SenseReason.POWER_ON_RESET_OR_BUS_DEVICE_RESET_OCCURRED, ua.next(0));
        ua.clearEverywhere(SenseReason.I_T_NEXUS_LOSS_OCCURRED);
        assertEquals(0, ua.count(3));
        assertEquals(SenseReason.BUS_DEVICE_RESET_FUNCTION_OCCURRED, ua.next(0));
        assertEquals(SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED, ua.peek(0));
        assertEquals(SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED, ua.next(0));
        assertEquals(false, ua.pending());
    }

    /** Records what the keeper was shown each time it was told of a change. */
    private static final class Written implements UnitAttentions.Keeper {
        final List<Map<Integer, List<SenseReason>>> snapshots = new ArrayList<>();

        @Override
        public void changed(UnitAttentions ua) {
            snapshots.add(ua.snapshot());
        }

        Map<Integer, List<SenseReason>> last() {
            return snapshots.get(snapshots.size() - 1);
        }
    }

    @Test
    void aReportedConditionStaysWrittenDownUntilItsCommandIsDone() {
        UnitAttentions ua = new UnitAttentions();
        Written keeper = new Written();
        ua.keeper(keeper);
        ua.establish(0, SenseReason.MODE_PARAMETERS_CHANGED);
        ua.establish(0, SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED);
        int writes = keeper.snapshots.size();
        assertEquals(SenseReason.MODE_PARAMETERS_CHANGED, ua.report(0, 7));
        assertEquals(writes, keeper.snapshots.size(), "nothing to write: the file still lists it");
        assertEquals(Map.of(0, List.of(SenseReason.MODE_PARAMETERS_CHANGED, SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED)),
                ua.snapshot(), "reported, not yet done: still first");
        assertEquals(1, ua.count(0), "but no longer pending here");
        ua.answered(8);   // another command's CMD_DONE
        assertEquals(writes, keeper.snapshots.size());
        ua.answered(7);
        assertEquals(Map.of(0, List.of(SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED)), keeper.last());
        ua.answered(7);   // a second CMD_DONE for the cid finds nothing
        assertEquals(writes + 1, keeper.snapshots.size());
    }

    @Test
    void aConditionWhoseAnswerDidNotGoOutIsPendingAgainFirst() {
        UnitAttentions ua = new UnitAttentions();
        ua.keeper(new Written());
        ua.establish(2, SenseReason.MODE_PARAMETERS_CHANGED);
        ua.establish(2, SenseReason.CAPACITY_DATA_HAS_CHANGED);
        assertEquals(SenseReason.MODE_PARAMETERS_CHANGED, ua.report(2, 11));
        ua.notAnswered(11);
        assertEquals(2, ua.count(2));
        assertEquals(SenseReason.MODE_PARAMETERS_CHANGED, ua.next(2));
        assertEquals(SenseReason.CAPACITY_DATA_HAS_CHANGED, ua.next(2));
        assertNull(ua.next(2));
    }

    @Test
    void withoutAKeeperNothingIsHeldForTheAnswer() {
        UnitAttentions ua = new UnitAttentions();
        ua.establish(0, SenseReason.MODE_PARAMETERS_CHANGED);
        assertEquals(SenseReason.MODE_PARAMETERS_CHANGED, ua.report(0, 3));
        assertEquals(Map.of(), ua.snapshot());
        ua.notAnswered(3);
        assertEquals(0, ua.count(0));
    }

    @Test
    void heldConditionsAreBoundedAndForgottenWithTheirLun() {
        UnitAttentions ua = new UnitAttentions(2);
        Written keeper = new Written();
        ua.keeper(keeper);
        for (int lun = 0; lun < 3; lun++) {
            ua.establish(lun, SenseReason.MODE_PARAMETERS_CHANGED);
            assertEquals(SenseReason.MODE_PARAMETERS_CHANGED, ua.report(lun, 100 + lun));
        }
        assertEquals(Map.of(1, List.of(SenseReason.MODE_PARAMETERS_CHANGED), 2, List.of(SenseReason.MODE_PARAMETERS_CHANGED)),
                keeper.last(), "two held at most: LUN 0's, the oldest, let go and the file rewritten");
        ua.forget(1);
        assertEquals(Map.of(2, List.of(SenseReason.MODE_PARAMETERS_CHANGED)), keeper.last());
    }
}
