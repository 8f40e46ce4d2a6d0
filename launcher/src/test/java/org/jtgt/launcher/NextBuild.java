package org.jtgt.launcher;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Another build of the launcher jar, made from this one as a newer build would differ: every
 * embedded jtgt bundle's {@code Bundle-Version} has its qualifier extended by {@code -SUFFIX}
 * ({@code 0.1.0.SNAPSHOT} becomes {@code 0.1.0.SNAPSHOT-SUFFIX}, a higher version), and so has the
 * jar's own {@code Implementation-Version}; everything else is copied as it is.
 */
final class NextBuild {
    static final String BUNDLE_VERSION = "Bundle-Version";

    private NextBuild() {
    }

    static void write(Path from, Path to, String suffix) throws IOException {
        try (ZipFile in = new ZipFile(from.toFile()); OutputStream file = Files.newOutputStream(to);
                ZipOutputStream out = new ZipOutputStream(file)) {
            for (Enumeration<? extends ZipEntry> entries = in.entries(); entries.hasMoreElements();) {
                ZipEntry e = entries.nextElement();
                byte[] bytes;
                try (InputStream s = in.getInputStream(e)) {
                    bytes = s.readAllBytes();
                }
                if (e.getName().equals(JarFile.MANIFEST_NAME)) {
                    bytes = manifest(bytes, Attributes.Name.IMPLEMENTATION_VERSION.toString(), suffix);
                } else if (e.getName().startsWith(BundleList.DIRECTORY + "jtgt-") && e.getName().endsWith(".jar")) {
                    bytes = bundle(bytes, suffix);
                }
                ZipEntry copy = new ZipEntry(e.getName());
                copy.setTime(e.getTime());
                out.putNextEntry(copy);
                out.write(bytes);
                out.closeEntry();
            }
        }
    }

    /** The {@code Bundle-Version} of the embedded bundle {@code name} (e.g. jtgt-transport-shm.jar) in {@code jar}. */
    static String bundleVersion(Path jar, String name) throws IOException {
        try (ZipFile in = new ZipFile(jar.toFile())) {
            ZipEntry e = in.getEntry(BundleList.DIRECTORY + name);
            if (e == null) {
                throw new IOException(name + " is not in " + jar);
            }
            try (ZipInputStream bundle = new ZipInputStream(in.getInputStream(e))) {
                for (ZipEntry b = bundle.getNextEntry(); b != null; b = bundle.getNextEntry()) {
                    if (b.getName().equals(JarFile.MANIFEST_NAME)) {
                        return new Manifest(bundle).getMainAttributes().getValue(BUNDLE_VERSION);
                    }
                }
            }
            throw new IOException(name + " in " + jar + " has no manifest");
        }
    }

    private static byte[] bundle(byte[] jar, String suffix) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(jar.length + 1024);
        boolean found = false;
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(jar));
                ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                byte[] content = in.readAllBytes();
                if (e.getName().equals(JarFile.MANIFEST_NAME)) {
                    content = manifest(content, BUNDLE_VERSION, suffix);
                    found = true;
                }
                ZipEntry copy = new ZipEntry(e.getName());
                copy.setTime(e.getTime());
                out.putNextEntry(copy);
                out.write(content);
                out.closeEntry();
            }
        }
        if (!found) {
            throw new IOException("a bundle without a manifest");
        }
        return bytes.toByteArray();
    }

    private static byte[] manifest(byte[] bytes, String attribute, String suffix) throws IOException {
        Manifest m = new Manifest(new ByteArrayInputStream(bytes));
        String version = m.getMainAttributes().getValue(attribute);
        if (version == null) {
            throw new IOException("no " + attribute + " in a manifest of the jar");
        }
        // An OSGi version's qualifier is its fourth part; a Maven version takes a -suffix.
        String next = !attribute.equals(BUNDLE_VERSION) ? version + "-" + suffix
                : version.split("\\.").length == 4 ? version + "-" + suffix : version + "." + suffix;
        m.getMainAttributes().putValue(attribute, next);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.write(out);
        return out.toByteArray();
    }
}
