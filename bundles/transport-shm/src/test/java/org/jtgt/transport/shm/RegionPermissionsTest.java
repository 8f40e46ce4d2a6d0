package org.jtgt.transport.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * The region's data area holds what initiators read and write: the file is mode 0600 however
 * the process's umask is set, a directory made for it is 0700, and the bundle's own data area is
 * narrowed to 0700, while a directory the operator configured keeps its mode.
 */
class RegionPermissionsTest {
    private static final long AREA = 1 << 20;
    private Path dir;

    @BeforeEach
    void cleanDirectory(TestInfo info) throws IOException {
        dir = Path.of("target", "shm-permissions", info.getTestMethod().orElseThrow().getName()).toAbsolutePath();
        if (Files.exists(dir)) {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void regionIsOwnerOnlyInADirectoryMadeOwnerOnly() throws IOException {
        Path sub = dir.resolve("regions");
        Path file = sub.resolve("r.region");
        ShmTransport t = new ShmTransport();
        t.open(file, 64, 256, AREA);
        try {
            assertEquals("rw-------", mode(file));
            assertEquals("rwx------", mode(sub));
        } finally {
            t.deactivate();
        }
        assertFalse(Files.exists(file));
    }

    @Test
    void aReadableFileLeftAtTheRegionsPathIsReplacedByAnOwnerOnlyOne() throws IOException {
        Path file = Files.writeString(dir.resolve("r.region"), "left behind");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        ShmTransport t = new ShmTransport();
        t.open(file, 64, 256, AREA);
        try {
            assertEquals("rw-------", mode(file));
            assertTrue(Files.size(file) > AREA);
        } finally {
            t.deactivate();
        }
    }

    @Test
    void theBundlesDataAreaIsNarrowedToOwnerOnly() throws IOException {
        Path data = Files.createDirectory(dir.resolve("data"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        ShmTransport t = new ShmTransport();
        t.activate(context(data, Map.of()), config(""));
        try {
            Path file = t.file();
            assertEquals(data, file.getParent());
            assertEquals("rw-------", mode(file));
            assertEquals("rwx------", mode(data));
        } finally {
            t.deactivate();
        }
    }

    @Test
    void aConfiguredDirectoryKeepsItsModeAndTheRegionInItIsOwnerOnly() throws IOException {
        Path configured = Files.createDirectory(dir.resolve("configured"));
        Files.setPosixFilePermissions(configured, PosixFilePermissions.fromString("rwxr-xr-x"));
        ShmTransport t = new ShmTransport();
        t.activate(context(dir.resolve("unused"), Map.of()), config(configured.toString()));
        try {
            assertEquals(configured, t.file().getParent());
            assertEquals("rw-------", mode(t.file()));
            assertEquals("rwxr-xr-x", mode(configured), "the operator's directory");
            assertEquals(List.of(t.file()), List.of(Files.list(configured).toArray(Path[]::new)));
        } finally {
            t.deactivate();
        }
    }

    private static ShmTransport.Config config(String directory) {
        Map<String, Object> values = Map.of("directory", directory, "slotCount", 64, "slotSize", 256,
                "dataAreaSize", AREA);
        return (ShmTransport.Config) Proxy.newProxyInstance(ShmTransport.Config.class.getClassLoader(),
                new Class<?>[] {ShmTransport.Config.class}, (p, m, a) -> values.get(m.getName()));
    }

    private static BundleContext context(Path dataArea, Map<String, String> properties) {
        Bundle bundle = (Bundle) Proxy.newProxyInstance(Bundle.class.getClassLoader(), new Class<?>[] {Bundle.class},
                (p, m, a) -> {
                    if (m.getName().equals("getBundleId")) {
                        return 7L;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        return (BundleContext) Proxy.newProxyInstance(BundleContext.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (p, m, a) -> {
                    switch (m.getName()) {
                        case "getProperty":
                            return properties.get((String) a[0]);
                        case "getDataFile":
                            return new File(dataArea.toFile(), (String) a[0]);
                        case "getBundle":
                            return bundle;
                        default:
                            throw new UnsupportedOperationException(m.getName());
                    }
                });
    }
}
