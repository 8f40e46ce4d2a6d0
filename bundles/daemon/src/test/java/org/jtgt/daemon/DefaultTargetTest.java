package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.jtgt.api.store.BackingStore;
import org.jtgt.api.store.BackingStoreProvider;
import org.jtgt.api.target.LunInfo;
import org.jtgt.api.target.TargetInfo;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;

class DefaultTargetTest {
    private final TargetDaemon daemon = new TargetDaemon();
    private long opened;

    private final BackingStoreProvider memory = new BackingStoreProvider() {
        @Override
        public String type() {
            return "memory";
        }

        @Override
        public BackingStore open(String path, long size, Map<String, String> options) {
            opened = size;
            return new HugeStore(size);
        }
    };

    private static DefaultTarget.Config config(Map<String, Object> values) {
        return (DefaultTarget.Config) Proxy.newProxyInstance(DefaultTarget.Config.class.getClassLoader(),
                new Class<?>[] {DefaultTarget.Config.class},
                (p, m, a) -> values.containsKey(m.getName()) ? values.get(m.getName()) : m.getDefaultValue());
    }

    private static BundleContext context(Map<String, String> frameworkProperties) {
        return (BundleContext) Proxy.newProxyInstance(BundleContext.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (p, m, a) -> {
                    if (m.getName().equals("getProperty")) {
                        return frameworkProperties.get((String) a[0]);
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    @Test
    void createsTheDefaultTargetWithAThinMemoryLun() {
        DefaultTarget dt = new DefaultTarget(daemon, memory);
        dt.activate(context(Map.of()), config(Map.of()), Map.of());
        List<TargetInfo> targets = daemon.targets();
        assertEquals(1, targets.size());
        assertEquals("iqn.2026-11.org.jtgt:default", targets.get(0).name());
        LunInfo lun = targets.get(0).luns().get(0);
        assertEquals(0, lun.lun());
        assertEquals(1L << 30, lun.sizeBytes());
        assertEquals(512, lun.blockSize());
        assertTrue(lun.options().thin());
        assertEquals(0, lun.options().physicalBlockSize(), "one block per physical block");
        dt.deactivate();
        assertTrue(daemon.targets().isEmpty());
    }

    @Test
    void physicalBlockSizeFromTheFrameworkProperty() {
        DefaultTarget dt = new DefaultTarget(daemon, memory);
        dt.activate(context(Map.of(DefaultTarget.PROP_PHYSICAL_BLOCK_SIZE, "4096")), config(Map.of()), Map.of());
        assertEquals(4096, daemon.targets().get(0).luns().get(0).options().physicalBlockSize(), "512e");
        dt.deactivate();
        DefaultTarget bad = new DefaultTarget(daemon, memory);
        bad.activate(context(Map.of(DefaultTarget.PROP_PHYSICAL_BLOCK_SIZE, "1000")), config(Map.of()), Map.of());
        assertTrue(daemon.targets().isEmpty(), "an invalid physical block size is refused with the LUN");
        DefaultTarget big = new DefaultTarget(daemon, memory);
        big.activate(context(Map.of()), config(Map.of("blockSize", 4096, "physicalBlockSize", 4096)), Map.of());
        assertEquals(0, daemon.targets().get(0).luns().get(0).options().physicalBlockSize(),
                "4096-byte blocks are their own physical blocks");
    }

    @Test
    void frameworkPropertiesOverrideTheDefaults() {
        DefaultTarget dt = new DefaultTarget(daemon, memory);
        dt.activate(context(Map.of(DefaultTarget.PROP_NAME, "iqn.2026-11.org.jtgt:itest", DefaultTarget.PROP_SIZE, "64m")),
                config(Map.of()), Map.of());
        assertEquals("iqn.2026-11.org.jtgt:itest", daemon.targets().get(0).name());
        assertEquals(64L << 20, opened);
    }

    @Test
    void frameworkPropertyCanDisableIt() {
        DefaultTarget dt = new DefaultTarget(daemon, memory);
        dt.activate(context(Map.of(DefaultTarget.PROP_ENABLED, "false")), config(Map.of()), Map.of());
        assertTrue(daemon.targets().isEmpty());
        assertNull(dt.created());
        dt.deactivate();
    }

    @Test
    void configurationAdminWinsOverFrameworkProperties() {
        DefaultTarget dt = new DefaultTarget(daemon, memory);
        Map<String, Object> props = new HashMap<>();
        props.put(DefaultTarget.SERVICE_PID, "org.jtgt.daemon.DefaultTarget");
        dt.activate(context(Map.of(DefaultTarget.PROP_NAME, "iqn.2026-11.org.jtgt:ignored")),
                config(Map.of("name", "iqn.2026-11.org.jtgt:configured", "size", 8192L, "blockSize", 4096)), props);
        TargetInfo t = daemon.targets().get(0);
        assertEquals("iqn.2026-11.org.jtgt:configured", t.name());
        assertEquals(4096, t.luns().get(0).blockSize());
    }

    @Test
    void refusalsAreLoggedAndLeaveNothingBehind() {
        DefaultTarget dt = new DefaultTarget(daemon, memory);
        dt.activate(context(Map.of(DefaultTarget.PROP_NAME, "Not An IQN")), config(Map.of()), Map.of());
        assertTrue(daemon.targets().isEmpty());
        DefaultTarget mismatch = new DefaultTarget(daemon, memory);
        mismatch.activate(context(Map.of()), config(Map.of("backing", "file")), Map.of());
        assertTrue(daemon.targets().isEmpty());
        DefaultTarget badSize = new DefaultTarget(daemon, memory);
        badSize.activate(context(Map.of(DefaultTarget.PROP_SIZE, "1000")), config(Map.of()), Map.of());
        assertTrue(daemon.targets().isEmpty(), "1000 bytes is not a whole number of 512-byte blocks");
    }

    @Test
    void sizes() {
        assertEquals(1L << 30, DefaultTarget.parseSize("1073741824"));
        assertEquals(1L << 30, DefaultTarget.parseSize("1g"));
        assertEquals(1L << 30, DefaultTarget.parseSize("1GiB"));
        assertEquals(64L << 20, DefaultTarget.parseSize(" 64M "));
        assertEquals(512L << 10, DefaultTarget.parseSize("512k"));
        assertThrows(IllegalArgumentException.class, () -> DefaultTarget.parseSize("lots"));
        assertThrows(IllegalArgumentException.class, () -> DefaultTarget.parseSize("0"));
        assertEquals("1 GiB", DefaultTarget.humanSize(1L << 30));
        assertEquals("64 MiB", DefaultTarget.humanSize(64L << 20));
        assertEquals("1000 bytes", DefaultTarget.humanSize(1000));
    }
}
