package org.jtgt.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.jtgt.admin.ControlProtocol.Reply;
import org.jtgt.api.host.TransportControl;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.TargetAdmin;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** jtgtadm's target and logicalunit commands: tgtadm's options, exit statuses and messages. */
class AdminCommandsTest {
    private static final Path DIR = Path.of("target", "admin-commands-test").toAbsolutePath();
    private static final String IQN = "iqn.2026-11.org.jtgt:one";

    private final FakeDaemon daemon = new FakeDaemon();
    private ConfiguredTargets configured;
    private AdminCommands commands;

    @BeforeEach
    void setUp() throws IOException {
        Files.createDirectories(DIR);
        Files.deleteIfExists(DIR.resolve(TargetsFile.NAME));
        Files.deleteIfExists(DIR.resolve("made.img"));
        Files.deleteIfExists(DIR.resolve("ro.img"));
        configured = new ConfiguredTargets(DIR.resolve(TargetsFile.NAME), daemon);
        configured.load();
        commands = new AdminCommands(new AdminCommands.Services() {
            @Override
            public TransportControl transportControl() {
                return null;
            }

            @Override
            public TargetAdmin targetAdmin() {
                return daemon.targetAdmin();
            }

            @Override
            public ConfiguredTargets configuredTargets() {
                return configured;
            }
        });
    }

    @Test
    void tgtadmStyleCommandsCreateShowAndDelete() {
        ok("target 1 " + IQN + " created", "--lld", "iscsi", "--op", "new", "--mode", "target", "--tid", "1", "-T", IQN);
        ok("target 1 LUN 0: 65536 bytes, memory", "-o", "new", "-m", "logicalunit", "-t", "1", "-l", "0", "-E", "memory",
                "-b", "ignored", "--size=65536");
        ok("target 1 ACL: " + "iqn.2026-11.org.jtgt:i", "--op", "bind", "--mode", "target", "--tid=1", "-Q",
                "iqn.2026-11.org.jtgt:i");
        ok("target 1 ACL: all initiators", "--op", "bind", "--mode", "target", "--tid", "1", "-I", "ALL");
        Reply show = run("--op", "show", "--mode", "target");
        assertEquals(Reply.OK, show.status());
        assertTrue(show.text().contains("Target 1: " + IQN + "\n"), show.text());
        assertTrue(show.text().contains("    LUN: 0\n"), show.text());
        assertTrue(show.text().contains("    ACL: ALL\n"), show.text());
        ok("target 1 LUN 0 deleted", "--op", "delete", "--mode", "logicalunit", "--tid", "1", "--lun", "0");
        ok("target 1 " + IQN + " deleted", "--op", "delete", "--mode", "target", "--tid", "1", "--force");
        assertTrue(daemon.targets.isEmpty());
    }

