package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

class BundleListTest {
    @Test
    void parseSkipsCommentsAndBlankLines() throws IOException {
        String text = "# header\n\na.jar\n  b.jar  # trailing comment\n#c.jar\n";
        assertEquals(List.of("a.jar", "b.jar"),
                BundleList.parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8))));
    }

    /** The list and the jars the build copied next to it must name the same files. */
    @Test
    void listMatchesTheCopiedBundles() throws IOException, URISyntaxException {
        URL list = BundleList.class.getClassLoader().getResource(BundleList.RESOURCE);
        assertNotNull(list, BundleList.RESOURCE);
        Path directory = Path.of(list.toURI()).getParent();
        TreeSet<String> copied;
        try (Stream<Path> files = Files.list(directory)) {
            copied = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        List<String> listed = BundleList.embedded();
        assertEquals(listed.size(), new TreeSet<>(listed).size(), "duplicates in " + listed);
        assertEquals(copied, new TreeSet<>(listed),
                "bundles/bundles.list and the provided dependencies of launcher/pom.xml disagree");
    }

    /**
     * The framework stops bundles in the reverse of this order: the drivers that take logins must
     * stop before the CHAP account source (config) and management (admin), so that no portal
     * listens without them.
     */
    @Test
    void adminStartsBeforeAndStopsAfterTheNetworkDrivers() throws IOException {
        List<String> listed = BundleList.embedded();
        for (String management : List.of("jtgt-config.jar", "jtgt-admin.jar")) {
            int at = listed.indexOf(management);
            assertTrue(at >= 0, listed.toString());
            for (String driver : List.of("jtgt-lld-iscsi.jar", "jtgt-lld-fc.jar")) {
                assertTrue(listed.indexOf(driver) > at, driver + " before " + management + " in " + listed);
            }
        }
    }

    @Test
    void frameworkIsNotEmbeddedAsABundle() throws IOException {
        for (String name : BundleList.embedded()) {
            assertEquals(false, name.contains("felix.framework") || name.contains("animal-sniffer"), name);
        }
    }
}
