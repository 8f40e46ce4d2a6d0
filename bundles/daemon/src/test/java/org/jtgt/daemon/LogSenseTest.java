package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;


import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/** LOG SENSE (SPC-4 6.7): supported pages and the Logical Block Provisioning page (SBC-4). */
class LogSenseTest {
    /** A 1 MiB thin store that says it holds {@code used} bytes and could take {@code available} more. */
    private static final class SpaceStore extends MemoryStore {
        long used;
        long available;
        boolean shared = true;

        SpaceStore(int size) {
            super(size);
        }

        @Override public long allocatedBytes() { return used; }
        @Override public long availableBytes() { return available; }
        @Override public boolean sharesSpace() { return shared; }
        @Override public boolean freesSpace() { return true; }
    }

    private final SpaceStore store = new SpaceStore(Harness.SIZE);
    private final Harness h = Harness.withLun(new Harness(), new LunOptions(false, false, true, null), store);

    static byte[] logSense(int pc, int page, int subpage, int pointer, int allocation) {
        return new byte[] {0x4D, 0, (byte) (pc << 6 | page), (byte) subpage, 0, (byte) (pointer >> 8), (byte) pointer,
            (byte) (allocation >> 8), (byte) allocation, 0};
    }

    @Test
    void supportedPagesListTheProvisioningPage() {
        Harness.Result r = h.read(0, logSense(1, 0, 0, 0, 64), 64);
        r.assertGood();
        assertArrayEquals(new byte[] {0, 0, 0, 2, 0x00, 0x0C}, r.data());
        Harness.Result sub = h.read(0, logSense(1, 0, 0xFF, 0, 64), 64);
        sub.assertGood();
        assertArrayEquals(new byte[] {0x40, (byte) 0xFF, 0, 6, 0, 0, 0, (byte) 0xFF, 0x0C, 0}, sub.data());
    }

    @Test
    void provisioningPageCountsInTheVpdPagesThresholdSets() {
        store.used = 3 * (1 << 20) / 2 + 1;   // 1.5 MiB and a byte: 2 sets of 1 MiB, rounded up
        store.available = 5L << 20;           // 5 sets
        Harness.Result vpd = h.read(0, Cdbs.inquiry(true, 0xB2, 64), 64);
        int exponent = vpd.u8(4);
        assertEquals(11, exponent, "1 MiB sets of 512-byte blocks");
        Harness.Result r = h.read(0, logSense(1, 0x0C, 0, 0, 255), 255);
        r.assertGood();
        assertEquals(0x80 | 0x0C, r.u8(0), "DS, page 0Ch");
        assertEquals(24, r.u16(2));
        assertEquals(1, r.u16(4), "available LBA mapping resource count");
        assertEquals(0x23, r.u8(6), "TSD, binary list");
        assertEquals(8, r.u8(7));
        assertEquals(5, r.u32(8));
        assertEquals(0x2, r.u8(12) & 0x3, "shared with other units");
        assertEquals(2, r.u16(16), "used");
        assertEquals(2, r.u32(20));
        assertEquals(0x1, r.u8(24) & 0x3, "dedicated");

        Harness.Result from2 = h.read(0, logSense(1, 0x0C, 0, 2, 255), 255);
        assertEquals(12, from2.u16(2), "the parameter pointer skips the available count");
        assertEquals(2, from2.u16(4));
    }

    @Test
    void figuresTheStoreCannotTellAreLeftOut() {
        store.used = -1;
        store.available = -1;
        Harness.Result r = h.read(0, logSense(1, 0x0C, 0, 0, 255), 255);
        r.assertGood();
        assertEquals(4, r.data().length);
        assertEquals(0, r.u16(2));
    }

    @Test
    void refusals() {
        byte[] save = logSense(1, 0x0C, 0, 0, 255);
        save[1] = 1;
        h.read(0, save, 255).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        h.read(0, logSense(1, 0x0D, 0, 0, 255), 255).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        h.read(0, logSense(1, 0x0C, 3, 0, 255), 255).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        h.read(0, logSense(1, 0x0C, 0, 3, 255), 255).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        Harness.Result cut = h.read(0, logSense(1, 0x0C, 0, 0, 8), 8);
        cut.assertGood();
        assertEquals(8, cut.data().length, "the allocation length cuts the page");
        assertEquals(24, cut.u16(2), "the page length still says the whole page");
    }
}
