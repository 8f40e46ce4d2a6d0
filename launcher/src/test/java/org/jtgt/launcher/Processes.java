package org.jtgt.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The processes a test started (launchers, initiators under load), killed after each test if
 * they still run, so a failed test leaves nothing behind for the next one. Register it with
 * {@code @RegisterExtension final Processes processes = new Processes();}.
 */
final class Processes implements AfterEachCallback {
    private final List<Process> started = new ArrayList<>();

    /** Kills {@code process} after the test if it still runs; returns it. */
    Process add(Process process) {
        started.add(process);
        return process;
    }

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        for (Process p : started) {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
        started.clear();
    }
}
