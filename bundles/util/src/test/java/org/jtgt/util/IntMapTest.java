package org.jtgt.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** {@link IntMap} against {@link HashMap}: removal in the middle of probe runs keeps every key reachable. */
class IntMapTest {
    @Test
    void agreesWithHashMapUnderRandomPutsAndRemoves() {
        IntMap<String> map = new IntMap<>(4);
        Map<Integer, String> expected = new HashMap<>();
        Random r = new Random(11);
        for (int i = 0; i < 200_000; i++) {
            // Few distinct keys, so runs collide and removals shift entries back.
            int key = r.nextInt(3) == 0 ? r.nextInt(1 << 24) : r.nextInt(96);
            switch (r.nextInt(4)) {
                case 0, 1 -> assertEquals(expected.put(key, "v" + i), map.put(key, "v" + i), "put " + key);
                case 2 -> assertEquals(expected.remove(key), map.remove(key), "remove " + key);
                default -> assertEquals(expected.get(key), map.get(key), "get " + key);
            }
            assertEquals(expected.size(), map.size());
        }
        for (Map.Entry<Integer, String> e : expected.entrySet()) {
            assertEquals(e.getValue(), map.get(e.getKey()));
        }
        List<String> values = new ArrayList<>();
        map.values(values);
        assertEquals(new HashSet<>(expected.values()), new HashSet<>(values));
    }

    @Test
    void removeWithValueOnlyRemovesThatValue() {
        IntMap<String> map = new IntMap<>(8);
        String a = "a";
        map.put(0x1234, a);
        assertFalse(map.remove(0x1234, "b"));
        assertTrue(map.containsKey(0x1234));
        assertTrue(map.remove(0x1234, a));
        assertNull(map.get(0x1234));
        assertEquals(0, map.size());
    }

    @Test
    void growsPastItsFirstCapacity() {
        IntMap<Integer> map = new IntMap<>(8);
        for (int i = 0; i < 65536; i++) {
            map.put(i, i);
        }
        assertEquals(65536, map.size());
        for (int i = 0; i < 65536; i += 2) {
            assertEquals(i, map.remove(i));
        }
        for (int i = 0; i < 65536; i++) {
            assertEquals(i % 2 == 0 ? null : Integer.valueOf(i), map.get(i));
        }
        map.clear();
        assertEquals(0, map.size());
        assertNull(map.get(1));
    }
}
