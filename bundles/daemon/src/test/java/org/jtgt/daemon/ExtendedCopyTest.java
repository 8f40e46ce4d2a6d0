package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/** EXTENDED COPY (LID1), RECEIVE COPY RESULTS and the Third-party Copy VPD page. */
class ExtendedCopyTest {
    private static final long BLOCKS = Harness.SIZE / Harness.BLOCK;
    private final Harness h = Harness.withLun();
    private final MemoryStore second = new MemoryStore(Harness.SIZE);

    ExtendedCopyTest() {
        h.daemon.addLun(Harness.TARGET, 1, second, Harness.BLOCK, LunOptions.DEFAULT);
        h.none(0, Cdbs.testUnitReady());   // REPORTED LUNS DATA HAS CHANGED
        h.none(1, Cdbs.testUnitReady());
    }

    static byte[] xcopy(int listLength) {
        byte[] c = new byte[16];
        c[0] = (byte) 0x83;
        Cdbs.be(c, 10, listLength, 4);
        return c;
    }

    static byte[] rcr(int sa, int listId, int allocation) {
        byte[] c = new byte[16];
        c[0] = (byte) 0x84;
        c[1] = (byte) sa;
        c[2] = (byte) listId;
        Cdbs.be(c, 10, allocation, 4);
        return c;
    }

    /** The NAA designator of {@code lun} from its Device Identification VPD page. */
    long naa(int lun) {
        Harness.Result r = h.read(lun, Cdbs.inquiry(true, 0x83, 255), 255);
        r.assertGood();
        assertEquals(3, r.u8(5) & 0x0F, "first designator is the NAA one");
        return r.u64(8);
    }

    static byte[] cscd(long naa, int blockLength) {
        byte[] d = new byte[32];
        d[0] = (byte) 0xE4;
        d[4] = 0x01;         // binary
        d[5] = 0x03;         // LU, NAA
        d[7] = 8;
        Cdbs.be(d, 8, naa, 8);
        Cdbs.be(d, 29, blockLength, 3);
        return d;
    }

    static byte[] segment(int src, int dst, int blocks, long srcLba, long dstLba) {
        byte[] s = new byte[28];
        s[0] = 0x02;
        s[3] = 0x18;
        Cdbs.be(s, 4, src, 2);
        Cdbs.be(s, 6, dst, 2);
        Cdbs.be(s, 10, blocks, 2);
        Cdbs.be(s, 12, srcLba, 8);
        Cdbs.be(s, 20, dstLba, 8);
        return s;
    }

    static byte[] list(int listId, int usage, byte[][] cscds, byte[][] segments) {
        ByteArrayOutputStream cs = new ByteArrayOutputStream();
        for (byte[] d : cscds) {
            cs.writeBytes(d);
        }
        ByteArrayOutputStream ss = new ByteArrayOutputStream();
        for (byte[] d : segments) {
            ss.writeBytes(d);
        }
        byte[] header = new byte[16];
        header[0] = (byte) listId;
        header[1] = (byte) (usage << 3);
        Cdbs.be(header, 2, cs.size(), 2);
        Cdbs.be(header, 8, ss.size(), 4);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(header);
        all.writeBytes(cs.toByteArray());
        all.writeBytes(ss.toByteArray());
        return all.toByteArray();
    }

    Harness.Result run(byte[] parameters) {
        return h.write(0, xcopy(parameters.length), parameters);
    }

    byte[] readBlocks(int lun, long lba, int blocks) {
        Harness.Result r = h.read(lun, Cdbs.rw16(false, lba, blocks, 0), blocks * 512);
        r.assertGood();
        return r.data();
    }

    @Test
    void copiesWithinTheUnitInChunks() {
        byte[] data = Harness.pattern(600 * 512, 4);   // several 64 KiB chunks
        h.write(0, Cdbs.rw16(true, 0, 600, 0), data).assertGood();
        long naa = naa(0);
        run(list(1, 0, new byte[][] {cscd(naa, 512)}, new byte[][] {segment(0, 0, 600, 0, BLOCKS - 600)})).assertGood();
        assertArrayEquals(data, readBlocks(0, BLOCKS - 600, 600));
        Harness.Result status = h.read(0, rcr(0x00, 1, 64), 64);
        status.assertGood();
        assertEquals(8, status.u32(0), "AVAILABLE DATA");
        assertEquals(0x01, status.u8(4), "completed without errors");
        assertEquals(1, status.u16(5), "segments processed");
        assertEquals(0, status.u8(7), "bytes");
        assertEquals(600 * 512, status.u32(8));
        Harness.Result details = h.read(0, rcr(0x04, 1, 64), 64);
        details.assertGood();
        assertEquals(0, details.u32(0), "no failed segment");
    }

