package org.jtgt.daemon;

/**
 * The task set of one SCSI host: every command the daemon has answered and whose
 * {@code KEVENT_CMD_DONE} has not arrived yet, keyed by command id (cid is unique among a host's
 * outstanding commands, and CMD_DONE carries only host number and cid). The task set of one I_T
 * nexus is the subset whose nexus matches; task management scans for it, which is rare.
 *
 * <p>Open addressing with linear probing over parallel primitive arrays: inserting and removing
 * allocate nothing once the table has grown to the host's queue depth. The table refuses to grow
 * beyond {@link #MAX_CAPACITY} slots, and the daemon answers TASK SET FULL then (SAM-5 5.3.1),
 * so a host that never sends CMD_DONE cannot exhaust memory.
 */
final class TaskTable {
    static final int INITIAL_CAPACITY = 256;
    /** Half of this many tasks may be outstanding per host. */
    static final int MAX_CAPACITY = 1 << 17;

    private final int hostNo;
    private long[] cids = new long[INITIAL_CAPACITY];
    private int[] tags = new int[INITIAL_CAPACITY];
    private int[] luns = new int[INITIAL_CAPACITY];
    private Nexus[] nexuses = new Nexus[INITIAL_CAPACITY];
    private int size;

    TaskTable(int hostNo) {
        this.hostNo = hostNo;
    }

    int hostNo() {
        return hostNo;
    }

    private static int slot(long cid, int mask) {
        long h = cid * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h ^ h >>> 32) & mask;
    }

    /**
     * Records a task. A cid that is still present (its CMD_DONE was lost) is overwritten.
     *
     * @return false if the table is full
     */
    synchronized boolean put(long cid, Nexus nexus, int tag, int lun) {
        int i = find(cid);
        if (i < 0) {
            if ((size + 1) * 2 > cids.length) {
                if (cids.length >= MAX_CAPACITY) {
                    return false;
                }
                grow();
            }
            i = -find(cid) - 1;
            size++;
        }
        cids[i] = cid;
        nexuses[i] = nexus;
        tags[i] = tag;
        luns[i] = lun;
        return true;
    }

    /** Drops the task with this cid; false if there was none. */
    synchronized boolean remove(long cid) {
        int i = find(cid);
        if (i < 0) {
            return false;
        }
        delete(i);
        return true;
    }

    /** Drops the task with this cid and returns its nexus; null if there was none. */
    synchronized Nexus take(long cid) {
        int i = find(cid);
        if (i < 0) {
            return null;
        }
        Nexus n = nexuses[i];
        delete(i);
        return n;
    }

    /** The LUN of the task with this initiator task tag on {@code nexus}, or -1 if there is none. */
    synchronized int lunOfTag(Nexus nexus, int tag) {
        for (int i = 0; i < nexuses.length; i++) {
            if (nexuses[i] == nexus && tags[i] == tag) {
                return luns[i];
            }
        }
        return -1;
    }

    /** Number of tasks of {@code nexus} (and of {@code lun} unless it is negative). */
    synchronized int count(Nexus nexus, int lun) {
        int n = 0;
        for (int i = 0; i < nexuses.length; i++) {
            if (nexuses[i] == nexus && (lun < 0 || luns[i] == lun)) {
                n++;
            }
        }
        return n;
    }

    /** Drops every task of {@code nexus}. */
    synchronized int removeAll(Nexus nexus) {
        int n = 0;
        int i = 0;
        while (i < nexuses.length) {
            if (nexuses[i] == nexus) {
                delete(i);   // shifts a later entry into i: look at i again
                n++;
            } else {
                i++;
            }
        }
        return n;
    }

    /**
     * Aborts the tasks of {@code nexus} on {@code lun} (PERSISTENT RESERVE OUT PREEMPT AND ABORT,
     * SPC-4 5.13.11.4.4): their records go, as for a CLEAR TASK SET of that nexus, and a late
     * {@code KEVENT_CMD_DONE} for them finds nothing. The task with cid {@code exceptCid} (the
     * preempting command itself) stays.
     *
     * @return the number of tasks aborted
     */
    synchronized int removeAll(Nexus nexus, int lun, long exceptCid) {
        int n = 0;
        int i = 0;
        while (i < nexuses.length) {
            if (nexuses[i] == nexus && luns[i] == lun && cids[i] != exceptCid) {
                delete(i);   // shifts a later entry into i: look at i again
                n++;
            } else {
                i++;
            }
        }
        return n;
    }

    synchronized int size() {
        return size;
    }

    /** The slot holding {@code cid}, or {@code -(free slot) - 1}. */
    private int find(long cid) {
        int mask = cids.length - 1;
        int i = slot(cid, mask);
        while (nexuses[i] != null) {
            if (cids[i] == cid) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -i - 1;
    }

    /** Backward-shift deletion keeps every probe chain unbroken without tombstones. */
    private void delete(int i) {
        int mask = cids.length - 1;
        int hole = i;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            if (nexuses[j] == null) {
                break;
            }
            int home = slot(cids[j], mask);
            // move j into the hole unless its home lies cyclically in (hole, j]
            boolean stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
            if (!stays) {
                cids[hole] = cids[j];
                nexuses[hole] = nexuses[j];
                tags[hole] = tags[j];
                luns[hole] = luns[j];
                hole = j;
            }
        }
        nexuses[hole] = null;
        size--;
    }

    private void grow() {
        long[] oc = cids;
        int[] ot = tags;
        int[] ol = luns;
        Nexus[] on = nexuses;
        int cap = oc.length * 2;
        cids = new long[cap];
        tags = new int[cap];
        luns = new int[cap];
        nexuses = new Nexus[cap];
        for (int i = 0; i < oc.length; i++) {
            if (on[i] != null) {
                int j = -find(oc[i]) - 1;
                cids[j] = oc[i];
                tags[j] = ot[i];
                luns[j] = ol[i];
                nexuses[j] = on[i];
            }
        }
    }
}
