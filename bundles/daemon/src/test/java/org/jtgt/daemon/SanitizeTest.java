package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/** SANITIZE: OVERWRITE, BLOCK ERASE, EXIT FAILURE MODE, IMMED and the state around them. */
class SanitizeTest {
    private static final long BLOCKS = Harness.SIZE / Harness.BLOCK;
    private static final LunOptions THIN = new LunOptions(false, false, true, null);

    static byte[] sanitize(int byte1, int parameterLength) {
        byte[] c = new byte[10];
        c[0] = 0x48;
        c[1] = (byte) byte1;
        Cdbs.be(c, 7, parameterLength, 2);
        return c;
    }

    static byte[] overwriteList(int byte0, byte[] pattern) {
        byte[] p = new byte[4 + pattern.length];
        p[0] = (byte) byte0;
        Cdbs.be(p, 2, pattern.length, 2);
        System.arraycopy(pattern, 0, p, 4, pattern.length);
        return p;
    }

    static byte[] filled(int length, byte[] pattern) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = pattern[(i % 512) % pattern.length];
        }
        return b;
    }

    private static void fill(Harness h) {
        h.write(0, Cdbs.rw16(true, 0, 8, 0), Harness.pattern(8 * 512, 1)).assertGood();
        h.write(0, Cdbs.rw16(true, BLOCKS - 8, 8, 0), Harness.pattern(8 * 512, 2)).assertGood();
    }

    private static byte[] read(Harness h, long lba, int blocks) {
        Harness.Result r = h.read(0, Cdbs.rw16(false, lba, blocks, 0), blocks * 512);
        r.assertGood();
        return r.data();
    }

    @Test
    void overwriteWritesThePatternOverEveryBlock() {
        Harness h = Harness.withLun();
        fill(h);
        byte[] pattern = {(byte) 0xAA, 0x55, 0x0F};   // 3 bytes: every block starts the pattern again
        byte[] list = overwriteList(1, pattern);
        h.write(0, sanitize(0x01, list.length), list).assertGood();
        byte[] expected = filled(8 * 512, pattern);
        assertArrayEquals(expected, read(h, 0, 8));
        assertArrayEquals(expected, read(h, BLOCKS - 8, 8));
        assertArrayEquals(filled(Harness.SIZE, pattern), h.store.bytes, "every byte of the medium");
        assertTrue(h.store.flushes > 0, "made stable");
    }

    @Test
    void overwriteWithInvertAlternatesThePattern() {
        Harness h = Harness.withLun();
        byte[] block = Harness.pattern(512, 3);
        byte[] inverted = block.clone();
        for (int i = 0; i < inverted.length; i++) {
            inverted[i] = (byte) ~inverted[i];
        }
        byte[] list = overwriteList(0x80 | 2, block);   // INVERT, two passes: the last one inverted
        h.write(0, sanitize(0x01, list.length), list).assertGood();
        assertArrayEquals(inverted, read(h, 7, 1));
        list = overwriteList(0x80 | 3, block);
        h.write(0, sanitize(0x01, list.length), list).assertGood();
        assertArrayEquals(block, read(h, BLOCKS - 1, 1));
    }

    @Test
    void overwriteParameterRefusals() {
        Harness h = Harness.withLun();
        fill(h);
        byte[] good = overwriteList(1, new byte[512]);
        for (int length = 0; length <= 4; length++) {
            Harness.Result r = h.write(0, sanitize(0x01, length), Arrays.copyOf(good, Math.max(length, 1)));
            r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
            assertEquals(7, r.sense()[17]);
        }
        h.write(0, sanitize(0x01, 512 + 5), Arrays.copyOf(good, 517)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        h.write(0, sanitize(0x01, 516), overwriteList(0, new byte[512])).assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        h.write(0, sanitize(0x01, 516), overwriteList(0x21, new byte[512])).assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        byte[] zeroPattern = good.clone();
        zeroPattern[2] = 0;
        zeroPattern[3] = 0;
        h.write(0, sanitize(0x01, 516), zeroPattern).assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        byte[] tooLong = good.clone();
        Cdbs.be(tooLong, 2, 516, 2);
        h.write(0, sanitize(0x01, 516), tooLong).assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        byte[] shortPattern = good.clone();
        Cdbs.be(shortPattern, 2, 100, 2);
        h.write(0, sanitize(0x01, 516), shortPattern).assertSense(SenseKey.ILLEGAL_REQUEST, 0x1A, 0x00);
        assertArrayEquals(Harness.pattern(8 * 512, 1), read(h, 0, 8), "nothing was overwritten");
    }

    @Test
    void blockEraseDeallocatesAThinUnit() {
        ThinStore store = new ThinStore(Harness.SIZE);
        Harness h = Harness.withLun(new Harness(), THIN, store);
        fill(h);
        h.none(0, sanitize(0x02, 0)).assertGood();
        assertArrayEquals(new byte[8 * 512], read(h, 0, 8));
        assertArrayEquals(new byte[8 * 512], read(h, BLOCKS - 8, 8));
        Harness.Result lbas = h.read(0, new byte[] {(byte) 0x9E, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}, 256);
        lbas.assertGood();
        assertEquals(8 + 16 - 4, lbas.u32(0), "one descriptor");
        assertEquals(BLOCKS, lbas.u32(16), "the whole medium");
        assertEquals(1, lbas.u8(20), "deallocated");
        assertEquals(0x40, h.read(0, Cdbs.inquiry(true, 0xB1, 64), 64).u8(7), "WABEREQ 01b, WACEREQ 00b");
    }

    @Test
    void blockEraseZeroesAFullUnit() {
        Harness h = Harness.withLun();
        fill(h);
        h.none(0, sanitize(0x02, 0)).assertGood();
        assertArrayEquals(new byte[Harness.SIZE], h.store.bytes);
        h.write(0, sanitize(0x02, 8), new byte[8]).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
    }

    @Test
    void cdbRefusals() {
        Harness h = Harness.withLun();
        for (int sa : new int[] {0x00, 0x03, 0x04, 0x10, 0x1E}) {
            Harness.Result r = h.none(0, sanitize(sa, 0));
            r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
            assertEquals((byte) (0xC0 | 0x08 | 4), r.sense()[15], "service action field");
        }
        Harness.Result r = h.none(0, sanitize(0x40 | 0x02, 0));
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals((byte) (0xC0 | 0x08 | 6), r.sense()[15]);
        for (int i = 2; i < 7; i++) {
            byte[] cdb = sanitize(0x02, 0);
            cdb[i] = 1;
            Harness.Result b = h.none(0, cdb);
            b.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
            assertEquals(i, b.sense()[17]);
        }
        h.write(0, sanitize(0x1F, 8), new byte[8]).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        h.none(0, sanitize(0x1F, 0)).assertGood();   // no failure mode to leave
    }

    @Test
    void writeProtectedUnitRefusesSanitize() {
        Harness h = Harness.withLun(new LunOptions(true, false, false, null));
        byte[] list = overwriteList(1, new byte[4]);
        h.write(0, sanitize(0x01, list.length), list).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x00);
        h.none(0, sanitize(0x02, 0)).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x00);
    }

    @Test
    void reservationConflict() {
        Harness h = Harness.withLun();
        org.junit.jupiter.api.Assertions.assertEquals(0, h.login(Harness.INITIATOR + ",i,0x23d000000002", Harness.TARGET, 8));
        h.command(8, 0, Cdbs.testUnitReady(), org.jtgt.api.event.DataDirection.NONE, 0, null);
        h.command(8, 0, new byte[] {0x16, 0, 0, 0, 0, 0}, org.jtgt.api.event.DataDirection.NONE, 0, null).assertGood();
        assertEquals(0x18, h.none(0, sanitize(0x02, 0)).status(), "RESERVATION CONFLICT");
    }

    /** A store whose writes wait at a gate, so a sanitize can be watched while it runs. */
    static final class GateStore extends MemoryStore {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch gate = new CountDownLatch(1);
        volatile boolean failWrites;

        GateStore(int size) {
            super(size);
        }

        @Override
        public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
            entered.countDown();
            try {
                gate.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (failWrites) {
                throw new IOException("write failed at " + offset);
            }
            super.write(offset, src, fua);
        }
    }

    @Test
    void immedReturnsAtOnceAndOtherCommandsSeeSanitizeInProgress() throws Exception {
        GateStore store = new GateStore(Harness.SIZE);
        Harness h = Harness.withLun(new Harness(), LunOptions.DEFAULT, store);
        byte[] list = overwriteList(1, new byte[] {0x5A});
        h.write(0, sanitize(0x80 | 0x01, list.length), list).assertGood();   // IMMED
        assertTrue(store.entered.await(5, TimeUnit.SECONDS));
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.NOT_READY, 0x04, 0x1B);
        h.read(0, Cdbs.rw10(false, 0, 1, 0), 512).assertSense(SenseKey.NOT_READY, 0x04, 0x1B);
        h.none(0, new byte[] {0x1B, 0, 0, 0, 1, 0}).assertSense(SenseKey.NOT_READY, 0x04, 0x1B);   // START STOP UNIT
        h.none(0, sanitize(0x02, 0)).assertSense(SenseKey.NOT_READY, 0x04, 0x1B);
        h.read(0, Cdbs.inquiry(false, 0, 96), 96).assertGood();
        h.read(0, Cdbs.reportLuns(0, 64), 64).assertGood();
        h.none(0, new byte[] {0x02, 0, 0, 0, 0, 0}).assertSense(SenseKey.ILLEGAL_REQUEST, 0x20, 0x00);   // still unknown
        Harness.Result sense = h.read(0, Cdbs.requestSense(18), 18);
        sense.assertGood();
        assertEquals(SenseKey.NOT_READY, sense.u8(2) & 0x0F);
        assertEquals(0x04, sense.u8(12));
        assertEquals(0x1B, sense.u8(13));
        assertEquals(0x80, sense.u8(15), "SKSV: progress indication");
        store.gate.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (h.none(0, Cdbs.testUnitReady()).status() != 0) {
            assertTrue(System.nanoTime() < deadline, "sanitize did not finish");
            Thread.sleep(5);
        }
        byte[] expected = new byte[512];
        Arrays.fill(expected, (byte) 0x5A);
        assertArrayEquals(expected, read(h, BLOCKS - 1, 1));
        assertEquals(0, h.read(0, Cdbs.requestSense(18), 18).u8(2) & 0x0F, "NO SENSE once done");
    }

    @Test
    void withoutImmedTheAnswerComesWhenTheOperationEndsAndOtherCommandsGoOnMeanwhile() throws Exception {
        GateStore store = new GateStore(Harness.SIZE);
        Harness h = Harness.withLun(new Harness(), LunOptions.DEFAULT, store);
        long cid = h.nextCid++;
        h.autoDone = false;
        org.jtgt.api.event.CmdReqEvent.write(h.event, 0, Harness.HOST, cid, Harness.NEXUS, LunAddress.encode(0),
                sanitize(0x02, 0), 10, h.nextTag++, 0, 0, 0, org.jtgt.api.event.DataDirection.NONE.code(),
                org.jtgt.api.event.TaskAttribute.SIMPLE.code(), 0);
        int before = h.endpoint.sent.size();
        h.deliver(org.jtgt.api.event.CmdReqEvent.LENGTH);
        assertEquals(before, h.endpoint.sent.size(), "not answered while the operation runs");
        h.autoDone = true;
        // the delivering thread is free: other commands are answered, with SANITIZE IN PROGRESS
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.NOT_READY, 0x04, 0x1B);
        assertEquals(org.jtgt.api.event.TmfResponse.FUNCTION_SUCCEEDED,
                h.tmf(org.jtgt.api.event.TaskManagementFunction.QUERY_TASK, 0, h.nextTag - 2), "the task is still there");
        int answered = h.endpoint.sent.size();
        store.gate.countDown();
        h.awaitAnswers(answered + 1);
        java.nio.ByteBuffer rsp = java.nio.ByteBuffer.wrap(h.endpoint.sent.get(answered));
        assertEquals(cid, org.jtgt.api.event.CmdRspEvent.cid(rsp, 0));
        assertEquals(0, org.jtgt.api.event.CmdRspEvent.status(rsp, 0), "GOOD once the block erase is done");
        h.done(cid);
        h.none(0, Cdbs.testUnitReady()).assertGood();
    }

    @Test
    void aFailedSanitizeLeavesFailureModeUntilExitedOrRepeated() {
        GateStore store = new GateStore(Harness.SIZE);
        store.gate.countDown();
        Harness h = Harness.withLun(new Harness(), LunOptions.DEFAULT, store);
        store.failWrites = true;
        byte[] list = overwriteList(1, new byte[] {1});
        h.write(0, sanitize(0x01, list.length), list).assertSense(SenseKey.MEDIUM_ERROR, 0x31, 0x03);
        h.read(0, Cdbs.rw10(false, 0, 1, 0), 512).assertSense(SenseKey.MEDIUM_ERROR, 0x31, 0x03);
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.MEDIUM_ERROR, 0x31, 0x03);
        h.read(0, Cdbs.inquiry(false, 0, 96), 96).assertGood();
        Harness.Result sense = h.read(0, Cdbs.requestSense(18), 18);
        assertEquals(SenseKey.MEDIUM_ERROR, sense.u8(2) & 0x0F);
        assertEquals(0x31, sense.u8(12));
        assertEquals(0x03, sense.u8(13));
        h.none(0, sanitize(0x1F, 0)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);   // AUSE was 0
        store.failWrites = false;
        h.write(0, sanitize(0x01, list.length), list).assertGood();   // a successful sanitize ends it
        h.none(0, Cdbs.testUnitReady()).assertGood();
        store.failWrites = true;
        h.write(0, sanitize(0x20 | 0x01, list.length), list).assertSense(SenseKey.MEDIUM_ERROR, 0x31, 0x03);   // AUSE
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.MEDIUM_ERROR, 0x31, 0x03);
        h.none(0, sanitize(0x1F, 0)).assertGood();
        h.none(0, Cdbs.testUnitReady()).assertGood();
    }

    /** A store that throws something other than an IOException: the sanitize fails, it never reads as done. */
    @Test
    void aStoreThatThrowsFailsTheSanitizeInsteadOfAnsweringGood() {
        MemoryStore store = new MemoryStore(Harness.SIZE) {
            @Override
            public void write(long offset, ByteBuffer src, boolean fua) {
                throw new IllegalStateException("store bug at " + offset);
            }
        };
        Harness h = Harness.withLun(new Harness(), LunOptions.DEFAULT, store);
        byte[] list = overwriteList(1, new byte[] {1});
        h.write(0, sanitize(0x01, list.length), list).assertSense(SenseKey.MEDIUM_ERROR, 0x31, 0x03);
        h.none(0, Cdbs.testUnitReady()).assertSense(SenseKey.MEDIUM_ERROR, 0x31, 0x03);
    }

    @Test
    void reportedInSupportedOperationCodes() {
        Harness h = Harness.withLun();
        for (int sa : new int[] {0x01, 0x02, 0x1F}) {
            byte[] cdb = {(byte) 0xA3, 0x0C, 0x02, 0x48, 0, (byte) sa, 0, 0, 0, 64, 0, 0};
            Harness.Result r = h.read(0, cdb, 64);
            r.assertGood();
            assertEquals(3, r.u8(1) & 0x07, "supported");
            assertEquals(10, r.u16(2), "CDB size");
        }
        byte[] crypto = {(byte) 0xA3, 0x0C, 0x02, 0x48, 0, 0x03, 0, 0, 0, 64, 0, 0};
        assertEquals(1, h.read(0, crypto, 64).u8(1) & 0x07, "CRYPTOGRAPHIC ERASE is not supported");
    }
}
