package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.scsi.SenseKey;
import org.junit.jupiter.api.Test;

/** VERIFY(10)/(16) with BYTCHK 00b, 01b and 11b. */
class VerifyTest {
    private final Harness h = Harness.withLun();
    private final byte[] data = Harness.pattern(4 * 512, 77);

    VerifyTest() {
        h.write(0, Cdbs.rw10(true, 20, 4, 0), data).assertGood();
    }

    @Test
    void withoutByteCheckOnlyTheRangeMatters() {
        h.none(0, Cdbs.verify10(0, 16, 0)).assertGood();
        h.none(0, Cdbs.verify16(Harness.SIZE / 512, 1, 0)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
    }

    @Test
    void matchingDataIsGood() {
        h.write(0, Cdbs.verify10(20, 4, 1), data).assertGood();
        h.write(0, Cdbs.verify16(21, 2, 1), java.util.Arrays.copyOfRange(data, 512, 1536)).assertGood();
    }

    @Test
    void miscompareReportsTheOffsetOfTheFirstDifference() {
        byte[] other = data.clone();
        other[1000] ^= 1;
        Harness.Result r = h.write(0, Cdbs.verify10(20, 4, 1), other);
        r.assertSense(SenseKey.MISCOMPARE, 0x1D, 0x00);
        assertEquals((byte) 0xF0, r.sense()[0], "VALID");
        assertEquals(1000, ((r.sense()[5] & 0xFF) << 8) | (r.sense()[6] & 0xFF));
        assertEquals(0, r.sense()[3] | r.sense()[4]);
    }

    @Test
    void singleBlockAgainstEveryBlock() {
        byte[] block = Harness.pattern(512, 3);
        for (int i = 0; i < 3; i++) {
            h.write(0, Cdbs.rw10(true, 40 + i, 1, 0), block).assertGood();
        }
        h.write(0, Cdbs.verify10(40, 3, 3), block).assertGood();
        Harness.Result r = h.write(0, Cdbs.verify10(40, 4, 3), block);
        r.assertSense(SenseKey.MISCOMPARE, 0x1D, 0x00);
        assertEquals(3 * 512, ((r.sense()[5] & 0xFF) << 8) | (r.sense()[6] & 0xFF), "first byte of block 3 differs");
    }

    @Test
    void reservedByteCheckValueIsInvalid() {
        Harness.Result r = h.command(Harness.NEXUS, 0, Cdbs.verify10(0, 1, 2), DataDirection.WRITE, 512, new byte[512]);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(1, r.sense()[17]);
    }
}
