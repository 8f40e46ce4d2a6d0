package org.jtgt.itests.karaf;

import static org.junit.Assert.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.Assume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tool nobody here wrote (an initiator, a disk image tool) run as a process with a bounded run
 * time; its output (stdout and stderr together) goes to a file in a working directory, which is
 * also its {@code TMPDIR}, and is returned, or quoted in the failure. The same rules as the
 * {@code itests} module's class of the same name, which this module cannot share (test classes
 * of another module).
 *
 * <p>A tool that is not installed skips the test, except where the environment says {@code CI=true}:
 * there it is a failure, so CI cannot go green by not testing. Inside Karaf a skipped test is
 * reported as passed (only failures cross back from the probe), so the skip is also logged as a
 * warning.
 */
final class ExternalTool {
    private static final Logger LOG = LoggerFactory.getLogger(ExternalTool.class);

    private final Path workDir;
    private final Duration timeout;

    ExternalTool(Path workDir, Duration timeout) {
        this.workDir = workDir.toAbsolutePath();
        this.timeout = timeout;
    }

    /** Skips the test (fails it under {@code CI=true}) unless {@code tool} is an executable on PATH. */
    static void require(String tool, String debianPackages) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return;
            }
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(tool + " not found on PATH: install " + debianPackages);
        }
        String reason = tool + " not found on PATH (" + debianPackages + " not installed)";
        LOG.warn("SKIPPED: {}", reason);
        Assume.assumeTrue(reason, false);
    }

    /** Runs {@code command}, expecting exit status 0; returns its output. */
    String run(String... command) throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Path log = Files.createTempFile(workDir, "tool-", ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().put("TMPDIR", workDir.toString());
            Process p = builder.start();
            p.getOutputStream().close();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                fail(String.join(" ", command) + " did not finish within " + timeout.toSeconds() + " s:\n"
                        + Files.readString(log, StandardCharsets.ISO_8859_1));
            }
            String output = Files.readString(log, StandardCharsets.ISO_8859_1);
            if (p.exitValue() != 0) {
                fail(String.join(" ", command) + " exited with " + p.exitValue() + ":\n" + output);
            }
            return output;
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
