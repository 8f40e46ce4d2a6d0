package org.jtgt.launcher;

import java.nio.file.Path;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The launcher's command line. Every option is one entry of {@link #SPECS}: adding an option is
 * a field, a builder setter and one line there; parsing and {@link #usage()} follow from it.
 * Options take their argument as the next word or after {@code =} ({@code --config DIR},
 * {@code --config=DIR}).
 *
 * @param configDir directory for configuration and the framework cache, absolute
 * @param help {@code --help} was given
 * @param portal the iSCSI portals to listen on instead of the default, {@code HOST:PORT} or a
 *        comma-separated list of them (one target port each, in that order), or {@code null}
 * @param framework the OSGi framework to embed ({@code --framework}, default Felix)
 * @param role what this process runs ({@code --role}, default the whole target)
 */
public record LauncherOptions(Path configDir, boolean help, String portal, OsgiFramework framework, String http,
        Role role) {
    /** Framework property the iSCSI driver reads its portal from. */
    public static final String PORTAL_PROPERTY = "jtgt.iscsi.portal";
    /** Framework property the metrics bundle reads its HTTP address from ({@code HOST:PORT} or {@code none}). */
    public static final String HTTP_PROPERTY = "jtgt.metrics.http";

    /** Default {@code --config}, relative to the working directory. */
    public static final String DEFAULT_CONFIG_DIR = "jtgt-data";

    /** A refused command line; the message names the offending word. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    private static final class Builder {
        Path configDir = Path.of(DEFAULT_CONFIG_DIR);
        boolean help;
        String portal;
        OsgiFramework framework = OsgiFramework.FELIX;
        String http;
        Role role = Role.EMBEDDED;

        LauncherOptions build() {
            return new LauncherOptions(configDir.toAbsolutePath().normalize(), help, portal, framework, http, role);
        }
    }

    /**
     * One option.
     *
     * @param argument name of its argument in the usage text, or {@code null} for a flag
     */
    private record Spec(String name, String argument, String description, BiConsumer<Builder, String> apply) {
        boolean takesArgument() {
            return argument != null;
        }
    }

    private static final List<Spec> SPECS = List.of(
            new Spec("--config", "DIR",
                    "directory for configuration and the framework cache (created if missing;"
                            + " default ./" + DEFAULT_CONFIG_DIR + ")",
                    (b, value) -> b.configDir = Path.of(value)),
            new Spec("--portal", "HOST:PORT[,...]",
                    "iSCSI portal(s) to listen on, each its own target port and portal group (default"
                            + " 127.0.0.1:3260; [::1]:PORT for IPv6; port 0 picks a free one)",
                    (b, value) -> b.portal = checkPortals(value)),
            new Spec("--http", "HOST:PORT|none",
                    "serve /metrics (Prometheus) and the status page at / there (default 127.0.0.1:9470;"
                            + " port 0 picks a free one; none: no HTTP)",
                    (b, value) -> b.http = checkHttp(value)),
            new Spec("--framework", "felix|equinox",
                    "the OSGi framework to run the bundles in: Apache Felix (default) or Eclipse Equinox",
                    (b, value) -> b.framework = OsgiFramework.named(value)),
            new Spec("--role", "embedded|front|daemon",
                    "embedded (default): the whole target in this process; front: drivers, sessions and"
                            + " portals; daemon: SCSI execution, stores and management. Start front and daemon"
                            + " with the same --config, in either order",
                    (b, value) -> b.role = Role.named(value)),
            new Spec("--help", null, "print this help and exit", (b, value) -> b.help = true));

    /**
     * Checks a comma-separated list of portals, each as {@link #checkPortal}; empty items and the
     * same {@code HOST:PORT} twice (other than port 0) are refused.
     */
    static String checkPortals(String value) {
        String[] items = value.split(",", -1);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String item : items) {
            String portal = item.trim();
            if (portal.isEmpty()) {
                throw new IllegalArgumentException("--portal needs HOST:PORT items separated by commas, not '" + value + "'");
            }
            checkPortal(portal);
            if (!portal.endsWith(":0") && !seen.add(portal)) {
                throw new IllegalArgumentException("--portal lists " + portal + " twice");
            }
        }
        return value;
    }

    /** Checks {@code HOST:PORT} (IPv6 hosts in brackets); the address itself is resolved by the driver. */
    /** {@code none}, or {@code HOST:PORT} as {@link #checkPortal}. */
    static String checkHttp(String value) {
        if ("none".equals(value)) {
            return value;
        }
        try {
            return checkPortal(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--http needs HOST:PORT with a port 0..65535 or none, not '" + value + "'");
        }
    }

    static String checkPortal(String value) {
        int colon = value.lastIndexOf(':');
        String host = colon > 0 ? value.substring(0, colon) : "";
        String port = colon > 0 ? value.substring(colon + 1) : "";
        boolean bracketed = host.startsWith("[") && host.endsWith("]") && host.length() > 2;
        if (host.isEmpty() || (host.contains(":") && !bracketed) || !port.matches("[0-9]{1,5}")
                || Integer.parseInt(port) > 65535) {
            throw new IllegalArgumentException("--portal needs HOST:PORT with a port 0..65535, not '" + value + "'");
        }
        return value;
    }

    /** Parses {@code args}; does not touch the file system. */
    public static LauncherOptions parse(String... args) throws UsageException {
        Builder builder = new Builder();
        for (int i = 0; i < args.length; i++) {
            String word = args[i];
            int eq = word.indexOf('=');
            boolean inline = word.startsWith("--") && eq > 0;
            String name = inline ? word.substring(0, eq) : word;
            Spec spec = find(name);
            if (spec == null) {
                throw new UsageException(word.startsWith("-")
                        ? "unknown option " + name
                        : "unexpected argument '" + word + "'");
            }
            String value = null;
            if (!spec.takesArgument()) {
                if (inline) {
                    throw new UsageException("option " + name + " takes no argument");
                }
            } else {
                if (inline) {
                    value = word.substring(eq + 1);
                } else if (i + 1 < args.length) {
                    value = args[++i];
                } else {
                    throw new UsageException("option " + name + " needs an argument " + spec.argument());
                }
                if (value.isEmpty()) {
                    throw new UsageException("option " + name + " needs a non-empty " + spec.argument());
                }
            }
            try {
                spec.apply().accept(builder, value);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        return builder.build();
    }

    /** The usage text, ending with a newline. */
    public static String usage() {
        StringBuilder text = new StringBuilder("usage: java -jar jtgt.jar [options]\n\noptions:\n");
        for (Spec spec : SPECS) {
            String left = spec.takesArgument() ? spec.name() + " " + spec.argument() : spec.name();
            text.append(String.format("  %-24s %s", left, spec.description())).append('\n');
        }
        return text.toString();
    }

    private static Spec find(String name) {
        for (Spec spec : SPECS) {
            if (spec.name().equals(name)) {
                return spec;
            }
        }
        return null;
    }
}
