package org.jtgt.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;

import org.osgi.framework.Constants;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * The OSGi frameworks {@code jtgt.jar} embeds ({@code --framework}), and everything about them
 * that is not the same: the class that implements the standard {@link FrameworkFactory}, where
 * the framework keeps its storage below the configuration directory, and the properties that only
 * one of them reads. The jtgt bundles and the rest of the framework properties are the same for
 * both ({@link EmbeddedFramework#frameworkProperties}).
 *
 * <p>Apache Felix is on the launcher's own class path (shaded into the jar). Eclipse Equinox is
 * the unmodified {@code org.eclipse.osgi} jar inside {@code jtgt.jar}, copied next to its storage
 * at start and loaded by a class loader of its own: the two frameworks' jars carry different
 * copies of the same classes (the Felix resolver, {@code org.osgi.framework.FrameworkUtil}), and
 * Equinox reads its system bundle's headers from its own jar's manifest. Only the launching API
 * ({@code org.osgi.*}) is shared, so that the launcher talks to either through
 * {@link org.osgi.framework.launch.Framework}.
 */
public enum OsgiFramework {
    FELIX("Apache Felix", "org.apache.felix.framework.FrameworkFactory", "felix-cache") {
        @Override
        void addProperties(Map<String, String> properties, Path storage) {
            // Bundles see only what they import, never the launcher's class path by accident.
            properties.put("felix.bootdelegation.implicit", "false");
        }

        @Override
        ClassLoader classLoader(Path configDir) {
            return OsgiFramework.class.getClassLoader();
        }
    },

    EQUINOX("Eclipse Equinox", "org.eclipse.osgi.launch.EquinoxFactory", "equinox-cache") {
        @Override
        void addProperties(Map<String, String> properties, Path storage) {
            // Nothing for boot delegation: where Equinox falls back for a class a bundle does not
            // import (osgi.compatibility.bootdelegation, osgi.context.bootdelegation) it asks the
            // bundles' parent loader, which is the JDK's boot loader, never the launcher's class
            // path; and the JDK's generated reflection classes (jdk.internal.reflect) need that
            // fallback, which Felix grants them with felix.bootdelegation.implicit=false too.
            // Equinox's data areas, all in the storage directory: its configuration area (the
            // bundle cache) is the storage (org.osgi.framework.storage sets it), and the instance
            // and user areas it would otherwise put under the working and home directories if
            // anything asked for them are below it.
            properties.put("osgi.instance.area", storage.resolve("instance").toString());
            properties.put("osgi.user.area", storage.resolve("user").toString());
            // No interactive console, no reading of osgi.* system properties, framework errors
            // on the console (as Felix logs them) rather than only in a log file in the storage.
            properties.put("osgi.framework.useSystemProperties", "false");
            properties.put("eclipse.consoleLog", "true");
        }

        @Override
        ClassLoader classLoader(Path configDir) throws IOException {
            Path jar = configDir.resolve(EQUINOX_JAR);
            try (InputStream in = OsgiFramework.class.getClassLoader().getResourceAsStream(EMBEDDED_EQUINOX)) {
                if (in == null) {
                    throw new IOException(EMBEDDED_EQUINOX + " is missing from the launcher jar");
                }
                // A fresh copy on every start (the configuration directory is locked), owner-only
                // like every file jtgt writes there.
                Files.deleteIfExists(jar);
                if (jar.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                    Files.createFile(jar, PosixFilePermissions.asFileAttribute(ConfigDirectory.FILE_MODE));
                }
                try (OutputStream out = Files.newOutputStream(jar)) {
                    in.transferTo(out);
                }
            }
            return new FrameworkClassLoader(jar.toUri().toURL(), OsgiFramework.class.getClassLoader());
        }
    };

    /** Where the Equinox jar is inside {@code jtgt.jar} (launcher/pom.xml copies it there). */
    static final String EMBEDDED_EQUINOX = "frameworks/org.eclipse.osgi.jar";
    /** Where the launcher puts it at start, below the configuration directory. */
    static final String EQUINOX_JAR = "equinox.jar";

    private final String displayName;
    private final String factoryClass;
    private final String storageName;

    OsgiFramework(String displayName, String factoryClass, String storageName) {
        this.displayName = displayName;
        this.factoryClass = factoryClass;
        this.storageName = storageName;
    }

    /** Its {@code --framework} name: {@code felix}, {@code equinox}. */
    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** For log lines: {@code Apache Felix}, {@code Eclipse Equinox}. */
    String displayName() {
        return displayName;
    }

    /** The framework's storage ({@code org.osgi.framework.storage}) below {@code configDir}. */
    Path storage(Path configDir) {
        return configDir.resolve(storageName);
    }

    /** The storage of a process in {@code role}: each process of the split shape has its own. */
    Path storage(Path configDir, Role role) {
        return configDir.resolve(storageName + role.storageSuffix());
    }

    /** The framework properties only this framework reads, and its storage. */
    Map<String, String> properties(Path configDir) {
        return properties(configDir, Role.EMBEDDED);
    }

    /** The framework properties only this framework reads, and the storage of {@code role}. */
    Map<String, String> properties(Path configDir, Role role) {
        Map<String, String> properties = new LinkedHashMap<>();
        Path storage = storage(configDir, role);
        properties.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        // The bundles are installed from the jar on every start, so start from an empty cache.
        properties.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        addProperties(properties, storage);
        return properties;
    }

    abstract void addProperties(Map<String, String> properties, Path storage);

    /** The class loader that has this framework's implementation; may write below {@code configDir}. */
    abstract ClassLoader classLoader(Path configDir) throws IOException;

    /** This framework's standard {@link FrameworkFactory}, found by {@link ServiceLoader} in {@code loader}. */
    FrameworkFactory factory(ClassLoader loader) {
        return ServiceLoader.load(FrameworkFactory.class, loader).stream()
                .filter(provider -> provider.type().getName().equals(factoryClass))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + displayName + " (" + factoryClass
                        + ") among the OSGi frameworks on the class path"))
                .get();
    }

    /** The framework named {@code id} ({@code felix}, {@code equinox}). */
    static OsgiFramework named(String id) {
        for (OsgiFramework framework : values()) {
            if (framework.id().equals(id)) {
                return framework;
            }
        }
        throw new IllegalArgumentException("--framework is felix or equinox, not '" + id + "'");
    }

    /**
     * Loads a framework jar's classes from that jar first, and only the shared launching API
     * ({@code org.osgi.*}, whose types the launcher uses) from the launcher's class loader first.
     */
    static final class FrameworkClassLoader extends URLClassLoader {
        static {
            registerAsParallelCapable();
        }

        FrameworkClassLoader(URL jar, ClassLoader parent) {
            super("jtgt-framework", new URL[] {jar}, parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (name.startsWith("org.osgi.") || name.startsWith("java.")) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    try {
                        c = findClass(name);
                    } catch (ClassNotFoundException e) {
                        return super.loadClass(name, resolve);
                    }
                }
                if (resolve) {
                    resolveClass(c);
                }
                return c;
            }
        }
    }
}