    @Test
    void copiesBetweenUnitsAndSeveralSegments() {
        byte[] a = Harness.pattern(40 * 512, 7);
        byte[] b = Harness.pattern(8 * 512, 8);
        h.write(0, Cdbs.rw16(true, 100, 40, 0), a).assertGood();
        h.write(0, Cdbs.rw16(true, 500, 8, 0), b).assertGood();
        byte[][] cscds = {cscd(naa(0), 512), cscd(naa(1), 512)};
        run(list(2, 2, cscds, new byte[][] {segment(0, 1, 40, 100, 1000), segment(0, 1, 8, 500, 0)})).assertGood();
        assertArrayEquals(a, readBlocks(1, 1000, 40));
        assertArrayEquals(b, readBlocks(1, 0, 8));
        assertArrayEquals(new byte[512], readBlocks(1, 999, 1), "nothing outside the segments");
        // and back, under list identifier usage 11b (no identifier)
        run(list(0, 3, cscds, new byte[][] {segment(1, 0, 8, 0, 1500)})).assertGood();
        assertArrayEquals(b, readBlocks(0, 1500, 8));
    }

    @Test
    void overlappingCopyUpwardsReadsTheOriginalSource() {
        byte[] data = Harness.pattern(300 * 512, 9);
        h.write(0, Cdbs.rw16(true, 10, 300, 0), data).assertGood();
        run(list(3, 0, new byte[][] {cscd(naa(0), 512)}, new byte[][] {segment(0, 0, 300, 10, 110)})).assertGood();
        assertArrayEquals(data, readBlocks(0, 110, 300));
        run(list(4, 0, new byte[][] {cscd(naa(0), 512)}, new byte[][] {segment(0, 0, 300, 110, 60)})).assertGood();
        assertArrayEquals(data, readBlocks(0, 60, 300), "downwards as well");
    }

    @Test
    void emptyListIsGood() {
        h.write(0, xcopy(0), new byte[0]).assertGood();
    }

