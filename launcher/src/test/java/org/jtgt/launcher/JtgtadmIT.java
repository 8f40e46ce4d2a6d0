package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

/**
 * Target management the way a tgt user does it: jtgtadm against a running launcher creates a
 * target with a file-backed LUN and an ACL, libiscsi sees it with the admitted initiator name
 * and not with another, a second LUN appears (and QEMU, with a session open, gets the unit
 * attention that says so), a read-only LUN with its own serial number (QEMU refuses to open it
 * for writing, reads work), and after a restart on the same {@code --config}
 * everything is there again, read back from {@code targets.conf}. A LUN grown and
 * write-protected in place under an open QEMU session; a libiscsi session listed with its
 * counters and ended by a forced delete; a CHAP account bound to a target.
 */
@Timeout(300)
class JtgtadmIT {
    private static final Path WORK = LauncherProcess.TARGET.resolve("jtgtadm-it");
    private static final String TARGET = "iqn.2026-11.org.jtgt:jtgtadm-it";
    private static final String ALLOWED = "iqn.2026-11.org.jtgt:allowed";
    private static final String OTHER = "iqn.2026-11.org.jtgt:other";
    private static final long DISK0 = 4L << 20;
    private static final long DISK1 = 2L << 20;
    private static final long DISK2 = 1L << 20;
    private static final String SERIAL2 = "JTGTADM-IT-RO";

    @RegisterExtension
    final Processes processes = new Processes();

