package org.jtgt.api.store;

import java.io.IOException;

/**
 * A write needed space the store could not get (a thin store whose budget or medium is used
 * up). Nothing of that write was stored, and what the store held before stays readable; the
 * daemon answers the command CHECK CONDITION, DATA PROTECT, SPACE ALLOCATION FAILED WRITE
 * PROTECT (27h/07h, SBC-4 4.7.3.6) instead of a medium error. Thrown by
 * {@link BackingStore#write} and by {@link BackingStore#provision} and {@link BackingStore#grow}
 * when they cannot reserve what they were asked to.
 *
 * @since 1.3
 */
public class SpaceAllocationFailedException extends IOException {
    private static final long serialVersionUID = 1L;

    /** @param message for the user: what was needed and what is left */
    public SpaceAllocationFailedException(String message) {
        super(message);
    }
}
