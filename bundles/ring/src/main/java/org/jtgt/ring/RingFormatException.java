package org.jtgt.ring;

/**
 * A ring region does not hold a valid ring, or the ring was corrupted: wrong magic or version,
 * impossible sizes, a slot with an impossible length or status. The peer is treated as hostile, as
 * TCMU does with an unknown command id ({@code target_core_user.c}): whoever catches this stops
 * using the ring instead of guessing; the ring is left exactly as it was found.
 */
public class RingFormatException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public RingFormatException(String message) {
        super(message);
    }
}
