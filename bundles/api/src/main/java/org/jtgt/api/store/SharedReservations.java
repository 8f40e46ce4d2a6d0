package org.jtgt.api.store;

import java.io.Closeable;
import java.io.IOException;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A small versioned record kept with a store that several targets (gateways) serve at once, for
 * the daemon's persistent reservations of that store's logical unit: every gateway reads the same
 * bytes, replaces them only if nobody did since it read them (compare and set on the version), and
 * hears of every replacement. The bytes are opaque to the store.
 *
 * <p>Read-your-writes: {@link #compareAndSet} returns only once every other client listening
 * ({@link #listen}) has been given the new record and has returned from its listener, or a bounded
 * time ({@link #notifyTimeoutMillis()}) has passed; a listener that did not answer in that time
 * reports itself {@link #current() out of date} before the bound ends, so that a gateway never
 * answers from a record it may have missed.
 *
 * @since 1.8
 */
@ConsumerType
public interface SharedReservations extends Closeable {
    /** A record and its version; version 0 with no bytes is the record never written. */
    record Versioned(long version, byte[] data) {
    }

    /** Reads the record as the store holds it now. */
    Versioned load() throws IOException;

    /**
     * Replaces the record with {@code data} if its version is still {@code expectedVersion}, and
     * tells the other listeners.
     *
     * @return the new record, or {@code null} if another client replaced it first (load again
     *         and decide again)
     * @throws NotAccessibleException this client was fenced off (its write refused for good) or
     *         cannot reach the record; nothing was replaced then
     * @throws IOException any other failure; nothing is known to have been replaced
     */
    Versioned compareAndSet(long expectedVersion, byte[] data) throws IOException;

    /**
     * Sets the one listener: called with every record another client (or this one) wrote, on
     * the store's thread, possibly more than once and out of order (compare versions); it must
     * not block. Called with {@code null} when records may have been missed (the watch was lost
     * and is set up again): load then.
     */
    void listen(Consumer<Versioned> listener);

    /**
     * False while this client may have missed a record another wrote (its watch was lost or has
     * not been confirmed within the bound); a cheap read of a field.
     */
    boolean current();

    /** How long {@link #compareAndSet} waits at most for the other listeners. */
    long notifyTimeoutMillis();

    /** Whether another client (another gateway) listens to this record now. */
    boolean othersListening() throws IOException;

    /** For log lines: the store and the record. */
    String describe();

    /** Stops listening; the record stays. */
    @Override
    void close();
}
