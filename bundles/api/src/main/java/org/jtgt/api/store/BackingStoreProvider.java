package org.jtgt.api.store;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Opens backing stores of one type. Registered as a service with the property
 * {@value #TYPE_PROPERTY} = {@link #type()}.
 *
 * <p>Store options ({@link #optionKeys()}, since 1.6) are what a user may choose about a store
 * of this type beyond what every logical unit has: the file store's {@code direct=0|1}, for
 * example. {@code targets.conf} and jtgtadm take them next to the unit's own options, keep them
 * with the unit, and pass them to {@link #plan(String, Long, boolean, Map)} when the unit is made
 * and to {@link #openOptions(boolean, Map)} whenever its store is opened again; the provider
 * checks them ({@link #checkOptions}).
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
     * The store options a user may give a logical unit of this type ({@code targets.conf}'s
     * {@code lun} line, jtgtadm's {@code --params}); none by default. A key is also the name of
     * the {@link #open} option it becomes, and never one of the options every unit has
     * ({@code readonly}, {@code removable}, {@code thin}, {@code serial},
     * {@code physicalblocksize}, {@code size}, {@code blocksize}), which are read as those.
     *
     * @since 1.6
     */
    default Set<String> optionKeys() {
        return Set.of();
    }

    /**
     * The values store option {@code key} takes, as messages show them: {@code 0|1},
     * {@code BYTES}. The default says {@code VALUE}.
     *
     * @since 1.6
     */
    default String optionValues(String key) {
        return "VALUE";
    }

    /**
     * Checks the store options a user gave: each key is one of {@link #optionKeys()} (the
     * default checks only this) and each value one its key takes (a provider with options
     * checks that too).
     *
     * @throws IllegalArgumentException naming the option and what this type takes
     * @since 1.6
     */
    default void checkOptions(Map<String, String> storeOptions) {
        for (String key : storeOptions.keySet()) {
            if (!optionKeys().contains(key)) {
                StringBuilder known = new StringBuilder();
                for (String k : new TreeSet<>(optionKeys())) {
                    known.append(known.length() == 0 ? "" : ", ").append(k).append('=').append(optionValues(k));
                }
                throw new IllegalArgumentException("a " + type() + " store has no option '" + key + "' ("
                        + (known.length() == 0 ? "it takes none" : "it takes " + known) + ")");
            }
        }
    }

    /**
     * {@link #openOptions(boolean)} with the unit's store options: what to open the existing
     * store of a unit with, as its user chose it. The default checks them ({@link #checkOptions})
     * and adds them to {@link #openOptions(boolean)}'s.
     *
     * @param storeOptions the unit's store options, as {@link StorePlan#storeOptions()} had them
     * @throws IllegalArgumentException an option this type does not take
     * @since 1.6
     */
    default Map<String, String> openOptions(boolean readOnly, Map<String, String> storeOptions) {
        checkOptions(storeOptions);
        return merge(openOptions(readOnly), storeOptions);
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

    /**
     * {@link #plan(String, Long, boolean)} with the store options the user gave. The default
     * checks them ({@link #checkOptions}), plans without them, and opens with them too; the plan
     * keeps them ({@link StorePlan#storeOptions()}).
     *
     * @throws IOException the request cannot be served; the message says why, for the operator
     * @throws IllegalArgumentException an option this type does not take
     * @since 1.6
     */
    default StorePlan plan(String path, Long size, boolean readOnly, Map<String, String> storeOptions)
            throws IOException {
        checkOptions(storeOptions);
        StorePlan p = plan(path, size, readOnly);
        return new StorePlan(p.path(), p.size(), merge(p.options(), storeOptions), p.creates(), storeOptions);
    }

    /** {@code options} with {@code storeOptions} added; where both have a key, {@code options}' value stays. */
    private static Map<String, String> merge(Map<String, String> options, Map<String, String> storeOptions) {
        if (storeOptions.isEmpty()) {
            return options;
        }
        Map<String, String> all = new HashMap<>(storeOptions);
        all.putAll(options);
        return Map.copyOf(all);
    }
}
