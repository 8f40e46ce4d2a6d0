package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusReqEvent;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.scsi.SenseKey;
import org.junit.jupiter.api.Test;

/** KEVENT_IT_NEXUS_REQ: create and destroy, with the daemon's refusals. */
class NexusEventTest {
    private final Harness h = new Harness();

    NexusEventTest() {
        h.daemon.createTarget(Harness.TARGET);
        h.daemon.addLun(Harness.TARGET, 0, new MemoryStore(Harness.SIZE), 512, null);
    }

    @Test
    void createsAndDestroys() {
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(Harness.INITIATOR, Harness.TARGET, 1));
        assertNotNull(h.daemon.nexus(Harness.HOST, 1));
        assertEquals(1, h.daemon.targets().get(0).nexusCount());
        assertEquals(ItNexusRspEvent.RESULT_OK, h.logout(1));
        assertNull(h.daemon.nexus(Harness.HOST, 1));
        assertEquals(0, h.daemon.targets().get(0).nexusCount());
    }

    @Test
    void refusesAnUnknownTarget() {
        assertEquals(ItNexusRspEvent.RESULT_NO_SUCH_TARGET, h.login(Harness.INITIATOR, "iqn.2026-11.org.jtgt:other", 1));
        assertNull(h.daemon.nexus(Harness.HOST, 1));
    }

    @Test
    void aclMatchesTheInitiatorNameBeforeTheIsidSuffix() {
        h.daemon.setAcl(Harness.TARGET, List.of(Harness.INITIATOR));
        assertEquals(ItNexusRspEvent.RESULT_ACCESS_DENIED, h.login("iqn.2026-11.org.jtgt:intruder,i,0x23d000000001", Harness.TARGET, 1));
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(Harness.INITIATOR + ",i,0x23d000000001", Harness.TARGET, 2));
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(Harness.INITIATOR, Harness.TARGET, 3));
        h.daemon.setAcl(Harness.TARGET, List.of());
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login("iqn.2026-11.org.jtgt:anyone", Harness.TARGET, 4), "empty ACL admits all");
    }

    @Test
    void refusesADuplicateId() {
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(Harness.INITIATOR, Harness.TARGET, 1));
        assertEquals(ItNexusRspEvent.RESULT_EXISTS, h.login(Harness.INITIATOR, Harness.TARGET, 1));
    }

    @Test
    void refusesToDestroyAnUnknownNexus() {
        assertEquals(ItNexusRspEvent.RESULT_NO_SUCH_NEXUS, h.logout(99));
    }

    @Test
    void malformedNamesAreRefusedNotThrown() {
        byte[] noSeparator = "iqn.2026-11.org.jtgt:x".getBytes(StandardCharsets.UTF_8);
        assertEquals(ItNexusRspEvent.RESULT_NO_SUCH_TARGET, h.nexusRaw(ItNexusReqEvent.OP_CREATE, 1, noSeparator));
        byte[] badUtf8 = {'a', (byte) 0xC3, 0, 'b', 'c'};
        assertEquals(ItNexusRspEvent.RESULT_NO_SUCH_TARGET, h.nexusRaw(ItNexusReqEvent.OP_CREATE, 2, badUtf8));
        byte[] emptyInitiator = ("\0" + Harness.TARGET).getBytes(StandardCharsets.UTF_8);
        assertEquals(ItNexusRspEvent.RESULT_NO_SUCH_TARGET, h.nexusRaw(ItNexusReqEvent.OP_CREATE, 3, emptyInitiator));
        assertEquals(ItNexusRspEvent.RESULT_NO_SUCH_TARGET, h.nexusRaw(ItNexusReqEvent.OP_CREATE, 4, new byte[2]), "shorter than 3 bytes");
        byte[] trailingNul = (Harness.INITIATOR + "\0" + Harness.TARGET + "\0\0").getBytes(StandardCharsets.UTF_8);
        assertEquals(ItNexusRspEvent.RESULT_OK, h.nexusRaw(ItNexusReqEvent.OP_CREATE, 5, trailingNul));
    }

    @Test
    void unknownOpIsRefused() {
        assertEquals(ItNexusRspEvent.RESULT_NO_SUCH_TARGET, h.nexusRaw(9, 1, "a\0b".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aNewNexusHasNoUnitAttention() {
        h.login(Harness.INITIATOR, Harness.TARGET, Harness.NEXUS);
        h.none(0, Cdbs.testUnitReady()).assertGood();
    }

    @Test
    void commandsOnADestroyedNexusAreAbortedCommands() {
        h.login(Harness.INITIATOR, Harness.TARGET, Harness.NEXUS);
        h.logout(Harness.NEXUS);
        Harness.Result r = h.command(Harness.NEXUS, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null);
        r.assertSense(SenseKey.ABORTED_COMMAND, 0x08, 0x00);
    }
}
