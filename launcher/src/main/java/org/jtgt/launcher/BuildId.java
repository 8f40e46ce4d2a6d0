package org.jtgt.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

/**
 * Which build a launcher jar is, for its "starting" line: the jar's {@code Implementation-Version}
 * and its build, the first 12 hex digits of a SHA-256 over the name, CRC-32 and size of {@value BundleList#RESOURCE}
 * and of every bundle it lists, all roles' (read from the jar's directory, nothing is inflated).
 * Two jars with the same version but different bundles, a rebuilt SNAPSHOT for one, have
 * different builds; the front and the daemon started from one jar show the same build.
 */
final class BuildId {
    private BuildId() {
    }

    /**
     * This launcher's version and build as its "starting" line shows them: {@code VERSION (build
     * DIGEST)}, or {@code VERSION} alone when it does not run from a jar.
     */
    static String describe(String fallbackVersion) {
        String version = Main.class.getPackage().getImplementationVersion();
        if (version == null) {
            version = fallbackVersion;
        }
        try {
            Path jar = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isRegularFile(jar)) {
                return version + " (build " + digest(jar) + ")";
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            // no digest: the version alone
        }
        return version;
    }

    /** The digest of {@code jar}'s bundle list and the bundles it names. */
    static String digest(Path jar) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (JarFile file = new JarFile(jar.toFile(), false)) {
            ZipEntry list = file.getEntry(BundleList.RESOURCE);
            if (list == null) {
                throw new IOException(BundleList.RESOURCE + " is missing from " + jar);
            }
            List<String> names;
            try (InputStream in = file.getInputStream(list)) {
                names = BundleList.parse(in);
            }
            add(sha, list);
            for (String name : names) {
                ZipEntry bundle = file.getEntry(BundleList.DIRECTORY + name);
                if (bundle == null) {
                    throw new IOException(name + " is listed in " + BundleList.RESOURCE + " but missing from " + jar);
                }
                add(sha, bundle);
            }
        }
        return HexFormat.of().formatHex(sha.digest(), 0, 6);
    }

    private static void add(MessageDigest sha, ZipEntry entry) {
        sha.update(entry.getName().getBytes(StandardCharsets.UTF_8));
        sha.update(ByteBuffer.allocate(16).putLong(entry.getCrc()).putLong(entry.getSize()).flip());
    }
}
