package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.store.BackingStore;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/**
 * Descriptor-format sense data (SPC-4 4.5.2): selected per unit with the Control mode page's
 * D_SENSE, asked for by REQUEST SENSE's DESC, and used on its own where the fixed format's
 * four-byte INFORMATION field cannot hold the value (a failing LBA at or beyond 2^32).
 */
class DescriptorSenseTest {
    private static final long OTHER = 8;
    private final Harness h = Harness.withLun();

    private static long u64(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (b[at + i] & 0xFF);
        }
        return v;
    }

    private void selectDSense(boolean on) {
        Harness.Result r = h.read(0, Cdbs.modeSense6(0x08, 0, 0x0A, 0, 255), 255);
        r.assertGood();
        byte[] page = Arrays.copyOfRange(r.data(), 4, 16);
        page[2] = (byte) (on ? page[2] | 0x04 : page[2] & ~0x04);
        byte[] list = new byte[4 + page.length];
        System.arraycopy(page, 0, list, 4, page.length);
        byte[] cdb = {0x15, 0x10, 0, 0, (byte) list.length, 0};
        h.write(0, cdb, list).assertGood();
    }

    @Test
    void dSenseSelectedTurnsThisUnitsSenseIntoDescriptorFormat() {
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login("iqn.2026-11.org.jtgt:second", Harness.TARGET, OTHER));
        h.command(OTHER, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null);
        selectDSense(true);
        assertEquals(0x04 | 0x02, h.read(0, Cdbs.modeSense6(0x08, 0, 0x0A, 0, 255), 255).u8(4 + 2), "D_SENSE and GLTSD");
        assertEquals(0, h.read(0, Cdbs.modeSense6(0x08, 2, 0x0A, 0, 255), 255).u8(4 + 2) & 0x04, "the default stays fixed");

        // INVALID FIELD IN CDB: header, then the sense-key specific descriptor with the field pointer
        Harness.Result bad = h.read(0, new byte[] {0x12, 0, 0x55, 0, 36, 0}, 36);
        bad.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        byte[] s = bad.sense();
        assertEquals(0x72, s[0] & 0xFF, "current, descriptor format");
        assertEquals(s.length - 8, s[7] & 0xFF, "ADDITIONAL SENSE LENGTH");
        assertEquals(0x02, s[8], "sense key specific descriptor");
        assertEquals(0xC0, s[12] & 0xFF, "SKSV, C/D: in the CDB");
        assertEquals(2, (s[13] & 0xFF) << 8 | s[14] & 0xFF, "FIELD POINTER: byte 2");

        // the other nexus learns of the change, in the new format too
        Harness.Result ua = h.command(OTHER, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null);
        ua.assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x01);
        assertEquals(0x72, ua.sense()[0] & 0xFF);

        selectDSense(false);
        Harness.Result fixed = h.read(0, new byte[] {0x12, 0, 0x55, 0, 36, 0}, 36);
        assertEquals(0x70, fixed.sense()[0] & 0xFF, "back to fixed format");
    }

    @Test
    void requestSenseWithDescAnswersInDescriptorFormat() {
        Harness.Result r = h.read(0, new byte[] {0x03, 0x01, 0, 0, (byte) 252, 0}, 252);
        r.assertGood();
        assertEquals(0x72, r.u8(0));
        assertEquals(SenseKey.NO_SENSE, r.u8(1) & 0x0F);
        assertEquals(8, r.data().length, "no descriptors for NO SENSE");
        Harness.Result f = h.read(0, new byte[] {0x03, 0x00, 0, 0, (byte) 252, 0}, 252);
        assertEquals(0x70, f.u8(0));
    }

    /** A store of 2^33 blocks of 512 bytes whose reads fail. */
    private static final class FailingHugeStore implements BackingStore {
        @Override public long size() { return (1L << 33) * 512; }
        @Override public boolean blocks() { return false; }
        @Override public void read(long offset, ByteBuffer dst) throws IOException { throw new IOException("unreadable at " + offset); }
        @Override public void write(long offset, ByteBuffer src, boolean fua) { src.position(src.limit()); }
        @Override public void flush() { }
        @Override public String describe() { return "failing huge"; }
        @Override public void close() { }
    }

    @Test
    void anLbaBeyondFourBytesIsReportedInDescriptorFormatEvenWithDSenseOff() {
        Harness big = Harness.withLun(new Harness(), LunOptions.DEFAULT, new MemoryStore(Harness.SIZE));
        big.daemon.addLun(Harness.TARGET, 1, new FailingHugeStore(), 512, LunOptions.DEFAULT);
        big.none(1, Cdbs.testUnitReady());   // REPORTED LUNS DATA HAS CHANGED
        long lba = (1L << 32) + 5;
        Harness.Result wide = big.read(1, Cdbs.rw16(false, lba, 1, 0), 512);
        wide.assertSense(SenseKey.MEDIUM_ERROR, 0x11, 0x00);
        byte[] s = wide.sense();
        assertEquals(0x72, s[0] & 0xFF);
        assertEquals(0x00, s[8], "information descriptor");
        assertEquals(0x80, s[10] & 0xFF, "VALID");
        assertEquals(lba, u64(s, 12));

        Harness.Result narrow = big.read(1, Cdbs.rw16(false, 7, 1, 0), 512);
        narrow.assertSense(SenseKey.MEDIUM_ERROR, 0x11, 0x00);
        byte[] n = narrow.sense();
        assertEquals(0xF0, n[0] & 0xFF, "fixed format, VALID");
        assertEquals(7, (n[3] & 0xFFL) << 24 | (n[4] & 0xFF) << 16 | (n[5] & 0xFF) << 8 | n[6] & 0xFF);
    }
}
