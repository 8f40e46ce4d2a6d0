package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/** READ and WRITE (6/10/12/16): data, range, residuals, protection and failures. */
class ReadWriteTest {
    private final Harness h = Harness.withLun();
    private static final int BS = Harness.BLOCK;
    private static final long BLOCKS = Harness.SIZE / BS;

    @Test
    void writeThenReadWithEveryCdbSize() {
        byte[] p6 = Harness.pattern(2 * BS, 6);
        h.write(0, Cdbs.rw6(true, 10, 2), p6).assertGood();
        byte[] p10 = Harness.pattern(3 * BS, 10);
        h.write(0, Cdbs.rw10(true, 100, 3, 0), p10).assertGood();
        byte[] p12 = Harness.pattern(4 * BS, 12);
        h.write(0, Cdbs.rw12(true, 1000, 4, 0), p12).assertGood();
        byte[] p16 = Harness.pattern(BS, 16);
        h.write(0, Cdbs.rw16(true, BLOCKS - 1, 1, 0), p16).assertGood();

        assertArrayEquals(p6, h.read(0, Cdbs.rw16(false, 10, 2, 0), 2 * BS).data());
        assertArrayEquals(p10, h.read(0, Cdbs.rw6(false, 100, 3), 3 * BS).data());
        assertArrayEquals(p12, h.read(0, Cdbs.rw10(false, 1000, 4, 0), 4 * BS).data());
        assertArrayEquals(p16, h.read(0, Cdbs.rw12(false, BLOCKS - 1, 1, 0), BS).data());
        assertArrayEquals(p10, Arrays.copyOfRange(h.store.bytes, 100 * BS, 103 * BS), "the bytes are in the store");
    }

    @Test
    void read6WithLengthZeroReads256Blocks() {
        byte[] p = Harness.pattern(256 * BS, 3);
        h.write(0, Cdbs.rw10(true, 5, 256, 0), p).assertGood();
        Harness.Result r = h.read(0, Cdbs.rw6(false, 5, 0), 256 * BS);
        r.assertGood();
        assertEquals(0, r.residual());
        assertArrayEquals(p, r.data());
        byte[] q = Harness.pattern(256 * BS, 4);
        h.write(0, Cdbs.rw6(true, 600, 0), q).assertGood();
        assertArrayEquals(q, Arrays.copyOfRange(h.store.bytes, 600 * BS, 856 * BS), "WRITE(6) length 0 = 256 blocks too");
    }

    @Test
    void zeroBlocksIsNotAnError() {
        Harness.Result r = h.read(0, Cdbs.rw10(false, BLOCKS, 0, 0), 0);
        r.assertGood();
        assertEquals(0, r.data().length);
        h.write(0, Cdbs.rw16(true, 0, 0, 0), new byte[0]).assertGood();
    }

    @Test
    void outOfRange() {
        h.read(0, Cdbs.rw10(false, BLOCKS, 1, 0), BS).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        h.read(0, Cdbs.rw10(false, BLOCKS - 1, 2, 0), 2 * BS).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        h.read(0, Cdbs.rw10(false, BLOCKS + 1, 0, 0), 0).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        h.read(0, Cdbs.rw16(false, 0x8000_0000_0000_0000L, 1, 0), BS).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        h.write(0, Cdbs.rw12(true, 0xFFFF_FFFFL, 1, 0), new byte[BS]).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
    }

    @Test
    void lbaNearTwoToTheSixtyFourDoesNotWrapAround() {
        // lba + blocks overflows 64 bits: a naive lba + blocks <= capacity check would pass
        h.read(0, Cdbs.rw16(false, -1L, 1, 0), BS).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        h.read(0, Cdbs.rw16(false, -2L, 4, 0), 4 * BS).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        h.write(0, Cdbs.rw16(true, -256L, 0x100, 0), new byte[256 * BS]).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
    }

