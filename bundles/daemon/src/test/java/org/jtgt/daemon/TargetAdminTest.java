package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunInfo;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.TargetAdminException;
import org.jtgt.api.target.TargetInfo;
import org.junit.jupiter.api.Test;

class TargetAdminTest {
    private final TargetDaemon daemon = new TargetDaemon();
    private static final String T = Harness.TARGET;

    @Test
    void refusesBadNamesWithAMessage() {
        for (String bad : new String[] {"", "disk1", "iqn.2026-11.org.Jtgt:x", "iqn.2026-11.org.jtgt:a b", "eui.123"}) {
            TargetAdminException e = assertThrows(TargetAdminException.class, () -> daemon.createTarget(bad), bad);
            assertTrue(e.getMessage().contains("iSCSI name"), e.getMessage());
        }
        assertTrue(daemon.targets().isEmpty());
    }

    @Test
    void refusesADuplicateTarget() {
        daemon.createTarget(T);
        TargetAdminException e = assertThrows(TargetAdminException.class, () -> daemon.createTarget(T));
        assertTrue(e.getMessage().contains("exists"));
    }

    @Test
    void validatesLuns() {
        daemon.createTarget(T);
        MemoryStore s = new MemoryStore(8192);
        assertThrows(TargetAdminException.class, () -> daemon.addLun("iqn.2026-11.org.jtgt:none", 0, s, 512, null));
        assertThrows(TargetAdminException.class, () -> daemon.addLun(T, -1, s, 512, null));
        assertThrows(TargetAdminException.class, () -> daemon.addLun(T, 16384, s, 512, null));
        TargetAdminException bs = assertThrows(TargetAdminException.class, () -> daemon.addLun(T, 0, s, 1024, null));
        assertTrue(bs.getMessage().contains("512 or 4096"), bs.getMessage());
        assertThrows(TargetAdminException.class, () -> daemon.addLun(T, 0, new MemoryStore(1000), 512, null), "not a multiple");
        assertThrows(TargetAdminException.class, () -> daemon.addLun(T, 0, new MemoryStore(2048), 4096, null), "smaller than a block");
        assertThrows(TargetAdminException.class, () -> daemon.addLun(T, 0, new MemoryStore(0), 512, null), "empty");
        assertThrows(TargetAdminException.class, () -> daemon.addLun(T, 0, s, 512, new LunOptions(false, false, false, "a b")));
        assertTrue(daemon.targets().get(0).luns().isEmpty(), "nothing half-applied");
        assertFalse(s.closed, "a refused store stays the caller's");
        daemon.addLun(T, 16383, s, 512, null);
        TargetAdminException dup = assertThrows(TargetAdminException.class, () -> daemon.addLun(T, 16383, new MemoryStore(512), 512, null));
        assertTrue(dup.getMessage().contains("already"));
    }

    @Test
    void snapshotsTargetsLunsAclAndNexuses() {
        daemon.createTarget("iqn.2026-11.org.jtgt:b");
        daemon.createTarget("iqn.2026-11.org.jtgt:a");
        daemon.addLun("iqn.2026-11.org.jtgt:a", 1, new MemoryStore(4096), 512, new LunOptions(true, false, true, null));
        daemon.setAcl("iqn.2026-11.org.jtgt:a", List.of(Harness.INITIATOR));
        List<TargetInfo> infos = daemon.targets();
        assertEquals(2, infos.size());
        TargetInfo a = infos.get(0);
        assertEquals("iqn.2026-11.org.jtgt:a", a.name());
        assertEquals(List.of(Harness.INITIATOR), a.acl());
        assertEquals(0, a.nexusCount());
        LunInfo l = a.luns().get(0);
        assertEquals(1, l.lun());
        assertEquals(4096, l.sizeBytes());
        assertEquals(512, l.blockSize());
        assertTrue(l.options().readOnly());
        assertTrue(l.backing().contains("memory"));
        assertThrows(UnsupportedOperationException.class, () -> infos.add(a), "a snapshot, not a view");
        assertThrows(TargetAdminException.class, () -> daemon.setAcl(T, List.of("x y")));
        assertThrows(TargetAdminException.class, () -> daemon.setAcl("iqn.2026-11.org.jtgt:none", List.of()));
    }

