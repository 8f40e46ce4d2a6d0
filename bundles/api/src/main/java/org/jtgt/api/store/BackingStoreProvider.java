package org.jtgt.api.store;

import java.io.IOException;
import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Opens backing stores of one type. Registered as a service with the property
 * {@value #TYPE_PROPERTY} = {@link #type()}.
 */
@ConsumerType
public interface BackingStoreProvider {
    String TYPE_PROPERTY = "jtgt.backing";

    /** {@code memory}, {@code file}, ... */
    String type();

    /**
     * Opens (creating if the type does that) a store.
     *
     * @param path where the bytes live, or {@code null} for types that need none
     * @param size capacity in bytes; for an existing file, 0 means "the file's size"
     * @param options type-specific options
     * @throws IOException with a message naming the path and the reason
     * @throws IllegalArgumentException for a size or option that cannot work
     */
    BackingStore open(String path, long size, Map<String, String> options) throws IOException;

    /**
     * Whether a store of this type lives at a path (jtgtadm's {@code -b}). A type without one
     * takes its size from the request alone.
     *
     * @since 1.4
     */
    default boolean usesPath() {
        return true;
    }

    /**
     * Whether a logical unit over a store of this type is thin-provisioned unless it says
     * otherwise (memory: nothing is allocated before it is written; a file: its blocks exist).
     *
     * @since 1.4
     */
    default boolean thinByDefault() {
        return false;
    }

    /**
     * The options to open an existing store of a unit with (one that was created before, as
     * when the configuration is loaded again).
     *
     * @param readOnly the unit is read-only (the daemon refuses writes to it either way; a type
     *        may also open its store read-only)
     * @since 1.4
     */
    default Map<String, String> openOptions(boolean readOnly) {
        return Map.of();
    }

    /**
     * Checks a request for a new logical unit's store and says how to open it: the path
     * normalised (or {@code null} for a type that uses none), the size (for a type whose store
     * exists already, its own), the options, and whether opening creates it.
     *
     * @param path as asked for ({@code -b}), or {@code null}; ignored by a type that uses none
     * @param size bytes as asked for ({@code --size}), or {@code null}
     * @param readOnly the unit is read-only
     * @throws IOException the request cannot be served; the message says why, for the operator
     * @since 1.4
     */
    default StorePlan plan(String path, Long size, boolean readOnly) throws IOException {
        if (size == null) {
            throw new IOException("a " + type() + " LUN needs --size BYTES");
        }
        return new StorePlan(usesPath() ? path : null, size, openOptions(readOnly), false);
    }
}
