package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/** INQUIRY standard data and VPD pages, byte by byte. */
class InquiryTest {
    private final Harness h = Harness.withLun(new LunOptions(false, true, true, "SERIAL-0042"));

    private static String ascii(byte[] b, int from, int to) {
        return new String(b, from, to - from, StandardCharsets.US_ASCII);
    }

    @Test
    void standardData() {
        Harness.Result r = h.read(0, Cdbs.inquiry(false, 0, 255), 255);
        r.assertGood();
        byte[] d = r.data();
        assertEquals(74, d.length);
        assertEquals(255 - 74, r.residual(), "underflow: asked 255, 74 exist");
        assertEquals(0x00, d[0], "qualifier 000b, direct-access block device");
        assertEquals((byte) 0x80, d[1], "removable from LunOptions");
        assertEquals(0x06, d[2], "SPC-4");
        assertEquals(0x12, d[3], "HISUP, response data format 2");
        assertEquals(69, d[4], "additional length = n - 4");
        assertEquals(0x30, d[5], "TPGS = 11b: implicit and explicit asymmetric access");
        assertEquals(0x00, d[6], "MULTIP = 0: one target port");
        assertEquals(0x02, d[7], "CMDQUE");
        assertEquals("JTGT    ", ascii(d, 8, 16));
        assertEquals("VIRTUAL-DISK    ", ascii(d, 16, 32));
        assertEquals("0001", ascii(d, 32, 36));
        assertArrayEquals(new byte[] {0x00, (byte) 0xA0, 0x04, 0x60, 0x04, (byte) 0xC0, 0x09, 0x60}, Arrays.copyOfRange(d, 58, 66));
        assertArrayEquals(new byte[8], Arrays.copyOfRange(d, 66, 74), "unused version descriptors are zero");
    }

    @Test
    void allocationLengthTruncates() {
        Harness.Result r = h.read(0, Cdbs.inquiry(false, 0, 5), 5);
        r.assertGood();
        assertEquals(5, r.data().length);
        assertEquals(0, r.residual(), "the command wanted min(5, 74) bytes");
        assertEquals(69, r.data()[4]);
    }

    @Test
    void expectedLengthShorterThanAllocationIsAnOverflow() {
        Harness.Result r = h.read(0, Cdbs.inquiry(false, 0, 96), 36);
        r.assertGood();
        assertEquals(36, r.data().length);
        assertEquals(36 - 74, r.residual());
    }

    @Test
    void unknownLunAnswersQualifier011bType1Fh() {
        Harness.Result r = h.read(5, Cdbs.inquiry(false, 0, 36), 36);
        r.assertGood();
        assertEquals(0x7F, r.data()[0] & 0xFF);
        h.read(5, Cdbs.inquiry(true, 0x80, 255), 255).assertSense(SenseKey.ILLEGAL_REQUEST, 0x25, 0x00);
    }

    @Test
    void pageCodeWithoutEvpdIsAnInvalidFieldPointingAtByte2() {
        Harness.Result r = h.read(0, Cdbs.inquiry(false, 0x80, 255), 255);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals((byte) 0xC0, r.sense()[15], "SKSV, C/D = CDB, no bit pointer");
        assertEquals(2, r.sense()[17]);
        assertEquals(255, r.residual(), "nothing transferred");
    }

    @Test
    void cmddtAndReservedBitsAreInvalidFields() {
        byte[] cdb = Cdbs.inquiry(false, 0, 36);
        cdb[1] = 0x02;
        Harness.Result r = h.read(0, cdb, 36);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals((byte) (0xC0 | 0x08 | 1), r.sense()[15], "bit pointer at CMDDT");
        assertEquals(1, r.sense()[17]);
        cdb[1] = 0x20;
        h.read(0, cdb, 36).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
    }

    @Test
    void controlByteNacaIsRefused() {
        byte[] cdb = Cdbs.inquiry(false, 0, 36);
        cdb[5] = 0x04;
        Harness.Result r = h.read(0, cdb, 36);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals((byte) (0xC0 | 0x08 | 2), r.sense()[15]);
        assertEquals(5, r.sense()[17]);
    }

    @Test
    void unsupportedVpdPage() {
        h.read(0, Cdbs.inquiry(true, 0x86, 255), 255).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
    }

    @Test
    void supportedPages() {
        Harness.Result r = h.read(0, Cdbs.inquiry(true, 0x00, 255), 255);
        r.assertGood();
        assertArrayEquals(new byte[] {0, 0, 0, 7, 0x00, (byte) 0x80, (byte) 0x83, (byte) 0x8F, (byte) 0xB0, (byte) 0xB1,
            (byte) 0xB2}, r.data());
    }

    @Test
    void unitSerialNumber() {
        Harness.Result r = h.read(0, Cdbs.inquiry(true, 0x80, 255), 255);
        r.assertGood();
        assertEquals(0x80, r.u8(1));
        assertEquals(11, r.u16(2));
        assertEquals("SERIAL-0042", ascii(r.data(), 4, 15));
    }

    @Test
    void derivedSerialIsStablePerTargetAndLun() {
        Harness a = Harness.withLun();
        Harness b = Harness.withLun();
        byte[] sa = a.read(0, Cdbs.inquiry(true, 0x80, 255), 255).data();
        byte[] sb = b.read(0, Cdbs.inquiry(true, 0x80, 255), 255).data();
        assertArrayEquals(sa, sb, "same target name and LUN, same serial");
        assertEquals(16, sa[3], "16 hex digits");
        a.daemon.addLun(Harness.TARGET, 1, new MemoryStore(4096), 512, null);
        byte[] s1 = a.read(1, Cdbs.inquiry(true, 0x80, 255), 255).data();
        assertNotEquals(ascii(sa, 4, 20), ascii(s1, 4, 20));
    }

