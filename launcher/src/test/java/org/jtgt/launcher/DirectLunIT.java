package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A file LUN made by jtgtadm with {@code --params direct=1} on the disk under target/: the file
 * store opens it with O_DIRECT (show says so), QEMU writes patterns through it, aligned to the
 * file system block and not (the store's read-modify-write), reads them back, the bytes are in
 * the file, and after a restart on the same {@code --config} the LUN is O_DIRECT again, read back
 * from {@code targets.conf}.
 */
@Timeout(180)
class DirectLunIT {
    private static final Path WORK = LauncherProcess.TARGET.resolve("direct-lun-it");
    private static final String TARGET = "iqn.2026-11.org.jtgt:direct-lun-it";
    private static final long SIZE = 4L << 20;

    @RegisterExtension
    final Processes processes = new Processes();

    @Test
    void aFileLunWithDirectServesQemuThroughODirectAcrossARestart() throws Exception {
        ExternalTool.require("iscsi-inq", "libiscsi-bin");
        ExternalTool.require("qemu-io", "qemu-utils and qemu-block-extra");
        LauncherProcess.deleteTree(WORK);
        Files.createDirectories(WORK);
        ExternalTool tools = new ExternalTool(WORK, Duration.ofSeconds(60));
        Path config = WORK.resolve("config");
        String control = config.resolve("control.sock").toString();
        Path disk = WORK.resolve("direct.img");

        LauncherProcess launcher = start(config);
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "target", "--tid", "1", "-T", TARGET);
        String bad = LauncherProcess.jtgtadmAt(control, 1, "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun",
                "0", "-b", disk.toString(), "--size", String.valueOf(SIZE), "--params", "direct=yes");
        assertTrue(bad.contains("direct=yes: use direct=0|1"), bad);
        assertFalse(Files.exists(disk), "a refused value creates no file");
        String made = LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "logicalunit", "--tid", "1",
                "--lun", "0", "-b", disk.toString(), "--size", String.valueOf(SIZE), "--params", "direct=1");
        assertEquals("target 1 LUN 0: " + SIZE + " bytes, file " + disk + " (created), direct=1\n", made);
        String shown = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "target");
        assertTrue(shown.contains("        Backing store: file " + disk + ", 4 MiB, O_DIRECT\n"), shown);
        String update = LauncherProcess.jtgtadmAt(control, 1, "--op", "update", "--mode", "logicalunit", "--tid", "1",
                "--lun", "0", "--params", "direct=0");
        assertTrue(update.contains("direct=0 cannot be set while tid 1 LUN 0 exists"), update);

        String url = url(launcher.iscsiPort());
        String inq = tools.run("iscsi-inq", url);
        assertTrue(inq.contains("Peripheral Device Type:DIRECT_ACCESS"), inq);
        // 64 KiB aligned to the file system block, then 3 KiB at 512: a read-modify-write of one block
        String io = tools.run("qemu-io", "-f", "raw", "-c", "write -P 0xa5 0 64k", "-c", "write -P 0x3c 512 3k",
                "-c", "read -P 0xa5 0 512", "-c", "read -P 0x3c 512 3k", "-c", "read -P 0xa5 3584 61952", url);
        assertEquals(1, count(io, "wrote 65536/65536 bytes"), io);
        assertEquals(1, count(io, "wrote 3072/3072 bytes"), io);
        assertEquals(1, count(io, "read 512/512 bytes"), io);
        assertEquals(1, count(io, "read 3072/3072 bytes"), io);
        assertEquals(1, count(io, "read 61952/61952 bytes"), io);
        assertFalse(io.contains("Pattern verification failed"), io);
        byte[] onDisk = new byte[4096];
        try (FileChannel ch = FileChannel.open(disk)) {
            ch.read(ByteBuffer.wrap(onDisk), 0);
        }
        assertEquals((byte) 0xa5, onDisk[511]);
        assertEquals((byte) 0x3c, onDisk[512]);
        assertEquals((byte) 0x3c, onDisk[3583]);
        assertEquals((byte) 0xa5, onDisk[3584]);
        String conf = Files.readString(config.resolve("targets.conf"));
        assertTrue(conf.contains("lun 1 0 file " + disk + " size=" + SIZE + " blocksize=512 readonly=0 removable=0 "
                + "thin=0 direct=1\n"), conf);

        launcher.stopCleanly();
        LauncherProcess again = start(config);
        String after = LauncherProcess.jtgtadmAt(control, 0, "--op", "show", "--mode", "target");
        assertTrue(after.contains("        Backing store: file " + disk + ", 4 MiB, O_DIRECT\n"), after);
        String reread = tools.run("qemu-io", "-f", "raw", "-r", "-c", "read -P 0x3c 512 3k", "-c",
                "read -P 0xa5 3584 61952", url(again.iscsiPort()));
        assertEquals(1, count(reread, "read 3072/3072 bytes"), reread);
        assertEquals(1, count(reread, "read 61952/61952 bytes"), reread);
        assertFalse(reread.contains("Pattern verification failed"), reread);
        again.stopCleanly();
        assertFalse(again.output.text().contains("(skipped; in "), "no line was skipped:\n" + again.output.text());
    }

    private static String url(int port) {
        return "iscsi://127.0.0.1:" + port + "/" + TARGET + "/0";
    }

    private static int count(String text, String what) {
        return text.split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }

    private LauncherProcess start(Path config) throws Exception {
        LauncherProcess launcher = LauncherProcess.startOn(config);
        processes.add(launcher.process);
        return launcher;
    }
}
