package org.jtgt.api.store;

import java.util.Map;

/**
 * A new logical unit's store as its {@link BackingStoreProvider} checked it: what to pass to
 * {@link BackingStoreProvider#open}, and whether opening creates the bytes' home (which the
 * caller then removes if the unit cannot be added).
 *
 * @param path where the bytes live, normalised, or {@code null} for a type that needs none
 * @param size capacity in bytes
 * @param options what to open the store with
 * @param creates opening creates {@code path}
 * @since 1.4
 */
public record StorePlan(String path, long size, Map<String, String> options, boolean creates) {
    public StorePlan {
        options = Map.copyOf(options);
    }
}
