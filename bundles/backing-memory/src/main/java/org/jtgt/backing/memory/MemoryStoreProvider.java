package org.jtgt.backing.memory;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;

import org.jtgt.api.store.BackingStore;
import org.jtgt.api.store.BackingStoreProvider;
import org.jtgt.util.ByteSize;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens sparse {@link MemoryStore}s. The path is ignored and there are no options; the contents
 * live as long as the store is open. Stores belong to whoever opened them (the daemon closes
 * them when their LUN goes away), so deactivating this provider leaves open stores alone.
 *
 * <p>All memory stores draw on one {@link MemoryBudget}, a bound on the heap they may use
 * together (thin stores as they are written, fully provisioned ones for their whole capacity
 * when their LUN is added). The budget belongs to this bundle, not to one activation of the
 * component, because open stores outlive a reconfiguration. Its limit comes from, in order: the
 * {@code budget} of a configuration (PID {@value #PID}) when it is not 0; the framework property
 * {@value #PROP_BUDGET} (bytes, or with a k, m, g or t suffix; the launcher passes
 * {@code -Djtgt.memory.budget=...}); else {@link MemoryBudget#defaultLimit} of the maximum heap.
 * A change applies at once ({@link Modified}) to every open store.
 */
@Component(service = BackingStoreProvider.class, property = BackingStoreProvider.TYPE_PROPERTY + "=memory",
        configurationPid = MemoryStoreProvider.PID)
@Designate(ocd = MemoryStoreProvider.Config.class)
public class MemoryStoreProvider implements BackingStoreProvider {
    private static final Logger LOG = LoggerFactory.getLogger(MemoryStoreProvider.class);

    static final String PID = "org.jtgt.backing.memory";
    static final String PROP_BUDGET = "jtgt.memory.budget";

    /** Shared by every store this bundle opens; its limit is set on (re)activation. */
    private static final MemoryBudget SHARED = new MemoryBudget(MemoryBudget.defaultLimit(Runtime.getRuntime().maxMemory()));

    @ObjectClassDefinition(name = "jtgt memory backing stores",
            description = "Heap memory that memory-backed LUNs may use together")
    public @interface Config {
        @AttributeDefinition(name = "Budget", description = "Bytes of heap all memory stores together may use: the "
                + "written chunks of thin LUNs and the whole capacity of fully provisioned ones, reserved when the LUN "
                + "is added. 0: the framework property jtgt.memory.budget, else the maximum heap less a quarter of "
                + "it (and less at least 128 MiB)")
        long budget() default 0;
    }

    private final MemoryBudget budget;

    public MemoryStoreProvider() {
        this(SHARED);
    }

    /** For tests: stores draw on {@code budget}. */
    MemoryStoreProvider(MemoryBudget budget) {
        this.budget = budget;
    }

    @Activate
    @Modified
    void activate(BundleContext context, Config config) {
        long maxHeap = Runtime.getRuntime().maxMemory();
        long limit = MemoryBudget.defaultLimit(maxHeap);
        String source = "default for a maximum heap of " + (maxHeap == Long.MAX_VALUE ? "unbounded" : ByteSize.format(maxHeap));
        String property = context == null ? null : context.getProperty(PROP_BUDGET);
        if (config != null && config.budget() > 0) {
            limit = config.budget();
            source = "configuration " + PID;
        } else if (property != null && !property.isBlank()) {
            try {
                limit = parseSize(property);
                source = "framework property " + PROP_BUDGET;
            } catch (IllegalArgumentException e) {
                LOG.error("Framework property {}={} is not a size in bytes; using the {}", PROP_BUDGET, property, source);
            }
        }
        budget.limit(limit);
        LOG.info("memory stores: budget {} ({}), {} in use", limit == Long.MAX_VALUE ? "unlimited" : ByteSize.format(limit),
                source, ByteSize.format(budget.used()));
        if (budget.used() > limit) {
            LOG.warn("memory stores use more than the new budget; thin LUNs cannot allocate until enough is freed");
        }
    }

    @Deactivate
    void deactivate() {
        LOG.debug("memory backing store provider inactive");
    }

    @Override
    public String type() {
        return "memory";
    }

    /** A memory store lives nowhere: a LUN request names its size. */
    @Override
    public boolean usesPath() {
        return false;
    }

    /** Nothing is allocated before it is written. */
    @Override
    public boolean thinByDefault() {
        return true;
    }

    /**
     * @param path ignored, may be null
     * @param size capacity in bytes, 1 .. 2^50
     * @param options must be empty (or null): the memory store has none
     * @throws IOException if the budget cannot hold the store's directory
     */
    @Override
    public BackingStore open(String path, long size, Map<String, String> options) throws IOException {
        if (options != null && !options.isEmpty()) {
            throw new IllegalArgumentException("memory store takes no options, got " + options.keySet());
        }
        MemoryStore store = MemoryStore.open(size, MemoryStore.DEFAULT_CHUNK_SHIFT, MemoryStore.DEFAULT_PAGE_SHIFT, budget);
        LOG.info("opened {}; {}", store.describe(), budget.state());
        return store;
    }

    /** Bytes, with an optional binary suffix: {@code 402653184}, {@code 384m}, {@code 1g}, {@code 512k}. */
    static long parseSize(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.endsWith("ib")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("b")) {
            t = t.substring(0, t.length() - 1);
        }
        int shift = 0;
        if (!t.isEmpty()) {
            int at = "kmgt".indexOf(t.charAt(t.length() - 1));
            if (at >= 0) {
                shift = 10 * (at + 1);
                t = t.substring(0, t.length() - 1).trim();
            }
        }
        long v;
        try {
            v = Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a size: " + s, e);
        }
        if (v <= 0 || v > Long.MAX_VALUE >> shift) {
            throw new IllegalArgumentException("size out of range: " + s);
        }
        return v << shift;
    }
}