    @Test
    void transferLongerThanBlockLimitsIsAnInvalidField() {
        Harness small = new Harness(new TargetDaemon(64 * 1024));
        small.daemon.createTarget(Harness.TARGET);
        small.daemon.addLun(Harness.TARGET, 0, new MemoryStore(Harness.SIZE), BS, null);
        small.login(Harness.INITIATOR, Harness.TARGET, Harness.NEXUS);
        small.read(0, Cdbs.rw10(false, 0, 128, 0), 128 * BS).assertGood();
        Harness.Result r = small.read(0, Cdbs.rw10(false, 0, 129, 0), 129 * BS);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals(7, r.sense()[17], "field pointer at TRANSFER LENGTH");
    }

    @Test
    void protectionInformationFieldsAreRefused() {
        Harness.Result r = h.read(0, Cdbs.rw10(false, 0, 1, 0x20), BS);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        assertEquals((byte) (0xC0 | 0x08 | 7), r.sense()[15], "bit pointer at RDPROTECT's MSB");
        assertEquals(1, r.sense()[17]);
        h.write(0, Cdbs.rw16(true, 0, 1, 0x40), new byte[BS]).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
    }

    @Test
    void fuaWritesThrough() {
        h.write(0, Cdbs.rw10(true, 0, 1, 0x08), new byte[BS]).assertGood();
        h.write(0, Cdbs.rw10(true, 0, 1, 0), new byte[BS]).assertGood();
        assertEquals(1, h.store.fuaWrites);
        h.read(0, Cdbs.rw10(false, 0, 1, 0x08), BS).assertGood();
    }

