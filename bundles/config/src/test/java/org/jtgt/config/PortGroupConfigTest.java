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

import org.jtgt.api.target.AccessState;
import org.jtgt.api.target.PortGroup;
import org.jtgt.api.target.TargetAdminException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Target port groups in targets.conf: the lines, and changes reaching the daemon and the file together. */
class PortGroupConfigTest {
    private static final Path DIR = Path.of("target", "port-group-config-test").toAbsolutePath();
    private static final String IQN = "iqn.2026-11.org.jtgt:one";

    private final FakeDaemon daemon = new FakeDaemon();
    private final FakePortGroups groups = new FakePortGroups(daemon);
    private final Path conf = DIR.resolve(TargetsFile.NAME);
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
        targets = new ConfiguredTargets(conf, groups.environment());
        targets.load();
    }

    private static TargetsFile.Contents parse(String... lines) {
        return TargetsFile.parse(FakeDaemon.REAL_PROVIDERS, List.of(lines));
    }

    private String body() throws IOException {
        return Files.readAllLines(conf).stream().filter(l -> !l.startsWith("#") && !l.isEmpty())
                .map(l -> l + "\n").reduce("", String::concat);
    }

    @Test
    void portGroupLinesAreReadAndWrittenBack() {
        TargetsFile.Contents c = parse("target 1 " + IQN, "portgroup 1 10 ports=1,2 state=active/optimized preferred=1",
                "portgroup 1 20 ports=3 state=s", "portgroup 1 5 ports=256 state=active/non-optimized preferred=0");
        assertEquals(List.of(), c.skipped());
        assertEquals(Map.of(1, List.of(new PortGroup(10, List.of(1, 2), AccessState.ACTIVE_OPTIMIZED, true),
                new PortGroup(20, List.of(3), AccessState.STANDBY, false),
                new PortGroup(5, List.of(256), AccessState.ACTIVE_NON_OPTIMIZED, false))), c.portGroups());
        String text = TargetsFile.format(c.targets(), Accounts.EMPTY, c.portGroups(), List.of());
        assertTrue(text.contains("target 1 " + IQN + "\n"
                + "portgroup 1 5 ports=256 state=active/non-optimized\n"
                + "portgroup 1 10 ports=1,2 state=active/optimized preferred=1\n"
                + "portgroup 1 20 ports=3 state=standby\n"), text);
    }

    @Test
    void brokenPortGroupLinesAreSkippedWithTheirReason() {
        TargetsFile.Contents c = parse("target 1 " + IQN,
                "portgroup 2 10 ports=1 state=standby",
                "portgroup 1 0 ports=1 state=standby",
                "portgroup 1 10 ports=1,1 state=standby",
                "portgroup 1 10 ports=1 state=asleep",
                "portgroup 1 10 ports=1",
                "portgroup 1 10 ports=1 state=standby colour=red",
                "portgroup 1 10 ports=1,2 state=standby",
                "portgroup 1 10 ports=3 state=standby",
                "portgroup 1 11 ports=2,4 state=standby",
                "portgroup 1 12 ports=70000 state=u");
        assertEquals(List.of(
                "targets.conf:2: tid 2 is not declared by an earlier target line",
                "targets.conf:3: target port group 0 is outside 1..65535",
                "targets.conf:4: port 1 is listed twice",
                "targets.conf:5: 'asleep' is not an access state (active/optimized or ao, active/non-optimized or an, "
                        + "standby or s, unavailable or u, transitioning or t)",
                "targets.conf:6: expected '" + PortGroupLines.FORM + "'",
                "targets.conf:7: 'colour=red' is not ports=PORT[,PORT...], state=STATE or preferred=0|1",
                "targets.conf:9: tid 1 has port group 10 twice",
                "targets.conf:10: port 2 is in another port group of tid 1",
                "targets.conf:11: relative target port 70000 is outside 1..65535"),
                c.skipped().stream().map(TargetsFile.Skipped::message).toList());
        assertEquals(Map.of(1, List.of(new PortGroup(10, List.of(1, 2), AccessState.STANDBY, false))), c.portGroups());
    }

    @Test
    void changesReachTheDaemonAndTheFileAndComeBackAfterARestart() throws IOException {
        targets.newTarget(1, IQN);
        assertEquals("port group 10 of target 1 created: ports 1,2, active/optimized, preferred",
                targets.newPortGroup(1, new PortGroup(10, List.of(1, 2), AccessState.ACTIVE_OPTIMIZED, true)));
        targets.newPortGroup(1, new PortGroup(20, List.of(3), AccessState.STANDBY, false));
        assertEquals("port group 20 of target 1: ports 3,4, unavailable",
                targets.updatePortGroup(1, 20, List.of(3, 4), AccessState.UNAVAILABLE, null));
        List<PortGroup> expected = List.of(new PortGroup(10, List.of(1, 2), AccessState.ACTIVE_OPTIMIZED, true),
                new PortGroup(20, List.of(3, 4), AccessState.UNAVAILABLE, false));
        assertEquals(expected, groups.groups.get(IQN));
        assertEquals(expected, targets.portGroups(1));
        assertEquals("target 1 " + IQN + "\n"
                + "portgroup 1 10 ports=1,2 state=active/optimized preferred=1\n"
                + "portgroup 1 20 ports=3,4 state=unavailable\n", body());

        FakeDaemon restarted = new FakeDaemon();
        FakePortGroups restartedGroups = new FakePortGroups(restarted);
        ConfiguredTargets again = new ConfiguredTargets(conf, restartedGroups.environment());
        again.load();
        again.applyPending();
        assertEquals(expected, restartedGroups.groups.get(IQN));

        assertEquals("port group 10 of target 1 deleted", targets.deletePortGroup(1, 10));
        assertEquals("target 1 " + IQN + "\n" + "portgroup 1 20 ports=3,4 state=unavailable\n", body());
    }

    @Test
    void refusedChangesChangeNeitherTheDaemonNorTheFile() throws IOException {
        targets.newTarget(1, IQN);
        targets.newPortGroup(1, new PortGroup(10, List.of(1, 2), AccessState.STANDBY, false));
        String before = body();
        int changes = groups.changes;
        refused("port 2 is in two target port groups",
                () -> targets.newPortGroup(1, new PortGroup(11, List.of(2), AccessState.STANDBY, false)));
        refused("target 1 has port group 10 already",
                () -> targets.newPortGroup(1, new PortGroup(10, List.of(5), AccessState.STANDBY, false)));
        refused("target 1 has no port group 12", () -> targets.updatePortGroup(1, 12, null, AccessState.STANDBY, null));
        refused("target 1 has no port group 12", () -> targets.deletePortGroup(1, 12));
        refused("no target with tid 2", () -> targets.portGroups(2));
        assertEquals(before, body());
        assertEquals(changes, groups.changes);
        assertEquals("port group 10 of target 1 is ports 1,2, standby already",
                targets.updatePortGroup(1, 10, null, AccessState.STANDBY, false));
    }

    @Test
    void statesAnInitiatorSetAreKeptAndATargetsGroupsGoWithIt() throws IOException {
        targets.newTarget(1, IQN);
        targets.newPortGroup(1, new PortGroup(10, List.of(1), AccessState.ACTIVE_OPTIMIZED, false));
        // SET TARGET PORT GROUPS in the daemon, then the listener on the bundle's thread
        List<PortGroup> set = List.of(new PortGroup(2, List.of(2), AccessState.STANDBY, false),
                new PortGroup(10, List.of(1), AccessState.ACTIVE_NON_OPTIMIZED, false));
        groups.groups.put(IQN, set);
        targets.portGroupsChanged(IQN, set);
        assertEquals("target 1 " + IQN + "\n"
                + "portgroup 1 2 ports=2 state=standby\n"
                + "portgroup 1 10 ports=1 state=active/non-optimized\n", body());
        // a jtgtadm change between the command and the listener: the file follows the daemon, not the older news
        targets.updatePortGroup(1, 2, null, AccessState.UNAVAILABLE, null);
        targets.portGroupsChanged(IQN, set);
        assertEquals("target 1 " + IQN + "\n"
                + "portgroup 1 2 ports=2 state=unavailable\n"
                + "portgroup 1 10 ports=1 state=active/non-optimized\n", body());
        targets.portGroupsChanged("iqn.2026-11.org.jtgt:not-in-the-file", List.of());
        targets.deleteTarget(1, false);
        targets.newTarget(1, IQN);
        assertEquals("target 1 " + IQN + "\n", body());
    }

    private static void refused(String message, Runnable change) {
        TargetAdminException e = assertThrows(TargetAdminException.class, change::run);
        assertEquals(message, e.getMessage());
    }
}
