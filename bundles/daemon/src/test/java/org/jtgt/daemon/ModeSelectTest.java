package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** MODE SELECT(6)/(10): what is changeable, what is refused and where the sense points, SWP, unit attentions. */
class ModeSelectTest {
    private static final long OTHER = 8;
    private static final long BLOCKS = Harness.SIZE / Harness.BLOCK;
    private final ThinStore store = new ThinStore(Harness.SIZE);
    private final Harness h = Harness.withLun(new Harness(), new LunOptions(false, false, true, null), store);

    static byte[] modeSelect6(int byte1, int length) {
        return new byte[] {0x15, (byte) byte1, 0, 0, (byte) length, 0};
    }

    static byte[] modeSelect10(int byte1, int length) {
        byte[] c = new byte[10];
        c[0] = 0x55;
        c[1] = (byte) byte1;
        Cdbs.be(c, 7, length, 2);
        return c;
    }

    /** The current Control mode page as MODE SENSE(6) returns it, PS cleared, with SWP set or not. */
    private byte[] controlPage(boolean swp) {
        Harness.Result r = h.read(0, Cdbs.modeSense6(0x08, 0, 0x0A, 0, 255), 255);
        r.assertGood();
        byte[] page = Arrays.copyOfRange(r.data(), 4, 16);
        page[4] = (byte) (swp ? page[4] | 0x08 : page[4] & ~0x08);
        return page;
    }

    private byte[] cachingPage() {
        Harness.Result r = h.read(0, Cdbs.modeSense6(0x08, 0, 0x08, 0, 255), 255);
        r.assertGood();
        return Arrays.copyOfRange(r.data(), 4, 24);
    }

    /** A MODE SELECT(6) parameter list: the 4-byte header, an optional block descriptor, pages. */
    private static byte[] list6(byte[] descriptor, byte[]... pages) {
        int n = 4 + descriptor.length;
        for (byte[] p : pages) {
            n += p.length;
        }
        byte[] l = new byte[n];
        l[3] = (byte) descriptor.length;
        System.arraycopy(descriptor, 0, l, 4, descriptor.length);
        int at = 4 + descriptor.length;
        for (byte[] p : pages) {
            System.arraycopy(p, 0, l, at, p.length);
            at += p.length;
        }
        return l;
    }

    private Harness.Result select6(byte[] list) {
        return h.write(0, modeSelect6(0x10, list.length), list);
    }

    private static void assertPointer(Harness.Result r, int asc, boolean cdb, int field, int bit) {
        r.assertSense(SenseKey.ILLEGAL_REQUEST, asc, 0x00);
        int b15 = 0x80 | (cdb ? 0x40 : 0) | (bit >= 0 ? 0x08 | bit : 0);
        assertEquals(b15, r.sense()[15] & 0xFF, "SKSV, C/D, BPV, bit pointer");
        assertEquals(field, (r.sense()[16] & 0xFF) << 8 | (r.sense()[17] & 0xFF), "field pointer");
    }

    private boolean swpReported() {
        return (h.read(0, Cdbs.modeSense6(0x08, 0, 0x0A, 0, 255), 255).u8(8) & 0x08) != 0;
    }

