package org.jtgt.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.jtgt.admin.ControlProtocol.Reply;
import org.jtgt.config.ConfiguredTargets;
import org.jtgt.config.FakeDaemon;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** jtgtadm's {@code --mode lunmap}: options, exit statuses and messages. */
class LunMapCommandsTest {
    private static final Path DIR = Path.of("target", "lun-map-commands-test").toAbsolutePath();
    private static final String IQN = "iqn.2026-11.org.jtgt:one";
    private static final String HOST = "iqn.2026-11.org.jtgt:host1";

    private final FakeDaemon daemon = new FakeDaemon();
    private AdminCommands commands;

    @BeforeEach
    void setUp() throws IOException {
        Files.createDirectories(DIR);
        Files.deleteIfExists(DIR.resolve("targets.conf"));
        ConfiguredTargets configured = new ConfiguredTargets(DIR.resolve("targets.conf"), daemon);
        configured.load();
        commands = AdminCommandsTest.over(daemon, configured);
        ok("target 1 " + IQN + " created", "--op", "new", "--mode", "target", "--tid", "1", "-T", IQN);
        for (String lun : List.of("0", "1", "2")) {
            run("--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", lun, "--bstype", "memory", "--size",
                    "65536");
        }
    }

    @Test
    void bindUnbindNewDeleteAndShow() throws IOException {
        ok("Target 1: " + IQN + "\n    No LUN maps: every initiator sees every LUN", "--op", "show", "--mode", "lunmap", "--tid", "1");
        ok("target 1: " + HOST + " sees LUN 2 as LUN 0 (its LUN map is new: it sees only the LUNs bound to it)",
                "--op", "bind", "--mode", "lunmap", "--tid", "1", "-Q", HOST, "--lun", "2", "--mapped-lun", "0");
        ok("target 1: " + HOST + " sees LUN 1 as LUN 1", "-o", "bind", "-m", "lunmap", "-t", "1", "-Q", HOST, "-l", "1");
        assertEquals(Map.of(HOST, Map.of(0, 2, 1, 1)), daemon.targets.get(IQN).lunMaps);
        assertEquals(List.of("lunmap 1 " + HOST + " 0=2 1=1"),
                Files.readAllLines(DIR.resolve("targets.conf")).stream().filter(l -> l.startsWith("lunmap")).toList());
        Reply show = run("--op", "show", "--mode", "lunmap");
        assertEquals(new Reply(Reply.OK, "Target 1: " + IQN + "\n    " + HOST + ": LUN 2 as 0, LUN 1 as 1\n"), show);
        ok("target 1: " + HOST + " no longer sees LUN 1", "--op", "unbind", "--mode", "lunmap", "--tid", "1", "-Q", HOST,
                "--lun", "1");
        ok("target 1: LUN map of " + HOST + " deleted; it sees every LUN of the target again", "--op", "delete",
                "--mode", "lunmap", "--tid", "1", "-Q", HOST);
        ok("target 1: LUN map of " + HOST + " created; it sees no LUN until LUNs are bound to it", "--op", "new",
                "--mode", "lunmap", "--tid", "1", "-Q", HOST);
        assertEquals(Map.of(HOST, Map.of()), daemon.targets.get(IQN).lunMaps);
    }

    @Test
    void badInputGetsAClearAnswer() {
        usage("--initiator-name is required for --op bind --mode lunmap: -Q INITIATOR-NAME", "--op", "bind", "--mode",
                "lunmap", "--tid", "1", "--lun", "0");
        usage("--lun is required for --op bind --mode lunmap: --lun L (the target's LUN)", "--op", "bind", "--mode",
                "lunmap", "--tid", "1", "-Q", HOST);
        usage("mapped LUN 16384 is outside 0..16383", "--op", "bind", "--mode", "lunmap", "--tid", "1", "-Q", HOST,
                "--lun", "0", "--mapped-lun", "16384");
        usage("LUN 'x' is not a number", "--op", "bind", "--mode", "lunmap", "--tid", "1", "-Q", HOST, "--lun", "x");
        usage("--op unbind --mode lunmap takes the target's --lun, not --mapped-lun", "--op", "unbind", "--mode",
                "lunmap", "--tid", "1", "-Q", HOST, "--mapped-lun", "0");
        usage("--op new --mode lunmap acts on the initiator's whole map; give no --lun or --mapped-lun (bind and "
                + "unbind take them)", "--op", "new", "--mode", "lunmap", "--tid", "1", "-Q", HOST, "--lun", "0");
        usage("LUN maps are by initiator name (-Q), not address (-I)", "--op", "new", "--mode", "lunmap", "--tid", "1",
                "-Q", HOST, "-I", "ALL");
        usage("mode lunmap supports --op show, new, delete, bind and unbind, not 'update'", "--op", "update", "--mode",
                "lunmap", "--tid", "1", "-Q", HOST);
        failed("tid 1 has no LUN 9; add it first (--op new --mode logicalunit): an initiator is shown only LUNs that "
                + "exist", "--op", "bind", "--mode", "lunmap", "--tid", "1", "-Q", HOST, "--lun", "9");
        failed("no target with tid 2", "--op", "bind", "--mode", "lunmap", "--tid", "2", "-Q", HOST, "--lun", "0");
        failed("'a,b' is not an initiator name", "--op", "new", "--mode", "lunmap", "--tid", "1", "-Q", "a,b");
        ok("target 1: " + HOST + " sees LUN 0 as LUN 0 (its LUN map is new: it sees only the LUNs bound to it)",
                "--op", "bind", "--mode", "lunmap", "--tid", "1", "-Q", HOST, "--lun", "0");
        failed("tid 1 LUN 0 is in the LUN map of " + HOST + " (as LUN 0); unbind it first (--op unbind --mode lunmap)",
                "--op", "delete", "--mode", "logicalunit", "--tid", "1", "--lun", "0");
    }

    private Reply run(String... args) {
        return commands.execute(List.of(args));
    }

    private void ok(String text, String... args) {
        Reply r = run(args);
        assertEquals(new Reply(Reply.OK, text), new Reply(r.status(), r.text().strip()));
    }

    private void usage(String text, String... args) {
        assertEquals(new Reply(Reply.USAGE, text), run(args));
    }

    private void failed(String text, String... args) {
        assertEquals(new Reply(Reply.FAILED, text), run(args));
    }
}
