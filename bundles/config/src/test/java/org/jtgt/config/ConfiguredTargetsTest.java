package org.jtgt.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.TargetAdminException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Changes reach the daemon and targets.conf together, refusals change neither, loads recreate. */
class ConfiguredTargetsTest {
    private static final Path DIR = Path.of("target", "configured-targets-test").toAbsolutePath();
    private static final String IQN = "iqn.2026-11.org.jtgt:one";
    private static final String INITIATOR = "iqn.2026-11.org.jtgt:initiator";

    private final FakeDaemon daemon = new FakeDaemon();
    private final Path conf = DIR.resolve("conf").resolve(TargetsFile.NAME);
    private ConfiguredTargets targets;

    @BeforeEach
    void clean() throws IOException {
        if (Files.exists(DIR)) {
            try (Stream<Path> all = Files.walk(DIR)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(DIR);
        targets = new ConfiguredTargets(conf, daemon);
        targets.load();
    }

    @Test
    void aTargetWithLunsAndAclIsWrittenAndRecreatedFromTheFile() throws IOException {
        Path disk = disk("disk0.img", 1 << 20);
        targets.newTarget(1, IQN);
        targets.newLun(1, 0, "file", disk.toString(), null, 512);
        targets.newLun(1, 1, "memory", null, 65536L, 4096);
        targets.bindInitiator(1, INITIATOR, true);
        assertEquals(List.of(INITIATOR), daemon.targets.get(IQN).acl);
        assertEquals(List.of(0, 1), List.copyOf(daemon.targets.get(IQN).luns.keySet()));
        assertEquals("target 1 " + IQN + "\n"
                + "lun 1 0 file " + disk + " size=1048576 blocksize=512 readonly=0 removable=0 thin=0\n"
                + "lun 1 1 memory size=65536 blocksize=4096 readonly=0 removable=0 thin=1\n"
                + "acl 1 " + INITIATOR + "\n", body());

        FakeDaemon restarted = new FakeDaemon();
        ConfiguredTargets again = new ConfiguredTargets(conf, restarted);
        again.load();
        again.applyPending();
        assertEquals(List.of(0, 1), List.copyOf(restarted.targets.get(IQN).luns.keySet()));
        assertEquals(1 << 20, restarted.targets.get(IQN).luns.get(0).size);
        assertEquals(List.of(INITIATOR), restarted.targets.get(IQN).acl);
        assertEquals(1, again.tidOf(IQN));
    }

    @Test
    void lunOptionsReachTheDaemonAndComeBackFromTheFile() throws IOException {
        Path disk = disk("ro.img", 1 << 20);
        Path old = disk("old.img", 4096);
        LunOptions readOnly = new LunOptions(true, true, false, "RO-DISK");
        targets.newTarget(1, IQN);
        targets.newLun(1, 0, "file", disk.toString(), null, 512, readOnly);
        targets.newLun(1, 1, "memory", null, 65536L, 512, new LunOptions(false, false, false, null));
        assertEquals(readOnly, daemon.targets.get(IQN).options.get(0));
        assertEquals(Map.of("readonly", "true"), daemon.targets.get(IQN).luns.get(0).openedWith);
        // a line written before the options existed is appended by hand
        Files.writeString(conf, Files.readString(conf) + "lun 1 2 file " + old + " size=4096\n"
                + "lun 1 3 memory size=4096\n");

        FakeDaemon restarted = new FakeDaemon();
        ConfiguredTargets again = new ConfiguredTargets(conf, restarted);
        again.load();
        again.applyPending();
        FakeDaemon.T t = restarted.targets.get(IQN);
        assertEquals(List.of(0, 1, 2, 3), List.copyOf(t.luns.keySet()));
        assertEquals(readOnly, t.options.get(0));
        assertEquals(Map.of("readonly", "true"), t.luns.get(0).openedWith);
        assertEquals(new LunOptions(false, false, false, null), t.options.get(1));
        assertEquals(new LunOptions(false, false, false, null), t.options.get(2), "old file line: defaults");
        assertEquals(new LunOptions(false, false, true, null), t.options.get(3), "old memory line: thin");
        assertEquals(Map.of(), t.luns.get(2).openedWith);
        again.deleteLun(1, 3);   // the next write gives the old lines their options
        assertTrue(body().contains("lun 1 2 file " + old + " size=4096 blocksize=512 readonly=0 removable=0 thin=0\n"),
                body());
    }

    @Test
    void refusalsChangeNeitherTheDaemonNorTheFile() throws IOException {
        targets.newTarget(1, IQN);
        targets.newLun(1, 0, "memory", null, 4096L, 512);
        String before = Files.readString(conf);
        Path dir = Files.createDirectories(DIR.resolve("a-directory"));
        Path odd = disk("odd.img", 1000);
        refused("tid 1 is in use by " + IQN, () -> targets.newTarget(1, "iqn.2026-11.org.jtgt:two"));
        refused("target " + IQN + " exists already as tid 1", () -> targets.newTarget(2, IQN));
        refused("'not-an-iqn' is not an iSCSI name", () -> targets.newTarget(2, "not-an-iqn"));
        refused("no target with tid 9", () -> targets.newLun(9, 0, "memory", null, 4096L, 512));
        refused("tid 1 has a LUN 0 already", () -> targets.newLun(1, 0, "memory", null, 4096L, 512));
        refused("no such file: " + DIR.resolve("missing.img") + " (give --size BYTES to create it)",
                () -> targets.newLun(1, 1, "file", DIR.resolve("missing.img").toString(), null, 512));
        refused(dir + " is not a regular file", () -> targets.newLun(1, 1, "file", dir.toString(), null, 512));
        refused("backing path rel.img is not absolute (jtgt does not run in jtgtadm's directory)",
                () -> targets.newLun(1, 1, "file", "rel.img", null, 512));
        refused("size 1000 is not a multiple of the block size 512",
                () -> targets.newLun(1, 1, "file", odd.toString(), null, 512));
        refused(odd + " has 1000 bytes, not --size 1024 (jtgtadm neither grows nor truncates an existing file)",
                () -> targets.newLun(1, 1, "file", odd.toString(), 1024L, 512));
        refused("size 5000 is not a multiple of the block size 4096",
                () -> targets.newLun(1, 1, "memory", null, 5000L, 4096));
        refused("tid 1 has no LUN 4", () -> targets.deleteLun(1, 4));
        refused("target 1 has no ACL entry " + INITIATOR, () -> targets.bindInitiator(1, INITIATOR, false));
        refused("'a,b' is not an initiator name", () -> targets.bindInitiator(1, "a,b", true));
        daemon.fileProvider = false;
        refused("the file backing store provider is not running", () -> targets.newLun(1, 1, "file", odd.toString(), null, 512));
        assertEquals(before, Files.readString(conf));
        assertEquals(List.of(IQN), List.copyOf(daemon.targets.keySet()));
        assertEquals(List.of(0), List.copyOf(daemon.targets.get(IQN).luns.keySet()));
    }

    @Test
    void aFileCreatedForALunIsRemovedWhenTheLunCannotBeAdded() {
        targets.newTarget(1, IQN);
        Path created = DIR.resolve("created.img");
        targets.newLun(1, 0, "file", created.toString(), 8192L, 512);
        assertTrue(Files.isRegularFile(created));
        Path other = DIR.resolve("other.img");
        daemon.targets.get(IQN).luns.put(3, new FakeDaemon.Store("sneaked in", 512));   // the daemon will refuse LUN 3
        refused("target " + IQN + " has a LUN 3 already", () -> targets.newLun(1, 3, "file", other.toString(), 8192L, 512));
        assertFalse(Files.exists(other), "created file left behind");
        assertTrue(daemon.opened.get(daemon.opened.size() - 1).closed, "store of the refused LUN left open");
    }

    @Test
    void aFileThatCannotBeWrittenUndoesTheChange() throws IOException {
        targets.newTarget(1, IQN);
        Files.delete(conf);
        Files.createDirectory(conf);   // the rename onto it fails
        Files.writeString(conf.resolve("keep"), "x");
        assertThrows(TargetAdminException.class, () -> targets.newTarget(2, "iqn.2026-11.org.jtgt:two"));
        assertEquals(List.of(IQN), List.copyOf(daemon.targets.keySet()));
        assertThrows(TargetAdminException.class, () -> targets.newLun(1, 0, "memory", null, 4096L, 512));
        assertTrue(daemon.targets.get(IQN).luns.isEmpty());
        assertTrue(daemon.opened.get(0).closed);
        assertThrows(TargetAdminException.class, () -> targets.bindInitiator(1, "ALL", true));
        assertEquals(List.of(), daemon.targets.get(IQN).acl);
        assertThrows(TargetAdminException.class, () -> targets.deleteTarget(1, false));
        assertTrue(daemon.targets.containsKey(IQN));
    }

    @Test
    void deleteNeedsForceWithNexusesAndUnbindRestoresEveryone() throws IOException {
        targets.newTarget(1, IQN);
        targets.newLun(1, 0, "memory", null, 4096L, 512);
        targets.bindInitiator(1, INITIATOR, true);
        targets.bindInitiator(1, "all", true);
        assertEquals(List.of(), daemon.targets.get(IQN).acl, "ALL admits everyone");
        targets.bindInitiator(1, "ALL", false);
        assertEquals(List.of(INITIATOR), daemon.targets.get(IQN).acl);
        targets.deleteLun(1, 0);
        assertTrue(daemon.targets.get(IQN).luns.isEmpty());
        daemon.targets.get(IQN).nexuses = 1;
        refused("target " + IQN + " has 1 I_T nexus(es)", () -> targets.deleteTarget(1, false));
        assertTrue(body().startsWith("target 1 " + IQN), "file restored after the refusal: " + body());
        targets.deleteTarget(1, true);
        assertTrue(daemon.targets.isEmpty());
        assertEquals("", body());
        targets.newTarget(1, IQN);   // the tid is free again
    }

    @Test
    void aTargetFromTheFileOpensToLoginsOnlyOnceItsAclLunMapsAndLunsAreIn() throws IOException {
        Files.createDirectories(conf.getParent());
        Files.writeString(conf, String.join("\n",
                "target 1 " + IQN,
                "lun 1 0 memory size=65536",
                "lun 1 1 memory size=65536",
                "acl 1 " + INITIATOR,
                "lunmap 1 " + INITIATOR + " 0=1") + "\n");
        targets.load();
        targets.applyPending();
        assertEquals(List.of("create closed " + IQN, "acl [" + INITIATOR + "] (closed)", "lunmap " + INITIATOR + " (closed)",
                "lun 0 (closed)", "lun 1 (closed)", "reopen " + IQN), daemon.calls);
        assertFalse(daemon.targets.get(IQN).closed);

        targets.applyPending();
        assertEquals(6, daemon.calls.size(), "applying again changes nothing");
    }

    @Test
    void aTargetWhoseLunMapsTheDaemonRefusesStaysClosedUntilTheyApply() throws IOException {
        Files.createDirectories(conf.getParent());
        Files.writeString(conf, String.join("\n", "target 1 " + IQN, "lun 1 0 memory size=65536",
                "lun 1 1 memory size=65536", "lunmap 1 " + INITIATOR + " 0=1") + "\n");
        targets.load();
        daemon.refuseLunMap = "refused for the test";
        targets.applyPending();
        assertTrue(daemon.targets.get(IQN).closed, "open, every initiator would see both LUNs");
        assertEquals(List.of(0, 1), List.copyOf(daemon.targets.get(IQN).luns.keySet()));

        daemon.refuseLunMap = null;
        targets.applyPending();
        assertFalse(daemon.targets.get(IQN).closed);
        assertEquals(Map.of(INITIATOR, Map.of(0, 1)), daemon.targets.get(IQN).lunMaps);
    }

    @Test
    void aTargetWhoseAclTheDaemonRefusesIsNotLeftBehind() throws IOException {
        Files.createDirectories(conf.getParent());
        Files.writeString(conf, String.join("\n", "target 1 " + IQN, "lun 1 0 memory size=65536",
                "acl 1 " + INITIATOR) + "\n");
        targets.load();
        daemon.refuseAcl = "refused for the test";
        targets.applyPending();
        assertFalse(daemon.targets.containsKey(IQN), "before, it stayed with no ACL: open to every initiator");
        assertTrue(daemon.calls.get(0).startsWith("create closed"), daemon.calls.toString());
    }

    @Test
    void brokenLinesAndFailingItemsAreSkippedAndTheRestLoads() throws IOException {
        Path disk = disk("ok.img", 4096);
        Files.createDirectories(conf.getParent());
        Files.writeString(conf, String.join("\n",
                "target 1 " + IQN,
                "lun 1 0 file " + disk + " size=4096",
                "lun 1 1 file " + DIR.resolve("gone.img") + " size=4096",
                "lun 1 2 memory size=17",
                "lun 1 3 memory /srv/m.img size=4096",
                "lun 1 4 file size=4096",
                "target 2 bad-name",
                "lun 2 0 memory size=4096",
                "acl 1 " + INITIATOR) + "\n");
        targets.load();
        daemon.fileProvider = false;
        targets.applyPending();
        assertEquals(List.of(IQN), List.copyOf(daemon.targets.keySet()));
        assertTrue(daemon.targets.get(IQN).luns.isEmpty(), "file LUNs wait for their provider");
        daemon.fileProvider = true;
        targets.applyPending();
        assertEquals(List.of(0), List.copyOf(daemon.targets.get(IQN).luns.keySet()));
        assertEquals(List.of(INITIATOR), daemon.targets.get(IQN).acl);

        targets.newLun(1, 5, "memory", null, 4096L, 512);   // the next write keeps the skipped lines as comments
        String text = Files.readString(conf);
        assertTrue(text.contains("# size 17 is not a multiple of the block size 512\n# lun 1 2 memory size=17\n"), text);
        assertTrue(text.contains("# no such file: " + DIR.resolve("gone.img")), text);
        assertTrue(text.contains("# a memory LUN has no path\n# lun 1 3 memory /srv/m.img size=4096 blocksize=512"), text);
        assertTrue(text.contains("# a file LUN needs a path\n# lun 1 4 file size=4096 blocksize=512"), text);
        assertTrue(text.contains("# 'bad-name' is not an iSCSI name\n# target 2 bad-name\n"), text);
        assertTrue(text.contains("# its target was skipped\n# lun 2 0 memory size=4096 blocksize=512 readonly=0 removable=0 thin=1\n"), text);

        daemon.running = false;   // the daemon restarts: everything comes back
        targets.daemonGone();
        FakeDaemon.T old = daemon.targets.remove(IQN);
        old.luns.values().forEach(FakeDaemon.Store::close);
        daemon.running = true;
        targets.applyPending();
        assertEquals(List.of(0, 5), List.copyOf(daemon.targets.get(IQN).luns.keySet()));
    }

    /**
     * What is specific to a store type comes from its provider: a line of a type whose provider
     * is not running waits for it (a new type's bundle may come later), and a line without
     * {@code thin=} gets the type's default once the provider is there.
     */
    @Test
    void linesWaitForTheProviderOfTheirTypeWhichGivesTheDefaults() throws IOException {
        Files.createDirectories(conf.getParent());
        Files.writeString(conf, String.join("\n",
                "target 1 " + IQN,
                "lun 1 0 memory size=4096",
                "lun 1 1 tape /dev/st0 size=4096") + "\n");
        daemon.memoryProvider = false;
        targets.load();
        targets.applyPending();
        assertTrue(daemon.targets.get(IQN).luns.isEmpty());
        assertEquals(null, targets.storeUsesPath("memory"));
        assertEquals(List.of("lun 1 0 memory size=4096 blocksize=512 readonly=0 removable=0",
                "lun 1 1 tape /dev/st0 size=4096 blocksize=512 readonly=0 removable=0"), targets.pending(daemon.targets()));
        daemon.memoryProvider = true;
        targets.applyPending();
        assertEquals(false, targets.storeUsesPath("memory"));
        assertEquals(true, targets.storeUsesPath("file"));
        assertEquals(new LunOptions(false, false, true, null), daemon.targets.get(IQN).options.get(0), "memory: thin");
        targets.newTarget(2, "iqn.2026-11.org.jtgt:two");
        assertEquals("target 1 " + IQN + "\n"
                + "lun 1 0 memory size=4096 blocksize=512 readonly=0 removable=0 thin=1\n"
                + "lun 1 1 tape /dev/st0 size=4096 blocksize=512 readonly=0 removable=0\n"
                + "target 2 iqn.2026-11.org.jtgt:two\n", body());
        refused("unknown backing store type 'disk' (memory, file)", () -> targets.newLun(1, 2, "disk", null, 4096L, 512));
    }

    @Test
    void aTargetThatCouldNotBeAppliedKeepsItsChapUsers() throws IOException {
        daemon.createTarget(IQN);   // still in the daemon, e.g. across a restart of the admin bundle
        Files.createDirectories(conf.getParent());
        Files.writeString(conf, String.join("\n",
                "target 1 " + IQN,
                "account alice alice-secret-1",
                "incominguser 1 alice",
                "acl 1 " + INITIATOR) + "\n");
        targets.load();
        daemon.refuseAcl = "the daemon refused the ACL";
        targets.applyPending();
        assertTrue(daemon.targets.containsKey(IQN), "the target is there, reachable by initiators");
        assertEquals(List.of("alice"), List.copyOf(targets.chapFor(IQN).incoming().keySet()),
                "a skipped target still requires CHAP (fail closed)");
        daemon.refuseAcl = null;
        targets.load();
        targets.applyPending();
        assertEquals(List.of("alice"), List.copyOf(targets.chapFor(IQN).incoming().keySet()));
    }

    /**
     * A store option given to a new LUN reaches its provider, is written with the LUN, survives
     * the rewrites of other changes and a reload (the store opened with it again, as when its
     * provider comes late); a bad value or a key the type does not take changes nothing; and it
     * cannot change in place.
     */
    @Test
    void storeOptionsReachTheProviderAndSurviveRewritesAndReloads() throws IOException {
        Path disk = disk("direct.img", 1 << 20);
        targets.newTarget(1, IQN);
        String before = Files.readString(conf);
        refused("direct=2: use direct=0|1 (1: open the file with O_DIRECT, bypassing the page cache)",
                () -> targets.newLun(1, 0, "file", disk.toString(), null, 512, Map.of("direct", "2")));
        refused("a memory store has no option 'direct' (it takes none)",
                () -> targets.newLun(1, 0, "memory", null, 4096L, 512, Map.of("direct", "1")));
        refused("a file store has no option 'sync' (it takes direct=0|1)",
                () -> targets.newLun(1, 0, "file", DIR.resolve("never.img").toString(), 4096L, 512, Map.of("sync", "1")));
        assertFalse(Files.exists(DIR.resolve("never.img")), "a refused plan creates no file");
        assertEquals(before, Files.readString(conf));
        assertTrue(daemon.opened.isEmpty());

        assertEquals("target 1 LUN 0: 1048576 bytes, file " + disk + ", read-only, direct=1",
                targets.newLun(1, 0, "file", disk.toString(), null, 512, Map.of("direct", "1", "readonly", "1")));
        assertEquals(Map.of("direct", "1", "readonly", "true"), daemon.targets.get(IQN).luns.get(0).openedWith);
        assertEquals(new LunOptions(true, false, false, null), daemon.targets.get(IQN).options.get(0));
        targets.newLun(1, 1, "memory", null, 4096L, 512);   // another change rewrites the file
        String line = "lun 1 0 file " + disk + " size=1048576 blocksize=512 readonly=1 removable=0 thin=0 direct=1\n";
        assertTrue(body().contains(line), body());

        assertEquals("target 1 LUN 0 unchanged", targets.updateLun(1, 0, null, Map.of("direct", "1")));
        refused("direct=0 cannot be set while tid 1 LUN 0 exists: its file store was opened with direct=1; delete the "
                + "LUN and create it again with direct=0", () -> targets.updateLun(1, 0, null, Map.of("direct", "0")));
        refused("a memory store has no option 'direct' (it takes none)",
                () -> targets.updateLun(1, 1, null, Map.of("direct", "1")));
        assertTrue(body().contains(line), body());
        assertEquals("file", targets.storeType(1, 0));
        assertEquals(null, targets.storeType(1, 7));
        assertEquals(Map.of("direct", "0|1"), targets.storeOptions("file"));
        assertEquals(Map.of(), targets.storeOptions("memory"));

        // reloaded while the file provider is not running yet: the line keeps its store option
        FakeDaemon restarted = new FakeDaemon();
        restarted.fileProvider = false;
        ConfiguredTargets again = new ConfiguredTargets(conf, restarted);
        again.load();
        again.applyPending();
        assertEquals(null, again.storeOptions("file"));
        assertEquals(List.of(line.strip()), again.pending(restarted.targets()));
        again.newTarget(2, "iqn.2026-11.org.jtgt:two");   // a rewrite while the line waits
        assertTrue(body().contains(line), body());
        restarted.fileProvider = true;
        again.applyPending();
        assertEquals(Map.of("direct", "1", "readonly", "true"), restarted.targets.get(IQN).luns.get(0).openedWith);
        assertEquals(List.of(), again.pending(restarted.targets()));
    }

    /** A line with a store option its type does not take, read while the provider was away, is skipped when it comes. */
    @Test
    void aStoreOptionOfALineReadWithoutItsProviderIsCheckedWhenItComes() throws IOException {
        Path disk = disk("late.img", 4096);
        Files.createDirectories(conf.getParent());
        Files.writeString(conf, String.join("\n",
                "target 1 " + IQN,
                "lun 1 0 file " + disk + " size=4096 direct=maybe",
                "lun 1 1 file " + disk + " size=4096 sync=1") + "\n");
        daemon.fileProvider = false;
        targets.load();
        targets.applyPending();
        daemon.fileProvider = true;
        targets.applyPending();
        assertTrue(daemon.targets.get(IQN).luns.isEmpty());
        targets.newTarget(2, "iqn.2026-11.org.jtgt:two");
        String text = Files.readString(conf);
        assertTrue(text.contains("# direct=maybe: use direct=0|1 (1: open the file with O_DIRECT, bypassing the page "
                + "cache)\n# lun 1 0 file " + disk + " size=4096 blocksize=512 readonly=0 removable=0 direct=maybe\n"),
                text);
        assertTrue(text.contains("# a file store has no option 'sync' (it takes direct=0|1)\n"), text);
    }

    @Test
    void applyingTwiceAdoptsWhatTheDaemonHasAlready() throws IOException {
        targets.newTarget(1, IQN);
        targets.newLun(1, 0, "memory", null, 4096L, 512);
        ConfiguredTargets reloaded = new ConfiguredTargets(conf, daemon);   // the admin bundle restarted
        reloaded.load();
        reloaded.applyPending();
        assertEquals(1, daemon.opened.size(), "no second store opened");
        assertEquals("target 1 LUN 0 deleted", reloaded.deleteLun(1, 0));
    }

    private Path disk(String name, int size) throws IOException {
        Path p = DIR.resolve(name);
        Files.write(p, new byte[size]);
        return p;
    }

    private String body() throws IOException {
        return Files.readAllLines(conf).stream().filter(l -> !l.startsWith("#") && !l.isEmpty())
                .map(l -> l + "\n").reduce("", String::concat);
    }

    private static void refused(String message, Runnable change) {
        TargetAdminException e = assertThrows(TargetAdminException.class, change::run);
        assertEquals(message, e.getMessage());
    }
}
