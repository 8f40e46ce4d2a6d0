package org.jtgt.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import org.jtgt.api.config.PortGroupConfiguration;
import org.jtgt.api.config.TargetConfiguration;
import org.jtgt.api.target.ChapAccounts;
import org.jtgt.api.target.PortGroupListener;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.jtgt.testkit.PosixModes;

/** The component that owns targets.conf: where the file is, and when the account source appears. */
class TargetsConfServiceTest {
    private static final Path DIR = Path.of("target", "targets-conf-service-test").toAbsolutePath();

    /**
     * The CHAP account source is registered only once targets.conf is read: registered earlier,
     * it would answer "no accounts" for a target that has them, and the iSCSI driver would admit
     * logins to it without CHAP.
     */
    @Test
    void chapAccountsAreRegisteredOnlyWithTheAccountsOfTargetsConf() throws Exception {
        String iqn = "iqn.2026-11.org.jtgt:chap";
        Path dir = fresh("activate");
        Files.writeString(dir.resolve(TargetsFile.NAME), "target 1 " + iqn + "\naccount alice alice-secret1\n"
                + "incominguser 1 alice\n");
        List<Object> atRegistration = new ArrayList<>();
        TargetsConfService activated = new TargetsConfService();
        activated.activate(context(dir.toString(), atRegistration, iqn), config(""));
        try {
            assertEquals(List.of(TargetConfiguration.class.getSimpleName(),
                    "TargetChap[incoming=[alice], outgoing=null]", PortGroupConfiguration.class.getSimpleName(),
                    PortGroupListener.class.getSimpleName()), atRegistration);
        } finally {
            activated.deactivate();
        }
    }

    /**
     * A directory that cannot hold targets.conf fails activation, so no account source is
     * registered (the iSCSI driver then refuses logins) instead of one that knows no accounts.
     */
    @Test
    void aDirectoryThatCannotHoldTheFileFailsActivationWithoutAnAccountSource() throws IOException {
        Path file = fresh("blocked").resolve("a-file");
        Files.writeString(file, "not a directory");
        List<Object> registered = new ArrayList<>();
        TargetsConfService service = new TargetsConfService();
        assertThrows(IOException.class, () -> service.activate(context(null, registered, "x"),
                config(file.resolve("conf").toString())));
        assertEquals(List.of(), registered);
    }

    @Test
    void theConfiguredDirectoryComesBeforeTheFrameworkProperty() throws IOException {
        Path property = fresh("property");
        Path configured = fresh("configured").resolve("etc");
        TargetsConfService service = new TargetsConfService();
        service.activate(context(property.toString(), new ArrayList<>(), "x"), config(configured.toString()));
        try {
            assertEquals(configured.resolve(TargetsFile.NAME), service.configured().file());
            assertEquals("rwx------", mode(configured), "a directory made for targets.conf is owner-only");
        } finally {
            service.deactivate();
        }
    }

    @Test
    void targetsConfAndADirectoryMadeForItAreOwnerOnly() throws IOException {
        Path sub = fresh("conf").resolve("etc");
        Path file = sub.resolve(TargetsFile.NAME);
        TargetsFile.write(file, "target 1 iqn.2026-11.org.jtgt:one\n");
        assertEquals("rw-------", mode(file));
        assertEquals("rwx------", mode(sub));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        TargetsFile.write(file, "target 2 iqn.2026-11.org.jtgt:two\n");
        assertEquals("rw-------", mode(file), "a rewrite is owner-only whatever the old file was");
        assertFalse(Files.exists(sub.resolve(TargetsFile.NAME + ".tmp")));
    }

    private static Path fresh(String name) throws IOException {
        return PosixModes.fresh(DIR, name, "rwxr-xr-x");
    }

    private static String mode(Path p) throws IOException {
        return PosixModes.mode(p);
    }

    private static TargetsConfService.Config config(String directory) {
        return (TargetsConfService.Config) Proxy.newProxyInstance(TargetsConfService.Config.class.getClassLoader(),
                new Class<?>[] {TargetsConfService.Config.class}, (p, m, a) -> m.getName().equals("directory")
                        ? directory : null);
    }

    /** {@code registered}: the simple name of each service, or for ChapAccounts what it answers for {@code iqn}. */
    private static BundleContext context(String configDir, List<Object> registered, String iqn) {
        return (BundleContext) Proxy.newProxyInstance(TargetsConfServiceTest.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "getProperty":
                            return TargetsConfService.CONFIG_DIR_PROPERTY.equals(args[0]) ? configDir : null;
                        case "registerService":
                            registered.add(args[0] == ChapAccounts.class
                                    ? String.valueOf(((ChapAccounts) args[1]).forTarget(iqn))
                                    : ((Class<?>) args[0]).getSimpleName());
                            return Proxy.newProxyInstance(TargetsConfServiceTest.class.getClassLoader(),
                                    new Class<?>[] {ServiceRegistration.class}, (p, m, a) -> null);
                        default:
                            throw new UnsupportedOperationException(method.getName());
                    }
                });
    }
}
