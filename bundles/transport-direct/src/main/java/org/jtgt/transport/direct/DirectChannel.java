package org.jtgt.transport.direct;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

import org.jtgt.api.event.EventFormatException;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.HandOff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One direction of the direct transport: a FIFO of event records and the one thread at a time
 * that delivers them. There is no thread of its own: whoever queues a record delivers it too
 * ({@link #drain}) unless another thread is delivering already, which then delivers it before it
 * lets go (it looks at the queue under the same lock before it does). So the sink sees one event
 * at a time, in the order they were queued, as from a ring's one consumer; and a thread already
 * delivering on this channel that queues another record (a nested send) does not deliver it
 * nested: its own loop delivers it after the current event's call has returned.
 *
 * <p>Records are copied into fixed 256-byte slots and delivered from there, in place. The queue
 * holds {@code capacity} records for {@link #enqueue offers} (back-pressure beyond that) and
 * grows for sends up to {@code limit}: a send never waits for the deliverer, because the
 * deliverer may be waiting for the sender (a lock the sender holds above the transport).
 *
 * <p>The deliverer of the host → daemon direction may give its role up in the middle of a
 * delivery ({@link HandOff}), when the daemon is about to run a blocking task on its thread and
 * nothing else waits here; it then returns without touching the queue again.
 */
final class DirectChannel {
    private static final Logger LOG = LoggerFactory.getLogger(DirectChannel.class);
    static final int SLOT = 256;

    private final String name;
    private final boolean toDaemon;
    private final int capacity;
    private final int limit;

    // ---- guarded by this ----
    private ByteBuffer records;
    private int[] lengths;
    private int head;
    private int count;
    /** Changes whenever the queue is emptied from outside (detach, failure). */
    private int epoch;
    private Thread deliverer;
    private EventSink sink;
    private DirectEndpoint receiver;
    /** The receiver failed: nothing is queued until another one attaches. */
    private boolean failed;
    private long delivered;
    /** The {@link #epoch} when the record being delivered was taken. */
    private int deliveringEpoch;

    /**
     * The deliverer's role on a host → daemon channel ({@link HandOff}): given up in the middle
     * of a delivery when the daemon is about to run a blocking task on this thread. Only while
     * nothing else waits to be delivered: the record being delivered counts as delivered (the
     * daemon has read it), and the next sender delivers for itself.
     */
    private final HandOff.Role deliveryRole = new HandOff.Role() {
        @Override
        public boolean mayRelease() {
            synchronized (DirectChannel.this) {
                return deliverer == Thread.currentThread() && count == 1 && epoch == deliveringEpoch;
            }
        }

        @Override
        public boolean release() {
            synchronized (DirectChannel.this) {
                if (deliverer != Thread.currentThread() || count != 1 || epoch != deliveringEpoch) {
                    return false;
                }
                head = (head + 1) & (lengths.length - 1);
                count--;
                delivered++;
                deliverer = null;
                return true;
            }
        }
    };

    /**
     * {@link #drain}, as the one action a thread owes for this channel ({@link
     * org.jtgt.api.transport.DeferredDelivery}): one instance, so a thread owes it once.
     */
    final Runnable drainLater = this::drain;

    DirectChannel(String name, boolean toDaemon, int capacity, int limit) {
        if (Integer.bitCount(capacity) != 1 || Integer.bitCount(limit) != 1 || limit < capacity) {
            throw new IllegalArgumentException("capacity " + capacity + " and limit " + limit
                    + " must be powers of two, limit >= capacity");
        }
        this.name = name;
        this.toDaemon = toDaemon;
        this.capacity = capacity;
        this.limit = limit;
        this.records = ByteBuffer.allocateDirect(capacity * SLOT).order(ByteOrder.LITTLE_ENDIAN);
        this.lengths = new int[capacity];
    }

    boolean toDaemon() {
        return toDaemon;
    }

    /**
     * Queues a copy of the record. An offer ({@code mayGrow} false) is refused when
     * {@code capacity} records wait; a send grows the queue up to {@code limit}.
     *
     * @return false if the queue is full (or {@code limit} is reached), or its receiver failed
     */
    boolean enqueue(ByteBuffer src, int offset, int length, boolean mayGrow) {
        if (length < EventHeader.LENGTH || length > SLOT) {
            throw new IllegalArgumentException("record length " + length + " outside " + EventHeader.LENGTH + ".." + SLOT);
        }
        Objects.checkFromIndexSize(offset, length, src.limit());
        synchronized (this) {
            if (failed || count >= capacity && !mayGrow) {
                return false;
            }
            if (count == lengths.length) {
                if (lengths.length >= limit) {
                    return false;
                }
                grow();
            }
            int i = (head + count) & (lengths.length - 1);
            records.put(i * SLOT, src, offset, length);
            lengths[i] = length;
            count++;
            return true;
        }
    }

    /** Doubles the queue, keeping the order; the record being delivered keeps its place (the head). */
    private void grow() {
        int n = lengths.length;
        ByteBuffer r = ByteBuffer.allocateDirect(2 * n * SLOT).order(ByteOrder.LITTLE_ENDIAN);
        int[] l = new int[2 * n];
        for (int k = 0; k < count; k++) {
            int i = (head + k) & (n - 1);
            r.put(k * SLOT, records, i * SLOT, lengths[i]);
            l[k] = lengths[i];
        }
        records = r;
        lengths = l;
        head = 0;
        LOG.debug("{}: queue grown to {} records", name, 2 * n);
    }

    /**
     * Delivers queued records until there are none, unless another thread is delivering (it
     * will deliver them) or no sink is attached (the attach delivers them). Sink failures are
     * reported to the sink and fail the receiving endpoint; an {@code Error} passes through.
     */
    void drain() {
        Thread me = Thread.currentThread();
        synchronized (this) {
            if (deliverer != null || count == 0 || sink == null) {
                return;
            }
            deliverer = me;
        }
        boolean normal = false;
        if (toDaemon) {
            HandOff.hold(deliveryRole);
        }
        try {
            while (true) {
                ByteBuffer buffer;
                int at;
                int length;
                int taken;
                EventSink s;
                DirectEndpoint from;
                synchronized (this) {
                    if (count == 0 || sink == null) {
                        deliverer = null;
                        normal = true;
                        return;
                    }
                    buffer = records;
                    at = head * SLOT;
                    length = lengths[head];
                    taken = epoch;
                    deliveringEpoch = taken;
                    s = sink;
                    from = receiver;
                }
                deliver(buffer, at, length, s, from);
                synchronized (this) {
                    if (deliverer != me) {
                        // Handed off during the delivery (deliveryRole): the record was counted
                        // then, and whoever sends next delivers.
                        normal = true;
                        return;
                    }
                    if (epoch == taken) {
                        head = (head + 1) & (lengths.length - 1);
                        count--;
                        delivered++;
                    }
                }
            }
        } finally {
            if (toDaemon) {
                HandOff.drop(deliveryRole);
            }
            if (!normal) {
                synchronized (this) {
                    if (deliverer == me) {
                        deliverer = null;
                    }
                }
            }
        }
    }

    private void deliver(ByteBuffer buffer, int at, int length, EventSink s, DirectEndpoint from) {
        try {
            EventType type = EventHeader.validate(buffer, at, length);
            if (type.toDaemon() != toDaemon) {
                throw new EventFormatException(type + " on the " + (toDaemon ? "host → daemon" : "daemon → host")
                        + " direction");
            }
            if (toDaemon) {
                Delivery.enterDaemon();
                try {
                    s.onEvent(buffer, at, length, from);
                } finally {
                    Delivery.exitDaemon();
                }
            } else {
                s.onEvent(buffer, at, length, from);
            }
        } catch (EventFormatException e) {
            LOG.error("{}: peer broke the protocol: {}; stopped", name, e.getMessage());
            fail(from, s, e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("{}: event delivery failed; stopped", name, e);
            fail(from, s, e.toString());
        }
    }

    private void fail(DirectEndpoint from, EventSink s, String reason) {
        synchronized (this) {
            if (receiver == from) {
                sink = null;
                receiver = null;
                failed = true;
                clear();
            }
        }
        from.broken();
        s.onTransportFailure(from, reason);
    }

    /** Attaches the receiving side; records queued before are delivered by whoever drains next. */
    synchronized void attach(EventSink s, DirectEndpoint endpoint) {
        sink = s;
        receiver = endpoint;
        failed = false;
    }

    /** Detaches {@code endpoint} if it is the receiver; what waits for it is dropped. */
    synchronized void detach(DirectEndpoint endpoint) {
        if (receiver == endpoint) {
            sink = null;
            receiver = null;
            clear();
        }
    }

    private void clear() {
        head = 0;
        count = 0;
        epoch++;
    }

    /** Whether records wait with a sink attached and nobody delivering them. */
    synchronized boolean stranded() {
        return count > 0 && sink != null && deliverer == null;
    }

    synchronized int queued() {
        return count;
    }

    synchronized long delivered() {
        return delivered;
    }

    @Override
    public String toString() {
        return name;
    }
}
