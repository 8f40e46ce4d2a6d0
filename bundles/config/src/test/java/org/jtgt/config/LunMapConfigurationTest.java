package org.jtgt.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.jtgt.api.target.TargetAdminException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** LUN maps per initiator reach the daemon and targets.conf together; refusals change neither; loads recreate. */
class LunMapConfigurationTest {
    private static final Path DIR = Path.of("target", "lun-map-configuration-test").toAbsolutePath();
    private static final String IQN = "iqn.2026-11.org.jtgt:one";
    private static final String A = "iqn.2026-11.org.jtgt:host-a";
    private static final String B = "iqn.2026-11.org.jtgt:host-b";

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
        targets.newTarget(1, IQN);
        for (int lun = 0; lun <= 2; lun++) {
            targets.newLun(1, lun, "memory", null, 65536L, 512);
        }
    }

    private List<String> mapLines() throws IOException {
        return Files.readAllLines(conf).stream().filter(l -> l.startsWith("lunmap")).toList();
    }

    @Test
    void mapsReachTheDaemonAndTheFileAndComeBackAtLoad() throws IOException {
        assertEquals("target 1: " + A + " sees LUN 2 as LUN 0 (its LUN map is new: it sees only the LUNs bound to it)",
                targets.mapLun(1, A, 2, 0));
        assertEquals("target 1: " + A + " sees LUN 0 as LUN 1", targets.mapLun(1, A, 0, 1));
        targets.newLunMap(1, B);
        assertEquals(Map.of(A, Map.of(0, 2, 1, 0), B, Map.of()), daemon.targets.get(IQN).lunMaps);
        assertEquals(List.of("lunmap 1 " + A + " 0=2 1=0", "lunmap 1 " + B), mapLines());
        assertTrue(targets.showLunMaps(1).contains(A + ": LUN 2 as 0, LUN 0 as 1\n"), targets.showLunMaps(1));
        assertTrue(targets.showLunMaps(null).contains(B + ": no LUN\n"), targets.showLunMaps(null));

        FakeDaemon restarted = new FakeDaemon();
        ConfiguredTargets again = new ConfiguredTargets(conf, restarted);
        again.load();
        again.applyPending();
        assertEquals(Map.of(A, Map.of(0, 2, 1, 0), B, Map.of()), restarted.targets.get(IQN).lunMaps);
        int changes = restarted.lunMapChanges;
        again.applyPending();
        assertEquals(changes, restarted.lunMapChanges, "applying again changes nothing");
    }

    @Test
    void unbindingTheLastLunLeavesAnEmptyMapAndDeleteRemovesIt() throws IOException {
        targets.mapLun(1, A, 1, 0);
        assertEquals("target 1: " + A + " no longer sees LUN 1; its LUN map is empty, so it sees no LUN "
                + "(--op delete --mode lunmap gives it every LUN again)", targets.unmapLun(1, A, 1));
        assertEquals(Map.of(A, Map.of()), daemon.targets.get(IQN).lunMaps);
        assertEquals(List.of("lunmap 1 " + A), mapLines());
        targets.deleteLunMap(1, A.toUpperCase());
        assertEquals(Map.of(), daemon.targets.get(IQN).lunMaps);
        assertEquals(List.of(), mapLines());
    }

    @Test
    void refusalsChangeNeitherTheDaemonNorTheFile() throws IOException {
        targets.mapLun(1, A, 2, 0);
        String before = Files.readString(conf);
        refused("tid 1 has no LUN 7; add it first (--op new --mode logicalunit): an initiator is shown only LUNs "
                + "that exist", () -> targets.mapLun(1, A, 7, 3));
        refused(A + " sees LUN 2 of tid 1 as LUN 0 already; an initiator sees each LUN once (unbind it first to "
                + "renumber it)", () -> targets.mapLun(1, A, 2, 5));
        refused(A + " sees LUN 2 of tid 1 as LUN 0 already; unbind it first", () -> targets.mapLun(1, A, 1, 0));
        refused("'a,b' is not an initiator name", () -> targets.mapLun(1, "a,b", 1, 0));
        refused("'ALL' is not an initiator name", () -> targets.newLunMap(1, "ALL"));
        refused("mapped LUN 16384 is outside 0..16383", () -> targets.mapLun(1, A, 1, 16384));
        refused("no target with tid 2", () -> targets.mapLun(2, A, 1, 0));
        refused("tid 1 has a LUN map of " + A + " already", () -> targets.newLunMap(1, A));
        refused("tid 1 has no LUN map of " + B + " (it sees every LUN of the target)", () -> targets.unmapLun(1, B, 0));
        refused(A + " has no LUN 1 of tid 1 in its LUN map", () -> targets.unmapLun(1, A, 1));
        refused("tid 1 LUN 2 is in the LUN map of " + A + " (as LUN 0); unbind it first (--op unbind --mode lunmap)",
                () -> targets.deleteLun(1, 2));
        assertEquals(before, Files.readString(conf));
        assertEquals(Map.of(A, Map.of(0, 2)), daemon.targets.get(IQN).lunMaps);
        assertEquals("target 1: " + A + " sees LUN 2 as LUN 0 already", targets.mapLun(1, A, 2, 0));
    }

    @Test
    void deletingTheTargetDeletesItsMaps() throws IOException {
        targets.mapLun(1, A, 2, 0);
        targets.deleteTarget(1, false);
        assertEquals(List.of(), mapLines());
        targets.newTarget(1, IQN);
        assertEquals("Target 1: " + IQN + "\n    No LUN maps: every initiator sees every LUN\n", targets.showLunMaps(1));
    }

    @Test
    void badLinesAreSkippedWithTheirReason() {
        TargetsFile.Contents c = TargetsFile.parse(FakeDaemon.REAL_PROVIDERS, List.of(
                "target 1 " + IQN,
                "lunmap 1 " + A + " 0=0",
                "lun 1 0 memory size=65536",
                "lunmap 1 " + A + " 0=0 1=0",
                "lunmap 1 " + A + " 0=0 0=0",
                "lunmap 1 " + A + " zero",
                "lunmap 1 ALL 0=0",
                "lunmap 2 " + B,
                "lunmap 1",
                "lunmap 1 " + B + " 5=0",
                "lunmap 1 " + B.toUpperCase()));
        assertEquals(List.of(
                "targets.conf:2: tid 1 has no LUN 0 (its lun line must come first)",
                "targets.conf:4: LUN 0 is mapped twice",
                "targets.conf:5: mapped LUN 0 is given twice",
                "targets.conf:6: 'zero' is not MAPPED-LUN=LUN",
                "targets.conf:7: 'ALL' is not an initiator name",
                "targets.conf:8: tid 2 is not declared by an earlier target line",
                "targets.conf:9: expected '" + InitiatorLunMaps.FORM + "'",
                "targets.conf:11: tid 1 has a LUN map of " + B.toUpperCase() + " already"),
                c.skipped().stream().map(TargetsFile.Skipped::message).toList());
        assertEquals(Map.of(B, Map.of(5, 0)), c.lunMaps().of(1));
    }

    private static void refused(String message, Runnable change) {
        TargetAdminException e = assertThrows(TargetAdminException.class, change::run);
        assertEquals(message, e.getMessage());
    }
}
