package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

class IttTableTest {
    private static ScsiTask task() {
        return new ScsiTask(null, 1);
    }

    /** Random adds and removes over a small key range (long probe runs, wrap-around) agree with a HashMap. */
    @Test
    void agreesWithAMapThroughRandomAddsAndRemoves() {
        Random random = new Random(7);
        IttTable table = new IttTable(8);
        Map<Integer, ScsiTask> model = new HashMap<>();
        int[] keys = new int[200];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = i % 3 == 0 ? i : random.nextInt();   // sequential tags and scattered ones
        }
        for (int step = 0; step < 200_000; step++) {
            int itt = keys[random.nextInt(keys.length)];
            ScsiTask present = model.get(itt);
            if (present == null && model.size() < 150) {
                ScsiTask t = task();
                table.put(itt, t);
                model.put(itt, t);
            } else if (present != null) {
                assertFalse(table.remove(itt, task()), "another task under the same ITT is not removed");
                assertTrue(table.remove(itt, present));
                model.remove(itt);
            }
            if (step % 1000 == 0) {
                for (int k : keys) {
                    assertSame(model.get(k), table.get(k), "ITT " + k + " at step " + step);
                    assertEquals(model.containsKey(k), table.containsKey(k));
                }
                assertEquals(model.size(), table.size());
                assertEquals(new HashSet<>(model.values()), new HashSet<>(table.snapshot()));
            }
        }
    }

    @Test
    void remembersTheLastTagsItLetGo() {
        IttTable table = new IttTable(4);
        for (int itt = 1; itt <= 100; itt++) {
            ScsiTask t = task();
            table.put(itt, t);
            assertFalse(table.recentlyRemoved(itt), "not removed yet");
            table.remove(itt, t);
        }
        for (int itt = 1; itt <= 100; itt++) {
            assertEquals(itt > 100 - IttTable.REMEMBERED, table.recentlyRemoved(itt), "ITT " + itt);
        }
        assertFalse(table.recentlyRemoved(0), "never used");
    }

    @Test
    void refusesATagThatIsInUse() {
        IttTable table = new IttTable(4);
        table.put(0xFFFF_FFFE, task());
        assertThrows(IllegalStateException.class, () -> table.put(0xFFFF_FFFE, task()));
        assertEquals(1, table.size());
    }
}
