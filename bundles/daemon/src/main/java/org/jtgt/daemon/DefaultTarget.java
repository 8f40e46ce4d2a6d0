package org.jtgt.daemon;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;

import org.jtgt.api.store.BackingStore;
import org.jtgt.api.store.BackingStoreProvider;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.target.TargetAdminException;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates one target with LUN 0 on a fresh backing store when the daemon starts, so a plain
 * launch has something to log in to. Every field takes effect on (re)activation: a change of
 * configuration deactivates the component, which deletes the target, and activates it again.
 *
 * <p>Values come from, in order of precedence: a configuration from Configuration Admin (PID
 * {@code org.jtgt.daemon.DefaultTarget}); the framework properties
 * {@value #PROP_ENABLED}, {@value #PROP_NAME}, {@value #PROP_SIZE}, {@value #PROP_REMOVABLE},
 * {@value #PROP_READ_ONLY} and {@value #PROP_PHYSICAL_BLOCK_SIZE} (set by the launcher and the
 * integration tests); the defaults of
 * {@link Config}.
 *
 * <p>The backing store provider is chosen by the reference's target filter, by default
 * {@code (jtgt.backing=memory)}. To use another type, configure both {@code backing} and the
 * filter, e.g. {@code backing=file} and {@code provider.target=(jtgt.backing=file)} (the
 * standard {@code <reference>.target} component property); a provider whose type disagrees with
 * {@code backing} is refused. A file store needs a path, which this component does not provide:
 * it is meant for memory.
 */
@Component(immediate = true, configurationPid = "org.jtgt.daemon.DefaultTarget")
@Designate(ocd = DefaultTarget.Config.class)
public final class DefaultTarget {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultTarget.class);

    static final String PROP_ENABLED = "jtgt.default.target.enabled";
    static final String PROP_NAME = "jtgt.default.target.name";
    static final String PROP_SIZE = "jtgt.default.target.size";
    static final String PROP_REMOVABLE = "jtgt.default.target.removable";
    static final String PROP_READ_ONLY = "jtgt.default.target.readonly";
    static final String PROP_PHYSICAL_BLOCK_SIZE = "jtgt.default.target.physicalblocksize";
    /** Present in the component properties only when Configuration Admin supplied them. */
    static final String SERVICE_PID = "service.pid";

    @ObjectClassDefinition(name = "jtgt default target",
            description = "A target with one LUN created when the daemon starts")
    public @interface Config {
        @AttributeDefinition(name = "Enabled", description = "Create the default target at all")
        boolean enabled() default true;

        @AttributeDefinition(name = "Target name", description = "iSCSI name of the target (iqn., eui. or naa.)")
        String name() default "iqn.2026-11.org.jtgt:default";

        @AttributeDefinition(name = "Size", description = "Capacity of LUN 0 in bytes")
        long size() default 1073741824L;

        @AttributeDefinition(name = "Block size", description = "Logical block size of LUN 0: 512 or 4096")
        int blockSize() default 512;

        @AttributeDefinition(name = "Backing store type",
                description = "jtgt.backing type of the store; change provider.target to match")
        String backing() default "memory";

        @AttributeDefinition(name = "Removable", description = "LUN 0 reports a removable medium (RMB) "
                + "that START STOP UNIT can eject and PREVENT ALLOW MEDIUM REMOVAL can hold")
        boolean removable() default false;

        @AttributeDefinition(name = "Read-only", description = "LUN 0 is write-protected: every write "
                + "command is DATA PROTECT, WRITE PROTECTED")
        boolean readOnly() default false;

        @AttributeDefinition(name = "Physical block size", description = "Bytes per physical block of LUN 0, "
                + "a power-of-two multiple of the block size, reported by READ CAPACITY(16) and the Block Limits "
                + "VPD page, e.g. 4096 on 512-byte blocks for a \"512e\" disk; 0 means one block per physical block")
        int physicalBlockSize() default 0;
    }

    @Reference
    private TargetAdmin admin;

    /** Static, mandatory; the target filter is configurable through {@code provider.target}. */
    @Reference(target = "(" + BackingStoreProvider.TYPE_PROPERTY + "=memory)")
    private BackingStoreProvider provider;

    private String created;

    public DefaultTarget() {
    }

    /** For tests: the references set directly. */
    DefaultTarget(TargetAdmin admin, BackingStoreProvider provider) {
        this.admin = admin;
        this.provider = provider;
    }

    @Activate
    void activate(BundleContext context, Config config, Map<String, Object> properties) {
        boolean configured = properties.containsKey(SERVICE_PID);
        boolean enabled = config.enabled();
        String name = config.name();
        long size = config.size();
        boolean removable = config.removable();
        boolean readOnly = config.readOnly();
        int physicalBlockSize = config.physicalBlockSize();
        if (!configured) {
            String pb = context.getProperty(PROP_PHYSICAL_BLOCK_SIZE);
            if (pb != null && !pb.isBlank()) {
                try {
                    physicalBlockSize = Integer.parseInt(pb.trim());
                } catch (NumberFormatException ex) {
                    LOG.error("Framework property {}={} is not a number; using {}", PROP_PHYSICAL_BLOCK_SIZE, pb,
                            physicalBlockSize);
                }
            }
            String r = context.getProperty(PROP_REMOVABLE);
            String w = context.getProperty(PROP_READ_ONLY);
            if (r != null && !r.isBlank()) {
                removable = Boolean.parseBoolean(r.trim());
            }
            if (w != null && !w.isBlank()) {
                readOnly = Boolean.parseBoolean(w.trim());
            }
            String e = context.getProperty(PROP_ENABLED);
            String n = context.getProperty(PROP_NAME);
            String s = context.getProperty(PROP_SIZE);
            if (e != null) {
                enabled = Boolean.parseBoolean(e.trim());
            }
            if (n != null && !n.isBlank()) {
                name = n.trim();
            }
            if (s != null && !s.isBlank()) {
                try {
                    size = parseSize(s);
                } catch (IllegalArgumentException ex) {
                    LOG.error("Framework property {}={} is not a size; using {}", PROP_SIZE, s, size);
                }
            }
        }
        if (!enabled) {
            LOG.info("Default target disabled");
            return;
        }
        create(name, size, config.blockSize(), config.backing(), removable, readOnly, physicalBlockSize);
    }

    void create(String name, long size, int blockSize, String backing) {
        create(name, size, blockSize, backing, false, false);
    }

    void create(String name, long size, int blockSize, String backing, boolean removable, boolean readOnly) {
        create(name, size, blockSize, backing, removable, readOnly, 0);
    }

    /**
     * Opens the store, creates the target and adds LUN 0; logs and gives up on any refusal. A
     * physical block size no larger than the block size means one block per physical block.
     */
    void create(String name, long size, int blockSize, String backing, boolean removable, boolean readOnly,
                int physicalBlockSize) {
        if (!provider.type().equals(backing)) {
            LOG.error("Default target {} not created: backing '{}' configured but the bound provider is '{}'",
                    name, backing, provider.type());
            return;
        }
        BackingStore store;
        try {
            store = provider.open(null, size, Map.of());
        } catch (IOException | RuntimeException e) {
            LOG.error("Default target {} not created: cannot open a {} store of {} bytes", name, backing, size, e);
            return;
        }
        try {
            admin.createTarget(name);
        } catch (TargetAdminException e) {
            LOG.error("Default target not created: {}", e.getMessage());
            closeQuietly(store);
            return;
        }
        try {
            admin.addLun(name, 0, store, blockSize, new LunOptions(readOnly, removable, "memory".equals(backing), null,
                    physicalBlockSize > blockSize ? physicalBlockSize : 0));
        } catch (TargetAdminException e) {
            LOG.error("Default target {}: LUN 0 not added: {}", name, e.getMessage());
            closeQuietly(store);
            admin.deleteTarget(name, true);
            return;
        }
        created = name;
        LOG.info("Default target {} LUN 0: {} {}", name, humanSize(size), backing);
    }

    @Deactivate
    void deactivate() {
        if (created == null) {
            return;
        }
        try {
            admin.deleteTarget(created, true);
            LOG.info("Default target {} deleted", created);
        } catch (TargetAdminException e) {
            LOG.warn("Default target {}: {}", created, e.getMessage());
        }
        created = null;
    }

    /** The name of the target this component created, or {@code null}. */
    String created() {
        return created;
    }

    private static void closeQuietly(BackingStore store) {
        try {
            store.close();
        } catch (IOException e) {
            LOG.warn("Closing {} failed", store.describe(), e);
        }
    }

    /** Bytes, with an optional binary suffix: {@code 1073741824}, {@code 64m}, {@code 1g}, {@code 512k}. */
    static long parseSize(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.endsWith("ib")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("b") && t.length() > 1 && !Character.isDigit(t.charAt(t.length() - 2))) {
            t = t.substring(0, t.length() - 1);
        }
        int shift = 0;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'k':
                    shift = 10;
                    break;
                case 'm':
                    shift = 20;
                    break;
                case 'g':
                    shift = 30;
                    break;
                case 't':
                    shift = 40;
                    break;
                default:
                    break;
            }
        }
        if (shift > 0) {
            t = t.substring(0, t.length() - 1).trim();
        }
        long v = Long.parseLong(t);
        if (v <= 0 || v > Long.MAX_VALUE >> shift) {
            throw new IllegalArgumentException("size out of range: " + s);
        }
        return v << shift;
    }

    /** 1073741824 → "1 GiB"; sizes that are not whole units stay in bytes. */
    static String humanSize(long bytes) {
        String[] units = {"TiB", "GiB", "MiB", "KiB"};
        int[] shifts = {40, 30, 20, 10};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << shifts[i];
            if (bytes >= unit && bytes % unit == 0) {
                return (bytes >> shifts[i]) + " " + units[i];
            }
        }
        return bytes + " bytes";
    }
}
