package org.jtgt.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.Assume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tool nobody here wrote (an initiator, a disk image tool) run as a process with a bounded run
 * time. Its output (stdout and stderr together) goes to a file in a working directory, which is
 * also its {@code TMPDIR}, and is returned, or quoted in the failure.
 *
 * <p>A tool that is not installed skips the test, except where the environment says {@code CI=true}:
 * there it is a failure, so CI cannot go green by not testing. Inside a Pax Exam framework or
 * Karaf a skipped test is reported as passed (the in-container JUnit run counts an assumption
 * failure as no failure, and only failures cross back), so the skip is also logged as a warning.
 *
 * <p>One class for JUnit 4 (Pax Exam) and JUnit 5 tests: a failure is an {@link AssertionError},
 * a skip JUnit 4's assumption failure, which the Jupiter engine reports as aborted too. The
 * integration test modules copy this class into their own test classes, so that Pax Exam's probe
 * bundle carries it into the framework.
 */
public final class ExternalTool {
    private static final Logger LOG = LoggerFactory.getLogger(ExternalTool.class);

    /** A finished run: exit status and everything it printed. */
    public record Outcome(List<String> command, int exit, String output) {
        /** For failure messages: the command line, its status and its output. */
        public String describe() {
            return String.join(" ", command) + " exited with " + exit + ":\n" + output;
        }
    }

    private final Path workDir;
    private final Duration timeout;

    public ExternalTool(Path workDir, Duration timeout) {
        this.workDir = workDir.toAbsolutePath();
        this.timeout = timeout;
    }

    /** Skips the test (fails it under {@code CI=true}) unless {@code tool} is an executable on PATH. */
    public static void require(String tool, String debianPackages) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return;
            }
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(tool + " not found on PATH: install " + debianPackages);
        }
        String reason = tool + " not found on PATH (" + debianPackages + " not installed)";
        LOG.warn("SKIPPED: {}", reason);
        Assume.assumeTrue(reason, false);
    }

    /** Runs {@code command}, expecting exit status 0; returns its output. */
    public String run(String... command) throws IOException, InterruptedException {
        Outcome o = execute(command);
        if (o.exit() != 0) {
            throw new AssertionError(o.describe());
        }
        return o.output();
    }

    /** Runs {@code command} to its end, whatever its exit status; fails if it outlives the timeout. */
    public Outcome execute(String... command) throws IOException, InterruptedException {
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
                throw new AssertionError(String.join(" ", command) + " did not finish within "
                        + timeout.toSeconds() + " s:\n" + Files.readString(log, StandardCharsets.ISO_8859_1));
            }
            return new Outcome(List.of(command), p.exitValue(), Files.readString(log, StandardCharsets.ISO_8859_1));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
