package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.testkit.ExternalTool;

/**
 * What the split shape's launcher tests share: waiting until the front offers a target, a
 * {@code qemu-io} loop of 1 MiB pattern writes and verified reads, and counting log lines.
 */
final class SplitRun {
    private SplitRun() {
    }

    /**
     * One qemu-io session fed command by command: write a 1 MiB region with a pattern, read it
     * back verified, next region, round and round with new patterns until {@link #finish}.
     */
    static final class QemuPatternLoop {
        final Process qemu;
        final AtomicInteger wrote = new AtomicInteger();
        final AtomicInteger read = new AtomicInteger();
        final List<String> failures = Collections.synchronizedList(new ArrayList<>());
        private final Writer commands;
        private final Thread reader;
        private final Thread feeder;
        private volatile int sent; // written by the feeder only

        private QemuPatternLoop(String url, int regions) throws IOException {
            // stdbuf: qemu-io's answers line by line, not when a pipe buffer fills.
            qemu = new ProcessBuilder("stdbuf", "-oL", "qemu-io", "-f", "raw", url).redirectErrorStream(true).start();
            commands = new OutputStreamWriter(qemu.getOutputStream(), StandardCharsets.UTF_8);
            reader = new Thread(() -> readQemu(qemu, wrote, read, failures), "qemu-io-output");
            feeder = new Thread(() -> feed(regions), "qemu-io-commands");
        }

        /** Starts the loop on {@code url} over {@code regions} MiB; the process goes to {@code processes}. */
        static QemuPatternLoop start(String url, int regions, Processes processes) throws IOException {
            QemuPatternLoop loop = new QemuPatternLoop(url, regions);
            processes.add(loop.qemu);
            loop.reader.start();
            loop.feeder.start();
            return loop;
        }

        private void feed(int regions) {
            try {
                for (int pass = 0; !Thread.currentThread().isInterrupted(); pass++) {
                    for (int r = 0; r < regions && !Thread.currentThread().isInterrupted(); r++) {
                        int pattern = 1 + (pass * regions + r) % 254;
                        long offset = (long) r << 20;
                        for (String c : List.of("write -P " + pattern + " " + offset + " 1M",
                                "read -P " + pattern + " " + offset + " 1M")) {
                            // One at a time: qemu-io takes one command per read of its input, so
                            // lines sent ahead wait for more input to arrive.
                            commands.write(c + "\n");
                            commands.flush();
                            sent++;
                            while (sent > completed() && qemu.isAlive()) {
                                Thread.sleep(0, 200_000);
                            }
                        }
                    }
                }
            } catch (IOException | InterruptedException e) {
                // stopped
            }
        }

        int completed() {
            return wrote.get() + read.get();
        }

        /** Waits (at most 60 s) until {@code count} commands have completed. */
        void awaitCompleted(int count) throws InterruptedException {
            SplitRun.awaitCompleted(wrote, read, count, qemu, failures);
        }

        /**
         * Stops feeding, waits for what was sent, quits qemu-io and checks that every command
         * completed without a failure; returns how many were sent.
         */
        int finish() throws Exception {
            feeder.interrupt();
            feeder.join(10_000);
            int total = sent;
            awaitCompleted(total);
            commands.write("quit\n");
            commands.flush();
            assertTrue(qemu.waitFor(30, TimeUnit.SECONDS));
            reader.join(10_000);
            assertEquals(List.of(), failures);
            assertEquals(total, completed(), "every command completed");
            assertEquals(0, qemu.exitValue());
            return total;
        }
    }

    /** Waits (at most 30 s) until libiscsi's inquiry through the front answers: the daemon's catalog reached it. */
    static void awaitTargetOnFront(Path work, String url) throws Exception {
        awaitTargetOnFront(new ExternalTool(work, Duration.ofSeconds(30)), url);
    }

    static void awaitTargetOnFront(ExternalTool tools, String url) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            ExternalTool.Outcome o = tools.execute("iscsi-inq", url);
            if (o.exit() == 0) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, o.describe());
            Thread.sleep(100);
        }
    }

    /** Counts qemu-io's completed 1 MiB writes and reads, and keeps every line that reports a failure. */
    static void readQemu(Process qemu, AtomicInteger wrote, AtomicInteger read, List<String> failures) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(qemu.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                String l = line.replace("qemu-io> ", "");
                if (l.startsWith("wrote 1048576/1048576")) {
                    wrote.incrementAndGet();
                } else if (l.startsWith("read 1048576/1048576")) {
                    read.incrementAndGet();
                } else if (l.contains("fail") || l.contains("Pattern verification") || l.contains("error")) {
                    failures.add(l);
                }
            }
        } catch (IOException e) {
            failures.add("qemu-io output: " + e);
        }
    }

    /** Waits (at most 60 s) until qemu-io has completed {@code count} commands. */
    static void awaitCompleted(AtomicInteger wrote, AtomicInteger read, int count, Process qemu, List<String> failures)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (wrote.get() + read.get() < count) {
            assertTrue(qemu.isAlive() && System.nanoTime() < deadline, "qemu-io stopped completing commands at "
                    + (wrote.get() + read.get()) + " of " + count + "; failures: " + failures);
            Thread.sleep(5);
        }
    }

    static int count(String s, String text) {
        int n = 0;
        for (int at = s.indexOf(text); at >= 0; at = s.indexOf(text, at + text.length())) {
            n++;
        }
        return n;
    }
}
