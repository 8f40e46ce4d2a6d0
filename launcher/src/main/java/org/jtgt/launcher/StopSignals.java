package org.jtgt.launcher;

import sun.misc.Signal;

/**
 * Turns SIGINT and SIGTERM into an orderly framework stop instead of the JVM's default exit.
 *
 * <p>Why not only a shutdown hook: when the JVM itself handles SIGTERM it runs the hooks and then
 * exits with status 143 (128 + 15) whatever the hooks do, so a clean stop would look like a
 * failure to init systems and scripts. With the handler, the framework stops while the JVM is
 * still alive, {@code main} returns and the process exits 0. The shutdown hook remains for every
 * other way the JVM can end (SIGHUP, {@code -Xrs}, a bundle calling {@code System.exit}).
 */
final class StopSignals {
    private StopSignals() {
    }

    /**
     * Calls {@code onStop} with the signal name on a JVM signal thread.
     *
     * @return whether the handlers are in place; {@code false} if this JVM does not allow it
     *         (then the JVM's default handling and the shutdown hook apply)
     */
    static boolean install(java.util.function.Consumer<String> onStop) {
        try {
            for (String name : new String[] {"TERM", "INT"}) {
                Signal.handle(new Signal(name), signal -> onStop.accept("SIG" + signal.getName()));
            }
            return true;
        } catch (IllegalArgumentException | LinkageError e) {
            return false;
        }
    }
}
