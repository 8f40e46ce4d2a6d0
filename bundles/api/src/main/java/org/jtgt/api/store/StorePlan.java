package org.jtgt.api.store;

import java.util.Map;

/**
 * A new logical unit's store as its {@link BackingStoreProvider} checked it: what to pass to
 * {@link BackingStoreProvider#open}, and whether opening creates the bytes' home (which the
 * caller then removes if the unit cannot be added).
 *
 * @param path where the bytes live, normalised, or {@code null} for a type that needs none
 * @param size capacity in bytes
 * @param options what to open the store with (the store options included)
 * @param creates opening creates {@code path}
 * @param storeOptions the store options the user gave ({@link BackingStoreProvider#optionKeys()}),
 *        checked, to keep with the unit and open its store with again
 *        ({@link BackingStoreProvider#openOptions(boolean, Map)}); since 1.6
 * @since 1.4
 */
public record StorePlan(String path, long size, Map<String, String> options, boolean creates,
        Map<String, String> storeOptions) {
    public StorePlan {
        options = Map.copyOf(options);
        storeOptions = Map.copyOf(storeOptions);
    }

    /** A plan without store options. */
    public StorePlan(String path, long size, Map<String, String> options, boolean creates) {
        this(path, size, options, creates, Map.of());
    }
}
