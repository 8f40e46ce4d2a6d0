package org.jtgt.iscsi;

import java.util.ArrayList;
import java.util.List;

/**
 * A connection's tasks by Initiator Task Tag: open addressing over an int key with linear
 * probing and backward-shift deletion, so finding, adding and removing a task allocates nothing
 * (a boxed key and a map node per command was most of what the driver allocated). The reader
 * adds and finds tasks, the sender removes them as it answers, task management walks them;
 * every method holds the table's monitor, which is only briefly contended.
 *
 * <p>The window and the immediate-command limit bound the entries; the table still doubles when
 * half full, so a wrong bound costs memory once, not correctness.
 *
 * <p>It also remembers the last {@value #REMEMBERED} tags it let go, so that Data-Out arriving
 * for a task the target has already answered or aborted (discarded, RFC 7143 11.5.1) can be told
 * from Data-Out for a tag that never named a task (rejected).
 */
final class IttTable {
    static final int REMEMBERED = 64;
    private final int[] removed = new int[REMEMBERED];
    private int removedNext;
    private boolean removedWrapped;
    private int[] keys;
    private ScsiTask[] values;
    private int mask;
    private int size;

    IttTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(8, expected) * 4 - 1) << 1;
        keys = new int[capacity];
        values = new ScsiTask[capacity];
        mask = capacity - 1;
    }

    synchronized ScsiTask get(int itt) {
        for (int i = slot(itt); ; i = i + 1 & mask) {
            ScsiTask t = values[i];
            if (t == null || keys[i] == itt) {
                return t;
            }
        }
    }

    synchronized boolean containsKey(int itt) {
        return get(itt) != null;
    }

    /** Adds {@code task} under {@code itt}, which must not be in the table. */
    synchronized void put(int itt, ScsiTask task) {
        if (size * 2 >= values.length) {
            grow();
        }
        int i = slot(itt);
        while (values[i] != null) {
            if (keys[i] == itt) {
                throw new IllegalStateException("ITT 0x" + Integer.toHexString(itt) + " is in the table");
            }
            i = i + 1 & mask;
        }
        keys[i] = itt;
        values[i] = task;
        size++;
    }

    /** Removes the entry for {@code itt} if it is {@code task}; whether it was. */
    synchronized boolean remove(int itt, ScsiTask task) {
        int i = slot(itt);
        while (values[i] != null) {
            if (keys[i] == itt) {
                if (values[i] != task) {
                    return false;
                }
                deleteAt(i);
                removed[removedNext] = itt;
                removedNext = removedNext + 1 & REMEMBERED - 1;
                removedWrapped |= removedNext == 0;
                return true;
            }
            i = i + 1 & mask;
        }
        return false;
    }

    /** Whether {@code itt} is one of the last {@value #REMEMBERED} tags removed. */
    synchronized boolean recentlyRemoved(int itt) {
        int n = removedWrapped ? REMEMBERED : removedNext;
        for (int i = 0; i < n; i++) {
            if (removed[i] == itt) {
                return true;
            }
        }
        return false;
    }

    synchronized int size() {
        return size;
    }

    /** A copy of the tasks, for the cold paths that walk them (task management, close). */
    synchronized List<ScsiTask> snapshot() {
        List<ScsiTask> out = new ArrayList<>(size);
        for (ScsiTask t : values) {
            if (t != null) {
                out.add(t);
            }
        }
        return out;
    }

    private int slot(int itt) {
        return mix(itt) & mask;
    }

    /** ITTs are often sequential; spread them so neighbours do not cluster. */
    private static int mix(int key) {
        int h = key * 0x9E3779B9;
        return h ^ h >>> 16;
    }

    /** Linear probing's deletion: later entries of the run move back into the gap. */
    private void deleteAt(int gap) {
        values[gap] = null;
        size--;
        int i = gap;
        while (true) {
            i = i + 1 & mask;
            ScsiTask t = values[i];
            if (t == null) {
                return;
            }
            int home = slot(keys[i]);
            // Move the entry if its home is not in the cyclic range (gap, i].
            boolean between = gap <= i ? gap < home && home <= i : gap < home || home <= i;
            if (!between) {
                keys[gap] = keys[i];
                values[gap] = t;
                values[i] = null;
                gap = i;
            }
        }
    }

    private void grow() {
        int[] oldKeys = keys;
        ScsiTask[] oldValues = values;
        keys = new int[oldKeys.length * 2];
        values = new ScsiTask[oldValues.length * 2];
        mask = keys.length - 1;
        size = 0;
        for (int j = 0; j < oldValues.length; j++) {
            if (oldValues[j] != null) {
                put(oldKeys[j], oldValues[j]);
            }
        }
    }
}