    @BeforeEach
    void secondNexus() {
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login("iqn.2026-11.org.jtgt:second", Harness.TARGET, OTHER));
        drain(Harness.NEXUS);
        drain(OTHER);
    }

    private void drain(long nexus) {
        while (tur(nexus).status() != 0) {
            // take pending unit attentions
        }
    }

    private Harness.Result tur(long nexus) {
        return h.command(nexus, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null);
    }

    @Test
    void changeableValuesAreExactlySwpDSenseAndWce() {
        Harness.Result r = h.read(0, Cdbs.modeSense6(0x08, 1, 0x3F, 0, 255), 255);
        r.assertGood();
        byte[] d = r.data();
        // a thin unit: Read-Write Error Recovery (nothing changeable, LBPERE is fixed), Caching, Control
        assertEquals(4 + 12 + 20 + 12, d.length);
        for (int i = 6; i < 16; i++) {
            assertEquals(0, d[i], "Read-Write Error Recovery page byte " + (i - 4) + ": nothing");
        }
        for (int i = 18; i < 36; i++) {
            assertEquals(i == 18 ? 0x04 : 0, d[i], "Caching page byte " + (i - 16) + ": only WCE");
        }
        for (int i = 38; i < 48; i++) {
            assertEquals(i == 40 ? 0x08 : i == 38 ? 0x04 : 0, d[i], "Control page byte " + (i - 36) + ": only D_SENSE and SWP");
        }
        Harness.Result ten = h.read(0, Cdbs.modeSense10(0x08, 1, 0x0A, 0, 255), 255);
        assertEquals(0x08, ten.u8(8 + 4));
    }

    @Test
    void swpSetIsCurrentNotDefaultAndProtectsTheMedium() {
        select6(list6(new byte[0], controlPage(true))).assertGood();
        assertEquals(true, swpReported());
        assertEquals(0x90, h.read(0, Cdbs.modeSense6(0x08, 0, 0x0A, 0, 255), 255).u8(2), "WP and DPOFUA");
        assertEquals(0x90, h.read(0, Cdbs.modeSense10(0x08, 0, 0x0A, 0, 255), 255).u8(3));
        assertEquals(0, h.read(0, Cdbs.modeSense6(0x08, 2, 0x0A, 0, 255), 255).u8(8), "default SWP stays 0");

        h.read(0, Cdbs.rw10(false, 0, 1, 0), 512).assertGood();
        byte[] block = Harness.pattern(512, 3);
        h.write(0, Cdbs.rw10(true, 0, 1, 0), block).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x02);
        h.write(0, Cdbs.rw16(true, 0, 1, 0), block).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x02);
        h.write(0, WriteSameTest.writeSame10(0, 4, 0x08), new byte[512]).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x02);
        byte[] unmap = UnmapTest.unmapList(0, 8);
        h.write(0, UnmapTest.unmapCdb(unmap.length, 0), unmap).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x02);
        h.write(0, OrWriteTest.orWrite16(0, 1, 0), block).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x02);
        byte[] caw = new byte[1024];
        h.write(0, CompareAndWriteTest.compareAndWrite(0, 1, 0), caw).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x02);
        // the other nexus is protected too: the mode parameters belong to the logical unit
        h.command(OTHER, 0, Cdbs.rw10(true, 0, 1, 0), DataDirection.WRITE, 512, block)
                .assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x01);
        h.command(OTHER, 0, Cdbs.rw10(true, 0, 1, 0), DataDirection.WRITE, 512, block)
                .assertSense(SenseKey.DATA_PROTECT, 0x27, 0x02);

        select6(list6(new byte[0], controlPage(false))).assertGood();
        assertEquals(false, swpReported());
        assertEquals(0x10, h.read(0, Cdbs.modeSense6(0x08, 0, 0x0A, 0, 255), 255).u8(2));
        h.write(0, Cdbs.rw10(true, 0, 1, 0), block).assertGood();
        assertEquals(Arrays.toString(block), Arrays.toString(h.read(0, Cdbs.rw10(false, 0, 1, 0), 512).data()));
    }

    @Test
    void wceClearedMakesEveryWriteStableBeforeGood() {
        byte[] caching = cachingPage();
        assertEquals(0x04, caching[2], "WCE = 1 by default");
        caching[2] = 0;
        select6(list6(new byte[0], caching)).assertGood();
        assertEquals(0, cachingPage()[2], "current WCE = 0");
        assertEquals(0x04, h.read(0, Cdbs.modeSense6(0x08, 2, 0x08, 0, 255), 255).u8(6), "default WCE = 1");
        tur(OTHER).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x01);

        byte[] block = Harness.pattern(512, 4);
        int fua = store.fuaWrites;
        h.write(0, Cdbs.rw10(true, 0, 1, 0), block).assertGood();
        assertEquals(fua + 1, store.fuaWrites, "WRITE without FUA is written through");
        h.write(0, WriteSameTest.writeSame10(8, 4, 0), block).assertGood();
        assertEquals(fua + 2, store.fuaWrites, "WRITE SAME too");
        int flushes = store.flushes;
        byte[] unmap = UnmapTest.unmapList(16, 8);
        h.write(0, UnmapTest.unmapCdb(unmap.length, 0), unmap).assertGood();
        assertEquals(flushes + 1, store.flushes, "a deallocation is flushed");

        caching[2] = 0x04;
        select6(list6(new byte[0], caching)).assertGood();
        h.write(0, Cdbs.rw10(true, 0, 1, 0), block).assertGood();
        assertEquals(fua + 2, store.fuaWrites, "with the write cache enabled again, only FUA writes are");
    }

    @Test
    void readOnlyLunStaysWriteProtectedWithItsOwnSense() {
        Harness ro = Harness.withLun(new LunOptions(true, false, false, null));
        ro.write(0, Cdbs.rw10(true, 0, 1, 0), new byte[512]).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x00);
    }

    @Test
    void aChangeRaisesModeParametersChangedOnEveryOtherNexusOnly() {
        select6(list6(new byte[0], controlPage(true))).assertGood();
        tur(Harness.NEXUS).assertGood();
        tur(OTHER).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x01);
        tur(OTHER).assertGood();
        // selecting what is already current changes nothing and raises nothing
        select6(list6(new byte[0], controlPage(true))).assertGood();
        tur(OTHER).assertGood();
        // a change from the other nexus is reported to the first one
        h.command(OTHER, 0, modeSelect6(0x10, 16), DataDirection.WRITE, 16, list6(new byte[0], controlPage(false)))
                .assertGood();
        tur(OTHER).assertGood();
        tur(Harness.NEXUS).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x01);
    }

    @Test
    void modeSelect10WithLongLbaDescriptor() {
        byte[] page = controlPage(true);
        byte[] l = new byte[8 + 16 + page.length];
        l[4] = 0x01;   // LONGLBA
        l[7] = 16;
        Cdbs.be(l, 8, BLOCKS, 8);
        Cdbs.be(l, 8 + 12, 512, 4);
        System.arraycopy(page, 0, l, 24, page.length);
        h.write(0, modeSelect10(0x10, l.length), l).assertGood();
        assertEquals(true, swpReported());
        // a short descriptor's length with LONGLBA set is refused at BLOCK DESCRIPTOR LENGTH
        l[7] = 8;
        assertPointer(h.write(0, modeSelect10(0x10, l.length), l), 0x26, false, 6, -1);
    }

    @Test
    void blockDescriptorMayRestateButNotChangeCapacityOrBlockLength() {
        byte[] d = new byte[8];
        Cdbs.be(d, 0, BLOCKS, 4);
        Cdbs.be(d, 5, 512, 3);
        select6(list6(d, cachingPage())).assertGood();
        Cdbs.be(d, 0, 0, 4);
        select6(list6(d)).assertGood();                       // 0: keep the capacity; no pages at all
        Cdbs.be(d, 0, BLOCKS - 1, 4);
        assertPointer(select6(list6(d)), 0x26, false, 4, 7);
        Cdbs.be(d, 0, 0, 4);
        Cdbs.be(d, 5, 4096, 3);
        assertPointer(select6(list6(d)), 0x26, false, 9, 7);
        assertPointer(select6(list6(new byte[4])), 0x26, false, 3, -1);
    }

    @Test
    void cdbRefusals() {
        byte[] l = list6(new byte[0], controlPage(true));
        assertPointer(h.write(0, modeSelect6(0x11, l.length), l), 0x24, true, 1, 0);   // SP: nothing is savable
        assertPointer(h.write(0, modeSelect10(0x11, l.length), l), 0x24, true, 1, 0);
        assertPointer(h.write(0, modeSelect6(0x00, l.length), l), 0x24, true, 1, 4);   // PF = 0 with pages
        assertPointer(h.write(0, modeSelect6(0x12, l.length), l), 0x24, true, 1, 1);   // reserved bit
        h.none(0, modeSelect6(0x10, 0)).assertGood();                                     // nothing sent, no error
        assertEquals(false, swpReported());
    }

    @Test
    void parameterListLengthErrors() {
        byte[] l = list6(new byte[0], controlPage(true));
        h.write(0, modeSelect6(0x10, 3), Arrays.copyOf(l, 3)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x1A, 0x00);
        h.write(0, modeSelect6(0x10, 10), Arrays.copyOf(l, 10)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x1A, 0x00);
        h.write(0, modeSelect6(0x10, 5), Arrays.copyOf(l, 5)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x1A, 0x00);
        byte[] d = new byte[8];
        h.write(0, modeSelect6(0x10, 8), Arrays.copyOf(list6(d), 8)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x1A, 0x00);
        assertEquals(false, swpReported());
    }

    @Test
    void pageRefusalsPointAtTheFieldInError() {
        byte[] control = controlPage(true);
        byte[] wrongLength = control.clone();
        wrongLength[1] = 0x0B;
        assertPointer(select6(list6(new byte[0], wrongLength)), 0x26, false, 5, -1);
        byte[] unsupported = control.clone();
        unsupported[0] = 0x1C;
        assertPointer(select6(list6(new byte[0], unsupported)), 0x26, false, 4, 5);
        byte[] subpage = control.clone();
        subpage[0] = 0x4A;
        assertPointer(select6(list6(new byte[0], subpage)), 0x26, false, 4, 6);
        byte[] qerr = control.clone();
        qerr[3] |= 0x02;
        assertPointer(select6(list6(new byte[0], qerr)), 0x26, false, 7, 2);     // QERR is bits 2..1
        byte[] tst = control.clone();
        tst[2] |= 0x20;
        assertPointer(select6(list6(new byte[0], tst)), 0x26, false, 6, 7);      // TST is bits 7..5
        byte[] busy = control.clone();
        busy[9] = 1;
        assertPointer(select6(list6(new byte[0], busy)), 0x26, false, 12, 7);    // BUSY TIMEOUT PERIOD, bytes 8..9
        byte[] rcd = cachingPage();
        rcd[2] |= 0x01;
        assertPointer(select6(list6(new byte[0], rcd)), 0x26, false, 6, 0);
        byte[] retention = cachingPage();
        retention[3] = 0x01;
        assertPointer(select6(list6(new byte[0], retention)), 0x26, false, 7, 3);   // WRITE RETENTION PRIORITY, bits 3..0
        byte[] header = list6(new byte[0], control);
        header[1] = 0x05;
        assertPointer(select6(header), 0x26, false, 1, -1);                      // MEDIUM TYPE
        // a refused list changes nothing, even where a page before the bad one was valid
        assertPointer(select6(list6(new byte[0], control, rcd)), 0x26, false, 4 + 12 + 2, 0);
        assertEquals(false, swpReported());
        tur(OTHER).assertGood();
    }

    @Test
    void psIsIgnoredAndTheHeaderDeviceSpecificParameterToo() {
        byte[] control = controlPage(true);
        control[0] |= (byte) 0x80;
        byte[] l = list6(new byte[0], control);
        l[2] = (byte) 0x90;
        select6(l).assertGood();
        assertEquals(true, swpReported());
    }

    @Test
    void swpIsLostWithTheLogicalUnitNotSaved() {
        select6(list6(new byte[0], controlPage(true))).assertGood();
        h.read(0, Cdbs.modeSense6(0, 3, 0x0A, 0, 255), 255).assertSense(SenseKey.ILLEGAL_REQUEST, 0x39, 0x00);
        h.daemon.removeLun(Harness.TARGET, 0);
        h.daemon.addLun(Harness.TARGET, 0, new MemoryStore(Harness.SIZE), Harness.BLOCK, LunOptions.DEFAULT);
        drain(Harness.NEXUS);
        assertEquals(false, swpReported());
    }

    @Test
    void reservationConflictUnderAnotherNexusReservation() {
        h.none(0, new byte[] {0x16, 0, 0, 0, 0, 0}).assertGood();   // RESERVE(6) on the first nexus
        byte[] l = list6(new byte[0], controlPage(true));
        Harness.Result r = h.command(OTHER, 0, modeSelect6(0x10, l.length), DataDirection.WRITE, l.length, l);
        assertEquals(0x18, r.status(), "RESERVATION CONFLICT");
    }
}
