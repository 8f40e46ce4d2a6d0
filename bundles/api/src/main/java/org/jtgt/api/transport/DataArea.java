package org.jtgt.api.transport;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Memory that event {@code (offset, length)} references point into. On the shared-memory ring it
 * is part of the mapped region both sides see, so data is never copied between them; a transport
 * that cannot share memory gives each side its own area and copies.
 */
@ConsumerType
public interface DataArea {
    /**
     * The whole area. Shared between threads: use absolute accessors, or a
     * {@link ByteBuffer#duplicate() duplicate} kept per thread for positional operations.
     */
    ByteBuffer buffer();

    /** Size in bytes; every valid reference lies inside it. */
    long size();

    /**
     * Reserves {@code length} contiguous bytes.
     *
     * @return the offset of the reservation, or -1 if there is no room now (back-pressure)
     */
    long allocate(int length);

    /** Returns a reservation made by {@link #allocate}. */
    void free(long offset, int length);
}
