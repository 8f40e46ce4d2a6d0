package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;

import org.jtgt.api.scsi.SenseKey;
import org.junit.jupiter.api.Test;

/** REPORT SUPPORTED OPERATION CODES (SPC-4 6.35), raw bytes against the command table. */
class SupportedOperationCodesTest {
    private final Harness h = Harness.withLun();
    private final CommandTable table = CommandTable.blockDevice();

    static byte[] rsoc(boolean rctd, int option, int opcode, int sa, int allocation) {
        byte[] c = new byte[12];
        c[0] = (byte) 0xA3;
        c[1] = 0x0C;
        c[2] = (byte) ((rctd ? 0x80 : 0) | option);
        c[3] = (byte) opcode;
        Cdbs.be(c, 4, sa, 2);
        Cdbs.be(c, 6, allocation, 4);
        return c;
    }

    @Test
    void allCommandsListsEveryTableEntryOnce() {
        Harness.Result r = h.read(0, rsoc(false, 0, 0, 0, 4096), 4096);
        r.assertGood();
        int length = (int) r.u32(0);
        assertEquals(0, length % 8);
        Set<Integer> seen = new HashSet<>();
        for (int p = 4; p < 4 + length; p += 8) {
            int op = r.u8(p);
            int sa = r.u16(p + 2);
            boolean servactv = (r.u8(p + 5) & 0x01) != 0;
            CommandTable.Entry e = table.get(op);
            assertEquals(e.hasServiceActions(), servactv, e.name());
            assertTrue(seen.add(op << 16 | sa), "listed once");
            assertEquals(Cdb.lengthForOpcode(op), r.u16(p + 6));
            assertEquals(0, r.u8(p + 5) & 0x02, "no CTDP without RCTD");
        }
        assertTrue(seen.contains(0x28 << 16), "READ(10)");
        assertTrue(seen.contains(0x9E << 16 | 0x10), "READ CAPACITY(16)");
        assertTrue(seen.contains(0xA3 << 16 | 0x0C), "itself");
        assertEquals(4 + length, r.data().length);
    }

    @Test
    void rctdAddsATimeoutsDescriptorToEachCommand() {
        Harness.Result r = h.read(0, rsoc(true, 0, 0, 0, 8192), 8192);
        r.assertGood();
        int length = (int) r.u32(0);
        assertEquals(0, length % 20);
        for (int p = 4; p < 4 + length; p += 20) {
            assertEquals(0x02, r.u8(p + 5) & 0x02, "CTDP");
            assertEquals(0x0A, r.u16(p + 8), "timeouts descriptor length");
        }
    }

    @Test
    void oneCommandReturnsItsUsageData() {
        Harness.Result r = h.read(0, rsoc(false, 1, 0x28, 0, 512), 512);
        r.assertGood();
        assertEquals(0x03, r.u8(1) & 0x07, "supported as in the standard");
        assertEquals(10, r.u16(2));
        assertEquals(0x28, r.u8(4));
        assertEquals(0x18, r.u8(5) & 0x18, "DPO and FUA, as MODE SENSE's DPOFUA says");
        assertEquals(4 + 10, r.data().length);

        Harness.Result t = h.read(0, rsoc(true, 1, 0x00, 0, 512), 512);
        assertEquals(0x80, t.u8(1) & 0x80, "CTDP");
        assertEquals(4 + 6 + 12, t.data().length);
    }

    @Test
    void unsupportedOpcodeIsReportedAsNotSupported() {
        Harness.Result r = h.read(0, rsoc(false, 1, 0xC0, 0, 512), 512);
        r.assertGood();
        assertEquals(0x01, r.u8(1) & 0x07);
        assertEquals(4, r.data().length);
    }

    @Test
    void serviceActionsNeedReportingOption2() {
        h.read(0, rsoc(false, 1, 0x9E, 0x10, 512), 512).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        h.read(0, rsoc(false, 2, 0x28, 0, 512), 512).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        Harness.Result r = h.read(0, rsoc(false, 2, 0x9E, 0x10, 512), 512);
        r.assertGood();
        assertEquals(0x03, r.u8(1) & 0x07);
        assertEquals(0x9E, r.u8(4));
        assertEquals(0x10, r.u8(5) & 0x1F, "the service action sits where the CDB has it");
        Harness.Result none = h.read(0, rsoc(false, 2, 0x9E, 0x11, 512), 512);
        assertEquals(0x01, none.u8(1) & 0x07);
    }

    @Test
    void reservedReportingOptionIsInvalid() {
        Harness.Result r = h.read(0, rsoc(false, 4, 0, 0, 512), 512);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(2, r.sense()[17]);
    }

    @Test
    void unknownMaintenanceInServiceActionIsInvalidField() {
        byte[] c = rsoc(false, 0, 0, 0, 512);
        c[1] = 0x05;   // REPORT IDENTIFYING INFORMATION, not implemented
        h.read(0, c, 512).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
    }

    @Test
    void allocationLengthTruncates() {
        Harness.Result r = h.read(0, rsoc(false, 0, 0, 0, 12), 512);
        r.assertGood();
        assertEquals(12, r.data().length);
    }
}
