package org.jtgt.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarFile;

import org.junit.jupiter.api.Test;
import org.osgi.framework.Constants;

/**
 * Plain JUnit 5, outside any framework: the manifests of the jars the tests install. Catches
 * what a framework would only reveal as a wiring surprise later.
 */
class BundleManifestsIT {
    private static final File DIR = new File(System.getProperty("jtgt.itest.bundles", "target/bundles"));

    @Test
    void everyJtgtJarIsABundleNamedAfterItsArtifact() throws IOException {
        for (String name : JtgtOptions.JTGT_BUNDLES) {
            Attributes main = manifest(name);
            assertEquals("2", main.getValue(Constants.BUNDLE_MANIFESTVERSION), name);
            assertEquals(name, main.getValue(Constants.BUNDLE_SYMBOLICNAME), name);
            assertNotNull(main.getValue(Constants.BUNDLE_VERSION), name);
        }
    }

    /** Imports of the API carry a version range, so an incompatible API change fails to resolve. */
    @Test
    void apiImportsAreVersioned() throws IOException {
        List<String> unversioned = new ArrayList<>();
        for (String name : JtgtOptions.JTGT_BUNDLES) {
            String imports = manifest(name).getValue(Constants.IMPORT_PACKAGE);
            if (imports == null) {
                continue;
            }
            // Split on commas outside quotes: version ranges contain commas.
            for (String clause : imports.split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)")) {
                String pkg = clause.split(";", 2)[0].strip();
                if (pkg.startsWith("org.jtgt.api") && !clause.contains("version=")) {
                    unversioned.add(name + ": " + pkg);
                }
            }
        }
        assertTrue(unversioned.isEmpty(), "unversioned imports: " + unversioned);
    }

    /**
     * Only {@code org.jtgt.api.*} is exported, with a version, and only by the bundles meant to;
     * the libraries outside it are the ring ({@code org.jtgt.ring}, by {@code jtgt-ring}) and the
     * split shape's medium SPI ({@code org.jtgt.transport.split}, by {@code jtgt-transport-shm}).
     * The FC codecs ({@code org.jtgt.fc.wire}) are a private copy in each FC bundle: neither
     * exports nor imports them, so the initiator needs no target bundle and the reverse.
     */
    @Test
    void onlyApiIsExportedAndTheFcCodecsAreEmbedded() throws IOException {
        List<String> problems = new ArrayList<>();
        List<String> names = new ArrayList<>(JtgtOptions.JTGT_BUNDLES);
        names.addAll(JtgtOptions.FC_BUNDLES);
        for (String name : names) {
            for (String clause : clauses(manifest(name).getValue(Constants.EXPORT_PACKAGE))) {
                String pkg = clause.split(";", 2)[0].strip();
                if (!JtgtOptions.EXPORTING_BUNDLES.contains(name)) {
                    problems.add(name + " exports " + pkg);
                } else if (!JtgtOptions.mayExport(name, pkg)) {
                    problems.add(name + " exports " + pkg + ", outside org.jtgt.api");
                } else if (!clause.contains("version=")) {
                    problems.add(name + " exports " + pkg + " without a version");
                }
            }
        }
        for (String name : JtgtOptions.FC_BUNDLES) {
            Attributes main = manifest(name);
            for (String clause : clauses(main.getValue(Constants.IMPORT_PACKAGE))) {
                String pkg = clause.split(";", 2)[0].strip();
                if (pkg.startsWith("org.jtgt.") && !pkg.startsWith("org.jtgt.api.")) {
                    problems.add(name + " imports " + pkg);
                }
            }
            try (JarFile jar = new JarFile(new File(DIR, name + ".jar"))) {
                if (jar.getEntry("org/jtgt/fc/wire/FcipFraming.class") == null) {
                    problems.add(name + " does not embed org.jtgt.fc.wire");
                }
            }
        }
        assertTrue(problems.isEmpty(), "manifest problems: " + problems);
        assertTrue(manifest("jtgt-fc-initiator").getValue(Constants.EXPORT_PACKAGE)
                .startsWith("org.jtgt.api.fc.initiator;"), "the FC tools bundle exports the initiator's API");
    }

    /**
     * The shared utilities ({@code org.jtgt.util} and its subpackages: IntMap, BlockAllocator,
     * OwnerOnlyFiles, NexusReplies, ...) are not API: each bundle that uses a package of them carries
     * a private copy of it; no bundle imports or exports them.
     */
    @Test
    void theUtilitiesAreEmbeddedNotImported() throws IOException {
        Map<String, String> embeds = Map.of(
                "jtgt-host", "org/jtgt/util/IntMap.class",
                "jtgt-daemon", "org/jtgt/util/file/OwnerOnlyFiles.class",
                "jtgt-transport-shm", "org/jtgt/util/file/OrphanFiles.class",
                "jtgt-transport-direct", "org/jtgt/util/BlockAllocator.class",
                "jtgt-backing-memory", "org/jtgt/util/ByteSize.class",
                "jtgt-lld-iscsi", "org/jtgt/util/lld/NexusReplies.class",
                "jtgt-lld-fc", "org/jtgt/util/lld/TmfReplies.class");
        List<String> problems = new ArrayList<>();
        List<String> names = new ArrayList<>(JtgtOptions.JTGT_BUNDLES);
        names.addAll(JtgtOptions.FC_BUNDLES);
        for (String name : names) {
            Attributes main = manifest(name);
            for (String header : List.of(Constants.IMPORT_PACKAGE, Constants.EXPORT_PACKAGE)) {
                for (String clause : clauses(main.getValue(header))) {
                    String pkg = clause.split(";", 2)[0].strip();
                    if (pkg.equals("org.jtgt.util") || pkg.startsWith("org.jtgt.util.")) {
                        problems.add(name + " has " + pkg + " in " + header);
                    }
                }
            }
        }
        for (Map.Entry<String, String> e : embeds.entrySet()) {
            try (JarFile jar = new JarFile(new File(DIR, e.getKey() + ".jar"))) {
                if (jar.getEntry(e.getValue()) == null) {
                    problems.add(e.getKey() + " does not embed " + e.getValue());
                }
            }
        }
        try (JarFile api = new JarFile(new File(DIR, "jtgt-api.jar"))) {
            if (api.stream().anyMatch(entry -> entry.getName().startsWith("org/jtgt/util/"))) {
                problems.add("jtgt-api carries org.jtgt.util");
            }
        }
        assertTrue(problems.isEmpty(), "manifest problems: " + problems);
    }

    /** The clauses of a package header; commas inside quotes (version ranges) do not split. */
    private static List<String> clauses(String header) {
        return header == null ? List.of() : List.of(header.split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)"));
    }

    private static Attributes manifest(String artifactId) throws IOException {
        File jar = new File(DIR, artifactId + ".jar");
        assertTrue(jar.isFile(), jar + " was not copied");
        try (JarFile file = new JarFile(jar)) {
            assertNotNull(file.getManifest(), jar + " has no manifest");
            return file.getManifest().getMainAttributes();
        }
    }
}