    @Test
    void targetsLunsAndAclsMadeWithJtgtadmWorkAndSurviveARestart() throws Exception {
        ExternalTool.require("iscsi-ls", "libiscsi-bin");
        ExternalTool.require("iscsi-inq", "libiscsi-bin");
        ExternalTool.require("qemu-io", "qemu-utils and qemu-block-extra");
        LauncherProcess.deleteTree(WORK);
        Files.createDirectories(WORK);
        ExternalTool tools = new ExternalTool(WORK, Duration.ofSeconds(60));
        Path config = WORK.resolve("config");
        String control = config.resolve("control.sock").toString();
        Path disk0 = WORK.resolve("disk0.img");
        try (RandomAccessFile f = new RandomAccessFile(disk0.toFile(), "rw")) {
            f.setLength(DISK0);
        }
        Path disk1 = WORK.resolve("disk1.img");

        LauncherProcess launcher = start(config);
        int port = launcher.iscsiPort();

        LauncherProcess.jtgtadmAt(control, 0, "--lld", "iscsi", "--op", "new", "--mode", "target", "--tid", "1", "-T", TARGET);
        LauncherProcess.jtgtadmAt(control, 0, "--lld", "iscsi", "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0",
                "-b", disk0.toString());
        LauncherProcess.jtgtadmAt(control, 0, "--lld", "iscsi", "--op", "bind", "--mode", "target", "--tid", "1", "-Q", ALLOWED);
        // refusals: clear message, status 1 or 2, nothing applied
        String dup = LauncherProcess.jtgtadmAt(control, 1, "--op", "new", "--mode", "target", "--tid", "1", "-T", "iqn.2026-11.org.jtgt:x");
        assertTrue(dup.contains("tid 1 is in use by " + TARGET), dup);
        String bad = LauncherProcess.jtgtadmAt(control, 1, "--op", "new", "--mode", "target", "--tid", "2", "-T", "no-such-name-form");
        assertTrue(bad.contains("no-such-name-form"), bad);
        String missing = LauncherProcess.jtgtadmAt(control, 1, "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "1", "-b",
                WORK.resolve("missing.img").toString());
        assertTrue(missing.contains("no such file"), missing);
        String address = LauncherProcess.jtgtadmAt(control, 1, "--op", "bind", "--mode", "target", "--tid", "1", "-I", "10.0.0.1");
        assertTrue(address.contains("by initiator name"), address);
        LauncherProcess.jtgtadmAt(control, 2, "--op", "new", "--mode", "logicalunit", "--tid", "1");

        String base = "iscsi://127.0.0.1:" + port;
        String seen = tools.run("iscsi-ls", "-s", "-i", ALLOWED, base + "/");
        assertTrue(seen.contains("Target:" + TARGET + " "), seen);
        assertTrue(Pattern.compile("Lun:0\\s+Type:DIRECT_ACCESS").matcher(seen).find(), seen);
        String inq = tools.run("iscsi-inq", "-i", ALLOWED, base + "/" + TARGET + "/0");
        assertTrue(inq.contains("Peripheral Device Type:DIRECT_ACCESS"), inq);
        String hidden = tools.execute("iscsi-ls", "-s", "-i", OTHER, base + "/").output();
        assertFalse(hidden.contains(TARGET), hidden);
        ExternalTool.Outcome refused = tools.execute("iscsi-inq", "-i", OTHER, base + "/" + TARGET + "/0");
        assertTrue(refused.exit() != 0, refused.describe());

        // a second LUN on a new file of the given size, while QEMU has a session open on LUN 0:
        // its next command gets REPORTED LUNS DATA HAS CHANGED, which QEMU logs and retries
        Path qemuLog = WORK.resolve("qemu-io.log");
        ProcessBuilder qemuCommand = new ProcessBuilder("qemu-io", "--image-opts",
                "driver=iscsi,transport=tcp,portal=127.0.0.1:" + port + ",target=" + TARGET + ",lun=0,initiator-name="
                        + ALLOWED).redirectErrorStream(true).redirectOutput(qemuLog.toFile());
        qemuCommand.environment().put("TMPDIR", WORK.toString());
        Process qemu = qemuCommand.start();
        processes.add(qemu);
        try (Writer commands = new OutputStreamWriter(qemu.getOutputStream(), StandardCharsets.UTF_8)) {
            commands.write("read 0 4k\n");
            commands.flush();
            awaitCount(qemuLog, "read 4096/4096 bytes", 1);
            LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "1", "-b", disk1.toString(),
                    "--size", String.valueOf(DISK1), "--blocksize", "4096");
            commands.write("read 0 4k\nquit\n");
        }
        assertTrue(qemu.waitFor(30, TimeUnit.SECONDS), "qemu-io did not quit:\n" + Files.readString(qemuLog));
        String qemuOut = Files.readString(qemuLog);
        assertTrue(qemuOut.contains("UNIT_ATTENTION") && qemuOut.contains("0x3f0e"), qemuOut);
        awaitCount(qemuLog, "read 4096/4096 bytes", 2);
        assertEquals(DISK1, Files.size(disk1));
        String two = tools.run("iscsi-ls", "-s", "-i", ALLOWED, base + "/");
        assertTrue(Pattern.compile("Lun:1\\s+Type:DIRECT_ACCESS").matcher(two).find(), two);
        String inq1 = tools.run("iscsi-inq", "-i", ALLOWED, base + "/" + TARGET + "/1");
        assertTrue(inq1.contains("Peripheral Device Type:DIRECT_ACCESS"), inq1);
        // a read-only LUN with its own serial: the daemon reports it write-protected (the WP bit
        // of MODE SENSE), so QEMU refuses to open it read-write; read-only access reads
        Path disk2 = WORK.resolve("disk2.img");
        try (RandomAccessFile f = new RandomAccessFile(disk2.toFile(), "rw")) {
            f.setLength(DISK2);
        }
        String badParams = LauncherProcess.jtgtadmAt(control, 2, "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "2", "-b",
                disk2.toString(), "--params", "readonly=yes");
        assertTrue(badParams.contains("readonly=yes: use readonly=0|1 or readonly=on|off"), badParams);
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "2", "-b", disk2.toString(),
                "--params", "readonly=1,serial=" + SERIAL2);
        String lun2 = "driver=iscsi,transport=tcp,portal=127.0.0.1:" + port + ",target=" + TARGET
                + ",lun=2,initiator-name=" + ALLOWED;
        ExternalTool.Outcome write = tools.execute("qemu-io", "--image-opts", "-c", "write 0 4k", lun2);
        assertTrue(write.exit() != 0 && write.output().contains("write protected"), write.describe());
        String read = tools.run("qemu-io", "-r", "--image-opts", "-c", "read 0 4k", lun2);
        assertTrue(read.contains("read 4096/4096 bytes"), read);
        String serial = tools.run("iscsi-inq", "-i", ALLOWED, "-e", "1", "-c", "128", base + "/" + TARGET + "/2");
        assertTrue(serial.contains("Unit Serial Number:[" + SERIAL2 + "]"), serial);
        assertEquals(DISK2, Files.size(disk2));

        String before = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "target");
        assertTrue(before.contains("Size: " + DISK0 + " bytes, block size 512\n"), before);
        assertTrue(before.contains("Size: " + DISK1 + " bytes, block size 4096\n"), before);
        String conf = Files.readString(config.resolve("targets.conf"));
        assertTrue(conf.contains("target 1 " + TARGET + "\n"), conf);
        assertTrue(before.contains("Read-only: yes, removable: no, thin: no\n        Serial: " + SERIAL2 + "\n"),
                before);
        assertTrue(conf.contains("lun 1 2 file " + disk2.normalize() + " size=" + DISK2
                + " blocksize=512 readonly=1 removable=0 thin=0 serial=" + SERIAL2 + "\n"), conf);
        assertFalse(conf.contains("default"), "the default target is not written:\n" + conf);

        launcher.stopCleanly();
        LauncherProcess again = start(config);
        int port2 = again.iscsiPort();
        String after = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "target");
        assertEquals(targetSection(before), targetSection(after));
        assertTrue(after.contains("Target 1: " + TARGET + "\n"), after);
        assertTrue(after.contains("    ACL: " + ALLOWED + "\n"), after);
        assertTrue(after.contains("    LUN: 1\n"), after);
        assertTrue(after.contains("Serial: " + SERIAL2 + "\n"), after);   // and read-only: the sections are equal
        assertTrue(tools.execute("qemu-io", "--image-opts", "-c", "write 0 4k", lun2.replace(":" + port + ",",
                ":" + port2 + ",")).output().contains("write protected"), "LUN 2 is read-only after the restart");
        String base2 = "iscsi://127.0.0.1:" + port2;
        String seenAgain = tools.run("iscsi-ls", "-s", "-i", ALLOWED, base2 + "/");
        assertTrue(Pattern.compile("Lun:0\\s+Type:DIRECT_ACCESS").matcher(seenAgain).find(), seenAgain);
        assertTrue(Pattern.compile("Lun:1\\s+Type:DIRECT_ACCESS").matcher(seenAgain).find(), seenAgain);
        assertFalse(tools.execute("iscsi-ls", "-s", "-i", OTHER, base2 + "/").output().contains(TARGET));

        // deleting goes into the file too
        LauncherProcess.jtgtadmAt(control, 0, "--op", "delete", "--mode", "logicalunit", "--tid", "1", "--lun", "1");
        LauncherProcess.jtgtadmAt(control, 0, "--op", "delete", "--mode", "target", "--tid", "1", "--force");
        assertFalse(Files.readString(config.resolve("targets.conf")).contains("target 1 "));
        again.stopCleanly();
        assertFalse(again.output.text().contains("(skipped; in "), "no line was skipped:\n" + again.output.text());
    }

    /**
     * A LUN grown and write-protected in place while QEMU has a session open on it: QEMU's next
     * commands get CAPACITY DATA HAS CHANGED and MODE PARAMETERS CHANGED, its writes are refused
     * as write-protected, libiscsi reads the new capacity, the file has grown, and after a
     * restart the size and the options are read back from {@code targets.conf}.
     */
    @Test
    void aLunGrowsAndChangesItsOptionsUnderAnOpenSession() throws Exception {
        ExternalTool.require("iscsi-readcapacity16", "libiscsi-bin");
        ExternalTool.require("qemu-io", "qemu-utils and qemu-block-extra");
        Path work = WORK.resolve("update");
        LauncherProcess.deleteTree(work);
        Files.createDirectories(work);
        ExternalTool tools = new ExternalTool(work, Duration.ofSeconds(60));
        Path config = work.resolve("config");
        String control = config.resolve("control.sock").toString();
        Path disk = work.resolve("grow.img");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(DISK0);
        }
        LauncherProcess launcher = start(config);
        int port = launcher.iscsiPort();
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "target", "--tid", "1", "-T", TARGET);
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "-b", disk.toString());
        String url = "iscsi://127.0.0.1:" + port + "/" + TARGET + "/0";

        Path qemuLog = work.resolve("qemu-io.log");
        ProcessBuilder qemuCommand = new ProcessBuilder("qemu-io", "-f", "raw", url).redirectErrorStream(true)
                .redirectOutput(qemuLog.toFile());
        qemuCommand.environment().put("TMPDIR", work.toString());
        Process qemu = qemuCommand.start();
        processes.add(qemu);
        try (Writer commands = new OutputStreamWriter(qemu.getOutputStream(), StandardCharsets.UTF_8)) {
            commands.write("write -P 0x5a 0 4k\n");
            commands.flush();
            awaitCount(qemuLog, "wrote 4096/4096 bytes", 1);
            String grown = LauncherProcess.jtgtadmAt(control, 0, "--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "0",
                    "--params", "size=" + 2 * DISK0);
            assertEquals("target 1 LUN 0: size " + DISK0 + " -> " + 2 * DISK0 + " bytes\n", grown);
            commands.write("read -P 0x5a 0 4k\n");
            commands.flush();
            awaitCount(qemuLog, "read 4096/4096 bytes", 1);
            LauncherProcess.jtgtadmAt(control, 0, "--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "--params",
                    "readonly=on");
            commands.write("write -P 0x33 0 4k\n");
            commands.flush();
            awaitCount(qemuLog, "write failed", 1);
            LauncherProcess.jtgtadmAt(control, 0, "--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "-P", "readonly=off");
            commands.write("write -P 0x33 0 4k\nquit\n");
        }
        assertTrue(qemu.waitFor(30, TimeUnit.SECONDS), "qemu-io did not quit:\n" + Files.readString(qemuLog));
        String qemuOut = Files.readString(qemuLog);
        assertTrue(qemuOut.contains("UNIT_ATTENTION") && qemuOut.contains("(0x2a09)"), qemuOut);
        assertTrue(qemuOut.contains("(0x2a01)"), qemuOut);
        assertTrue(qemuOut.contains("WRITE_PROTECTED(0x2700)"), qemuOut);
        awaitCount(qemuLog, "wrote 4096/4096 bytes", 2);
        assertTrue(qemuOut.contains("read 4096/4096 bytes"), "the data written before the resize reads back:\n" + qemuOut);
        String capacity = tools.run("iscsi-readcapacity16", url);
        assertTrue(capacity.contains("Total size:" + 2 * DISK0), capacity);
        assertEquals(2 * DISK0, Files.size(disk), "the file grew with the LUN");

        // refusals change nothing
        String shrink = LauncherProcess.jtgtadmAt(control, 1, "--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "-P",
                "size=" + DISK0);
        assertTrue(shrink.contains("shrinking to " + DISK0 + " is refused"), shrink);
        String usage = LauncherProcess.jtgtadmAt(control, 2, "--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "-P",
                "readonly=maybe");
        assertTrue(usage.contains("readonly=maybe: use readonly=0|1 or readonly=on|off"), usage);
        LauncherProcess.jtgtadmAt(control, 0, "--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "-P", "removable=on");
        String before = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "target");
        assertTrue(before.contains("Size: " + 2 * DISK0 + " bytes, block size 512\n"), before);
        assertTrue(before.contains("Read-only: no, removable: yes, thin: no\n"), before);
        String conf = Files.readString(config.resolve("targets.conf"));
        assertTrue(conf.contains("lun 1 0 file " + disk.normalize() + " size=" + 2 * DISK0
                + " blocksize=512 readonly=0 removable=1 thin=0\n"), conf);

        launcher.stopCleanly();
        LauncherProcess again = start(config);
        int port2 = again.iscsiPort();
        assertEquals(targetSection(before), targetSection(LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "target")));
        String capacity2 = tools.run("iscsi-readcapacity16", url.replace(":" + port + "/", ":" + port2 + "/"));
        assertTrue(capacity2.contains("Total size:" + 2 * DISK0), capacity2);
        again.stopCleanly();
    }

    /**
     * A libiscsi session (iscsi-perf reading at queue depth 4) is listed by {@code --op show
     * --mode session} with counters that grow; deleting its target is refused without
     * {@code --force} and with it ends the session: iscsi-perf's reconnect finds no target and it
     * exits, the launcher goes on, and the target can be created again.
     */
    @Test
    void sessionsAreListedWithGrowingCountersAndForceDeleteEndsThem() throws Exception {
        ExternalTool.require("iscsi-perf", "libiscsi-bin");
        ExternalTool.require("iscsi-inq", "libiscsi-bin");
        Path work = WORK.resolve("sessions");
        LauncherProcess.deleteTree(work);
        Files.createDirectories(work);
        ExternalTool tools = new ExternalTool(work, Duration.ofSeconds(60));
        Path config = work.resolve("config");
        String control = config.resolve("control.sock").toString();
        LauncherProcess launcher = start(config);
        int port = launcher.iscsiPort();
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "target", "--tid", "1", "-T", TARGET);
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "--bstype", "memory",
                "--size", String.valueOf(DISK0));
        String url = "iscsi://127.0.0.1:" + port + "/" + TARGET + "/0";

        Path perfLog = work.resolve("iscsi-perf.log");
        Process perf = new ProcessBuilder("iscsi-perf", "-m", "4", "-b", "8", "-x", "2", url).redirectErrorStream(true)
                .redirectOutput(perfLog.toFile()).start();
        processes.add(perf);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String shown;
        while (!(shown = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "session", "--tid", "1")).contains(", ISID 0x")
                || commands(shown) == 0) {
            assertTrue(System.nanoTime() < deadline, "no session with commands within 30 s:\n" + shown + "\n"
                    + Files.readString(perfLog));
            Thread.sleep(100);
        }
        assertTrue(shown.startsWith("Target 1: " + TARGET + "\n    Session "), shown);
        assertTrue(shown.contains(": iscsi, ISID 0x") && shown.contains(" TSIH "), shown);
        assertTrue(shown.contains(" -> 127.0.0.1:" + port + "\n"), shown);
        long first = commands(shown);
        Thread.sleep(500);
        String later = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "session", "--tid", "1");
        assertTrue(commands(later) > first, "the counters grow under I/O:\n" + shown + "\n" + later);
        assertTrue(later.matches("(?s).*read [1-9]\\d* bytes, written 0 bytes.*"), later);
        String conn = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "conn", "--tid", "1");
        assertTrue(conn.contains("        Connection 0: 127.0.0.1:"), conn);
        String stats = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "stats", "--tid", "1");
        assertTrue(stats.matches("(?s)Target 1: .*\n    LUN 0: commands [1-9]\\d*, read [1-9]\\d* bytes.*"), stats);
        String target = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "target");
        assertTrue(target.contains("    I_T nexuses: 1\n        Session "), target);

        String refused = LauncherProcess.jtgtadmAt(control, 1, "--op", "delete", "--mode", "target", "--tid", "1");
        assertTrue(refused.contains("log the initiators out first or delete with force"), refused);
        assertTrue(perf.isAlive(), "a refused delete leaves the session alone");
        String deleted = LauncherProcess.jtgtadmAt(control, 0, "--op", "delete", "--mode", "target", "--tid", "1", "--force");
        assertEquals("target 1 " + TARGET + " deleted (1 session(s) ended)\n", deleted);
        assertTrue(perf.waitFor(30, TimeUnit.SECONDS), "iscsi-perf still runs:\n" + Files.readString(perfLog));
        String perfOut = Files.readString(perfLog);
        assertTrue(perf.exitValue() != 0 && perfOut.contains("Target not found"), perfOut);
        assertEquals("No sessions\n", LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "session"));

        // the launcher goes on, and the target can be made again
        assertTrue(LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "system").contains("(active)"));
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "target", "--tid", "1", "-T", TARGET);
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "--bstype", "memory",
                "--size", String.valueOf(DISK0));
        String inq = tools.run("iscsi-inq", url);
        assertTrue(inq.contains("Peripheral Device Type:DIRECT_ACCESS"), inq);
        launcher.stopCleanly();
    }

    /**
     * A CHAP account bound to a target: libiscsi logs in with the right secret and is refused
     * with a wrong one or none, the default target (no account bound, no CHAP configured) still
     * admits everyone, secrets are never shown and targets.conf is owner-only, and after a
     * restart the account is in force again. While the component that owns targets.conf and
     * provides the accounts cannot activate (a directory that cannot exist), no login gets in, to
     * any target; at SIGTERM the iSCSI portals close before management and the account source go.
     */
    @Test
    void anAccountBoundToATargetRequiresItsChapSecretAcrossARestart() throws Exception {
        ExternalTool.require("iscsi-inq", "libiscsi-bin");
        Path work = WORK.resolve("account");
        LauncherProcess.deleteTree(work);
        Files.createDirectories(work);
        ExternalTool tools = new ExternalTool(work, Duration.ofSeconds(60));
        Path config = work.resolve("config");
        String control = config.resolve("control.sock").toString();
        String secret = "alice-secret1";
        LauncherProcess launcher = start(config);
        int port = launcher.iscsiPort();
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "target", "--tid", "1", "-T", TARGET);
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0", "--bstype", "memory",
                "--size", String.valueOf(DISK2));
        String tooShort = LauncherProcess.jtgtadmAt(control, 2, "--op", "new", "--mode", "account", "--user", "alice", "--password", "short");
        assertTrue(tooShort.contains("it must have 12 to 16"), tooShort);
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "account", "--user", "alice", "--password", secret);
        LauncherProcess.jtgtadmAt(control, 0, "--op", "bind", "--mode", "account", "--tid", "1", "--user", "alice");
        String accounts = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "account");
        assertEquals("Account list:\n    alice (tid 1)\n", accounts);
        String shown = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "target");
        assertTrue(shown.contains("    Accounts: alice\n") && !shown.contains(secret), shown);
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(config.resolve("targets.conf"))));

        checkChap(tools, port, secret);
        launcher.stopCleanly();
        LauncherProcess again = start(config);
        checkChap(tools, again.iscsiPort(), secret);
        assertEquals(accounts, LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "account"));

        // The config component fails to activate: the account source is gone, and every login is
        // refused as Service Unavailable, with or without the secret, to any target.
        Path configCfg = config.resolve("etc").resolve("org.jtgt.config.cfg");
        int mark = again.output.mark();
        Files.writeString(configCfg, "directory = /proc/nonexistent\n");
        again.output.awaitSince(mark, Pattern.compile("CHAP account source gone"), 30);
        String at = "127.0.0.1:" + again.iscsiPort() + "/";
        for (String url : new String[] {"iscsi://" + at + TARGET + "/0", "iscsi://alice%" + secret + "@" + at + TARGET + "/0",
                "iscsi://" + at + "iqn.2026-11.org.jtgt:default/0"}) {
            ExternalTool.Outcome refused = tools.execute("iscsi-inq", url);
            assertTrue(refused.exit() != 0 && refused.output().toLowerCase().contains("unavailable"), refused.describe());
        }
        // Back: the accounts apply again.
        mark = again.output.mark();
        Files.writeString(configCfg, "directory = " + config + "\n");
        again.output.awaitSince(mark, Pattern.compile("CHAP account source bound"), 30);
        checkChap(tools, again.iscsiPort(), secret);

        // At SIGTERM the portals close before the account source goes.
        mark = again.output.mark();
        again.stopCleanly();
        String stopping = again.output.since(mark);
        int portalsClosed = stopping.indexOf("iSCSI portals closed");
        int accountsGone = stopping.indexOf("control socket " + control + " closed");
        assertTrue(portalsClosed >= 0 && accountsGone > portalsClosed, stopping);
        assertFalse(stopping.contains("CHAP account source gone"), "the account source went before the portals: "
                + stopping);
    }

    private static void checkChap(ExternalTool tools, int port, String secret) throws Exception {
        String at = "127.0.0.1:" + port + "/" + TARGET + "/0";
        String inq = tools.run("iscsi-inq", "iscsi://alice%" + secret + "@" + at);
        assertTrue(inq.contains("Peripheral Device Type:DIRECT_ACCESS"), inq);
        ExternalTool.Outcome wrong = tools.execute("iscsi-inq", "iscsi://alice%wrong-secret1@" + at);
        assertTrue(wrong.exit() != 0, wrong.describe());
        ExternalTool.Outcome none = tools.execute("iscsi-inq", "iscsi://" + at);
        assertTrue(none.exit() != 0, none.describe());
        String other = tools.run("iscsi-inq", "iscsi://127.0.0.1:" + port + "/iqn.2026-11.org.jtgt:default/0");
        assertTrue(other.contains("Peripheral Device Type:DIRECT_ACCESS"), "a target without accounts: " + other);
    }

    /** The command count of the first session in a {@code --mode session} listing, 0 if none. */
    private static long commands(String sessions) {
        Matcher m = Pattern.compile("commands (\\d+),").matcher(sessions);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private LauncherProcess start(Path config) throws IOException, InterruptedException {
        LauncherProcess launcher = LauncherProcess.startOn(config);
        processes.add(launcher.process);
        return launcher;
    }

    /** The show output from our target's line on, without the nexus count (sessions come and go). */
    private static String targetSection(String show) {
        int at = show.indexOf("Target 1: ");
        assertTrue(at >= 0, show);
        return show.substring(at).replaceAll("I_T nexuses: \\d+", "I_T nexuses: N");
    }

    /** Waits until {@code text} occurs {@code count} times in {@code log}. */
    private static void awaitCount(Path log, String text, int count) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            String now = Files.readString(log);
            if (now.split(Pattern.quote(text), -1).length - 1 >= count) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "no " + count + " x '" + text + "' within 30 s:\n" + now);
            Thread.sleep(100);
        }
    }
}
