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
import org.jtgt.api.config.TargetConfiguration;
import org.jtgt.api.host.TransportControl;
import org.jtgt.api.target.ChapAccounts;
import org.jtgt.api.target.IoStatistics;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.NexusInfo;
import org.jtgt.api.target.SessionInfo;
import org.jtgt.api.target.SessionSource;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.config.ConfiguredTargets;
import org.jtgt.config.FakeDaemon;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** jtgtadm's target and logicalunit commands: tgtadm's options, exit statuses and messages. */
class AdminCommandsTest {
    private static final Path DIR = Path.of("target", "admin-commands-test").toAbsolutePath();
    private static final String IQN = "iqn.2026-11.org.jtgt:one";
    private static final String TARGETS_CONF = "targets.conf";

    private final FakeDaemon daemon = new FakeDaemon();
    private ConfiguredTargets configured;
    private AdminCommands commands;

    @BeforeEach
    void setUp() throws IOException {
        Files.createDirectories(DIR);
        Files.deleteIfExists(DIR.resolve(TARGETS_CONF));
        Files.deleteIfExists(DIR.resolve("made.img"));
        Files.deleteIfExists(DIR.resolve("ro.img"));
        configured = new ConfiguredTargets(DIR.resolve(TARGETS_CONF), daemon);
        configured.load();
        commands = over(daemon, configured);
    }

