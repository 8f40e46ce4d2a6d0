package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jtgt.api.scsi.SenseData;
import org.junit.jupiter.api.Test;

/** The bytes {@link SenseReason#writeSense} writes: fixed format, SPC-4 4.5.3. */
class SenseReasonSenseTest {
    @Test
    void invalidFieldCarriesTheFieldPointer() {
        byte[] s = new byte[18];
        assertEquals(18, SenseReason.INVALID_FIELD_IN_CDB.writeSense(s, 0, -1, 9, 2, -1));
        assertArrayEquals(new byte[] {
            0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0x00, 0,
            (byte) (0x80 | 0x40 | 0x08 | 2), 0, 9}, s);
        assertEquals(new SenseData(5, 0x24, 0), SenseData.parse(s, 18));
    }

    @Test
    void wholeByteFieldPointerHasNoBitPointer() {
        byte[] s = new byte[18];
        SenseReason.INVALID_FIELD_IN_CDB.writeSense(s, 0, -1, 300, -1, -1);
        assertEquals((byte) 0xC0, s[15]);
        assertEquals(1, s[16]);
        assertEquals(44, s[17]);
    }

    @Test
    void informationFieldSetsValid() {
        byte[] s = new byte[18];
        SenseReason.MISCOMPARE_DURING_VERIFY_OPERATION.writeSense(s, 0, 0x01020304L, -1, -1, -1);
        assertEquals((byte) 0xF0, s[0]);
        assertEquals(0x0E, s[2]);
        assertArrayEquals(new byte[] {1, 2, 3, 4}, new byte[] {s[3], s[4], s[5], s[6]});
        assertEquals(0x1D, s[12]);
        assertEquals(0, s[15], "no sense-key specific data outside INVALID FIELD IN CDB");
    }

    @Test
    void informationThatDoesNotFitFixedFormatGoesToDescriptorFormat() {
        byte[] s = new byte[org.jtgt.api.scsi.SenseBuilder.MAX_LENGTH];
        int n = SenseReason.UNRECOVERED_READ_ERROR.writeSense(s, 0, 1L << 40, -1, -1, -1);
        assertEquals(0x72, s[0]);
        assertEquals(8 + 12, n, "header and information descriptor");
        assertEquals(0x80, s[10] & 0xFF, "VALID");
        assertEquals(1, s[14], "2^40 in the 8-byte INFORMATION at byte 12");
    }

    @Test
    void everyReasonHasADistinctSenseTriple() {
        java.util.Set<SenseData> seen = new java.util.HashSet<>();
        for (SenseReason r : SenseReason.values()) {
            if (r.isStatusOnly() || r == SenseReason.ANSWERED_LATER) {
                continue;   // answered by a status, or not an outcome: never written as sense
            }
            assertEquals(true, seen.add(new SenseData(r.senseKey(), r.asc(), r.ascq())), r + " duplicates another reason");
        }
    }
}