    @Test
    void deleteWithNexusNeedsForce() {
        Harness h = new Harness(daemon);
        daemon.createTarget(T);
        MemoryStore s = new MemoryStore(8192);
        daemon.addLun(T, 0, s, 512, null);
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(Harness.INITIATOR, T, Harness.NEXUS));
        TargetAdminException e = assertThrows(TargetAdminException.class, () -> daemon.deleteTarget(T, false));
        assertTrue(e.getMessage().contains("nexus"), e.getMessage());
        assertFalse(s.closed);
        h.none(0, Cdbs.testUnitReady()).assertGood();

        daemon.deleteTarget(T, true);
        assertTrue(s.closed, "the daemon owned and closed the store");
        assertTrue(daemon.targets().isEmpty());
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.ABORTED_COMMAND, 0x08, 0x00);
        assertEquals(ItNexusRspEvent.RESULT_NO_SUCH_NEXUS, h.logout(Harness.NEXUS), "force ended the nexus");
        assertThrows(TargetAdminException.class, () -> daemon.deleteTarget(T, true));
    }

    @Test
    void aClosedTargetRefusesNewNexusesWhileItsNexusesGoOn() {
        Harness h = new Harness(daemon);
        daemon.createTarget(T);
        daemon.addLun(T, 0, new MemoryStore(8192), 512, null);
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(Harness.INITIATOR, T, Harness.NEXUS));

        daemon.closeTarget(T);
        assertTrue(daemon.targets().isEmpty(), "logins and discovery no longer find it");
        assertEquals(ItNexusRspEvent.RESULT_NO_SUCH_TARGET, h.login(Harness.INITIATOR, T, Harness.NEXUS + 1));
        h.none(0, Cdbs.testUnitReady()).assertGood();
        TargetAdminException dup = assertThrows(TargetAdminException.class, () -> daemon.createTarget(T));
        assertTrue(dup.getMessage().contains("exists"), dup.getMessage());

        daemon.reopenTarget(T);
        assertEquals(List.of(T), daemon.targets().stream().map(TargetInfo::name).toList());
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(Harness.INITIATOR, T, Harness.NEXUS + 1));
        assertThrows(TargetAdminException.class, () -> daemon.closeTarget("iqn.2026-11.org.jtgt:none"));
    }

    @Test
    void aTargetCreatedClosedIsReachedByNoneUntilItIsSetUpAndOpened() {
        Harness h = new Harness(daemon);
        daemon.createClosedTarget(T);
        assertTrue(daemon.targets().isEmpty(), "logins and discovery do not find it");
        assertEquals(ItNexusRspEvent.RESULT_NO_SUCH_TARGET, h.login(Harness.INITIATOR, T, Harness.NEXUS),
                "its empty ACL would admit anyone");
        TargetAdminException dup = assertThrows(TargetAdminException.class, () -> daemon.createTarget(T));
        assertTrue(dup.getMessage().contains("exists"), dup.getMessage());
        daemon.setAcl(T, List.of("iqn.2026-11.org.jtgt:allowed"));
        daemon.addLun(T, 0, new MemoryStore(8192), 512, null);

        daemon.reopenTarget(T);
        assertEquals(List.of(T), daemon.targets().stream().map(TargetInfo::name).toList());
        assertEquals(ItNexusRspEvent.RESULT_ACCESS_DENIED, h.login(Harness.INITIATOR, T, Harness.NEXUS));
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login("iqn.2026-11.org.jtgt:allowed,i,0x1", T, Harness.NEXUS));
    }

    @Test
    void removeLunClosesTheStore() {
        daemon.createTarget(T);
        MemoryStore s = new MemoryStore(8192);
        daemon.addLun(T, 2, s, 512, null);
        assertThrows(TargetAdminException.class, () -> daemon.removeLun(T, 3));
        daemon.removeLun(T, 2);
        assertTrue(s.closed);
        assertTrue(daemon.targets().get(0).luns().isEmpty());
    }

    @Test
    void deactivateClosesEveryStoreAndEndpoint() {
        Harness h = new Harness(daemon);
        daemon.createTarget(T);
        MemoryStore s = new MemoryStore(8192);
        daemon.addLun(T, 0, s, 512, null);
        h.login(Harness.INITIATOR, T, Harness.NEXUS);
        daemon.deactivate();
        assertTrue(s.closed);
        assertTrue(daemon.targets().isEmpty());
    }
}
