package org.jtgt.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.Assume;

/**
 * A packet capture on the loopback interface with Wireshark's {@code tshark}, for tests that let
 * Wireshark's dissectors decode what jtgt sent: {@link #start} returns once tshark captures (its
 * "Capturing on" line), {@link #close} stops it, {@link #read} runs tshark over the file. Without
 * tshark, or without the right to capture on {@code lo}, the test is skipped, except with
 * {@code CI=true}, where it fails (as {@link ExternalTool#require}).
 */
public final class LoopbackCapture implements AutoCloseable {
    private final Process process;

    private LoopbackCapture(Process process) {
        this.process = process;
    }

    /** tshark's path on PATH; skips the test (fails it under {@code CI=true}) without it. */
    public static String tshark() {
        ExternalTool.require("tshark", "tshark");
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, "tshark");
            if (!dir.isEmpty() && Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new AssertionError("tshark vanished from PATH");
    }

    /**
     * Captures TCP port {@code port} on {@code lo} into {@code file} (tshark's own output in
     * {@code log}); returns once tshark says it captures, plus half a second for the capture to
     * settle, at most 20 s.
     */
    public static LoopbackCapture start(String tshark, int port, Path file, Path log)
            throws IOException, InterruptedException {
        Files.deleteIfExists(file);
        Process p = new ProcessBuilder(tshark, "-i", "lo", "-f", "tcp port " + port, "-w", file.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.readString(log).contains("Capturing on")) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                String text = Files.readString(log);
                if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                    throw new AssertionError("tshark could not capture on lo:\n" + text);
                }
                Assume.assumeTrue("tshark cannot capture on lo here: " + text, false);
            }
            Thread.sleep(50);
        }
        Thread.sleep(500);
        return new LoopbackCapture(p);
    }

    /** Stops the capture (SIGTERM, then SIGKILL after 10 s); the file is complete afterwards. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    /**
     * Runs {@code command} (tshark reading a capture) with its standard output to {@code out} and its
     * errors beside it; fails unless it exits 0 within 60 s. Returns the standard output.
     */
    public static String read(List<String> command, Path out) throws IOException, InterruptedException {
        Path err = out.resolveSibling(out.getFileName() + ".stderr");
        Process p = new ProcessBuilder(command).redirectError(err.toFile()).redirectOutput(out.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError(command + " exited " + p.exitValue() + ":\n" + text
                    + Files.readString(err, StandardCharsets.UTF_8));
        }
        return text;
    }
}
