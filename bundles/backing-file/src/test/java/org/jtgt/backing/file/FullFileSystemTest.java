package org.jtgt.backing.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.store.SpaceAllocationFailedException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A file store on a file system that really runs out of space: a 1 MiB tmpfs mounted in a mount
 * namespace of its own ({@code unshare -m}, as root; the mount goes with the namespace, so
 * nothing is left behind), with {@link FullFileSystemProbe} running inside it. The write the file
 * system has no room for fails with {@link SpaceAllocationFailedException} (the daemon's SPACE
 * ALLOCATION FAILED WRITE PROTECT), never silently and never as a plain I/O error; the store keeps
 * serving, and once a hole gives space back the same write succeeds.
 *
 * <p>Needs root and {@code unshare}; without them the test is skipped, except with
 * {@code CI=true}, where it fails.
 */
@Timeout(120)
class FullFileSystemTest {
    private static boolean ci() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    private static void unavailable(String why) {
        if (ci()) {
            fail("CI=true but a tmpfs cannot be mounted in a mount namespace here: " + why);
        }
        Assumptions.abort(why);
    }

    @Test
    void aFullFileSystemRefusesTheWriteAsSpaceAllocationFailureAndTakesItOnceSpaceReturns() throws Exception {
        Path target = Path.of("target").toAbsolutePath();
        Path mount = target.resolve("full-fs");
        Files.createDirectories(mount);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String jnaTmp = System.getProperty("jna.tmpdir", target.resolve("jna").toString());
        // sh -c 'mount ... "$1" && exec java ... "$1"' sh DIR: the JVM replaces the shell inside the namespace
        List<String> command = List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
                "mount -t tmpfs -o size=1m jtgt-full \"$1\" || exit 97; exec \"$2\" -Djna.tmpdir=\"$3\" -cp \"$4\" "
                        + FullFileSystemProbe.class.getName() + " \"$1\" 8388608",
                "sh", mount.toString(), java.toString(), jnaTmp, System.getProperty("java.class.path"));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            unavailable("unshare cannot be started: " + e.getMessage());
            return;
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        if (p.exitValue() == 97 || out.contains("unshare failed") || out.contains("unshare: ")) {
            unavailable("no tmpfs in a mount namespace (not root?): " + out);
        }
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("SpaceAllocationFailedException: the file system of " + mount.resolve("lun.img")
                + " has no room for 65536 bytes at offset "), out);
        assertTrue(out.contains("earlier data intact\nstill refused\nwritten after space returned\n"), out);
        try (var left = Files.list(mount)) {
            assertFalse(left.findAny().isPresent(), "the tmpfs went with the namespace; nothing is left in " + mount);
        }
        Files.delete(mount);
    }

    @Test
    void onlyNoSpaceAndQuotaErrorsAreSpaceAllocationFailures() {
        assertTrue(FileStore.noSpace(new IOException("No space left on device")));
        assertTrue(FileStore.noSpace(new IOException("Disk quota exceeded")));
        assertFalse(FileStore.noSpace(new IOException("Input/output error")));
        assertFalse(FileStore.noSpace(new IOException((String) null)));
        assertFalse(FileStore.noSpace(new SpaceAllocationFailedException("No space left on device")));
    }
}
