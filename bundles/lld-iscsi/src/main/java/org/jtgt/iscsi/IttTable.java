package org.jtgt.iscsi;

import java.util.ArrayList;
import java.util.List;

import org.jtgt.util.IntMap;

/**
 * A connection's tasks by Initiator Task Tag, in an {@link IntMap} so that finding, adding and
 * removing a task allocates nothing (a boxed key and a map node per command was most of what
 * the driver allocated). The reader adds and finds tasks, the sender removes them as it answers,
 * task management walks them; every method holds the table's monitor, which is only briefly
 * contended.
 *
 * <p>It also remembers the last {@value #REMEMBERED} tags it let go, so that Data-Out arriving
 * for a task the target has already answered or aborted (discarded, RFC 7143 11.5.1) can be told
 * from Data-Out for a tag that never named a task (rejected).
 */
final class IttTable {
    static final int REMEMBERED = 64;
    private final IntMap<ScsiTask> tasks;
    private final int[] removed = new int[REMEMBERED];
    private int removedNext;
    private boolean removedWrapped;

    /** @param expected tasks held without growing: the window and the immediate commands */
    IttTable(int expected) {
        tasks = new IntMap<>(expected);
    }

    synchronized ScsiTask get(int itt) {
        return tasks.get(itt);
    }

    synchronized boolean containsKey(int itt) {
        return tasks.containsKey(itt);
    }

    /** Adds {@code task} under {@code itt}, which must not be in the table. */
    synchronized void put(int itt, ScsiTask task) {
        if (tasks.containsKey(itt)) {
            throw new IllegalStateException("ITT 0x" + Integer.toHexString(itt) + " is in the table");
        }
        tasks.put(itt, task);
    }

    /** Removes the entry for {@code itt} if it is {@code task}; whether it was. */
    synchronized boolean remove(int itt, ScsiTask task) {
        if (!tasks.remove(itt, task)) {
            return false;
        }
        removed[removedNext] = itt;
        removedNext = removedNext + 1 & REMEMBERED - 1;
        removedWrapped |= removedNext == 0;
        return true;
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
        return tasks.size();
    }

    /** Replaces the contents of {@code into} with the tasks: for a periodic walk that reuses its list. */
    synchronized void snapshot(List<ScsiTask> into) {
        into.clear();
        tasks.values(into);
    }

    /** A copy of the tasks, for the cold paths that walk them (task management, close). */
    synchronized List<ScsiTask> snapshot() {
        List<ScsiTask> out = new ArrayList<>(tasks.size());
        tasks.values(out);
        return out;
    }
}
