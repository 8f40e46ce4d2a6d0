package org.jtgt.backing.memory;

import java.util.Map;

import org.jtgt.api.store.BackingStore;
import org.jtgt.api.store.BackingStoreProvider;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens sparse {@link MemoryStore}s. The path is ignored and there are no options; the contents
 * live as long as the store is open. Stores belong to whoever opened them (the daemon closes
 * them when their LUN goes away), so deactivating this provider leaves open stores alone.
 */
@Component(service = BackingStoreProvider.class, property = BackingStoreProvider.TYPE_PROPERTY + "=memory")
public class MemoryStoreProvider implements BackingStoreProvider {
    private static final Logger LOG = LoggerFactory.getLogger(MemoryStoreProvider.class);

    @Activate
    void activate() {
        LOG.debug("memory backing store provider active");
    }

    @Deactivate
    void deactivate() {
        LOG.debug("memory backing store provider inactive");
    }

    @Override
    public String type() {
        return "memory";
    }

    /**
     * @param path ignored, may be null
     * @param size capacity in bytes, 1 .. 2^50
     * @param options must be empty (or null): the memory store has none
     */
    @Override
    public BackingStore open(String path, long size, Map<String, String> options) {
        if (options != null && !options.isEmpty()) {
            throw new IllegalArgumentException("memory store takes no options, got " + options.keySet());
        }
        MemoryStore store = new MemoryStore(size);
        LOG.info("opened {}", store.describe());
        return store;
    }
}
