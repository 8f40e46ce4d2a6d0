package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The packaged {@code target/jtgt.jar} run as its own process, the way a user runs it, with its
 * output (stdout and stderr) collected for the integration tests to wait on and to quote.
 */
final class LauncherProcess {
    static final Path JAR = Path.of(System.getProperty("jtgt.launcher.jar", "target/jtgt.jar"));
    static final Path TARGET = JAR.toAbsolutePath().getParent();
    static final Pattern STARTED = Pattern.compile("jtgt started: \\d+ bundles active");
    static final Pattern PORTAL = Pattern.compile("iSCSI portal listening on 127\\.0\\.0\\.1:(\\d+)");

    final Process process;
    final Output output;

    private LauncherProcess(Process process) {
        this.process = process;
        this.output = new Output(process.getInputStream());
    }

    /** A launcher process started elsewhere (another jar, say), its output collected. */
    static LauncherProcess wrap(Process process) {
        return new LauncherProcess(process);
    }

    /** {@code java -jar jtgt.jar ARGS} in {@link #TARGET}, with its temporary files there too. */
    static LauncherProcess start(String... args) throws IOException {
        return start(List.of(), args);
    }

    /** As {@link #start(String...)}, with JVM options (e.g. {@code -Dname=value}) before {@code -jar}. */
    static LauncherProcess start(List<String> jvmOptions, String... args) throws IOException {
        return startWrapped(List.of(), jvmOptions, args);
    }

    /**
     * As {@link #start(List, String...)}, the java command run by {@code wrapper} (a command that
     * ends by executing its arguments, e.g. in a namespace of its own), so the process is the JVM's.
     */
    static LauncherProcess startWrapped(List<String> wrapper, List<String> jvmOptions, String... args)
            throws IOException {
        List<String> command = new ArrayList<>(wrapper);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Djava.io.tmpdir=" + TARGET);
        command.add("-Djtgt.fc.portal=127.0.0.1:0"); // tests never take the fixed FCIP port 3225
        command.add("-Djtgt.metrics.http=127.0.0.1:0"); // nor the metrics port 9470 (--http overrides it)
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(JAR.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(TARGET.toFile()).redirectErrorStream(true);
        return new LauncherProcess(builder.start());
    }

    /**
     * The launcher with a 64 MiB default target, {@code --config config} and an iSCSI portal on a
     * free loopback port, once it says it has started. The caller registers {@link #process} for
     * its clean-up.
     */
    static LauncherProcess startOn(Path config) throws IOException, InterruptedException {
        LauncherProcess launcher = start(List.of("-Djtgt.default.target.size=67108864"), "--config", config.toString(),
                "--portal", "127.0.0.1:0");
        launcher.output.await(STARTED, 120);
        return launcher;
    }

    /** The port the iSCSI portal listens on, from the log. */
    int iscsiPort() throws InterruptedException {
        Matcher m = PORTAL.matcher(output.await(PORTAL, 10));
        assertTrue(m.find());
        return Integer.parseInt(m.group(1));
    }

    /** SIGTERM, then an exit with status 0 within 30 s. */
    void stopCleanly() throws InterruptedException {
        assertTrue(process.toHandle().destroy(), "SIGTERM not sent");
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "no exit within 30 s of SIGTERM:\n" + output.text());
        output.join();
        assertEquals(0, process.exitValue(), output.text());
    }

    /** {@link #jtgtadm(int, String...)} against the control socket {@code control}. */
    static String jtgtadmAt(String control, int expected, String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("--control", control));
        all.addAll(List.of(args));
        return jtgtadm(expected, all.toArray(new String[0]));
    }

    /** Deletes {@code dir} and everything in it, if it exists. */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Runs {@code target/jtgtadm ARGS} with this JVM's java, expects exit status {@code expected}, returns its output. */
    static String jtgtadm(int expected, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(TARGET.resolve("jtgtadm").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process p = builder.start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("jtgtadm did not finish within 30 s: " + output);
        }
        if (p.exitValue() != expected) {
            fail(String.join(" ", command) + " exited with " + p.exitValue() + ", not " + expected + ":\n" + output);
        }
        return output;
    }

    /** Collects a process's output on a thread of its own so the process never blocks on a full pipe. */
    static final class Output {
        private final StringBuilder text = new StringBuilder();
        private final Thread reader;

        Output(InputStream in) {
            reader = new Thread(() -> {
                try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                        synchronized (text) {
                            text.append(line).append('\n');
                            text.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // process gone; what was read is kept
                }
            }, "launcher-output");
            reader.setDaemon(true);
            reader.start();
        }

        /** Waits for a line matching {@code pattern}; fails with everything read so far. */
        String await(Pattern pattern, long seconds) throws InterruptedException {
            return awaitSince(0, pattern, seconds);
        }

        /**
         * Waits for a line matching {@code pattern} among those read from character {@code mark}
         * on (a {@link #mark()} taken earlier); fails with everything read so far.
         */
        String awaitSince(int mark, Pattern pattern, long seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            synchronized (text) {
                while (true) {
                    for (String line : text.substring(mark).split("\n")) {
                        if (pattern.matcher(line).find()) {
                            return line;
                        }
                    }
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0 || !reader.isAlive()) {
                        fail("no line matching '" + pattern + "' within " + seconds + " s:\n" + text);
                    }
                    text.wait(Math.min(left, 500));
                }
            }
        }

        /** Where the output read so far ends, for {@link #awaitSince} and {@link #since}. */
        int mark() {
            synchronized (text) {
                return text.length();
            }
        }

        /** The output read from {@code mark} on. */
        String since(int mark) {
            synchronized (text) {
                return text.substring(mark);
            }
        }

        void join() throws InterruptedException {
            reader.join(TimeUnit.SECONDS.toMillis(10));
        }

        String text() {
            synchronized (text) {
                return text.toString();
            }
        }
    }
}
