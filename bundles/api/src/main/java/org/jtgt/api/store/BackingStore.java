package org.jtgt.api.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Bytes behind one logical unit. Offsets are in bytes; callers (the daemon) have already checked
 * that every access lies inside {@link #size()}, and a store checks again and refuses anything
 * outside it rather than touching it. Safe for concurrent use.
 */
@ConsumerType
public interface BackingStore extends Closeable {
    /** Capacity in bytes. */
    long size();

    /** Fills {@code dst} from its position to its limit with the bytes at {@code offset}. */
    void read(long offset, ByteBuffer dst) throws IOException;

    /**
     * Stores {@code src} from its position to its limit at {@code offset}.
     *
     * @param fua force unit access: the bytes are on stable storage when this returns
     */
    void write(long offset, ByteBuffer src, boolean fua) throws IOException;

    /** Makes every completed write stable (SYNCHRONIZE CACHE). */
    void flush() throws IOException;

    /** Short description for listings: type and path or size. */
    String describe();
}
