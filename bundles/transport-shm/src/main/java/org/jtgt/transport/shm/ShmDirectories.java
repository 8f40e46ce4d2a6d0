package org.jtgt.transport.shm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.osgi.framework.BundleContext;

/** Where the split shape's region and link socket live; both processes must agree on it. */
final class ShmDirectories {
    static final String FRONT_REGION = "jtgt-front.region";
    static final String FRONT_SOCKET = "jtgt-front.sock";
    static final String FRONT_BELL = "jtgt-front.bell";
    /** sun_path holds 108 bytes with the terminating NUL. */
    static final int MAX_SOCKET_PATH = 107;

    private ShmDirectories() {
    }

    /** The configured directory, else {@code jtgt.shm.dir}, else the launcher's {@code jtgt.config.dir}. */
    static Path splitDirectory(BundleContext context, String configured) throws IOException {
        String dir = !configured.isEmpty() ? configured
                : context.getProperty("jtgt.shm.dir") != null ? context.getProperty("jtgt.shm.dir")
                : context.getProperty("jtgt.config.dir");
        if (dir == null) {
            throw new IOException("the split shape needs a directory both processes see: set jtgt.config.dir"
                    + " (the launcher's --config does), jtgt.shm.dir or the directory of PID org.jtgt.transport.shm");
        }
        return Paths.get(dir).toAbsolutePath();
    }

    static Path socket(Path dir) throws IOException {
        return socket(dir, FRONT_SOCKET);
    }

    static Path socket(Path dir, String name) throws IOException {
        Path socket = dir.resolve(name);
        if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new IOException(socket + " is longer than a Unix socket path may be (" + MAX_SOCKET_PATH
                    + " bytes): choose a shorter --config directory");
        }
        return socket;
    }
}