    @Test
    void readOnlyLunRefusesWrites() {
        Harness ro = Harness.withLun(new LunOptions(true, false, false, null));
        ro.write(0, Cdbs.rw10(true, 0, 1, 0), new byte[BS]).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x00);
        ro.write(0, Cdbs.rw6(true, 0, 1), new byte[BS]).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x00);
        ro.read(0, Cdbs.rw10(false, 0, 1, 0), BS).assertGood();
    }

    @Test
    void backingStoreFailureIsAMediumError() {
        Harness f = new Harness();
        f.daemon.createTarget(Harness.TARGET);
        f.daemon.addLun(Harness.TARGET, 0, new FailingStore(Harness.SIZE), BS, null);
        f.login(Harness.INITIATOR, Harness.TARGET, Harness.NEXUS);
        Harness.Result r = f.read(0, Cdbs.rw10(false, 42, 1, 0), BS);
        r.assertSense(SenseKey.MEDIUM_ERROR, 0x11, 0x00);
        assertEquals((byte) 0xF0, r.sense()[0], "VALID: INFORMATION holds the LBA");
        assertEquals(42, r.sense()[6]);
        assertEquals(0, r.data().length);
        f.write(0, Cdbs.rw10(true, 0, 1, 0), new byte[BS]).assertSense(SenseKey.MEDIUM_ERROR, 0x0C, 0x00);
        f.none(0, Cdbs.synchronizeCache10(0, 0)).assertSense(SenseKey.MEDIUM_ERROR, 0x0C, 0x00);
        f.none(0, Cdbs.testUnitReady()).assertGood();
    }

    @Test
    void readUnderflowAndOverflowResiduals() {
        byte[] p = Harness.pattern(4 * BS, 9);
        h.write(0, Cdbs.rw10(true, 0, 4, 0), p).assertGood();
        Harness.Result under = h.read(0, Cdbs.rw10(false, 0, 2, 0), 4 * BS);
        under.assertGood();
        assertEquals(2 * BS, under.residual(), "expected 4 blocks, the CDB wanted 2");
        assertArrayEquals(Arrays.copyOf(p, 2 * BS), under.data());
        Harness.Result over = h.read(0, Cdbs.rw10(false, 0, 4, 0), BS + 100);
        over.assertGood();
        assertEquals(BS + 100 - 4 * BS, over.residual(), "negative: overflow");
        assertArrayEquals(Arrays.copyOf(p, BS + 100), over.data(), "only the expected length is transferred");
    }

    @Test
    void writeUnderflowWritesTheCdbLengthOnly() {
        byte[] old = Harness.pattern(2 * BS, 1);
        h.write(0, Cdbs.rw10(true, 0, 2, 0), old).assertGood();
        byte[] more = Harness.pattern(2 * BS, 2);
        Harness.Result r = h.write(0, Cdbs.rw10(true, 0, 1, 0), more);
        r.assertGood();
        assertEquals(BS, r.residual());
        assertArrayEquals(Arrays.copyOf(more, BS), Arrays.copyOfRange(h.store.bytes, 0, BS));
        assertArrayEquals(Arrays.copyOfRange(old, BS, 2 * BS), Arrays.copyOfRange(h.store.bytes, BS, 2 * BS), "block 1 untouched");
    }

    @Test
    void writeOverflowWritesTheExpectedLengthOnly() {
        byte[] old = Harness.pattern(2 * BS, 1);
        h.write(0, Cdbs.rw10(true, 0, 2, 0), old).assertGood();
        byte[] partial = Harness.pattern(200, 5);
        Harness.Result r = h.write(0, Cdbs.rw10(true, 0, 2, 0), partial);
        r.assertGood();
        assertEquals(200 - 2 * BS, r.residual());
        assertArrayEquals(partial, Arrays.copyOfRange(h.store.bytes, 0, 200));
        assertArrayEquals(Arrays.copyOfRange(old, 200, 2 * BS), Arrays.copyOfRange(h.store.bytes, 200, 2 * BS));
        Harness.Result none = h.command(Harness.NEXUS, 0, Cdbs.rw10(true, 0, 1, 0), DataDirection.NONE, 0, null);
        none.assertGood();
        assertEquals(-BS, none.residual(), "EDTL 0: overflow by a block, nothing written");
    }

    @Test
    void unknownLunIsLogicalUnitNotSupported() {
        h.read(3, Cdbs.rw10(false, 0, 1, 0), BS).assertSense(SenseKey.ILLEGAL_REQUEST, 0x25, 0x00);
        h.none(3, Cdbs.testUnitReady()).assertSense(SenseKey.ILLEGAL_REQUEST, 0x25, 0x00);
    }

    @Test
    void invalidOpcode() {
        byte[] cdb = new byte[10];
        cdb[0] = (byte) 0x3B;   // WRITE BUFFER: not implemented
        Harness.Result r = h.none(0, cdb);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x20, 0x00);
        byte[] vendor = new byte[16];
        vendor[0] = (byte) 0xC0;
        h.none(0, vendor).assertSense(SenseKey.ILLEGAL_REQUEST, 0x20, 0x00);
    }

    @Test
    void synchronizeCacheFlushesAndChecksTheRange() {
        h.none(0, Cdbs.synchronizeCache10(0, 0)).assertGood();
        h.none(0, Cdbs.synchronizeCache16(BLOCKS - 1, 1)).assertGood();
        assertEquals(2, h.store.flushes);
        h.none(0, Cdbs.synchronizeCache10(BLOCKS, 1)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        h.none(0, Cdbs.synchronizeCache16(-1L, 1)).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
    }

    @Test
    void fourKilobyteBlocks() {
        Harness k = new Harness();
        k.daemon.createTarget(Harness.TARGET);
        MemoryStore s = new MemoryStore(64 * 4096);
        k.daemon.addLun(Harness.TARGET, 0, s, 4096, null);
        k.login(Harness.INITIATOR, Harness.TARGET, Harness.NEXUS);
        byte[] p = Harness.pattern(2 * 4096, 8);
        k.write(0, Cdbs.rw10(true, 62, 2, 0), p).assertGood();
        assertArrayEquals(p, Arrays.copyOfRange(s.bytes, 62 * 4096, 64 * 4096));
        k.read(0, Cdbs.rw10(false, 63, 2, 0), 2 * 4096).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
    }
}
