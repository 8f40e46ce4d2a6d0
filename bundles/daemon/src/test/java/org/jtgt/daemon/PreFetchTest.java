package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jtgt.api.scsi.SenseKey;
import org.junit.jupiter.api.Test;

/** PRE-FETCH(10)/(16): range checks, IMMED, GOOD (no cache, so never CONDITION MET). */
class PreFetchTest {
    private static final long BLOCKS = Harness.SIZE / Harness.BLOCK;
    private final Harness h = Harness.withLun();

    static byte[] preFetch10(long lba, int blocks, int byte1) {
        byte[] c = new byte[10];
        c[0] = 0x34;
        c[1] = (byte) byte1;
        Cdbs.be(c, 2, lba, 4);
        Cdbs.be(c, 7, blocks, 2);
        return c;
    }

    static byte[] preFetch16(long lba, long blocks, int byte1) {
        byte[] c = new byte[16];
        c[0] = (byte) 0x90;
        c[1] = (byte) byte1;
        Cdbs.be(c, 2, lba, 8);
        Cdbs.be(c, 10, blocks, 4);
        return c;
    }

    @Test
    void inRangeIsGood() {
        h.none(0, preFetch10(0, 8, 0)).assertGood();
        h.none(0, preFetch16(BLOCKS - 8, 8, 0)).assertGood();
        h.none(0, preFetch10(BLOCKS - 1, 0, 0)).assertGood();   // 0 blocks: to the end
    }

    @Test
    void immedAndGroupNumberAreAccepted() {
        h.none(0, preFetch10(0, 1, 0x02)).assertGood();
        byte[] c = preFetch16(0, 1, 0x02);
        c[14] = 0x1F;
        h.none(0, c).assertGood();
    }

    @Test
    void beyondTheEndIsLbaOutOfRange() {
        h.none(0, preFetch10(BLOCKS, 1, 0)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        h.none(0, preFetch10(BLOCKS - 1, 2, 0)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        h.none(0, preFetch16(-1L, 1, 0)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        h.none(0, preFetch16(BLOCKS + 1, 0, 0)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
    }

    @Test
    void reservedBitsAreInvalidFieldInCdb() {
        Harness.Result r = h.none(0, preFetch10(0, 1, 0x04));
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(1, r.sense()[17], "field pointer: byte 1");
    }
}