    /** jtgtadm's commands over {@code daemon} and the targets.conf handling {@code configured}, no transports. */
    static AdminCommands over(FakeDaemon daemon, ConfiguredTargets configured) {
        return new AdminCommands(new AdminCommands.Services() {
            @Override
            public TransportControl transportControl() {
                return null;
            }

            @Override
            public TargetAdmin targetAdmin() {
                return daemon.targetAdmin();
            }

            @Override
            public TargetConfiguration configuration() {
                return configured;
            }

            @Override
            public List<SessionSource> sessionSources() {
                return daemon.sources;
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
        failed("no account u", "--op", "delete", "--mode", "account", "--user", "u");
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
        String conf = Files.readString(DIR.resolve(TARGETS_CONF));
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
        String conf = Files.readString(DIR.resolve(TARGETS_CONF));
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

    /**
     * {@code --params direct=1} on a file LUN (a real file store under target/): the file is
     * created and opened with O_DIRECT, show names it, targets.conf keeps it, and a restart of
     * the daemon and the config opens it so again. Unknown keys and keys of another type are
     * usage errors naming what the type takes; a bad value is refused by the provider before a
     * file is made; {@code --op update} does not change it.
     */
    @Test
    void directOnAFileLunOpensItWithODirectAndSurvivesAReload() throws IOException {
        daemon.realFiles = true;
        Path disk = DIR.resolve("direct.img");
        Files.deleteIfExists(disk);
        ok("target 1 " + IQN + " created", "-o", "new", "-m", "target", "-t", "1", "-T", IQN);
        String[] lun = {"--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "-b", disk.toString(),
            "--size", "1048576", "--params"};
        usage("unknown --params key 'sync' (readonly=0|1, removable=0|1, thin=0|1, serial=STRING, "
                + "physicalblocksize=BYTES, softthreshold=PERCENT, direct=0|1)", with(lun, "direct=1,sync=1"));
        usage("unknown --params key 'direct' (readonly=0|1, removable=0|1, thin=0|1, serial=STRING, "
                + "physicalblocksize=BYTES, softthreshold=PERCENT)", "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0",
                "--bstype", "memory", "--size", "65536", "-P", "direct=1");
        failed("direct=on: use direct=0|1 (1: open the file with O_DIRECT, bypassing the page cache)",
                with(lun, "direct=on"));
        assertFalse(Files.exists(disk), "nothing created for a refused value");

        ok("target 1 LUN 0: 1048576 bytes, file " + disk + " (created), direct=1", with(lun, "direct=1"));
        String show = run("--op", "show", "--mode", "target").text();
        assertTrue(show.contains("    LUN: 0\n        Backing store: file " + disk + ", 1 MiB, O_DIRECT\n"), show);
        String conf = Files.readString(DIR.resolve(TARGETS_CONF));
        String line = "lun 1 0 file " + disk + " size=1048576 blocksize=512 readonly=0 removable=0 thin=0 direct=1\n";
        assertTrue(conf.contains(line), conf);

        String[] update = {"--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "-P"};
        ok("target 1 LUN 0 unchanged", with(update, "direct=1"));
        failed("direct=0 cannot be set while tid 1 LUN 0 exists: its file store was opened with direct=1; delete the "
                + "LUN and create it again with direct=0", with(update, "readonly=1,direct=0"));
        usage("unknown --params key 'sync' (readonly=0|1, removable=0|1, thin=0|1, serial=STRING, "
                + "physicalblocksize=BYTES, softthreshold=PERCENT, size=BYTES, direct=0|1)", with(update, "sync=1"));
        assertEquals(new LunOptions(false, false, false, null), daemon.targets.get(IQN).options.get(0));
        assertEquals(conf, Files.readString(DIR.resolve(TARGETS_CONF)));

        // the daemon and the config restart: the line opens the file with O_DIRECT again
        daemon.targets.get(IQN).luns.values().forEach(FakeDaemon.Store::close);
        FakeDaemon restarted = new FakeDaemon();
        restarted.realFiles = true;
        ConfiguredTargets again = new ConfiguredTargets(DIR.resolve(TARGETS_CONF), restarted);
        again.load();
        again.applyPending();
        String after = over(restarted, again).execute(List.of("--op", "show", "--mode", "target")).text();
        assertTrue(after.contains("        Backing store: file " + disk + ", 1 MiB, O_DIRECT\n"), after);
        assertEquals(Map.of("direct", "1"), restarted.targets.get(IQN).luns.get(0).openedWith);
        assertEquals("target 1 LUN 0 deleted", again.deleteLun(1, 0));
        assertTrue(restarted.opened.get(0).closed);
        Files.delete(disk);
    }

    @Test
    void badParamsAnswerTwoAndApplyNothing() throws IOException {
        ok("target 1 " + IQN + " created", "-o", "new", "-m", "target", "-t", "1", "-T", IQN);
        String before = Files.readString(DIR.resolve(TARGETS_CONF));
        String[] lun = {"--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "--bstype", "memory",
            "--size", "65536", "--params"};
        usage("unknown --params key 'scsi_sn' (readonly=0|1, removable=0|1, thin=0|1, serial=STRING, physicalblocksize=BYTES, softthreshold=PERCENT)",
                with(lun, "readonly=1,scsi_sn=X"));
        usage("readonly=2: use readonly=0|1 or readonly=on|off", with(lun, "readonly=2"));
        usage("--params key 'readonly' given twice", with(lun, "readonly=1,readonly=0"));
        usage("--params item 'removable' is not KEY=VALUE (readonly=0|1, removable=0|1, thin=0|1, serial=STRING, physicalblocksize=BYTES, softthreshold=PERCENT)",
                with(lun, "removable"));
        usage("serial has 65 characters; at most 64 fit VPD page 80h", with(lun, "serial=" + "9".repeat(65)));
        usage("serial must be printable ASCII without spaces (VPD page 80h); character 1 is U+00FC",
                with(lun, "serial=\u00fcber"));
        usage("serial= is empty", with(lun, "serial="));
        usage("physicalblocksize=3000: use 0 or a power of two, e.g. 4096", with(lun, "physicalblocksize=3000"));
        usage("physicalblocksize=4k is not a number of bytes", with(lun, "physicalblocksize=4k"));
        assertTrue(daemon.targets.get(IQN).luns.isEmpty());
        assertTrue(daemon.opened.isEmpty(), "no store opened");
        assertEquals(before, Files.readString(DIR.resolve(TARGETS_CONF)));
    }

    @Test
    void updateGrowsALunAndChangesItsOptionsInPlaceAndPersistsThem() throws IOException {
        ok("target 1 " + IQN + " created", "-o", "new", "-m", "target", "-t", "1", "-T", IQN);
        ok("target 1 LUN 0: 65536 bytes, memory", "-o", "new", "-m", "logicalunit", "-t", "1", "-l", "0", "-E",
                "memory", "-S", "65536");
        ok("target 1 LUN 0: size 65536 -> 131072 bytes", "--op", "update", "--mode", "logicalunit", "--tid", "1",
                "--lun", "0", "--params", "size=131072");
        assertEquals(131072, daemon.targets.get(IQN).luns.get(0).size);
        ok("target 1 LUN 0: options readonly=0 removable=0 thin=1 -> readonly=1 removable=1 thin=1", "--op", "update",
                "--mode", "logicalunit", "--tid", "1", "--lun", "0", "-P", "readonly=on,removable=1");
        assertEquals(new LunOptions(true, true, true, null), daemon.targets.get(IQN).options.get(0));
        ok("target 1 LUN 0 unchanged", "--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "-P",
                "readonly=1");
        ok("target 1 LUN 0: size 131072 -> 262144 bytes, options readonly=1 removable=1 thin=1 -> readonly=0 "
                + "removable=1 thin=1", "--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "0",
                "--size", "262144", "-P", "readonly=off");
        assertFalse(daemon.opened.get(0).closed, "the store stays open");
        String conf = Files.readString(DIR.resolve(TARGETS_CONF));
        assertTrue(conf.contains("lun 1 0 memory size=262144 blocksize=512 readonly=0 removable=1 thin=1\n"), conf);
    }

    @Test
    void aSoftThresholdIsALunOptionShownKeptAndChangedInPlace() throws IOException {
        ok("target 1 " + IQN + " created", "-o", "new", "-m", "target", "-t", "1", "-T", IQN);
        Reply made = run("-o", "new", "-m", "logicalunit", "-t", "1", "-l", "0", "-E", "memory", "-S", "65536", "-P",
                "softthreshold=30");
        assertEquals(Reply.OK, made.status(), made.text());
        assertEquals(new LunOptions(false, false, true, null, 0, 30), daemon.targets.get(IQN).options.get(0));
        String show = run("--op", "show", "--mode", "target").text();
        assertTrue(show.contains("        Read-only: no, removable: no, thin: yes, soft threshold: 30%\n"), show);
        assertTrue(Files.readString(DIR.resolve(TARGETS_CONF)).contains(
                "lun 1 0 memory size=65536 blocksize=512 readonly=0 removable=0 thin=1 softthreshold=30\n"));
        ok("target 1 LUN 0: options readonly=0 removable=0 thin=1 softthreshold=30 -> readonly=0 removable=0 thin=1 "
                + "softthreshold=80", "--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "-P",
                "softthreshold=80");
        assertEquals(80, daemon.targets.get(IQN).options.get(0).softThreshold());
        failed("softthreshold=80 needs a thin LUN (thin=1): a fully provisioned LUN has all its space from the start",
                "--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "-P", "thin=0");
        usage("softthreshold=120 is outside 0..100 (percent of the LUN's capacity in use)", "--op", "update", "--mode",
                "logicalunit", "--tid", "1", "--lun", "0", "-P", "softthreshold=120");
        assertEquals(80, daemon.targets.get(IQN).options.get(0).softThreshold());
    }

    @Test
    void anUpdateKeepsThePhysicalBlockSizeItDoesNotName() throws IOException {
        ok("target 1 " + IQN + " created", "-o", "new", "-m", "target", "-t", "1", "-T", IQN);
        Reply made = run("-o", "new", "-m", "logicalunit", "-t", "1", "-l", "0", "-E", "memory", "-S", "65536", "-P",
                "physicalblocksize=4096");
        assertEquals(Reply.OK, made.status(), made.text());
        Reply updated = run("--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "-P", "readonly=1");
        assertEquals(Reply.OK, updated.status(), updated.text());
        assertEquals(new LunOptions(true, false, true, null, 4096), daemon.targets.get(IQN).options.get(0));
    }

    @Test
    void badUpdatesAnswerWithTheReasonAndApplyNothing() throws IOException {
        ok("target 1 " + IQN + " created", "-o", "new", "-m", "target", "-t", "1", "-T", IQN);
        ok("target 1 LUN 0: 65536 bytes, memory", "-o", "new", "-m", "logicalunit", "-t", "1", "-l", "0", "-E",
                "memory", "-S", "65536");
        String before = Files.readString(DIR.resolve(TARGETS_CONF));
        String[] update = {"--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "--params"};
        usage("readonly=yes: use readonly=0|1 or readonly=on|off", with(update, "readonly=yes"));
        usage("size 'big' is not a number of bytes", with(update, "size=big"));
        usage("unknown --params key 'blocksize' (readonly=0|1, removable=0|1, thin=0|1, serial=STRING, "
                + "physicalblocksize=BYTES, softthreshold=PERCENT, size=BYTES)", with(update, "blocksize=4096"));
        usage("--op update --mode logicalunit needs --params KEY=VALUE,... (size=BYTES, readonly=on|off, "
                + "removable=on|off, thin=on|off) or --size BYTES", "--op", "update", "--mode", "logicalunit",
                "--tid", "1", "--lun", "0");
        failed("tid 1 LUN 0 has 65536 bytes; shrinking to 32768 is refused (the blocks past the new end would be lost "
                + "to initiators that were told they exist)", with(update, "size=32768"));
        failed("size 65537 is not a multiple of the block size 512", with(update, "size=65537"));
        failed("serial cannot change while the LUN exists (it is the unit's identity in VPD pages 80h and 83h); delete "
                + "the LUN and create it again", with(update, "serial=NEW1"));
        failed("physicalblocksize cannot change while the LUN exists (initiators aligned their I/O to it); delete the "
                + "LUN and create it again", with(update, "physicalblocksize=4096"));
        failed("tid 1 has no LUN 3", "--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "3", "-P",
                "readonly=1");
        daemon.refuseResize = "no space left on device";
        failed("no space left on device", with(update, "readonly=1,size=131072"));
        assertEquals(new LunOptions(false, false, true, null), daemon.targets.get(IQN).options.get(0),
                "the options were set back when the resize failed");
        assertEquals(65536, daemon.targets.get(IQN).luns.get(0).size);
        assertEquals(before, Files.readString(DIR.resolve(TARGETS_CONF)));
    }

    /**
     * A driver with one session to {@link #IQN}, which records what it was asked to end and
     * whether the target was closed to new logins by then.
     */
    private final class OneSession implements SessionSource {
        final List<String> ended = new java.util.ArrayList<>();
        boolean closedWhenEnded;

        @Override
        public List<SessionInfo> sessions() {
            return ended.isEmpty() ? List.of(new SessionInfo(ISCSI, IQN, "iqn.2026-11.org.jtgt:host",
                    "ISID 0x23d000000001 TSIH 4", 3, 1, List.of(new SessionInfo.ConnectionInfo(0, "127.0.0.1:40000",
                            "127.0.0.1:3260")))) : List.of();
        }

        @Override
        public int endSessions(String target, String reason, long timeoutMillis) {
            ended.add(target + ": " + reason);
            closedWhenEnded = daemon.targets.get(IQN).closed
                    && daemon.targets().stream().noneMatch(t -> t.name().equals(IQN));
            return target.equals(IQN) ? 1 : 0;
        }
    }

    @Test
    void sessionsConnectionsAndStatisticsAreShownAndForceDeleteEndsTheSessions() {
        ok("target 1 " + IQN + " created", "-o", "new", "-m", "target", "-t", "1", "-T", IQN);
        ok("target 1 LUN 0: 65536 bytes, memory", "-o", "new", "-m", "logicalunit", "-t", "1", "-l", "0", "-E",
                "memory", "-S", "65536");
        OneSession driver = new OneSession();
        daemon.sources.add(driver);
        // sorted by host and id, as the daemon answers
        daemon.nexusList.add(new NexusInfo(IQN, "naa.5001", 0, 2, IoStatistics.NONE));
        daemon.nexusList.add(new NexusInfo(IQN, "iqn.2026-11.org.jtgt:host,i,0x23d000000001", 3, 1,
                new IoStatistics(5, 4096, 512, 1)));
        daemon.targets.get(IQN).nexuses = 2;
        ok("""
                Target 1: iqn.2026-11.org.jtgt:one
                    Session 0:2: (no driver lists it)
                        Initiator: naa.5001
                        I_T nexus: naa.5001
                        commands 0, read 0 bytes, written 0 bytes, errors (CHECK CONDITION) 0
                    Session 3:1: iscsi, ISID 0x23d000000001 TSIH 4
                        Initiator: iqn.2026-11.org.jtgt:host
                        Connection 0: 127.0.0.1:40000 -> 127.0.0.1:3260
                        I_T nexus: iqn.2026-11.org.jtgt:host,i,0x23d000000001
                        commands 5, read 4096 bytes, written 512 bytes, errors (CHECK CONDITION) 1
                """, "--op", "show", "--mode", "session", "--tid", "1");
        ok("""
                Target 1: iqn.2026-11.org.jtgt:one
                    Session 3:1: iscsi, ISID 0x23d000000001 TSIH 4
                        Initiator: iqn.2026-11.org.jtgt:host
                        Connection 0: 127.0.0.1:40000 -> 127.0.0.1:3260
                """, "--op", "show", "--mode", "conn", "--tid", "1", "--sid", "3:1");
        ok("""
                Target 1: iqn.2026-11.org.jtgt:one
                    LUN 0: commands 1, read 0 bytes, written 0 bytes, errors (CHECK CONDITION) 0
                    Session 0:2 (naa.5001): commands 0, read 0 bytes, written 0 bytes, errors (CHECK CONDITION) 0
                    Session 3:1 (iqn.2026-11.org.jtgt:host,i,0x23d000000001): commands 5, read 4096 bytes, written 512 \
                bytes, errors (CHECK CONDITION) 1
                """, "--op", "show", "--mode", "stats");
        String target = run("--op", "show", "--mode", "target").text();
        assertTrue(target.contains("    I_T nexuses: 2\n        Session 3:1: iscsi, ISID 0x23d000000001 TSIH 4, "
                + "iqn.2026-11.org.jtgt:host\n            Connection 0: 127.0.0.1:40000\n"), target);
        ok("No session 9:9\n", "--op", "show", "--mode", "conn", "--sid", "9:9");
        usage("--sid 7: give HOST:NEXUS as shown by --op show --mode session", "--op", "show", "--mode", "session",
                "--sid", "7");
        failed("no target with tid 5", "--op", "show", "--mode", "stats", "--tid", "5");
        usage("mode session supports --op show, not 'delete'", "--op", "delete", "--mode", "session");

        failed("target " + IQN + " has 2 I_T nexus(es)", "--op", "delete", "--mode", "target", "--tid", "1");
        assertTrue(driver.ended.isEmpty(), "no session ended without --force");
        ok("target 1 " + IQN + " deleted (1 session(s) ended)", "--op", "delete", "--mode", "target", "--tid", "1",
                "--force");
        assertEquals(List.of(IQN + ": target " + IQN + " deleted"), driver.ended, "once, before the daemon deletes it");
        assertTrue(driver.closedWhenEnded, "the target was closed to new logins before its sessions were ended");
    }

    @Test
    void accountsAreMadeBoundShownWithoutSecretsAndPersistedOwnerOnly() throws IOException {
        ok("target 1 " + IQN + " created", "-o", "new", "-m", "target", "-t", "1", "-T", IQN);
        ok("account alice created", "--op", "new", "--mode", "account", "--user", "alice", "--password", "alice-secret1");
        ok("account tgt created", "--op", "new", "--mode", "account", "--user", "tgt", "--password", "target-secret2");
        ok("incoming user alice bound to target 1 " + IQN, "--op", "bind", "--mode", "account", "--tid", "1", "--user",
                "alice");
        ok("outgoing user tgt bound to target 1 " + IQN, "--op", "bind", "--mode", "account", "--tid", "1", "--user",
                "tgt", "--outgoing");
        ok("Account list:\n    alice (tid 1)\n    tgt (tid 1 (outgoing))\n", "--op", "show", "--mode", "account");
        String target = run("--op", "show", "--mode", "target").text();
        assertTrue(target.contains("    Accounts: alice, tgt (outgoing)\n"), target);
        assertFalse(target.contains("secret"), target);
        assertEquals(new ChapAccounts.TargetChap(Map.of("alice", "alice-secret1"), "tgt", "target-secret2"),
                configured.chapFor(IQN));
        assertEquals(configured.chapFor(IQN), configured.chapFor(IQN.toUpperCase()), "iSCSI names fold case");
        assertEquals(null, configured.chapFor("iqn.2026-11.org.jtgt:none"));
        Path conf = DIR.resolve(TARGETS_CONF);
        String text = Files.readString(conf);
        assertTrue(text.contains("account alice alice-secret1\n") && text.contains("incominguser 1 alice\n")
                && text.contains("outgoinguser 1 tgt\n"), text);
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(conf)));

        ConfiguredTargets reloaded = new ConfiguredTargets(conf, daemon);
        reloaded.load();
        assertEquals(configured.chapFor(IQN), reloaded.chapFor(IQN), "read back from targets.conf");

        failed("account alice is bound to tid 1; unbind it first", "--op", "delete", "--mode", "account", "--user",
                "alice");
        ok("incoming user alice unbound from target 1 " + IQN, "--op", "unbind", "--mode", "account", "--tid", "1",
                "--user", "alice");
        assertEquals(null, configured.chapFor(IQN), "an outgoing user alone does not replace the configured account");
        ok("account alice deleted", "--op", "delete", "--mode", "account", "--user", "alice");
        ok("outgoing user tgt unbound from target 1 " + IQN, "--op", "unbind", "--mode", "account", "--tid", "1",
                "--user", "tgt", "--outgoing");
        ok("target 1 " + IQN + " deleted", "--op", "delete", "--mode", "target", "--tid", "1");
    }

    @Test
    void badAccountsAreRefusedWithTheReasonAndChangeNothing() throws IOException {
        ok("target 1 " + IQN + " created", "-o", "new", "-m", "target", "-t", "1", "-T", IQN);
        ok("account alice created", "--op", "new", "--mode", "account", "--user", "alice", "--password", "alice-secret1");
        String before = Files.readString(DIR.resolve(TARGETS_CONF));
        String[] make = {"--op", "new", "--mode", "account", "--user", "bob", "--password"};
        usage("the CHAP secret has 5 characters; it must have 12 to 16 (RFC 7143 12.1.3 asks for at least 96 bits)",
                with(make, "short"));
        usage("the CHAP secret has 17 characters; it must have 12 to 16 (RFC 7143 12.1.3 asks for at least 96 bits)",
                with(make, "a-secret-too-long"));
        usage("the CHAP secret must be printable ASCII without spaces", with(make, "with a space!"));
        usage("--password is required for --op new --mode account: --password SECRET", "--op", "new", "--mode",
                "account", "--user", "bob");
        usage("user name 'b\u00f6b' must be printable ASCII without spaces", "--op", "new", "--mode", "account", "--user",
                "b\u00f6b", "--password", "bob-secret-12");
        failed("account alice exists already", "--op", "new", "--mode", "account", "--user", "alice", "--password",
                "other-secret1");
        failed("no account carol", "--op", "bind", "--mode", "account", "--tid", "1", "--user", "carol");
        failed("no target with tid 4", "--op", "bind", "--mode", "account", "--tid", "4", "--user", "alice");
        failed("target 1 has no incoming user alice", "--op", "unbind", "--mode", "account", "--tid", "1", "--user",
                "alice");
        usage("mode account supports --op new, delete, bind, unbind and show, not 'update'", "--op", "update", "--mode",
                "account");
        ok("account same created", "--op", "new", "--mode", "account", "--user", "same", "--password", "alice-secret1");
        ok("incoming user alice bound to target 1 " + IQN, "--op", "bind", "--mode", "account", "--tid", "1", "--user",
                "alice");
        failed("the secret of same is that of incoming user alice of target 1; the two directions of CHAP must not "
                + "share a secret (RFC 7143 12.1.3)", "--op", "bind", "--mode", "account", "--tid", "1", "--user",
                "same", "--outgoing");
        assertFalse(before.isEmpty());
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
