package org.jtgt.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.jtgt.testkit.PosixModes;

/**
 * What the admin bundle writes is owner-only: the control socket 0600 in a directory others
 * cannot enter (one made for it, or the bundle's own data area, is 0700).
 */
class AdminFilePermissionsTest {
    private static final Path DIR = Path.of("target", "afp").toAbsolutePath();

    private static Path fresh(String name) throws IOException {
        return PosixModes.fresh(DIR, name, "rwxr-xr-x");
    }

    private static String mode(Path p) throws IOException {
        return PosixModes.mode(p);
    }

    @Test
    void aDirectoryMadeForTheControlSocketIsOwnerOnly() throws IOException {
        Path sub = fresh("made").resolve("run");
        ControlSocket socket = new ControlSocket();
        socket.open(sub.resolve("control.sock"));
        try {
            assertEquals("rw-------", mode(sub.resolve("control.sock")));
            assertEquals("rwx------", mode(sub));
        } finally {
            socket.close();
        }
    }

    @Test
    void theBundlesDataAreaIsNarrowedToOwnerOnly() throws IOException {
        Path data = fresh("data");
        ControlSocket socket = new ControlSocket();
        socket.activate(context(data), config());
        try {
            assertEquals(data.resolve("control.sock"), socket.path());
            assertEquals("rw-------", mode(socket.path()));
            assertEquals("rwx------", mode(data));
        } finally {
            socket.close();
        }
    }

    private static ControlSocket.Config config() {
        return (ControlSocket.Config) Proxy.newProxyInstance(ControlSocket.Config.class.getClassLoader(),
                new Class<?>[] {ControlSocket.Config.class}, (p, m, a) -> m.getName().equals("path") ? "" : null);
    }

    private static BundleContext context(Path dataArea) {
        ServiceRegistration<?> registration = (ServiceRegistration<?>) Proxy.newProxyInstance(
                ServiceRegistration.class.getClassLoader(), new Class<?>[] {ServiceRegistration.class}, (p, m, a) -> null);
        return (BundleContext) Proxy.newProxyInstance(BundleContext.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (p, m, a) -> {
                    switch (m.getName()) {
                        case "getProperty":
                            return null;
                        case "getDataFile":
                            return new File(dataArea.toFile(), (String) a[0]);
                        case "registerService":
                            return registration;
                        default:
                            throw new UnsupportedOperationException(m.getName());
                    }
                });
    }
}
