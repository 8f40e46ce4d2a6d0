package org.jtgt.transport.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.jtgt.testkit.PosixModes;

/**
 * The socket is 0600 and sits in a directory others cannot enter: one this transport creates is
 * 0700, the bundle's own data area is narrowed to 0700, a configured directory keeps its mode.
 */
class SocketPermissionsTest {
    private static final Path DIR = Path.of("target", "nlp").toAbsolutePath();

    private static Path fresh(String name) throws IOException {
        return PosixModes.fresh(DIR, name, "rwxr-xr-x");
    }

    private static String mode(Path p) throws IOException {
        return PosixModes.mode(p);
    }

    @Test
    void aDirectoryMadeForTheSocketIsOwnerOnly() throws IOException {
        Path sub = fresh("made").resolve("a").resolve("b");
        Path socket = sub.resolve("n.sock");
        NetlinkTransport t = new NetlinkTransport();
        t.open(socket, 1 << 20, 64, 64);
        try {
            assertEquals("rw-------", mode(socket));
            assertEquals("rwx------", mode(sub));
            assertEquals("rwx------", mode(sub.getParent()));
        } finally {
            t.deactivate();
        }
        assertFalse(Files.exists(socket));
    }

    @Test
    void theBundlesDataAreaIsNarrowedToOwnerOnly() throws IOException {
        Path data = fresh("data");
        NetlinkTransport t = new NetlinkTransport();
        t.activate(context(data), config(""));
        try {
            assertEquals(data, t.socketFile().getParent());
            assertEquals("rw-------", mode(t.socketFile()));
            assertEquals("rwx------", mode(data));
        } finally {
            t.deactivate();
        }
    }

    @Test
    void aConfiguredDirectoryKeepsItsMode() throws IOException {
        Path configured = fresh("conf");
        NetlinkTransport t = new NetlinkTransport();
        t.activate(context(fresh("unused")), config(configured.toString()));
        try {
            assertEquals(configured, t.socketFile().getParent());
            assertEquals("rw-------", mode(t.socketFile()));
            assertEquals("rwxr-xr-x", mode(configured), "the operator's directory");
        } finally {
            t.deactivate();
        }
    }

    private static NetlinkTransport.Config config(String directory) {
        Map<String, Object> values = Map.of("directory", directory, "dataAreaSize", 1L << 20, "outboundQueueSize", 64,
                "ackWindow", 64);
        return (NetlinkTransport.Config) Proxy.newProxyInstance(NetlinkTransport.Config.class.getClassLoader(),
                new Class<?>[] {NetlinkTransport.Config.class}, (p, m, a) -> values.get(m.getName()));
    }

    private static BundleContext context(Path dataArea) {
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
                            return null;
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
