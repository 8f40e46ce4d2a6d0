package org.jtgt.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class BlockAllocatorTest {

    @Test
    void reservationsDoNotOverlapAndAllSpaceComesBack() {
        BlockAllocator a = new BlockAllocator(1 << 20, 4096);
        Random r = new Random(7);
        List<long[]> live = new ArrayList<>();
        boolean[] owner = new boolean[256];
        for (int i = 0; i < 20000; i++) {
            if (!live.isEmpty() && (r.nextBoolean() || a.freeBytes() < 64 * 1024)) {
                long[] res = live.remove(r.nextInt(live.size()));
                for (int b = 0; b < a.blocksFor((int) res[1]); b++) {
                    owner[(int) (res[0] / 4096) + b] = false;
                }
                a.free(res[0], (int) res[1]);
            } else {
                int len = 1 + r.nextInt(64 * 1024);
                long off = a.allocate(len);
                if (off < 0) {
                    continue;
                }
                assertTrue(off + len <= 1 << 20, "inside the area");
                for (int b = 0; b < a.blocksFor(len); b++) {
                    int block = (int) (off / 4096) + b;
                    assertTrue(!owner[block], "block " + block + " handed out twice");
                    owner[block] = true;
                }
                live.add(new long[] {off, len});
            }
        }
        for (long[] res : live) {
            a.free(res[0], (int) res[1]);
        }
        assertEquals(1 << 20, a.freeBytes());
        assertEquals(0, a.allocate(1 << 20), "the whole area is one free run again");
    }

    @Test
    void fullAreaIsBackPressureNotAnError() {
        BlockAllocator a = new BlockAllocator(8192, 4096);
        assertEquals(0, a.allocate(4096));
        assertEquals(4096, a.allocate(1));
        assertEquals(-1, a.allocate(1));
        a.free(0, 4096);
        assertEquals(0, a.allocate(100));
    }

    @Test
    void misuseIsRefused() {
        BlockAllocator a = new BlockAllocator(16384, 4096);
        assertThrows(IllegalArgumentException.class, () -> new BlockAllocator(4096, 3000));
        assertThrows(IllegalArgumentException.class, () -> a.free(100, 10));
        long off = a.allocate(10);
        a.free(off, 10);
        assertThrows(IllegalStateException.class, () -> a.free(off, 10));
        assertEquals(-1, a.allocate(5 * 4096), "larger than the area");
    }
}
