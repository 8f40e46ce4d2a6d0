package org.jtgt.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.jtgt.admin.ControlProtocol.Reply;
import org.jtgt.api.config.PortGroupConfiguration;
import org.jtgt.api.config.TargetConfiguration;
import org.jtgt.api.host.TransportControl;
import org.jtgt.api.target.AccessState;
import org.jtgt.api.target.PortGroup;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.target.TargetPorts;
import org.jtgt.config.ConfiguredTargets;
import org.jtgt.config.FakeDaemon;
import org.jtgt.config.FakePortGroups;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** jtgtadm {@code --mode portgroup}: what it says, what it changes, and what it refuses before changing. */
class PortGroupCommandsTest {
    private static final Path DIR = Path.of("target", "port-group-commands-test").toAbsolutePath();
    private static final String IQN = "iqn.2026-11.org.jtgt:one";

    private final FakeDaemon daemon = new FakeDaemon();
    private final FakePortGroups groups = new FakePortGroups(daemon);
    private Path conf;
    private AdminCommands commands;

    @BeforeEach
    void setUp() throws IOException {
        Files.createDirectories(DIR);
        conf = DIR.resolve("targets.conf");
        Files.deleteIfExists(conf);
        ConfiguredTargets configured = new ConfiguredTargets(conf, groups.environment());
        configured.load();
        commands = new AdminCommands(new AdminCommands.Services() {
            @Override
            public TransportControl transportControl() {
                return null;
            }

            @Override
            public TargetAdmin targetAdmin() {
                return daemon;
            }

            @Override
            public TargetConfiguration configuration() {
                return configured;
            }

            @Override
            public PortGroupConfiguration portGroups() {
                return configured;
            }

            @Override
            public List<TargetPorts.Port> targetPorts() {
                return List.of(new TargetPorts.Port(1, 1, "iscsi", "127.0.0.1:3260 TPGT 1"),
                        new TargetPorts.Port(2, 2, "iscsi", "127.0.0.2:3260 TPGT 2"));
            }
        });
        ok("target 1 " + IQN + " created", "--op", "new", "--mode", "target", "--tid", "1", "-T", IQN);
    }

    private Reply run(String... args) {
        return commands.execute(List.of(args));
    }

    private void ok(String expected, String... args) {
        Reply r = run(args);
        assertEquals(Reply.OK, r.status(), r.text());
        assertEquals(expected, r.text().strip());
    }

    private void status(int status, String expected, String... args) {
        Reply r = run(args);
        assertEquals(status, r.status(), r.text());
        assertEquals(expected, r.text().strip());
    }

    @Test
    void newUpdateShowAndDelete() throws IOException {
        ok("port group 10 of target 1 created: ports 1,2, active/optimized, preferred",
                "--op", "new", "--mode", "portgroup", "--tid", "1", "-P", "group=10,ports=1,2,preferred=1");
        ok("port group 20 of target 1 created: ports 3, standby",
                "--op", "new", "--mode", "portgroup", "--tid", "1", "-P", "group=20,ports=3,state=s");
        ok("port group 20 of target 1: ports 3, unavailable",
                "--op", "update", "--mode", "portgroup", "--tid", "1", "--params=group=20,state=unavailable");
        assertEquals(List.of(new PortGroup(10, List.of(1, 2), AccessState.ACTIVE_OPTIMIZED, true),
                new PortGroup(20, List.of(3), AccessState.UNAVAILABLE, false)), groups.groups.get(IQN));
        ok("Target 1: " + IQN + "\n"
                + "    Port group 10: active/optimized, preferred\n"
                + "        Ports: 1, 2\n"
                + "    Port group 20: unavailable\n"
                + "        Ports: 3\n"
                + "    Other ports: a group of their own, active/optimized (or the group numbered as the port)\n"
                + "Target ports:\n"
                + "    1: iscsi 127.0.0.1:3260 TPGT 1\n"
                + "    2: iscsi 127.0.0.2:3260 TPGT 2",
                "--op", "show", "--mode", "portgroup", "--tid", "1");
        assertEquals(true, Files.readString(conf).contains("portgroup 1 20 ports=3 state=unavailable\n"));
        ok("port group 10 of target 1 deleted", "--op", "delete", "--mode", "portgroup", "--tid", "1", "-P", "group=10");
        assertEquals(List.of(new PortGroup(20, List.of(3), AccessState.UNAVAILABLE, false)), groups.groups.get(IQN));
    }

    @Test
    void badValuesAreUsageErrorsAndChangeNothing() {
        String conf0 = read();
        status(Reply.USAGE, "--op new --mode portgroup needs -P group=1..65535",
                "--op", "new", "--mode", "portgroup", "--tid", "1", "-P", "ports=1");
        status(Reply.USAGE, "--op new --mode portgroup needs -P ports=PORT[,PORT...]",
                "--op", "new", "--mode", "portgroup", "--tid", "1", "-P", "group=1");
        status(Reply.USAGE, "'sleepy' is not an access state (active/optimized or ao, active/non-optimized or an, "
                + "standby or s, unavailable or u, transitioning or t)",
                "--op", "new", "--mode", "portgroup", "--tid", "1", "-P", "group=1,ports=1,state=sleepy");
        status(Reply.USAGE, "target port group 0 is outside 1..65535",
                "--op", "new", "--mode", "portgroup", "--tid", "1", "-P", "group=0,ports=1");
        status(Reply.USAGE, "relative target port 'x' is not a number",
                "--op", "new", "--mode", "portgroup", "--tid", "1", "-P", "group=1,ports=1,x");
        status(Reply.USAGE, "unknown --params key 'colour' (group=1..65535, ports=PORT[,PORT...], "
                + "state=active/optimized|active/non-optimized|standby|unavailable|transitioning, preferred=0|1)",
                "--op", "new", "--mode", "portgroup", "--tid", "1", "-P", "group=1,ports=1,colour=red");
        status(Reply.USAGE, "preferred=yes is not 0|1 (or on|off)",
                "--op", "new", "--mode", "portgroup", "--tid", "1", "-P", "group=1,ports=1,preferred=yes");
        status(Reply.USAGE, "--op update --mode portgroup needs -P group=G and what changes: ports=PORT[,PORT...], "
                + "state=STATE, preferred=0|1", "--op", "update", "--mode", "portgroup", "--tid", "1", "-P", "group=1");
        status(Reply.USAGE, "mode portgroup supports --op show, new, update and delete, not 'bind'",
                "--op", "bind", "--mode", "portgroup", "--tid", "1");
        assertEquals(conf0, read());
        assertEquals(0, groups.changes);
    }

    @Test
    void refusalsSayWhy() {
        ok("port group 10 of target 1 created: ports 1,2, active/optimized",
                "--op", "new", "--mode", "portgroup", "--tid", "1", "-P", "group=10,ports=1,2");
        status(Reply.FAILED, "port 2 is in two target port groups",
                "--op", "new", "--mode", "portgroup", "--tid", "1", "-P", "group=11,ports=2,3");
        status(Reply.FAILED, "target 1 has no port group 11",
                "--op", "update", "--mode", "portgroup", "--tid", "1", "-P", "group=11,state=standby");
        status(Reply.FAILED, "no target with tid 2", "--op", "show", "--mode", "portgroup", "--tid", "2");
    }

    private String read() {
        try {
            return Files.exists(conf) ? Files.readString(conf) : "";
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
