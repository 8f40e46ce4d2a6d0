package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.Test;

class BuildIdTest {
    private static final Path DIR = Path.of("target", "build-id-test");

    @Test
    void theDigestFollowsTheListedBundlesAndNothingElse() throws IOException {
        Path a = jar("a.jar", Map.of("bundles/bundles.list", "x.jar\ny.jar front\n", "bundles/x.jar", "one",
                "bundles/y.jar", "two", "org/jtgt/launcher/Main.class", "main"));
        Path same = jar("same.jar", Map.of("bundles/bundles.list", "x.jar\ny.jar front\n", "bundles/x.jar", "one",
                "bundles/y.jar", "two", "org/jtgt/launcher/Main.class", "other launcher classes"));
        Path bundle = jar("bundle.jar", Map.of("bundles/bundles.list", "x.jar\ny.jar front\n", "bundles/x.jar", "one",
                "bundles/y.jar", "tw0", "org/jtgt/launcher/Main.class", "main"));
        Path list = jar("list.jar", Map.of("bundles/bundles.list", "y.jar front\nx.jar\n", "bundles/x.jar", "one",
                "bundles/y.jar", "two", "org/jtgt/launcher/Main.class", "main"));
        String digest = BuildId.digest(a);
        assertTrue(digest.matches("[0-9a-f]{12}"), digest);
        assertEquals(digest, BuildId.digest(same));
        // a bundle of another role counts too: the front and the daemon name one build
        assertNotEquals(digest, BuildId.digest(bundle));
        assertNotEquals(digest, BuildId.digest(list));
    }

    @Test
    void aListedBundleMissingFromTheJarIsAnError() throws IOException {
        Path broken = jar("broken.jar", Map.of("bundles/bundles.list", "x.jar\n"));
        assertTrue(assertThrows(IOException.class, () -> BuildId.digest(broken)).getMessage().contains("x.jar"));
    }

    @Test
    void withoutAJarTheVersionAlone() {
        // Unit tests run the launcher from target/classes: no jar, no digest.
        assertEquals("1.2.3", BuildId.describe("1.2.3"));
    }

    private static Path jar(String name, Map<String, String> entries) throws IOException {
        Files.createDirectories(DIR);
        Path jar = DIR.resolve(name);
        try (OutputStream out = Files.newOutputStream(jar); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, String> e : new TreeMap<>(entries).entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        }
        return jar;
    }
}
