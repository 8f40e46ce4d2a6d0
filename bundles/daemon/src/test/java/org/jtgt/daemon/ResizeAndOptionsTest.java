package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;

import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.TargetAdminException;
import org.junit.jupiter.api.Test;

/** LUN resize (SBC-4 4.7) and options changed in place, with the unit attentions they raise. */
class ResizeAndOptionsTest {
    private static final String SECOND = "iqn.2026-11.org.jtgt:second";
    private final Harness h = Harness.withLun();

    @Test
    void resizeRaisesCapacityDataHasChangedOnEveryNexusAndReportsTheNewSize() {
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(SECOND, Harness.TARGET, 8));
        byte[] data = new byte[Harness.BLOCK];
        java.util.Arrays.fill(data, (byte) 0x5A);
        h.write(0, Cdbs.rw10(true, 2047, 1, 0), data).assertGood();

        h.daemon.resizeLun(Harness.TARGET, 0, 4L * Harness.SIZE);

        h.read(0, Cdbs.readCapacity16(32), 32).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x09);
        Harness.Result cap = h.read(0, Cdbs.readCapacity16(32), 32);
        cap.assertGood();
        assertEquals(4L * 2048 - 1, cap.u64(0), "last LBA");
        h.command(8, 0, Cdbs.testUnitReady(), org.jtgt.api.event.DataDirection.NONE, 0, null)
                .assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x09);
        h.read(0, Cdbs.readCapacity10(), 8).assertGood();

        assertArrayEquals(data, h.read(0, Cdbs.rw10(false, 2047, 1, 0), Harness.BLOCK).data(), "old data kept");
        assertArrayEquals(new byte[Harness.BLOCK], h.read(0, Cdbs.rw10(false, 8191, 1, 0), Harness.BLOCK).data());
        h.write(0, Cdbs.rw10(true, 8191, 1, 0), data).assertGood();
        assertArrayEquals(data, h.read(0, Cdbs.rw10(false, 8191, 1, 0), Harness.BLOCK).data());
        h.read(0, Cdbs.rw10(false, 8192, 1, 0), Harness.BLOCK).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        assertEquals(4L * Harness.SIZE, h.daemon.targets().get(0).luns().get(0).sizeBytes());
    }

    @Test
    void shrinkBadSizesAndUnknownUnitsAreRefusedAndChangeNothing() {
        TargetAdminException e = assertThrows(TargetAdminException.class,
                () -> h.daemon.resizeLun(Harness.TARGET, 0, Harness.SIZE / 2));
        assertTrue(e.getMessage().contains("shrinking"), e.getMessage());
        e = assertThrows(TargetAdminException.class, () -> h.daemon.resizeLun(Harness.TARGET, 0, Harness.SIZE + 100));
        assertTrue(e.getMessage().contains("block size"), e.getMessage());
        assertThrows(TargetAdminException.class, () -> h.daemon.resizeLun(Harness.TARGET, 0, 0));
        assertThrows(TargetAdminException.class, () -> h.daemon.resizeLun(Harness.TARGET, 5, 2L * Harness.SIZE));
        assertThrows(TargetAdminException.class, () -> h.daemon.resizeLun("iqn.2026-11.org.jtgt:none", 0, 2L * Harness.SIZE));
        h.daemon.resizeLun(Harness.TARGET, 0, Harness.SIZE);   // the same size: nothing happens
        h.none(0, Cdbs.testUnitReady()).assertGood();
        assertEquals(2047, h.read(0, Cdbs.readCapacity16(32), 32).u64(0));
    }

    @Test
    void aStoreThatCannotGrowLeavesTheUnitAsItWas() {
        h.daemon.addLun(Harness.TARGET, 1, new FailingStore(8192), 512, null);
        h.none(0, Cdbs.testUnitReady());   // REPORTED LUNS DATA HAS CHANGED
        TargetAdminException e = assertThrows(TargetAdminException.class,
                () -> h.daemon.resizeLun(Harness.TARGET, 1, 16384));
        assertTrue(e.getMessage().contains("cannot grow"), e.getMessage());
        h.none(1, Cdbs.testUnitReady()).assertGood();
        assertEquals(8192, h.daemon.targets().get(0).luns().get(1).sizeBytes());
    }

    @Test
    void writeProtectionOnAndOffRaisesModeParametersChanged() {
        h.daemon.setLunOptions(Harness.TARGET, 0, new LunOptions(true, false, false, null));
        h.write(0, Cdbs.rw10(true, 0, 1, 0), new byte[512]).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x01);
        h.write(0, Cdbs.rw10(true, 0, 1, 0), new byte[512]).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x00);
        Harness.Result mode = h.read(0, Cdbs.modeSense6(0, 0, 0x3F, 0, 255), 255);
        assertEquals(0x80, mode.u8(2) & 0x80, "WP set");

        h.store.writable = false;
        h.daemon.setLunOptions(Harness.TARGET, 0, LunOptions.DEFAULT);
        assertTrue(h.store.writable, "the store was made writable");
        h.write(0, Cdbs.rw10(true, 0, 1, 0), new byte[512]).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x01);
        h.write(0, Cdbs.rw10(true, 0, 1, 0), new byte[512]).assertGood();
        h.daemon.setLunOptions(Harness.TARGET, 0, LunOptions.DEFAULT);   // no change, no unit attention
        h.none(0, Cdbs.testUnitReady()).assertGood();
    }

    @Test
    void removableAndThinRaiseInquiryAndCapacityChanges() {
        h.daemon.setLunOptions(Harness.TARGET, 0, new LunOptions(false, true, false, null));
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x03);
        assertEquals(0x80, h.read(0, Cdbs.inquiry(false, 0, 36), 36).u8(1), "RMB");
        h.daemon.setLunOptions(Harness.TARGET, 0, new LunOptions(false, true, true, null));
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x09);
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x03);
        h.none(0, Cdbs.testUnitReady()).assertGood();
        assertTrue(h.daemon.targets().get(0).luns().get(0).options().thin());
    }

    @Test
    void theSerialNumberCannotChangeAndAFailingStoreKeepsWriteProtection() {
        assertThrows(TargetAdminException.class,
                () -> h.daemon.setLunOptions(Harness.TARGET, 0, new LunOptions(false, false, false, "NEWSERIAL")));
        h.daemon.addLun(Harness.TARGET, 1, new FailingStore(8192) {
            @Override
            public void allowWrites() throws IOException {
                throw new IOException("permission denied");
            }
        }, 512, new LunOptions(true, false, false, null));
        h.none(0, Cdbs.testUnitReady());   // REPORTED LUNS DATA HAS CHANGED
        TargetAdminException e = assertThrows(TargetAdminException.class,
                () -> h.daemon.setLunOptions(Harness.TARGET, 1, LunOptions.DEFAULT));
        assertTrue(e.getMessage().contains("stays read-only"), e.getMessage());
        assertTrue(h.daemon.targets().get(0).luns().get(1).options().readOnly());
        h.none(1, Cdbs.testUnitReady()).assertGood();
        assertThrows(TargetAdminException.class, () -> h.daemon.setLunOptions(Harness.TARGET, 9, LunOptions.DEFAULT));
    }
}
