package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.osgi.framework.Constants;

class EmbeddedFrameworkTest {
    private static final Path CONFIG = Path.of("/srv/jtgt");

    @Test
    void cacheLivesInTheConfigDirectory() {
        Map<String, String> p = EmbeddedFramework.frameworkProperties(OsgiFramework.FELIX, CONFIG, "2.0.17", new Properties());
        assertEquals("/srv/jtgt/felix-cache", p.get(Constants.FRAMEWORK_STORAGE));
        assertEquals(Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT, p.get(Constants.FRAMEWORK_STORAGE_CLEAN));
        assertEquals("/srv/jtgt", p.get("jtgt.config.dir"));
        assertEquals("false", p.get("felix.bootdelegation.implicit"));
        assertEquals("/srv/jtgt/etc", p.get("felix.fileinstall.dir"));
        assertEquals(".*\\.cfg", p.get("felix.fileinstall.filter"));
        assertEquals("/srv/jtgt/felix-cache/fileinstall", p.get("felix.fileinstall.tmpdir"));
    }

    /**
     * Equinox keeps its storage, and the configuration, instance and user areas it would
     * otherwise put under the working and home directories, below --config; the rest of the
     * properties are the same as for Felix.
     */
    @Test
    void equinoxKeepsEveryAreaInTheConfigDirectory() {
        Map<String, String> p = EmbeddedFramework.frameworkProperties(OsgiFramework.EQUINOX, CONFIG, "2.0.17",
                new Properties());
        assertEquals("/srv/jtgt/equinox-cache", p.get(Constants.FRAMEWORK_STORAGE));
        assertEquals(Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT, p.get(Constants.FRAMEWORK_STORAGE_CLEAN));
        assertEquals("/srv/jtgt/equinox-cache/instance", p.get("osgi.instance.area"));
        assertEquals("/srv/jtgt/equinox-cache/user", p.get("osgi.user.area"));
        assertEquals("/srv/jtgt/equinox-cache/fileinstall", p.get("felix.fileinstall.tmpdir"));
        assertFalse(p.containsKey("felix.bootdelegation.implicit"));
        Map<String, String> felix = EmbeddedFramework.frameworkProperties(OsgiFramework.FELIX, CONFIG, "2.0.17",
                new Properties());
        for (String common : List.of("jtgt.config.dir", "felix.fileinstall.dir", "felix.fileinstall.filter",
                Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA)) {
            assertEquals(felix.get(common), p.get(common), common);
        }
    }

    /** Each framework's own FrameworkFactory, by ServiceLoader, from the class path the tests have. */
    @Test
    void felixFactoryIsFoundByServiceLoader() {
        assertEquals("org.apache.felix.framework.FrameworkFactory",
                OsgiFramework.FELIX.factory(getClass().getClassLoader()).getClass().getName());
    }

    @Test
    void systemBundleExportsSlf4j() {
        Map<String, String> p = EmbeddedFramework.frameworkProperties(OsgiFramework.FELIX, CONFIG, "2.0.17", new Properties());
        assertEquals("org.slf4j;version=2.0.17,org.slf4j.event;version=2.0.17,"
                + "org.slf4j.helpers;version=2.0.17,org.slf4j.spi;version=2.0.17",
                p.get(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA));
    }

    @Test
    void jtgtSystemPropertiesPassThroughButCannotMoveTheConfigDirectory() {
        Properties system = new Properties();
        system.setProperty("jtgt.default.target.size", "67108864");
        system.setProperty("jtgt.config.dir", "/elsewhere");
        system.setProperty("user.home", "/root");
        Map<String, String> p = EmbeddedFramework.frameworkProperties(OsgiFramework.FELIX, CONFIG, "2.0.17", system);
        assertEquals("67108864", p.get("jtgt.default.target.size"));
        assertEquals("/srv/jtgt", p.get("jtgt.config.dir"));
        assertFalse(p.containsKey("user.home"));
    }

    @Test
    void slf4jVersionMatchesTheBuild() throws Exception {
        Properties build = new Properties();
        try (var in = EmbeddedFramework.class.getResourceAsStream("launcher.properties")) {
            build.load(in);
        }
        Properties pom = new Properties();
        try (var in = org.slf4j.Logger.class.getResourceAsStream("/META-INF/maven/org.slf4j/slf4j-api/pom.properties")) {
            pom.load(in);
        }
        assertEquals(pom.getProperty("version"), build.getProperty("slf4j.version"));
    }
}