    @Test
    void gogoCommandsRunTheSameCommands() {
        ShellCommands shell = new ShellCommands(commands);
        assertEquals("target 1 " + IQN + " created", shell.target("new", "--tid", "1", "-T", IQN));
        assertEquals("target 1 LUN 0: 65536 bytes, memory", shell.lun("new", "--tid", "1", "--lun", "0", "-E", "memory",
                "--size", "65536"));
        assertEquals("target 1 ACL: all initiators", shell.acl("bind", "--tid", "1", "-I", "ALL"));
        assertTrue(shell.target("show").contains("Target 1: " + IQN), shell.target("show"));
        IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> shell.target("new", "--tid", "1", "-T", IQN));
        assertTrue(refused.getMessage().contains("tid 1"), refused.getMessage());
        IllegalArgumentException usage = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                shell::lun);
        assertEquals("usage: jtgt:lun OP [jtgtadm options]", usage.getMessage());
        assertEquals("jtgt", ShellCommands.properties().get("osgi.command.scope"));
    }

    @Test
    void aFileLunIsCreatedWithSize() {
        ok("target 1 " + IQN + " created", "-o", "new", "-m", "target", "-t", "1", "-T", IQN);
        Path disk = DIR.resolve("made.img");
        ok("target 1 LUN 1: 8192 bytes, file " + disk + " (created)", "-o", "new", "-m", "logicalunit", "-t", "1",
                "-l", "1", "-b", disk.toString(), "--size", "8192", "--blocksize", "4096");
        assertTrue(Files.isRegularFile(disk));
    }

    @Test
    void usageErrorsAnswerTwo() {
        usage("--tid is required (-t N)", "--op", "new", "--mode", "target", "-T", IQN);
        usage("--targetname is required for --op new --mode target: -T IQN", "--op", "new", "--mode", "target", "--tid", "1");
        usage("tid 'one' is not a number", "--op", "new", "--mode", "target", "--tid", "one", "-T", IQN);
        usage("tid 0 is outside 1..65535", "--op", "new", "--mode", "target", "--tid", "0", "-T", IQN);
        usage("--op bind needs one of -I ALL or -Q INITIATOR-NAME", "--op", "bind", "--mode", "target", "--tid", "1");
        usage("--lun is required for mode logicalunit: --lun L", "--op", "new", "--mode", "logicalunit", "--tid", "1");
        usage("LUN 16384 is outside 0..16383", "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "16384");
        usage("-b PATH is required for --bstype file", "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0");
        usage("--size BYTES is required for --bstype memory", "--op", "new", "--mode", "logicalunit", "--tid", "1",
                "--lun", "0", "--bstype", "memory");
        usage("block size '1024' is not supported; use 512 or 4096", "--op", "new", "--mode", "logicalunit", "--tid", "1",
                "--lun", "0", "--bstype", "memory", "--size", "4096", "--blocksize", "1024");
        usage("size -5 is not positive", "--op",
                "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "--bstype", "memory", "--size", "-5");
        usage("mode target supports --op show, new, delete, bind and unbind, not 'swap'", "--op", "swap", "--mode", "target");
        usage("mode logicalunit supports --op new, update and delete, not 'show'", "--op", "show", "--mode", "logicalunit",
                "--tid", "1", "--lun", "0");
    }

    @Test
    void refusalsAnswerOneAndChangeNothing() {
        ok("target 1 " + IQN + " created", "-o", "new", "-m", "target", "-t", "1", "-T", IQN);
        failed("-I 192.168.0.1: ACLs here are by initiator name, not address; use -I ALL or -Q INITIATOR-NAME",
                "--op", "bind", "--mode", "target", "--tid", "1", "-I", "192.168.0.1");
        failed("--mode account is not supported yet: CHAP accounts are set in the org.jtgt.iscsi configuration "
                + "(Config Admin)", "--op", "new", "--mode", "account", "--user", "u", "--password", "p");
        failed("--lld fc is not supported; targets serve every driver (use --lld iscsi or none)", "--lld", "fc", "--op",
                "show", "--mode", "target");
        failed("tid 1 is in use by " + IQN, "-o", "new", "-m", "target", "-t", "1", "-T", "iqn.2026-11.org.jtgt:x");
        failed("no target with tid 2", "-o", "delete", "-m", "target", "-t", "2");
        failed("unknown backing store type 'tape' (memory, file)", "-o", "new", "-m", "logicalunit", "-t", "1", "-l",
                "0", "-E", "tape", "-b", "/dev/st0");
        failed("size 5000 is not a multiple of the block size 512", "-o", "new", "-m", "logicalunit", "-t", "1", "-l",
                "0", "-E", "memory", "--size", "5000");
        assertEquals(List.of(IQN), List.copyOf(daemon.targets.keySet()));
        assertTrue(daemon.targets.get(IQN).luns.isEmpty());
        daemon.running = false;
        failed("the target daemon is not running", "-o", "new", "-m", "target", "-t", "2", "-T", "iqn.2026-11.org.jtgt:x");
    }

    @Test
    void paramsSetTheLunOptionsWhichShowPrintsAndTheFileKeeps() throws IOException {
        ok("target 1 " + IQN + " created", "-o", "new", "-m", "target", "-t", "1", "-T", IQN);
        ok("target 1 LUN 0: 65536 bytes, memory, read-only, removable, fully provisioned, serial DISK-0001", "--op",
                "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "--bstype", "memory", "--size", "65536",
                "--params", "readonly=1,removable=1,thin=0,serial=DISK-0001");
        ok("target 1 LUN 1: 65536 bytes, memory", "-o", "new", "-m", "logicalunit", "-t", "1", "-l", "1", "-E",
                "memory", "-S", "65536", "-P", "readonly=0");
        assertEquals(new LunOptions(true, true, false, "DISK-0001"), daemon.targets.get(IQN).options.get(0));
        assertEquals(new LunOptions(false, false, true, null), daemon.targets.get(IQN).options.get(1));
        String show = run("--op", "show", "--mode", "target").text();
        assertTrue(show.contains("    LUN: 0\n        Backing store: memory\n        Size: 65536 bytes, block size 512\n"
                + "        Read-only: yes, removable: yes, thin: no\n        Serial: DISK-0001\n"), show);
        assertTrue(show.contains("        Read-only: no, removable: no, thin: yes\n"
                + "        Serial: (derived from target and LUN)\n"), show);
        String conf = Files.readString(DIR.resolve(TargetsFile.NAME));
        assertTrue(conf.contains("lun 1 0 memory size=65536 blocksize=512 readonly=1 removable=1 thin=0 serial=DISK-0001\n"),
                conf);
        assertTrue(conf.contains("lun 1 1 memory size=65536 blocksize=512 readonly=0 removable=0 thin=1\n"), conf);
    }

    @Test
    void physicalBlockSizeIsALunOptionToo() throws IOException {
        ok("target 1 " + IQN + " created", "-o", "new", "-m", "target", "-t", "1", "-T", IQN);
        ok("target 1 LUN 0: 65536 bytes, memory, physical block size 4096", "-o", "new", "-m", "logicalunit", "-t", "1",
                "-l", "0", "-E", "memory", "-S", "65536", "-P", "physicalblocksize=4096");
        assertEquals(new LunOptions(false, false, true, null, 4096), daemon.targets.get(IQN).options.get(0));
        String show = run("--op", "show", "--mode", "target").text();
        assertTrue(show.contains("        Size: 65536 bytes, block size 512, physical block size 4096\n"), show);
        String conf = Files.readString(DIR.resolve(TargetsFile.NAME));
        assertTrue(conf.contains("lun 1 0 memory size=65536 blocksize=512 readonly=0 removable=0 thin=1 "
                + "physicalblocksize=4096\n"), conf);
    }

    @Test
    void aReadOnlyFileLunOpensItsFileReadOnly() throws IOException {
        Path image = DIR.resolve("ro.img");
        Files.write(image, new byte[8192]);
        ok("target 1 " + IQN + " created", "-o", "new", "-m", "target", "-t", "1", "-T", IQN);
        ok("target 1 LUN 0: 8192 bytes, file " + image + ", read-only", "-o", "new", "-m", "logicalunit", "-t", "1",
                "-l", "0", "-b", image.toString(), "-P", "readonly=1");
        ok("target 1 LUN 1: 8192 bytes, file " + image + ", thin", "-o", "new", "-m", "logicalunit", "-t", "1", "-l",
                "1", "-b", image.toString(), "-P", "thin=1");
        assertEquals(Map.of("readonly", "true"), daemon.targets.get(IQN).luns.get(0).openedWith);
        assertEquals(Map.of(), daemon.targets.get(IQN).luns.get(1).openedWith);
        assertEquals(new LunOptions(true, false, false, null), daemon.targets.get(IQN).options.get(0));
    }

    @Test
    void badParamsAnswerTwoAndApplyNothing() throws IOException {
        ok("target 1 " + IQN + " created", "-o", "new", "-m", "target", "-t", "1", "-T", IQN);
        String before = Files.readString(DIR.resolve(TargetsFile.NAME));
        String[] lun = {"--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "--bstype", "memory",
            "--size", "65536", "--params"};
        usage("unknown --params key 'scsi_sn' (readonly=0|1, removable=0|1, thin=0|1, serial=STRING, physicalblocksize=BYTES)",
                with(lun, "readonly=1,scsi_sn=X"));
        usage("readonly=2: use readonly=0 or readonly=1", with(lun, "readonly=2"));
        usage("--params key 'readonly' given twice", with(lun, "readonly=1,readonly=0"));
        usage("--params item 'removable' is not KEY=VALUE (readonly=0|1, removable=0|1, thin=0|1, serial=STRING, physicalblocksize=BYTES)",
                with(lun, "removable"));
        usage("serial has 65 characters; at most 64 fit VPD page 80h", with(lun, "serial=" + "9".repeat(65)));
        usage("serial must be printable ASCII without spaces (VPD page 80h); character 1 is U+00FC",
                with(lun, "serial=\u00fcber"));
        usage("serial= is empty", with(lun, "serial="));
        usage("physicalblocksize=3000: use 0 or a power of two, e.g. 4096", with(lun, "physicalblocksize=3000"));
        usage("physicalblocksize=4k is not a number of bytes", with(lun, "physicalblocksize=4k"));
        assertTrue(daemon.targets.get(IQN).luns.isEmpty());
        assertTrue(daemon.opened.isEmpty(), "no store opened");
        assertEquals(before, Files.readString(DIR.resolve(TargetsFile.NAME)));
    }

    @Test
    void updatingTheOptionsOfALunIsRefused() throws IOException {
        ok("target 1 " + IQN + " created", "-o", "new", "-m", "target", "-t", "1", "-T", IQN);
        ok("target 1 LUN 0: 65536 bytes, memory", "-o", "new", "-m", "logicalunit", "-t", "1", "-l", "0", "-E",
                "memory", "-S", "65536");
        String before = Files.readString(DIR.resolve(TargetsFile.NAME));
        Reply update = run("--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "--params",
                "readonly=1");
        assertEquals(Reply.FAILED, update.status(), update.text());
        assertTrue(update.text().startsWith("--op update --mode logicalunit is not supported: the daemon fixes a LUN's "
                + "options when it is added and cannot change them in place"), update.text());
        usage("readonly=yes: use readonly=0 or readonly=1", "--op", "update", "--mode", "logicalunit", "--tid", "1",
                "--lun", "0", "-P", "readonly=yes");
        assertEquals(new LunOptions(false, false, true, null), daemon.targets.get(IQN).options.get(0));
        assertFalse(daemon.opened.get(0).closed, "the store stays open");
        assertEquals(before, Files.readString(DIR.resolve(TargetsFile.NAME)));
    }

    private static String[] with(String[] head, String last) {
        String[] all = Arrays.copyOf(head, head.length + 1);
        all[head.length] = last;
        return all;
    }

    private Reply run(String... args) {
        return commands.execute(List.of(args));
    }

    private void ok(String text, String... args) {
        assertEquals(new Reply(Reply.OK, text), run(args));
    }

    private void usage(String text, String... args) {
        assertEquals(new Reply(Reply.USAGE, text), run(args));
    }

    private void failed(String text, String... args) {
        assertEquals(new Reply(Reply.FAILED, text), run(args));
    }
}
