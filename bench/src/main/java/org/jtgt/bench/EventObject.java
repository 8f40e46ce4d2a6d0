package org.jtgt.bench;

import java.nio.ByteBuffer;

/**
 * A 64-byte event as a Java object: what an {@link java.util.concurrent.ArrayBlockingQueue}
 * carries in the ring benchmarks, either filled by {@link #copyFrom} for every event (the
 * event's bytes then cross between the cores, as in a ring) or written once and passed by
 * reference.
 */
final class EventObject {
    long w0, w1, w2, w3, w4, w5, w6, w7;

    EventObject() {
    }

    EventObject(long w0) {
        this.w0 = w0;
    }

    /** Copies the first 64 bytes of {@code b} (absolute reads, position untouched). */
    void copyFrom(ByteBuffer b) {
        w0 = b.getLong(0);
        w1 = b.getLong(8);
        w2 = b.getLong(16);
        w3 = b.getLong(24);
        w4 = b.getLong(32);
        w5 = b.getLong(40);
        w6 = b.getLong(48);
        w7 = b.getLong(56);
    }

    /** {@code n} objects for a producer to fill in turn. */
    static EventObject[] pool(int n) {
        EventObject[] pool = new EventObject[n];
        for (int i = 0; i < n; i++) {
            pool[i] = new EventObject();
        }
        return pool;
    }
}
