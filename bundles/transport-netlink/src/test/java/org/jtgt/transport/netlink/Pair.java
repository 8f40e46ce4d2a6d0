package org.jtgt.transport.netlink;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A netlink transport with its socket under {@code target/netlink-test}, and recorders for the
 * daemon and host sides. Attaching is left to the test, so it can choose the order.
 */
final class Pair implements AutoCloseable {
    static final Path DIR = Paths.get("target", "netlink-test");
    private static final AtomicInteger FILES = new AtomicInteger();

    final NetlinkTransport transport = new NetlinkTransport();
    final Recorder daemonSink = new Recorder();
    final Recorder hostSink = new Recorder();
    final Path socket;
    DaemonEndpoint daemon;
    HostConnection host;

    Pair(int areaSize, int queueSlots, int ackWindow) throws IOException {
        socket = DIR.resolve("t" + ProcessHandle.current().pid() + "-" + FILES.incrementAndGet() + ".sock");
        transport.open(socket, areaSize, queueSlots, ackWindow);
    }

    /** 1 MiB areas, 64-slot queues, a 64-message window; both sides attached, daemon first. */
    static Pair attached() throws IOException {
        Pair p = new Pair(1 << 20, 64, 64);
        p.attachDaemon();
        p.attachHost();
        return p;
    }

    DaemonEndpoint attachDaemon() {
        daemon = (DaemonEndpoint) transport.attachDaemon(daemonSink);
        return daemon;
    }

    HostConnection attachHost() throws IOException {
        host = (HostConnection) transport.attachHost(hostSink);
        return host;
    }

    @Override
    public void close() {
        transport.deactivate();
    }
}
