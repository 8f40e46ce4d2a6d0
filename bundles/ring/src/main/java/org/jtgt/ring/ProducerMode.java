package org.jtgt.ring;

/**
 * How producers claim slots of a {@link SlotRing}, fixed when the ring is created and recorded in
 * its header ({@link RingDescriptor#PRODUCER_MODE_OFFSET}), so that a party attaching from another
 * process produces the same way.
 */
public enum ProducerMode {
    /**
     * Any number of producers, in any number of threads and processes, claim a slot by CAS on the
     * claim counter.
     */
    MULTI(RingDescriptor.PRODUCER_MODE_MULTI),
    /**
     * One producer at a time claims a slot with an ordered store and no atomic instruction, as
     * Agrona's {@code OneToOneRingBuffer} does. Offering from two threads (or processes) at once is
     * a programming error that the ring does not detect: both may claim the same slot, and records
     * are lost or mixed. Handing the producer role from one thread to another needs a
     * happens-before edge between them (a lock, a volatile write and read, a thread start or join).
     */
    SINGLE(RingDescriptor.PRODUCER_MODE_SINGLE);

    private final int code;

    ProducerMode(int code) {
        this.code = code;
    }

    /** The value in the ring header. */
    public int code() {
        return code;
    }

    /**
     * The mode a header value stands for.
     *
     * @throws RingFormatException if {@code code} is no mode's value
     */
    public static ProducerMode ofCode(int code) {
        for (ProducerMode mode : values()) {
            if (mode.code == code) {
                return mode;
            }
        }
        throw new RingFormatException("corrupt ring header: unknown producer mode " + code);
    }
}
