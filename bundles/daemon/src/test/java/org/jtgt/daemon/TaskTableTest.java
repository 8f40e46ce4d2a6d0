package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

class TaskTableTest {
    private final Target target = new Target("iqn.2026-11.org.jtgt:t");
    private final TaskTable table = new TaskTable(1);
    private final Nexus a = new Nexus(1, 1, target, "a", 1, table);
    private final Nexus b = new Nexus(1, 2, target, "b", 1, table);

    @Test
    void matchesASetUnderRandomInsertAndRemoveIncludingGrowth() {
        Random rnd = new Random(42);
        Set<Long> model = new HashSet<>();
        for (int i = 0; i < 200_000; i++) {
            long cid = rnd.nextInt(5000);
            if (rnd.nextBoolean()) {
                assertTrue(table.put(cid, a, (int) cid, 0));
                model.add(cid);
            } else {
                assertEquals(model.remove(cid), table.remove(cid), "remove " + cid);
            }
            assertEquals(model.size(), table.size());
        }
        for (long cid : model) {
            assertEquals(0, table.lunOfTag(a, (int) cid));
        }
    }

    @Test
    void scansPerNexusAndDropsOneNexusWithoutLosingTheOther() {
        for (int i = 0; i < 1000; i++) {
            table.put(i, i % 2 == 0 ? a : b, i, i % 3);
        }
        assertEquals(500, table.count(a, -1));
        assertEquals(2, table.lunOfTag(b, 5));
        assertEquals(-1, table.lunOfTag(a, 5), "tag 5 belongs to b");
        assertEquals(500, table.removeAll(a));
        assertEquals(0, table.count(a, -1));
        assertEquals(500, table.count(b, -1));
        for (int i = 1; i < 1000; i += 2) {
            assertTrue(table.remove(i), "b's cid " + i + " still findable");
        }
        assertEquals(0, table.size());
    }

    @Test
    void refusesToGrowBeyondItsCap() {
        int max = TaskTable.MAX_CAPACITY / 2;
        for (int i = 0; i < max; i++) {
            assertTrue(table.put(i, a, i, 0));
        }
        assertFalse(table.put(max, a, max, 0));
        assertTrue(table.put(3, a, 3, 0), "an existing cid is overwritten even when full");
    }
}
