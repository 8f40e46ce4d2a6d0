package org.jtgt.launcher;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's policy for throwables nobody caught: an {@link Error} on any thread
 * ({@link OutOfMemoryError}, {@link StackOverflowError}, any other {@link VirtualMachineError},
 * a {@link LinkageError} ...), or anything at all that ends a jtgt thread (named
 * {@value #JTGT_THREAD_PREFIX}...), ends the process with one log line and status
 * {@value #EXIT_FATAL} (EX_SOFTWARE in sysexits.h). A thread that dies leaves a half-alive
 * target behind (a ring nobody drains, a connection nobody reads), which answers nothing and
 * may not even stop on SIGTERM; a process that exits is restarted by its supervisor.
 *
 * <p>The process halts ({@link Runtime#halt}) rather than running the orderly stop: after an
 * Error the heap or a lock may be in any state, and the stop could hang on the very thread
 * that died. What a halt leaves behind is cleaned up by the next start (the shared-memory and
 * netlink files of dead processes, the control socket; the configuration directory's lock dies
 * with the process). Bundles do not decide this: they let Errors propagate out of their
 * threads, and this handler, installed by the launcher as the JVM's default, ends the process.
 * An embedding (Pax Exam, Karaf) keeps its own policy.
 */
final class FatalErrors implements Thread.UncaughtExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(FatalErrors.class);

    /** The exit status after a fatal error: EX_SOFTWARE (70), an internal software error. */
    static final int EXIT_FATAL = 70;
    /** The names of the threads jtgt's bundles start. */
    static final String JTGT_THREAD_PREFIX = "jtgt-";

    private final AtomicBoolean ending = new AtomicBoolean();
    private final IntConsumer halt;
    /** Released before logging, so that the line can be written after an OutOfMemoryError. */
    private volatile byte[] reserve = new byte[1 << 20];

    /** @param halt ends the process with the status it is given */
    FatalErrors(IntConsumer halt) {
        this.halt = halt;
    }

    /** Makes this the JVM's default handler. */
    static void install() {
        Thread.setDefaultUncaughtExceptionHandler(new FatalErrors(Runtime.getRuntime()::halt));
    }

    /** "OutOfMemoryError (Java heap space) on thread jtgt-shm-daemon-1", for the log line. */
    static String describe(Thread t, Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : " (" + m + ")") + " on thread " + t.getName();
    }

    /** Whether {@code e}, uncaught on {@code t}, ends the process. */
    static boolean isFatal(Thread t, Throwable e) {
        return e instanceof Error || t.getName().startsWith(JTGT_THREAD_PREFIX);
    }

    @Override
    public void uncaughtException(Thread t, Throwable e) {
        if (!isFatal(t, e)) {
            LOG.error("uncaught exception on thread {}", t.getName(), e);
            return;
        }
        if (!ending.compareAndSet(false, true)) {
            // Another thread is logging the first fatal error and halts when it has: give it the
            // time to, so its line is not cut off, then halt in case it cannot.
            try {
                Thread.sleep(5_000);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            halt.accept(EXIT_FATAL);
            return;
        }
        reserve = null;
        try {
            LOG.error("fatal: {}; stopping jtgt (exit {})", describe(t, e), EXIT_FATAL, e);
        } catch (Throwable logging) {
            try {
                System.err.println("fatal: " + e.getClass().getName() + " on thread " + t.getName()
                        + "; stopping jtgt (exit " + EXIT_FATAL + ")");
            } catch (Throwable ignored) {
                // nothing left to report with; the exit status still says it
            }
        } finally {
            System.err.flush();
            halt.accept(EXIT_FATAL);
        }
    }
}
