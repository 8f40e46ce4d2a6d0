package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.jtgt.api.event.DataDirection;
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
}
