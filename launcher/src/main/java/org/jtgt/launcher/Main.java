package org.jtgt.launcher;

import org.jtgt.launcher.LauncherOptions.UsageException;

/**
 * {@code java -jar jtgt.jar}: runs the jtgt bundles in an embedded Apache Felix (or Eclipse
 * Equinox, {@code --framework equinox}) until SIGINT or SIGTERM.
 *
 * <p>Exit status: 0 after a clean stop (including one asked for by SIGINT or SIGTERM), 1 if the
 * framework could not start or did not stop cleanly, 2 for a bad command line.
 */
public final class Main {
    static final int EXIT_OK = 0;
    static final int EXIT_FAILURE = 1;
    static final int EXIT_USAGE = 2;
    /** Framework property naming the control socket (read by the admin bundle). */
    static final String CONTROL_PROPERTY = "jtgt.control";
    /** Framework property naming the directory of the netlink-style transport's socket. */
    static final String NETLINK_DIR_PROPERTY = "jtgt.netlink.dir";

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        LauncherOptions options;
        try {
            options = LauncherOptions.parse(args);
        } catch (UsageException e) {
            System.err.println("jtgt: " + e.getMessage());
            System.err.print(LauncherOptions.usage());
            return EXIT_USAGE;
        }
        if (options.help()) {
            System.out.print(LauncherOptions.usage());
            return EXIT_OK;
        }
        // Loaded only now, so --help and usage errors neither initialise logging nor touch disk.
        if (options.portal() != null) {
            // Framework properties are taken from jtgt.* system properties (EmbeddedFramework).
            System.setProperty(LauncherOptions.PORTAL_PROPERTY, options.portal());
        }
        if (options.http() != null) {
            System.setProperty(LauncherOptions.HTTP_PROPERTY, options.http());
        }
        if (System.getProperty(CONTROL_PROPERTY) == null) {
            // The admin bundle's control socket, where jtgtadm finds this instance.
            System.setProperty(CONTROL_PROPERTY, options.configDir().resolve(Jtgtadm.SOCKET_NAME).toString());
        }
        if (System.getProperty(NETLINK_DIR_PROPERTY) == null) {
            // The netlink-style transport's socket: here rather than deep in the framework cache,
            // because a Unix socket path may not exceed 107 bytes.
            System.setProperty(NETLINK_DIR_PROPERTY, options.configDir().toString());
        }
        System.setProperty(Role.PROPERTY, options.role().id());
        return new EmbeddedFramework(options.configDir(), options.framework(), options.role()).runUntilStopped();
    }
}
