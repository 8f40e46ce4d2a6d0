package org.jtgt.util;

import java.util.List;

/**
 * A map from int keys to objects that looks up, adds and removes without allocating, for the
 * drivers' per-command lookups (iSCSI tasks by Initiator Task Tag, FC exchanges by OX_ID, ports
 * by N_Port ID), where a boxed key and a map node per command would be garbage on the hot path: open addressing with linear probing and backward-shift deletion, so there are no
 * tombstones and a lookup stops at the first empty slot. The table doubles (the only allocation)
 * when it would be more than half full. Not thread-safe: the owner guards it.
 *
 * @param <V> the values
 */
public final class IntMap<V> {
    private int[] keys;
    private Object[] values;
    private int mask;
    private int size;

    /** @param expected entries held without growing */
    public IntMap(int expected) {
        int capacity = Integer.highestOneBit(Math.max(8, expected) * 2 - 1) << 1;
        keys = new int[capacity];
        values = new Object[capacity];
        mask = capacity - 1;
    }

    public int size() {
        return size;
    }

    /** The value for {@code key}, or null. */
    @SuppressWarnings("unchecked")
    public V get(int key) {
        for (int i = slot(key);; i = i + 1 & mask) {
            Object v = values[i];
            if (v == null) {
                return null;
            }
            if (keys[i] == key) {
                return (V) v;
            }
        }
    }

    public boolean containsKey(int key) {
        return get(key) != null;
    }

    /** Maps {@code key} to {@code value} (not null); returns the value it replaces, or null. */
    @SuppressWarnings("unchecked")
    public V put(int key, V value) {
        if (value == null) {
            throw new NullPointerException("value");
        }
        if (2 * (size + 1) > values.length) {
            grow();
        }
        for (int i = slot(key);; i = i + 1 & mask) {
            Object v = values[i];
            if (v == null) {
                keys[i] = key;
                values[i] = value;
                size++;
                return null;
            }
            if (keys[i] == key) {
                values[i] = value;
                return (V) v;
            }
        }
    }

    /** Removes the entry for {@code key}; returns its value, or null if there was none. */
    @SuppressWarnings("unchecked")
    public V remove(int key) {
        int i = slot(key);
        while (true) {
            Object v = values[i];
            if (v == null) {
                return null;
            }
            if (keys[i] == key) {
                closeGap(i);
                size--;
                return (V) v;
            }
            i = i + 1 & mask;
        }
    }

    /** Removes {@code key} only while it still maps to {@code value}; true if it did. */
    public boolean remove(int key, V value) {
        if (get(key) != value || value == null) {
            return false;
        }
        remove(key);
        return true;
    }

    public void clear() {
        java.util.Arrays.fill(values, null);
        size = 0;
    }

    /** Adds every value to {@code into} (in no particular order), for iterating while the map changes. */
    @SuppressWarnings("unchecked")
    public void values(List<? super V> into) {
        for (Object v : values) {
            if (v != null) {
                into.add((V) v);
            }
        }
    }

    /**
     * Backward-shift deletion: empties slot {@code gap}, then moves up each later entry of the
     * probe run whose home slot does not lie cyclically in (gap, entry], so every entry stays
     * reachable from its home slot without crossing an empty slot.
     */
    private void closeGap(int gap) {
        int i = gap;
        while (true) {
            i = i + 1 & mask;
            Object v = values[i];
            if (v == null) {
                break;
            }
            int home = slot(keys[i]);
            boolean stays = gap <= i ? gap < home && home <= i : gap < home || home <= i;
            if (!stays) {
                keys[gap] = keys[i];
                values[gap] = v;
                gap = i;
            }
        }
        values[gap] = null;
    }

    private int slot(int key) {
        int h = key * 0x9E3779B9;
        return (h ^ h >>> 16) & mask;
    }

    private void grow() {
        int[] oldKeys = keys;
        Object[] oldValues = values;
        keys = new int[oldKeys.length * 2];
        values = new Object[oldValues.length * 2];
        mask = values.length - 1;
        size = 0;
        for (int i = 0; i < oldValues.length; i++) {
            if (oldValues[i] != null) {
                insertNew(oldKeys[i], oldValues[i]);
            }
        }
    }

    private void insertNew(int key, Object value) {
        int i = slot(key);
        while (values[i] != null) {
            i = i + 1 & mask;
        }
        keys[i] = key;
        values[i] = value;
        size++;
    }
}
