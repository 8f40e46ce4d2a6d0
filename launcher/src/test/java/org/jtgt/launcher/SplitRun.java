package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.testkit.ExternalTool;

/**
 * What the split shape's launcher tests share: waiting until the front offers a target, following
 * a {@code qemu-io} loop of 1 MiB pattern writes and verified reads, and counting log lines.
 */
final class SplitRun {
    private SplitRun() {
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
