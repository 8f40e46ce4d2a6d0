package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;

import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/** ORWRITE(16): the medium becomes medium OR Data-Out. */
class OrWriteTest {
    private static final long BLOCKS = Harness.SIZE / Harness.BLOCK;
    private final Harness h = Harness.withLun();

    static byte[] orWrite16(long lba, long blocks, int byte1) {
        byte[] c = Cdbs.rw16(true, lba, blocks, byte1);
        c[0] = (byte) 0x8B;
        return c;
    }

    private static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }

    @Test
    void orsIntoTheMedium() {
        int n = 200;   // more than one 64 KiB chunk
        h.write(0, Cdbs.rw16(true, 5, n, 0), filled(n * 512, 0xA0)).assertGood();
        h.write(0, orWrite16(5, n, 0), filled(n * 512, 0x05)).assertGood();
        h.write(0, orWrite16(5, n, 0x08), filled(n * 512, 0x50)).assertGood();
        Harness.Result r = h.read(0, Cdbs.rw16(false, 5, n, 0), n * 512);
        r.assertGood();
        assertArrayEquals(filled(n * 512, 0xF5), r.data());
    }

    @Test
    void checksAsForWrite() {
        byte[] block = new byte[512];
        h.write(0, orWrite16(BLOCKS, 1, 0), block).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        h.write(0, orWrite16(0, 1, 0x20), block).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        h.none(0, orWrite16(0, 0, 0)).assertGood();
        Harness ro = Harness.withLun(new LunOptions(true, false, false, null));
        ro.write(0, orWrite16(0, 1, 0), block).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x00);
    }
}
