package org.jtgt.transport.shm;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The front's copy of every host → daemon request the daemon has not finished with: commands
 * until their {@code KEVENT_CMD_DONE}, task management and nexus requests until answered. It is
 * what a restarted daemon is given again. Preallocated (records of up to {@value #RECORD_SIZE}
 * bytes in one buffer, an open-addressing index over {@code (kind, host, id)}), so journaling a
 * command allocates nothing. Not thread-safe: {@link FrontEndpoint} holds its lock around every
 * call.
 */
final class CommandJournal {
    static final int RECORD_SIZE = 128;

    static final int CMD = 1;
    static final int TMF = 2;
    static final int NEXUS_CREATE = 3;
    static final int NEXUS_DESTROY = 4;

    /** Journaled while no daemon takes requests; given to the next one in order. */
    static final int UNSENT = 1;
    /** On the ring of the current generation. */
    static final int SENT = 2;
    /** A command answered, waiting for its KEVENT_CMD_DONE. */
    static final int ANSWERED = 3;

    private final int capacity;
    private final ByteBuffer records;
    private final int[] kind;
    private final int[] hostNo;
    private final long[] id;
    private final long[] seq;
    private final int[] state;
    private final long[] answeredIn;
    private final int[] length;
    private final int[] freeList;
    private int freeTop;
    /** Entry index + 1, 0 for empty; linear probing, backward-shift deletion. */
    private final int[] table;
    private final int tableMask;
    private long nextSeq;

    CommandJournal(int capacity) {
        this.capacity = capacity;
        this.records = ByteBuffer.allocateDirect(capacity * RECORD_SIZE);
        this.kind = new int[capacity];
        this.hostNo = new int[capacity];
        this.id = new long[capacity];
        this.seq = new long[capacity];
        this.state = new int[capacity];
        this.answeredIn = new long[capacity];
        this.length = new int[capacity];
        this.freeList = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            freeList[i] = capacity - 1 - i;
        }
        this.freeTop = capacity;
        int size = Integer.highestOneBit(capacity * 2 - 1) << 1;
        this.table = new int[size];
        this.tableMask = size - 1;
    }

    int capacity() {
        return capacity;
    }

    int size() {
        return capacity - freeTop;
    }

    /**
     * Journals a request (state {@link #UNSENT}); an entry with the same key is replaced.
     *
     * @return its index, or -1 when the journal is full
     */
    int add(int k, int host, long key, ByteBuffer src, int offset, int len) {
        if (len > RECORD_SIZE) {
            throw new IllegalArgumentException("a " + len + "-byte record does not fit the journal's " + RECORD_SIZE);
        }
        int e = find(k, host, key);
        if (e < 0) {
            if (freeTop == 0) {
                return -1;
            }
            e = freeList[--freeTop];
            kind[e] = k;
            hostNo[e] = host;
            id[e] = key;
            int t = slot(k, host, key);
            while (table[t] != 0) {
                t = (t + 1) & tableMask;
            }
            table[t] = e + 1;
        }
        records.put(e * RECORD_SIZE, src, offset, len);
        length[e] = len;
        seq[e] = nextSeq++;
        state[e] = UNSENT;
        answeredIn[e] = 0;
        return e;
    }

    int find(int k, int host, long key) {
        for (int t = slot(k, host, key); ; t = (t + 1) & tableMask) {
            int v = table[t];
            if (v == 0) {
                return -1;
            }
            int e = v - 1;
            if (id[e] == key && hostNo[e] == host && kind[e] == k) {
                return e;
            }
        }
    }

    void remove(int e) {
        int t = slot(kind[e], hostNo[e], id[e]);
        while (table[t] != e + 1) {
            t = (t + 1) & tableMask;
        }
        // Backward-shift deletion: move later members of the probe run into the hole.
        int hole = t;
        for (int next = (hole + 1) & tableMask; table[next] != 0; next = (next + 1) & tableMask) {
            int n = table[next] - 1;
            int home = slot(kind[n], hostNo[n], id[n]);
            if (((next - home) & tableMask) >= ((next - hole) & tableMask)) {
                table[hole] = table[next];
                hole = next;
            }
        }
        table[hole] = 0;
        state[e] = 0;
        freeList[freeTop++] = e;
    }

    int kind(int e) { return kind[e]; }
    int hostNo(int e) { return hostNo[e]; }
    long id(int e) { return id[e]; }
    int state(int e) { return state[e]; }
    long answeredIn(int e) { return answeredIn[e]; }
    int length(int e) { return length[e]; }
    int offset(int e) { return e * RECORD_SIZE; }
    ByteBuffer records() { return records; }

    void sent(int e) {
        state[e] = SENT;
    }

    void answered(int e, long generation) {
        state[e] = ANSWERED;
        answeredIn[e] = generation;
    }

    /** How many entries are in {@code s}. */
    int count(int s) {
        int n = 0;
        for (int e = 0; e < capacity; e++) {
            if (state[e] == s) {
                n++;
            }
        }
        return n;
    }

    /** Marks every {@link #SENT} entry {@link #UNSENT} (its daemon died before answering). */
    int unsendAll() {
        int n = 0;
        for (int e = 0; e < capacity; e++) {
            if (state[e] == SENT) {
                state[e] = UNSENT;
                n++;
            }
        }
        return n;
    }

    /** The {@link #UNSENT} entries in the order they were journaled (allocates: replay only). */
    int[] unsentInOrder() {
        int n = 0;
        long[] keyed = new long[capacity];
        for (int e = 0; e < capacity; e++) {
            if (state[e] == UNSENT) {
                keyed[n++] = (seq[e] << 20) | e;
            }
        }
        long[] sorted = Arrays.copyOf(keyed, n);
        Arrays.sort(sorted);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = (int) (sorted[i] & 0xFFFFF);
        }
        return out;
    }

    private int slot(int k, int host, long key) {
        long h = key * 0x9E3779B97F4A7C15L + ((long) host << 8 | k) * 0xC2B2AE3D27D4EB4FL;
        return (int) (h ^ (h >>> 29) ^ (h >>> 47)) & tableMask;
    }
}