    @Test
    void deviceIdentification() {
        Harness.Result r = h.read(0, Cdbs.inquiry(true, 0x83, 512), 512);
        r.assertGood();
        byte[] d = r.data();
        assertEquals(0x83, r.u8(1));
        assertEquals(d.length - 4, r.u16(2));
        int p = 4;
        // NAA, binary, LU
        assertEquals(0x01, d[p]);
        assertEquals(0x03, d[p + 1]);
        assertEquals(8, d[p + 3]);
        assertEquals(0x3, (d[p + 4] & 0xF0) >>> 4, "NAA 3h locally assigned");
        p += 12;
        // T10 vendor ID, ASCII, LU
        assertEquals(0x02, d[p]);
        assertEquals(0x01, d[p + 1]);
        assertEquals(8 + 11, d[p + 3]);
        assertEquals("JTGT    SERIAL-0042", ascii(d, p + 4, p + 4 + 19));
        p += 4 + 19;
        // relative target port, target port association
        assertEquals(0x01, d[p]);
        assertEquals(0x14, d[p + 1]);
        assertEquals(4, d[p + 3]);
        assertEquals(2, ((d[p + 6] & 0xFF) << 8) | (d[p + 7] & 0xFF), "relative port from the nexus request");
        p += 8;
        // target port group, binary, target port association
        assertEquals(0x01, d[p]);
        assertEquals(0x15, d[p + 1]);
        assertEquals(4, d[p + 3]);
        assertEquals(2, ((d[p + 6] & 0xFF) << 8) | (d[p + 7] & 0xFF), "an unregistered port is a group of its own");
        p += 8;
        // SCSI name string, UTF-8, target device
        assertEquals(0x03, d[p]);
        assertEquals(0x28, d[p + 1]);
        int len = d[p + 3];
        assertEquals(0, len % 4);
        assertEquals(Harness.TARGET, new String(d, p + 4, Harness.TARGET.length(), StandardCharsets.UTF_8));
        assertEquals(0, d[p + 4 + Harness.TARGET.length()], "NUL terminated");
        assertEquals(d.length, p + 4 + len);
    }

    @Test
    void naaDesignatorIsUniquePerLun() {
        h.daemon.addLun(Harness.TARGET, 1, new MemoryStore(4096), 512, null);
        byte[] d0 = h.read(0, Cdbs.inquiry(true, 0x83, 512), 512).data();
        byte[] d1 = h.read(1, Cdbs.inquiry(true, 0x83, 512), 512).data();
        assertTrue(!Arrays.equals(Arrays.copyOfRange(d0, 8, 16), Arrays.copyOfRange(d1, 8, 16)));
    }

    @Test
    void blockLimits() {
        Harness.Result r = h.read(0, Cdbs.inquiry(true, 0xB0, 255), 255);
        r.assertGood();
        assertEquals(64, r.data().length);
        assertEquals(0x3C, r.u16(2));
        assertEquals(1, r.u16(6), "optimal transfer length granularity");
        assertEquals((8 << 20) / 512, r.u32(8), "maximum transfer length: 8 MiB in 512-byte blocks");
        assertEquals(1, r.u8(4) & 0x01, "WSNZ: WRITE SAME of 0 blocks is refused");
        assertEquals(255, r.u8(5), "maximum compare and write length");
        assertEquals(1 << 20, r.u32(20), "maximum unmap LBA count (the fixture's unit is thin)");
        assertEquals(256, r.u32(24), "maximum unmap block descriptor count");
        // The fixture's test store keeps no allocation unit: no granularity is claimed.
        assertEquals(0, r.u32(28));
        assertEquals(0, r.u32(32));

        Harness full = Harness.withLun();
        Harness.Result f = full.read(0, Cdbs.inquiry(true, 0xB0, 255), 255);
        assertEquals(0, f.u32(20), "no UNMAP on a fully provisioned unit");
        assertEquals(0, f.u32(24));
        assertEquals(255, f.u8(5));
    }

    @Test
    void blockDeviceCharacteristics() {
        Harness.Result r = h.read(0, Cdbs.inquiry(true, 0xB1, 255), 255);
        r.assertGood();
        assertEquals(64, r.data().length);
        assertEquals(1, r.u16(4), "non-rotating medium");
    }

    @Test
    void logicalBlockProvisioningForThinAndFull() {
        Harness thin = Harness.withLun(new Harness(), new LunOptions(false, true, true, "SERIAL-0042"),
                new ThinStore(Harness.SIZE));
        Harness.Result r = thin.read(0, Cdbs.inquiry(true, 0xB2, 255), 255);
        r.assertGood();
        assertEquals(8, r.data().length);
        assertEquals(4, r.u16(2));
        assertEquals(0xE4, r.u8(5), "LBPU = LBPWS = LBPWS10 = 1, LBPRZ = 001b, ANC_SUP = DP = 0");
        assertEquals(0x02, r.u8(6) & 0x07, "thin provisioned");

        // The test store writes zeros for UNMAP (the SPI's default): it frees nothing, so the thin
        // unit over it keeps UNMAP working but does not claim thin provisioning.
        Harness.Result z = h.read(0, Cdbs.inquiry(true, 0xB2, 255), 255);
        z.assertGood();
        assertEquals(0xE4, z.u8(5), "UNMAP and WRITE SAME with UNMAP still work, and the blocks read zeros");
        assertEquals(0x00, z.u8(6) & 0x07, "fully provisioned: no block is ever deallocated");
        Harness full = Harness.withLun();
        Harness.Result f = full.read(0, Cdbs.inquiry(true, 0xB2, 255), 255);
        assertEquals(0, f.u8(5));
        assertEquals(0, f.u8(6) & 0x07);
    }
}
