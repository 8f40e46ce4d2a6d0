package org.jtgt.api.scsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** The two sense formats byte by byte against SPC-5 4.4.2 (descriptor) and 4.4.3 (fixed). */
class SenseBuilderTest {
    @Test
    void fixedFormatKeyAscAscqOnly() {
        byte[] s = new byte[20];
        Arrays.fill(s, (byte) 0x55);
        assertEquals(18, SenseBuilder.fixed(s, 1, SenseKey.ABORTED_COMMAND, 0x08, 0x00));
        assertArrayEquals(new byte[] {
            0x55,
            0x70, 0, 0x0B, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x08, 0x00, 0, 0, 0, 0,
            0x55}, s, "nothing written outside the 18 bytes at the offset");
        assertEquals(new SenseData(0x0B, 0x08, 0x00), SenseData.parse(Arrays.copyOfRange(s, 1, 19), 18));
    }

    @Test
    void fixedFormatCarriesInformationCommandSpecificAndFieldPointer() {
        byte[] s = new byte[18];
        SenseBuilder.fixed(s, 0, SenseKey.ILLEGAL_REQUEST, 0x24, 0x00, 0x01020304L, 0x0A0B0C0DL,
                SenseBuilder.fieldPointer(true, 9, 2));
        assertArrayEquals(new byte[] {
            (byte) 0xF0, 0, 0x05, 1, 2, 3, 4, 10, 0x0A, 0x0B, 0x0C, 0x0D, 0x24, 0x00, 0,
            (byte) (0x80 | 0x40 | 0x08 | 2), 0, 9}, s);
    }

    @Test
    void fixedFormatLeavesOutInformationThatDoesNotFit() {
        byte[] s = new byte[18];
        SenseBuilder.fixed(s, 0, SenseKey.MEDIUM_ERROR, 0x11, 0x00, 1L << 32, SenseBuilder.NONE, SenseBuilder.NONE);
        assertEquals(0x70, s[0], "VALID = 0");
        assertEquals(0, s[3] | s[4] | s[5] | s[6]);
    }

    @Test
    void senseKeySpecificValues() {
        assertEquals(0xC0012C, SenseBuilder.fieldPointer(true, 300, -1), "SKSV, C/D, no BPV");
        assertEquals(0x8D0003, SenseBuilder.fieldPointer(false, 3, 5), "SKSV, BPV, bit 5");
        assertEquals(0x80FFFF, SenseBuilder.progressIndication(0xFFFF));
        assertEquals(0xA00004, SenseBuilder.segmentPointer(4), "SKSV, SD");
    }

    @Test
    void descriptorFormatHeaderOnly() {
        byte[] s = new byte[8];
        assertEquals(8, SenseBuilder.descriptor(s, 0, SenseKey.UNIT_ATTENTION, 0x29, 0x00));
        assertArrayEquals(new byte[] {0x72, 0x06, 0x29, 0x00, 0, 0, 0, 0}, s);
        assertEquals(new SenseData(0x06, 0x29, 0x00), SenseData.parse(s, 8));
    }

    @Test
    void descriptorFormatWithInformationCommandSpecificAndSenseKeySpecific() {
        byte[] s = new byte[SenseBuilder.MAX_DESCRIPTOR_LENGTH];
        int n = SenseBuilder.descriptor(s, 0, SenseKey.MISCOMPARE, 0x1D, 0x00, 0x0102030405060708L, 7,
                SenseBuilder.fieldPointer(false, 0x0102, -1));
        assertEquals(40, n);
        assertArrayEquals(new byte[] {
            // header: response code 72h, sense key, ASC, ASCQ, reserved, ADDITIONAL SENSE LENGTH = n - 8
            0x72, 0x0E, 0x1D, 0x00, 0, 0, 0, 32,
            // information descriptor: type 00h, additional length 0Ah, VALID, reserved, 8 bytes
            0x00, 0x0A, (byte) 0x80, 0, 1, 2, 3, 4, 5, 6, 7, 8,
            // command-specific information descriptor: type 01h, additional length 0Ah
            0x01, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7,
            // sense key specific descriptor: type 02h, additional length 06h, SKSV field pointer
            0x02, 0x06, 0, 0, (byte) 0x80, 0x01, 0x02, 0}, s);
        assertEquals(new SenseData(0x0E, 0x1D, 0x00), SenseData.parse(s, n));
    }

    @Test
    void descriptorFormatInformationNeedsNoFourByteLimit() {
        byte[] s = new byte[20];
        assertEquals(20, SenseBuilder.descriptor(s, 0, SenseKey.MEDIUM_ERROR, 0x11, 0x00, 1L << 40,
                SenseBuilder.NONE, SenseBuilder.NONE));
        assertEquals(12, s[7]);
        assertArrayEquals(new byte[] {0, 0, 1, 0, 0, 0, 0, 0}, Arrays.copyOfRange(s, 12, 20));
    }

    @Test
    void writeChoosesTheFormat() {
        byte[] f = new byte[SenseBuilder.MAX_LENGTH];
        byte[] d = new byte[SenseBuilder.MAX_LENGTH];
        assertEquals(18, SenseBuilder.write(false, f, 0, 5, 0x20, 0, -1, -1, SenseBuilder.NONE));
        assertEquals(8, SenseBuilder.write(true, d, 0, 5, 0x20, 0, -1, -1, SenseBuilder.NONE));
        assertEquals(0x70, f[0]);
        assertEquals(0x72, d[0]);
    }
}
