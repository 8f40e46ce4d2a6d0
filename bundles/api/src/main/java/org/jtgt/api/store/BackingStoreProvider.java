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
}
