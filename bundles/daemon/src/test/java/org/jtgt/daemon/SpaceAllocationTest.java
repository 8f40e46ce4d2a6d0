package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.store.SpaceAllocationFailedException;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.TargetAdminException;
import org.junit.jupiter.api.Test;

/**
 * A store that runs out of space: writes of a thin unit answer DATA PROTECT, SPACE ALLOCATION
 * FAILED WRITE PROTECT (27h/07h, SBC-4 4.7.3.6) and what was written stays readable; a fully
 * provisioned unit is refused when it is added (or switched from thin) if its store cannot
 * reserve its capacity.
 */
class SpaceAllocationTest {
    private static final LunOptions THIN = new LunOptions(false, false, true, null);
    private static final LunOptions FULL = LunOptions.DEFAULT;
    private static final int UNIT_BLOCKS = ThinStore.UNIT / Harness.BLOCK;

    /**
     * A thin store with room for {@code units} allocation units: a write that would map more
     * stores nothing and throws, as the memory store does when its budget is used up; full
     * provisioning needs room for every unit.
     */
    static final class BudgetedStore extends ThinStore {
        final int units;
        boolean full;

        BudgetedStore(int size, int units) {
            super(size);
            this.units = units;
        }

        @Override
        public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
            int n = src.remaining();
            if (!full && n > 0) {
                int newUnits = 0;
                for (long u = offset / UNIT; u <= (offset + n - 1) / UNIT; u++) {
                    newUnits += mapped.get((int) u) ? 0 : 1;
                }
                if (mapped.cardinality() + newUnits > units) {
                    throw new SpaceAllocationFailedException("no room for " + newUnits + " more unit(s)");
                }
            }
            super.write(offset, src, fua);
        }

        @Override
        public void provision(boolean fullyProvisioned) throws IOException {
            if (fullyProvisioned && (long) units * UNIT < bytes.length) {
                throw new SpaceAllocationFailedException("room for " + units * UNIT + " bytes, not " + bytes.length);
            }
            full = fullyProvisioned;
        }
    }

    @Test
    void aThinUnitOutOfSpaceAnswersSpaceAllocationFailedAndKeepsWhatItHas() {
        BudgetedStore store = new BudgetedStore(Harness.SIZE, 4);
        Harness h = Harness.withLun(new Harness(), THIN, store);
        byte[] data = Harness.pattern(4 * ThinStore.UNIT, 3);
        h.write(0, Cdbs.rw16(true, 0, 4 * UNIT_BLOCKS, 0), data).assertGood();

        byte[] more = Harness.pattern(ThinStore.UNIT, 4);
        long beyond = 64;
        h.write(0, Cdbs.rw16(true, beyond, UNIT_BLOCKS, 0), more)
                .assertSense(SenseKey.DATA_PROTECT, 0x27, 0x07);
        h.write(0, Cdbs.rw10(true, beyond, UNIT_BLOCKS, 0), more).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x07);

        // Everything written before reads back; the refused range still reads zeros.
        Harness.Result back = h.read(0, Cdbs.rw16(false, 0, 4 * UNIT_BLOCKS, 0), data.length);
        back.assertGood();
        assertArrayEquals(data, back.data());
        Harness.Result refused = h.read(0, Cdbs.rw16(false, beyond, UNIT_BLOCKS, 0), more.length);
        refused.assertGood();
        assertArrayEquals(new byte[more.length], refused.data());
        // Writes to mapped blocks go on succeeding.
        h.write(0, Cdbs.rw16(true, 1, 1, 0), Harness.pattern(512, 9)).assertGood();

        // UNMAP gives a unit back, and the write that was refused now succeeds.
        byte[] list = UnmapTest.unmapList(0, UNIT_BLOCKS);
        h.write(0, UnmapTest.unmapCdb(list.length, 0), list).assertGood();
        h.write(0, Cdbs.rw16(true, beyond, UNIT_BLOCKS, 0), more).assertGood();
        Harness.Result now = h.read(0, Cdbs.rw16(false, beyond, UNIT_BLOCKS, 0), more.length);
        assertArrayEquals(more, now.data());
    }

    @Test
    void everyWriteCommandAnswersTheSameWhenTheStoreHasNoSpace() {
        BudgetedStore store = new BudgetedStore(Harness.SIZE, 0);
        Harness h = Harness.withLun(new Harness(), THIN, store);
        byte[] block = Harness.pattern(512, 5);
        // WRITE SAME(16) of a non-zero block, WRITE AND VERIFY(16), ORWRITE(16)
        byte[] writeSame = Cdbs.rw16(true, 8, 4, 0);
        writeSame[0] = (byte) 0x93;
        h.write(0, writeSame, block).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x07);
        byte[] writeAndVerify = Cdbs.rw16(true, 8, 1, 0);
        writeAndVerify[0] = (byte) 0x8E;
        h.write(0, writeAndVerify, block).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x07);
        byte[] orWrite = Cdbs.rw16(true, 8, 1, 0);
        orWrite[0] = (byte) 0x8B;
        h.write(0, orWrite, block).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x07);
    }

    @Test
    void aFullyProvisionedUnitIsRefusedWhenItsStoreCannotReserveItsCapacity() {
        Harness h = new Harness();
        h.daemon.createTarget(Harness.TARGET);
        BudgetedStore small = new BudgetedStore(Harness.SIZE, 4);
        TargetAdminException e = assertThrows(TargetAdminException.class,
                () -> h.daemon.addLun(Harness.TARGET, 0, small, Harness.BLOCK, FULL));
        assertTrue(e.getMessage().startsWith("target " + Harness.TARGET + " LUN 0 not added: room for"), e.getMessage());
        assertTrue(h.daemon.targets().get(0).luns().isEmpty());

        // Thin, the same store is fine; switching it to full provisioning is refused and changes nothing.
        h.daemon.addLun(Harness.TARGET, 0, small, Harness.BLOCK, THIN);
        assertThrows(TargetAdminException.class, () -> h.daemon.setLunOptions(Harness.TARGET, 0, FULL));
        assertEquals(THIN, h.daemon.targets().get(0).luns().get(0).options());
        assertTrue(!small.full);

        BudgetedStore roomy = new BudgetedStore(Harness.SIZE, Harness.SIZE / ThinStore.UNIT);
        h.daemon.addLun(Harness.TARGET, 1, roomy, Harness.BLOCK, FULL);
        assertTrue(roomy.full, "a fully provisioned unit's store is told so before it is added");
        h.daemon.setLunOptions(Harness.TARGET, 1, THIN);
        assertTrue(!roomy.full, "and told again when the unit becomes thin");
    }
}
