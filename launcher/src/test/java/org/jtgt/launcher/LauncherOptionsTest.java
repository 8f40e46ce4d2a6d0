package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.jtgt.launcher.LauncherOptions.UsageException;
import org.junit.jupiter.api.Test;

class LauncherOptionsTest {
    @Test
    void defaultsToJtgtDataUnderTheWorkingDirectory() throws UsageException {
        LauncherOptions options = LauncherOptions.parse();
        assertEquals(Path.of("jtgt-data").toAbsolutePath().normalize(), options.configDir());
        assertTrue(options.configDir().isAbsolute());
        assertFalse(options.help());
    }

    @Test
    void configTakesTheNextWordOrAnInlineValue() throws UsageException {
        assertEquals(Path.of("/srv/jtgt"), LauncherOptions.parse("--config", "/srv/jtgt").configDir());
        assertEquals(Path.of("/srv/jtgt"), LauncherOptions.parse("--config=/srv/jtgt").configDir());
        assertEquals(Path.of("rel/dir").toAbsolutePath(), LauncherOptions.parse("--config", "rel/./dir").configDir());
    }

    @Test
    void theLastConfigWins() throws UsageException {
        assertEquals(Path.of("/b"), LauncherOptions.parse("--config", "/a", "--config", "/b").configDir());
    }

    @Test
    void frameworkIsFelixUnlessEquinoxIsAsked() throws UsageException {
        assertEquals(OsgiFramework.FELIX, LauncherOptions.parse().framework());
        assertEquals(OsgiFramework.EQUINOX, LauncherOptions.parse("--framework", "equinox").framework());
        assertEquals(OsgiFramework.FELIX, LauncherOptions.parse("--framework=felix").framework());
        UsageException e = assertThrows(UsageException.class, () -> LauncherOptions.parse("--framework", "knopflerfish"));
        assertEquals("--framework is felix or equinox, not 'knopflerfish'", e.getMessage());
        assertTrue(LauncherOptions.usage().contains("--framework felix|equinox"), LauncherOptions.usage());
    }

    @Test
    void help() throws UsageException {
        assertTrue(LauncherOptions.parse("--help").help());
        assertTrue(LauncherOptions.parse("--config", "/x", "--help").help());
    }

    @Test
    void unknownOptionIsNamed() {
        UsageException e = assertThrows(UsageException.class, () -> LauncherOptions.parse("--bogus"));
        assertEquals("unknown option --bogus", e.getMessage());
        e = assertThrows(UsageException.class, () -> LauncherOptions.parse("--bogus=1"));
        assertEquals("unknown option --bogus", e.getMessage());
        e = assertThrows(UsageException.class, () -> LauncherOptions.parse("-c"));
        assertEquals("unknown option -c", e.getMessage());
    }

    @Test
    void positionalArgumentsAreRefused() {
        UsageException e = assertThrows(UsageException.class, () -> LauncherOptions.parse("start"));
        assertEquals("unexpected argument 'start'", e.getMessage());
    }

    @Test
    void missingOrEmptyArgument() {
        UsageException e = assertThrows(UsageException.class, () -> LauncherOptions.parse("--config"));
        assertEquals("option --config needs an argument DIR", e.getMessage());
        e = assertThrows(UsageException.class, () -> LauncherOptions.parse("--config="));
        assertEquals("option --config needs a non-empty DIR", e.getMessage());
    }

    @Test
    void flagsTakeNoInlineValue() {
        UsageException e = assertThrows(UsageException.class, () -> LauncherOptions.parse("--help=yes"));
        assertEquals("option --help takes no argument", e.getMessage());
    }

    @Test
    void usageListsEveryOption() {
        String usage = LauncherOptions.usage();
        assertTrue(usage.startsWith("usage: java -jar jtgt.jar [options]\n"), usage);
        assertTrue(usage.contains("\n  --config DIR "), usage);
        assertTrue(usage.contains("\n  --help "), usage);
        assertTrue(usage.endsWith("\n"), usage);
    }

    @org.junit.jupiter.api.Test
    void portalIsCheckedAndPassedOn() throws Exception {
        assertEquals(null, LauncherOptions.parse().portal());
        assertEquals("127.0.0.1:3261", LauncherOptions.parse("--portal", "127.0.0.1:3261").portal());
        assertEquals("[::1]:0", LauncherOptions.parse("--portal=[::1]:0").portal());
        for (String bad : new String[] {"3260", "127.0.0.1:", "127.0.0.1:99999", "::1:3260", "host:port"}) {
            LauncherOptions.UsageException e = org.junit.jupiter.api.Assertions.assertThrows(
                    LauncherOptions.UsageException.class, () -> LauncherOptions.parse("--portal", bad), bad);
            assertTrue(e.getMessage().contains("HOST:PORT"), e.getMessage());
        }
    }

    @Test
    void portalListsAreCheckedItemByItem() throws UsageException {
        assertEquals("127.0.0.1:3275,127.0.0.1:3276",
                LauncherOptions.parse("--portal", "127.0.0.1:3275,127.0.0.1:3276").portal());
        assertEquals("127.0.0.1:3260, [::1]:3261", LauncherOptions.parse("--portal=127.0.0.1:3260, [::1]:3261").portal());
        assertEquals("127.0.0.1:0,127.0.0.1:0", LauncherOptions.parse("--portal", "127.0.0.1:0,127.0.0.1:0").portal());
        for (String bad : new String[] {"127.0.0.1:3275,", ",127.0.0.1:3275", "127.0.0.1:3275,,127.0.0.1:3276",
                "127.0.0.1:3275,3276", "127.0.0.1:3275,127.0.0.1:70000", "127.0.0.1:3275,::1:3276"}) {
            UsageException e = assertThrows(UsageException.class, () -> LauncherOptions.parse("--portal", bad), bad);
            assertTrue(e.getMessage().contains("HOST:PORT"), e.getMessage());
        }
        UsageException e = assertThrows(UsageException.class,
                () -> LauncherOptions.parse("--portal", "127.0.0.1:3275,127.0.0.1:3275"));
        assertEquals("--portal lists 127.0.0.1:3275 twice", e.getMessage());
    }

    @Test
    void httpIsCheckedAndPassedOn() throws Exception {
        assertEquals(null, LauncherOptions.parse().http());
        assertEquals("127.0.0.1:0", LauncherOptions.parse("--http", "127.0.0.1:0").http());
        assertEquals("none", LauncherOptions.parse("--http=none").http());
        for (String bad : new String[] {"9470", "off", "127.0.0.1:65536", ":9470"}) {
            LauncherOptions.UsageException e = assertThrows(
                    LauncherOptions.UsageException.class, () -> LauncherOptions.parse("--http", bad), bad);
            assertTrue(e.getMessage().contains("--http"), e.getMessage());
        }
    }
}
