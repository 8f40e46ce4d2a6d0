package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.store.SpaceAllocationFailedException;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/**
 * The soft threshold on a thin unit's used space (SBC-4 4.7.3.7): the Logical Block Provisioning
 * mode page (1Ch/02h) with its threshold descriptor, the Read-Write Error Recovery page's LBPERE,
 * the LUN option that sets the default, MODE SELECT that changes it, and THIN PROVISIONING SOFT
 * THRESHOLD REACHED (06h/38h/07h) once per crossing on every I_T nexus. Also the store-worker
 * path of SPACE ALLOCATION FAILED WRITE PROTECT.
 */
class ProvisioningThresholdTest {
    private static final long OTHER = 8;
    private static final int MIB = 1 << 20;
    private static final int LUN_BYTES = 16 * MIB;
    /** 1 MiB threshold sets of 512-byte blocks: THRESHOLD EXPONENT 11. */
    private static final int SET_BLOCKS = 2048;

    /** A thin store that tells how much it holds, as LOG SENSE and the threshold read it. */
    static class CountingStore extends ThinStore {
        CountingStore(int size) {
            super(size);
        }

        @Override
        public long allocatedBytes() {
            return (long) mapped.cardinality() * UNIT;
        }
    }

    private static Harness thin(int softThreshold) {
        Harness h = Harness.withLun(new Harness(), new LunOptions(false, false, true, null, 0, softThreshold),
                new CountingStore(LUN_BYTES));
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login("iqn.2026-11.org.jtgt:second", Harness.TARGET, OTHER));
        drain(h, Harness.NEXUS);
        drain(h, OTHER);
        return h;
    }

    /** Takes the unit attentions a fresh nexus has (power on, LUN inventory). */
    private static void drain(Harness h, long nexus) {
        for (int i = 0; i < 20; i++) {
            if (tur(h, nexus).status() == 0) {
                return;
            }
        }
        throw new AssertionError("unit attentions do not end");
    }

    private static Harness.Result tur(Harness h, long nexus) {
        return h.command(nexus, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null);
    }

    private static byte[] provisioningPage(Harness h, int pc) {
        Harness.Result r = h.read(0, Cdbs.modeSense10(0x08, pc, 0x1C, 0x02, 255), 255);
        r.assertGood();
        byte[] d = r.data();
        assertEquals(8 + 24, ((d[0] & 0xFF) << 8 | d[1] & 0xFF) + 2, "MODE DATA LENGTH: header and one page");
        byte[] page = new byte[24];
        System.arraycopy(d, 8, page, 0, 24);
        return page;
    }

    private static long count(byte[] page) {
        return (page[20] & 0xFFL) << 24 | (page[21] & 0xFF) << 16 | (page[22] & 0xFF) << 8 | page[23] & 0xFF;
    }

    /** Writes {@code quarters} quarter MiBs of data from quarter {@code from} in 256 KiB WRITE(16)s. */
    private static void writeQuarters(Harness h, int from, int quarters) {
        int chunk = 256 * 1024;
        for (long at = (long) from * chunk; at < (long) (from + quarters) * chunk; at += chunk) {
            h.write(0, Cdbs.rw16(true, at / Harness.BLOCK, chunk / Harness.BLOCK, 0), Harness.pattern(chunk, 1))
                    .assertGood();
        }
    }

    private static void assertSoftThresholdReached(Harness.Result r) {
        r.assertSense(SenseKey.UNIT_ATTENTION, 0x38, 0x07);
        byte[] s = r.sense();
        assertEquals(0xF0, s[0] & 0xFF, "fixed format, VALID: INFORMATION names the descriptor");
        assertEquals(16, (s[3] & 0xFF) << 24 | (s[4] & 0xFF) << 16 | (s[5] & 0xFF) << 8 | s[6] & 0xFF,
                "INFORMATION: the threshold descriptor's offset in the mode page (SBC-4 4.7.3.7.6)");
    }

    @Test
    void theLunOptionSetsTheDefaultAndCurrentThresholdInThresholdSets() {
        Harness h = thin(50);
        for (int pc : new int[] {0, 2}) {
            byte[] p = provisioningPage(h, pc);
            assertEquals(0x40 | 0x1C, p[0] & 0xFF, "SPF, page 1Ch");
            assertEquals(0x02, p[1]);
            assertEquals(20, (p[2] & 0xFF) << 8 | p[3] & 0xFF, "PAGE LENGTH");
            assertEquals(0, p[4], "SITUA 0");
            assertEquals(0x80 | 0x01, p[16] & 0xFF, "ENABLED, soft, armed increasing");
            assertEquals(0x02, p[17], "used LBA mapping resources");
            assertEquals(8, count(p), "half of 16 sets of 1 MiB");
        }
        byte[] changeable = provisioningPage(h, 1);
        assertEquals(0x80, changeable[16] & 0xFF, "ENABLED changeable, type and arming not");
        assertEquals(0, changeable[17]);
        assertEquals(0xFFFF_FFFFL, count(changeable));
        // the VPD page's THRESHOLD EXPONENT is the size of those sets
        Harness.Result vpd = h.read(0, new byte[] {0x12, 0x01, (byte) 0xB2, 0, 64, 0}, 64);
        vpd.assertGood();
        assertEquals(11, vpd.u8(4));
        // the Read-Write Error Recovery page enables the notification (LBPERE)
        Harness.Result rw = h.read(0, Cdbs.modeSense6(0x08, 0, 0x01, 0, 255), 255);
        rw.assertGood();
        assertEquals(0x01, rw.u8(4));
        assertEquals(0x80, rw.u8(4 + 7), "LBPERE");
        // all pages and subpages: 01h, 08h, 0Ah, 1Ch/02h; all pages: no subpage
        Harness.Result all = h.read(0, Cdbs.modeSense10(0x08, 0, 0x3F, 0xFF, 1024), 1024);
        all.assertGood();
        assertEquals(8 + 12 + 20 + 12 + 24, all.u8(1) + 2);
        assertEquals(0x5C, all.u8(8 + 12 + 20 + 12));
        Harness.Result plain = h.read(0, Cdbs.modeSense10(0x08, 0, 0x3F, 0x00, 1024), 1024);
        assertEquals(8 + 12 + 20 + 12, plain.u8(1) + 2);
        // without the option: the page is there, disabled
        byte[] none = provisioningPage(thin(0), 0);
        assertEquals(0x01, none[16] & 0xFF);
        assertEquals(0, count(none));
    }

    @Test
    void aFullyProvisionedUnitHasNeitherPage() {
        Harness h = Harness.withLun();
        h.read(0, Cdbs.modeSense10(0x08, 0, 0x1C, 0x02, 255), 255).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        h.read(0, Cdbs.modeSense6(0x08, 0, 0x01, 0, 255), 255).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        Harness.Result all = h.read(0, Cdbs.modeSense10(0x08, 0, 0x3F, 0xFF, 1024), 1024);
        assertEquals(8 + 20 + 12, all.u8(1) + 2);
    }

    @Test
    void eachCrossingIsReportedOnceOnEveryNexusAndRearmsBelowTheRange() {
        Harness h = thin(50);   // 8 sets: the range is 7.5 .. 8.5 MiB
        writeQuarters(h, 0, 34);
        assertEquals(0, tur(h, Harness.NEXUS).status(), "8.5 MiB is the top of the range: not crossed yet");
        assertEquals(0, tur(h, OTHER).status());
        writeQuarters(h, 34, 1);
        assertSoftThresholdReached(tur(h, Harness.NEXUS));
        assertEquals(0, tur(h, Harness.NEXUS).status(), "once");
        assertSoftThresholdReached(tur(h, OTHER));
        assertEquals(0, tur(h, OTHER).status());
        writeQuarters(h, 36, 8);
        assertEquals(0, tur(h, Harness.NEXUS).status(), "still above: no second report");
        assertEquals(0, tur(h, OTHER).status());

        // 10.75 MiB in use; UNMAP of 5 MiB (below the range) re-arms; crossing again is reported again
        byte[] list = UnmapTest.unmapList(0, 5L * SET_BLOCKS);
        h.write(0, UnmapTest.unmapCdb(list.length, 0), list).assertGood();
        assertEquals(0, tur(h, Harness.NEXUS).status());
        writeQuarters(h, 0, 12);
        assertSoftThresholdReached(tur(h, OTHER));
        assertSoftThresholdReached(tur(h, Harness.NEXUS));
        assertEquals(0, tur(h, OTHER).status());
    }

    @Test
    void modeSelectChangesTheThresholdAndRefusesWhatIsNotChangeable() {
        Harness h = thin(0);
        byte[] page = provisioningPage(h, 0);
        page[16] = (byte) (page[16] | 0x80);
        page[23] = 2;
        assertEquals(0, modeSelect(h, page).status());
        byte[] now = provisioningPage(h, 0);
        assertEquals(0x81, now[16] & 0xFF);
        assertEquals(2, count(now));
        assertEquals(0, count(provisioningPage(h, 2)), "the default stays the LUN option's");
        tur(h, OTHER).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x01);

        writeQuarters(h, 0, 10);
        assertEquals(0, tur(h, Harness.NEXUS).status(), "2.5 MiB: inside 1.5 .. 2.5");
        writeQuarters(h, 10, 1);
        assertSoftThresholdReached(tur(h, Harness.NEXUS));

        byte[] resource = now.clone();
        resource[17] = 0x01;
        Harness.Result bad = modeSelect(h, resource);
        bad.assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        byte[] s = bad.sense();
        assertEquals(8 + 17, (s[16] & 0xFF) << 8 | s[17] & 0xFF, "FIELD POINTER: THRESHOLD RESOURCE");
        byte[] situa = now.clone();
        situa[4] = 1;
        Harness.Result noSitua = modeSelect(h, situa);
        noSitua.assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        assertEquals(0x80 | 0x08, noSitua.sense()[15] & 0xFF, "SKSV, C/D 0, BPV, bit 0: SITUA");
        assertEquals(8 + 4, (noSitua.sense()[16] & 0xFF) << 8 | noSitua.sense()[17] & 0xFF);
        byte[] subpage = now.clone();
        subpage[1] = 0x01;
        modeSelect(h, subpage).assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);

        // disabled: nothing more is reported
        byte[] off = now.clone();
        off[16] = 0x01;
        assertEquals(0, modeSelect(h, off).status());
        byte[] list = UnmapTest.unmapList(0, 3L * SET_BLOCKS);
        h.write(0, UnmapTest.unmapCdb(list.length, 0), list).assertGood();
        writeQuarters(h, 0, 12);
        assertEquals(0, tur(h, Harness.NEXUS).status());
    }

    @Test
    void changingTheLunOptionChangesTheThresholdAndTellsEveryNexus() {
        Harness h = thin(0);
        h.daemon.setLunOptions(Harness.TARGET, 0, new LunOptions(false, false, true, null, 0, 25));
        tur(h, Harness.NEXUS).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x01);
        tur(h, OTHER).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x01);
        assertEquals(4, count(provisioningPage(h, 0)));
        assertEquals(4, count(provisioningPage(h, 2)));
    }

    private static Harness.Result modeSelect(Harness h, byte[] page) {
        byte[] list = new byte[8 + page.length];
        System.arraycopy(page, 0, list, 8, page.length);
        list[8] &= 0x7F;   // PS is reserved in MODE SELECT
        byte[] cdb = {0x55, 0x10, 0, 0, 0, 0, 0, 0, (byte) list.length, 0};
        return h.write(0, cdb, list);
    }

    /** A store that blocks (its I/O runs on the unit's workers) and can be out of space. */
    static final class FullBlockingStore extends CountingStore {
        volatile boolean full = true;
        volatile String writerThread;

        FullBlockingStore(int size) {
            super(size);
        }

        @Override
        public boolean blocks() {
            return true;
        }

        @Override
        public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
            writerThread = Thread.currentThread().getName();
            if (full) {
                throw new SpaceAllocationFailedException("the file system has no room");
            }
            super.write(offset, src, fua);
        }
    }

    @Test
    void aStoreWorkerAnswersSpaceAllocationFailedAndWritesAgainOnceThereIsRoom() {
        FullBlockingStore store = new FullBlockingStore(Harness.SIZE);
        Harness h = Harness.withLun(new Harness(), new LunOptions(false, false, true, null), store);
        byte[] data = Harness.pattern(4096, 7);
        Harness.Result refused = h.write(0, Cdbs.rw10(true, 8, 8, 0), data);
        refused.assertSense(SenseKey.DATA_PROTECT, 0x27, 0x07);
        assertTrue(store.writerThread.startsWith("jtgt-"), "written on a store worker: " + store.writerThread);
        assertNotEquals(Thread.currentThread().getName(), store.writerThread);
        store.full = false;
        h.write(0, Cdbs.rw10(true, 8, 8, 0), data).assertGood();
        Harness.Result back = h.read(0, Cdbs.rw10(false, 8, 8, 0), data.length);
        back.assertGood();
        org.junit.jupiter.api.Assertions.assertArrayEquals(data, back.data());
    }
}