    @Test
    void parameterListRefusals() {
        long naa = naa(0);
        byte[] good = list(5, 0, new byte[][] {cscd(naa, 512)}, new byte[][] {segment(0, 0, 8, 0, 100)});
        // truncated target descriptor / segment descriptor / header
        h.write(0, xcopy(16 + 31), Arrays.copyOf(good, 16 + 31)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x1A, 0x00);
        h.write(0, xcopy(good.length - 1), Arrays.copyOf(good, good.length - 1))
                .assertSense(SenseKey.ILLEGAL_REQUEST, 0x1A, 0x00);
        h.write(0, xcopy(8), Arrays.copyOf(good, 8)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x1A, 0x00);
        // too many descriptors
        byte[][] nine = new byte[9][];
        Arrays.fill(nine, cscd(naa, 512));
        run(list(6, 0, nine, new byte[][] {segment(0, 0, 8, 0, 100)})).assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x06);
        byte[][] nineSegments = new byte[9][];
        Arrays.fill(nineSegments, segment(0, 0, 8, 0, 100));
        run(list(7, 0, new byte[][] {cscd(naa, 512)}, nineSegments)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x08);
        // more than MAXIMUM DESCRIPTOR LIST LENGTH (1024)
        byte[][] many = new byte[36][];
        Arrays.fill(many, segment(0, 0, 8, 0, 100));
        run(list(8, 0, nine, many)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x1A, 0x00);
        // unsupported descriptor types
        byte[] fc = cscd(naa, 512);
        fc[0] = (byte) 0xE0;
        run(list(9, 0, new byte[][] {fc}, new byte[][] {segment(0, 0, 8, 0, 100)}))
                .assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x07);
        byte[] stream = new byte[20];
        stream[0] = 0x03;
        stream[3] = 0x10;
        run(list(10, 0, new byte[][] {cscd(naa, 512)}, new byte[][] {stream}))
                .assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x09);
        // reserved LIST ID USAGE 01b; usage 11b with a list identifier
        run(list(11, 1, new byte[][] {cscd(naa, 512)}, new byte[][] {segment(0, 0, 8, 0, 100)}))
                .assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        run(list(12, 3, new byte[][] {cscd(naa, 512)}, new byte[][] {segment(0, 0, 8, 0, 100)}))
                .assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        // a reserved CDB byte
        byte[] cdb = xcopy(good.length);
        cdb[1] = 0x02;
        h.write(0, cdb, good).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);   // LID4 is not implemented
        cdb = xcopy(good.length);
        cdb[5] = 1;
        h.write(0, cdb, good).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
    }

    @Test
    void segmentRefusalsAbortTheCopy() {
        long naa = naa(0);
        byte[][] one = {cscd(naa, 512)};
        Harness.Result index = run(list(20, 0, one, new byte[][] {segment(0, 1, 8, 0, 100)}));
        index.assertSense(SenseKey.COPY_ABORTED, 0x08, 0x04);
        assertEquals(0, index.sense()[10] << 8 | index.sense()[11], "segment descriptor 0");
        assertEquals((byte) 0xA0, index.sense()[15], "SKSV, SD: a segment pointer");
        assertEquals(6, index.sense()[17], "DESTINATION CSCD DESCRIPTOR INDEX");
        run(list(21, 0, new byte[][] {cscd(naa ^ 1, 512)}, new byte[][] {segment(0, 0, 8, 0, 100)}))
                .assertSense(SenseKey.COPY_ABORTED, 0x0D, 0x02);
        run(list(22, 0, new byte[][] {cscd(naa, 4096)}, new byte[][] {segment(0, 0, 8, 0, 100)}))
                .assertSense(SenseKey.COPY_ABORTED, 0x0D, 0x02);   // the unit's block length is 512
        run(list(23, 0, one, new byte[][] {segment(0, 0, 8, 0, BLOCKS - 1)})).assertSense(SenseKey.COPY_ABORTED, 0x00, 0x00);
        run(list(24, 0, one, new byte[][] {segment(0, 0, 8, BLOCKS, 0)})).assertSense(SenseKey.COPY_ABORTED, 0x00, 0x00);
        // the first segment is done before the second fails; the results say so
        byte[] data = Harness.pattern(8 * 512, 2);
        h.write(0, Cdbs.rw16(true, 0, 8, 0), data).assertGood();
        Harness.Result second = run(list(25, 0, one, new byte[][] {segment(0, 0, 8, 0, 200), segment(0, 0, 8, 0, BLOCKS)}));
        second.assertSense(SenseKey.COPY_ABORTED, 0x00, 0x00);
        assertEquals(1, second.sense()[11], "segment descriptor 1 failed");
        assertEquals(20, second.sense()[17], "DESTINATION LOGICAL BLOCK ADDRESS");
        assertArrayEquals(data, readBlocks(0, 200, 8));
        Harness.Result status = h.read(0, rcr(0x00, 25, 64), 64);
        assertEquals(0x02, status.u8(4), "completed with errors");
        assertEquals(1, status.u16(5));
        Harness.Result details = h.read(0, rcr(0x04, 25, 128), 128);
        details.assertGood();
        assertEquals(60 + 18 - 4, details.u32(0));
        assertEquals(0x02, details.u8(56), "CHECK CONDITION");
        assertEquals(18, details.u16(58));
        assertEquals(SenseKey.COPY_ABORTED, details.u8(60 + 2) & 0x0F);
        assertEquals(1, details.u8(60 + 11), "the sense kept names segment descriptor 1");
    }

    @Test
    void writeProtectedDestination() {
        MemoryStore ro = new MemoryStore(Harness.SIZE);
        h.daemon.addLun(Harness.TARGET, 2, ro, Harness.BLOCK, new LunOptions(true, false, false, null));
        h.none(2, Cdbs.testUnitReady());
        byte[][] cscds = {cscd(naa(0), 512), cscd(naa(2), 512)};
        run(list(30, 0, cscds, new byte[][] {segment(0, 1, 8, 0, 0)})).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x00);
        run(list(31, 0, cscds, new byte[][] {segment(1, 0, 8, 0, 0)})).assertGood();   // reading it is fine
    }

    @Test
    void aFailingCopyTargetDeviceAbortsTheCopy() {
        h.daemon.addLun(Harness.TARGET, 3, new FailingStore(Harness.SIZE), Harness.BLOCK, LunOptions.DEFAULT);
        h.none(3, Cdbs.testUnitReady());
        byte[][] cscds = {cscd(naa(0), 512), cscd(naa(3), 512)};
        run(list(40, 0, cscds, new byte[][] {segment(1, 0, 8, 0, 0)})).assertSense(SenseKey.COPY_ABORTED, 0x0D, 0x01);
        run(list(41, 0, cscds, new byte[][] {segment(0, 1, 8, 0, 0)})).assertSense(SenseKey.COPY_ABORTED, 0x0D, 0x01);
    }

    @Test
    void anotherNexusReservationOfACopyTargetConflicts() {
        assertEquals(0, h.login(Harness.INITIATOR + ",i,0x23d000000002", Harness.TARGET, 8));
        h.command(8, 1, Cdbs.testUnitReady(), org.jtgt.api.event.DataDirection.NONE, 0, null);
        h.command(8, 1, new byte[] {0x16, 0, 0, 0, 0, 0}, org.jtgt.api.event.DataDirection.NONE, 0, null).assertGood();
        byte[][] cscds = {cscd(naa(0), 512), cscd(naaOf1(), 512)};
        Harness.Result r = run(list(42, 0, cscds, new byte[][] {segment(0, 1, 8, 0, 0)}));
        assertEquals(0x18, r.status(), "RESERVATION CONFLICT: LUN 1 is reserved by the other nexus");
        run(list(43, 0, cscds, new byte[][] {segment(0, 0, 8, 0, 8)})).assertGood();
    }

    @Test
    void anotherNexusPersistentReservationOfACopyTargetConflictsForWhatItProtects() {
        assertEquals(0, h.login(Harness.INITIATOR + ",i,0x23d000000003", Harness.TARGET, 9));
        h.command(9, 1, Cdbs.testUnitReady(), org.jtgt.api.event.DataDirection.NONE, 0, null);
        byte[] register = PersistentReservationTest.basicList(0, 0xABCDL, 0);
        h.command(9, 1, PersistentReservationTest.proutCdb(0x06, 0, 0, 24), org.jtgt.api.event.DataDirection.WRITE,
                24, register).assertGood();   // REGISTER AND IGNORE EXISTING KEY
        byte[] reserve = PersistentReservationTest.basicList(0xABCDL, 0, 0);
        h.command(9, 1, PersistentReservationTest.proutCdb(0x01, 0, 1, 24), org.jtgt.api.event.DataDirection.WRITE,
                24, reserve).assertGood();    // RESERVE, Write Exclusive
        byte[][] cscds = {cscd(naa(0), 512), cscd(naa(1), 512)};
        Harness.Result toReserved = run(list(44, 0, cscds, new byte[][] {segment(0, 1, 8, 0, 0)}));
        assertEquals(0x18, toReserved.status(), "RESERVATION CONFLICT: writing LUN 1, Write Exclusive by another nexus");
        run(list(45, 0, cscds, new byte[][] {segment(1, 0, 8, 0, 0)})).assertGood();   // reading it is allowed
    }

    /** LUN 1's NAA, read through the nexus that does not hold the reservation (INQUIRY is allowed). */
    private long naaOf1() {
        return naa(1);
    }

    @Test
    void aCopyTargetUnderSanitizeIsNotTouched() throws Exception {
        SanitizeTest.GateStore gated = new SanitizeTest.GateStore(Harness.SIZE);
        h.daemon.addLun(Harness.TARGET, 4, gated, Harness.BLOCK, LunOptions.DEFAULT);
        h.none(4, Cdbs.testUnitReady());
        byte[][] cscds = {cscd(naa(0), 512), cscd(naa(4), 512)};
        h.none(4, SanitizeTest.sanitize(0x80 | 0x02, 0)).assertGood();   // IMMED BLOCK ERASE, held at the gate
        org.junit.jupiter.api.Assertions.assertTrue(gated.entered.await(5, java.util.concurrent.TimeUnit.SECONDS));
        run(list(50, 0, cscds, new byte[][] {segment(0, 1, 8, 0, 0)})).assertSense(SenseKey.NOT_READY, 0x04, 0x1B);
        gated.failWrites = true;
        gated.gate.countDown();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (h.none(4, Cdbs.testUnitReady()).senseData().asc() != 0x31) {
            org.junit.jupiter.api.Assertions.assertTrue(System.nanoTime() < deadline, "the sanitize did not fail");
            Thread.sleep(5);
        }
        run(list(51, 0, cscds, new byte[][] {segment(0, 1, 8, 0, 0)})).assertSense(SenseKey.MEDIUM_ERROR, 0x31, 0x03);
    }

    @Test
    void receiveCopyResultsRefusalsAndOperatingParameters() {
        h.read(0, rcr(0x00, 77, 64), 64).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);   // no such list
        h.read(0, rcr(0x04, 77, 64), 64).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        Harness.Result sa = h.read(0, rcr(0x02, 0, 64), 64);
        sa.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(1, sa.sense()[17], "service action");
        Harness.Result op = h.read(0, rcr(0x03, 0, 1024), 1024);
        op.assertGood();
        assertEquals(46 - 4, op.u32(0));
        assertEquals(8, op.u16(8), "MAXIMUM CSCD DESCRIPTOR COUNT");
        assertEquals(8, op.u16(10), "MAXIMUM SEGMENT DESCRIPTOR COUNT");
        assertEquals(1024, op.u32(12), "MAXIMUM DESCRIPTOR LIST LENGTH");
        assertEquals(32 << 20, op.u32(16), "MAXIMUM SEGMENT LENGTH");
        assertEquals(0, op.u32(20), "MAXIMUM INLINE DATA LENGTH");
        assertEquals(16, op.u8(36), "MAXIMUM CONCURRENT COPIES");
        assertEquals(2, op.u8(43));
        assertEquals(0x02, op.u8(44));
        assertEquals(0xE4, op.u8(45));
    }

    @Test
    void thirdPartyCopyVpdPage() {
        Harness.Result r = h.read(0, Cdbs.inquiry(true, 0x8F, 1024), 1024);
        r.assertGood();
        assertEquals(0x8F, r.u8(1));
        assertEquals(r.data().length - 4, r.u16(2));
        int p = 4;
        assertEquals(0x0000, r.u16(p), "Block Device ROD Limits (TokenCopyTest)");
        p += 4 + r.u16(p + 2);
        assertEquals(0x0001, r.u16(p), "Supported Commands");
        assertEquals(0x83, r.u8(p + 5));
        assertEquals(0x84, r.u8(p + 10));
        p += 4 + r.u16(p + 2);
        assertEquals(0x0004, r.u16(p), "Parameter Data");
        assertEquals(8, r.u16(p + 8));
        assertEquals(1024, r.u32(p + 12));
        p += 4 + r.u16(p + 2);
        assertEquals(0x0008, r.u16(p), "Supported Descriptors");
        assertEquals(2, r.u8(p + 4));
        assertEquals(0x02, r.u8(p + 5));
        assertEquals(0xE4, r.u8(p + 6));
        p += 4 + r.u16(p + 2);
        assertEquals(0x0106, r.u16(p), "ROD Token Features (TokenCopyTest)");
        p += 4 + r.u16(p + 2);
        assertEquals(0x0108, r.u16(p), "Supported ROD Types (TokenCopyTest)");
        p += 4 + r.u16(p + 2);
        assertEquals(0x8001, r.u16(p), "General Copy Operations");
        assertEquals(32 << 20, r.u32(p + 12));
        assertEquals(r.data().length, p + 4 + r.u16(p + 2));
    }

    @Test
    void listIdentifiersInProgressAreRefusedAndTheTableIsBounded() {
        CopyOperations t = new CopyOperations();
        SenseReason[] refusal = new SenseReason[1];
        CopyOperations.Operation first = t.begin(1, refusal);
        assertNotNull(first);
        assertNull(t.begin(1, refusal));
        assertSame(SenseReason.OPERATION_IN_PROGRESS, refusal[0]);
        t.end(first, 0, null, 0);
        assertSame(first, t.begin(1, refusal), "a completed list identifier is reused");
        for (int i = 2; i <= CopyOperations.CAPACITY; i++) {
            assertNotNull(t.begin(i, refusal));
        }
        assertNull(t.begin(100, refusal));
        assertSame(SenseReason.INSUFFICIENT_RESOURCES, refusal[0]);
        t.end(first, 0, null, 0);
        assertSame(first, t.begin(100, refusal), "the oldest completed operation makes room");
    }
}
