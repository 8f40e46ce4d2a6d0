package org.jtgt.fc;

import java.util.List;

/**
 * What a link's sender has to write, in the order it was asked for, from any thread, without
 * allocating: a ring of reusable entries guarded by this object's monitor, so a producer fills
 * an entry in place and the sender copies it out ({@link #take}). The ring doubles when it is
 * full (a transport thread completing a command must never wait), which is the only allocation.
 *
 * <p>An entry is one of: a frame already encoded ({@link #FRAME}: logins, ELS, name server, BLS,
 * task-management answers, the cold paths); an exchange whose command completed
 * ({@link #COMPLETION}: the sender writes its Data-In and FCP_RSP from the command's buffer); an
 * FCP_XFER_RDY the sender encodes itself ({@link #XFER_RDY}: its fields travel in the entry, so
 * nothing refers to the exchange once the reader lets go of it); the end ({@link #STOP}).
 */
final class FcSendQueue {
    static final int FRAME = 1;
    static final int COMPLETION = 2;
    static final int XFER_RDY = 3;
    static final int STOP = 4;

    /** One thing to send; the fields that mean something depend on {@link #kind}. */
    static final class Entry {
        int kind;
        /** {@link #FRAME}: the encoded frame. */
        byte[] frame;
        /** {@link #COMPLETION}: the exchange. */
        FcExchange exchange;
        /** {@link #XFER_RDY}: header fields and FCP_DATA_RO / FCP_BURST_LEN. */
        int dId;
        int seqId;
        int oxId;
        int rxId;
        int offset;
        int length;

        private void moveTo(Entry to) {
            to.kind = kind;
            to.frame = frame;
            to.exchange = exchange;
            to.dId = dId;
            to.seqId = seqId;
            to.oxId = oxId;
            to.rxId = rxId;
            to.offset = offset;
            to.length = length;
            frame = null;
            exchange = null;
        }
    }

    private Entry[] ring;
    private int head;
    private int count;
    /** The sender is in {@link #take}'s wait: a producer has to notify. */
    private boolean waiting;

    FcSendQueue(int capacity) {
        ring = new Entry[Integer.highestOneBit(Math.max(16, capacity) - 1) << 1];
        for (int i = 0; i < ring.length; i++) {
            ring[i] = new Entry();
        }
    }

    synchronized int size() {
        return count;
    }

    synchronized void addFrame(byte[] frame) {
        Entry e = claim(FRAME);
        e.frame = frame;
        publish();
    }

    synchronized void addCompletion(FcExchange x) {
        Entry e = claim(COMPLETION);
        e.exchange = x;
        publish();
    }

    synchronized void addXferRdy(int dId, int seqId, int oxId, int rxId, int offset, int length) {
        Entry e = claim(XFER_RDY);
        e.dId = dId;
        e.seqId = seqId;
        e.oxId = oxId;
        e.rxId = rxId;
        e.offset = offset;
        e.length = length;
        publish();
    }

    synchronized void addStop() {
        claim(STOP);
        publish();
    }

    /** Waits for the oldest entry and moves it into {@code into} (the sender's own entry). */
    synchronized void take(Entry into) throws InterruptedException {
        while (count == 0) {
            waiting = true;
            try {
                wait();
            } finally {
                waiting = false;
            }
        }
        ring[head].moveTo(into);
        head = head + 1 & ring.length - 1;
        count--;
    }

    /** Empties the queue; the exchanges of the completions in it go to {@code into}, the rest is dropped. */
    synchronized void drainCompletions(List<FcExchange> into) {
        Entry scratch = new Entry();
        while (count > 0) {
            ring[head].moveTo(scratch);
            head = head + 1 & ring.length - 1;
            count--;
            if (scratch.kind == COMPLETION) {
                into.add(scratch.exchange);
            }
        }
    }

    private Entry claim(int kind) {
        if (count == ring.length) {
            grow();
        }
        Entry e = ring[head + count & ring.length - 1];
        e.kind = kind;
        return e;
    }

    private void publish() {
        count++;
        if (waiting) {
            notify();
        }
    }

    private void grow() {
        Entry[] bigger = new Entry[ring.length * 2];
        for (int i = 0; i < ring.length; i++) {
            bigger[i] = ring[head + i & ring.length - 1];
        }
        for (int i = ring.length; i < bigger.length; i++) {
            bigger[i] = new Entry();
        }
        ring = bigger;
        head = 0;
    }
}
