package org.jtgt.transport.netlink;

import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.daemon.TargetDaemon;
import org.jtgt.host.HostSide;
import org.jtgt.host.TransportPath;
import org.jtgt.transport.shm.ShmTransport;
import org.junit.jupiter.api.Test;

/**
 * The whole path without a framework, through this transport: a test initiator → the real
 * {@link HostSide} → {@link NetlinkTransport} → the real {@link TargetDaemon} → a memory store;
 * and swaps between it and the shared-memory ring while I/O runs (the host test kit's
 * {@link TransportPath}).
 */
class NetlinkPathTest {
    private static final String TARGET = "iqn.2026-11.org.jtgt:netlink";
    private static final AtomicInteger FILES = new AtomicInteger();

    private static NetlinkTransport netlink(TransportPath f) throws Exception {
        NetlinkTransport t = new NetlinkTransport();
        t.open(Pair.DIR.resolve("path-" + ProcessHandle.current().pid() + "-" + FILES.incrementAndGet() + ".sock"),
                32 << 20, 256, 256);
        t.attachDaemon(f.daemon);
        return t;
    }

    @Test
    void writeReadAndTaskManagementThroughTheSocket() throws Exception {
        try (TransportPath f = new TransportPath(TARGET, "netlink", "netlink-test")) {
            NetlinkTransport t = netlink(f);
            try {
                f.register(t, "netlink", 0);
                f.writeReadAndReset("netlink");   // 32 KiB of Data-Out, inline in one frame
            } finally {
                f.unregister(t);
                t.deactivate();
            }
        }
    }

    /** Verified I/O from four threads while the host side swaps between the ring and the socket. */
    @Test
    void ioSurvivesSwapsBetweenTheRingAndTheSocket() throws Exception {
        try (TransportPath f = new TransportPath(TARGET, "shm", "netlink-test")) {
            ShmTransport shm = f.shm();
            NetlinkTransport netlink = netlink(f);
            f.register(shm, "shm", 0);
            f.register(netlink, "netlink", 0);
            try {
                f.ioSurvivesSwaps("netlink");
            } finally {
                f.unregister(shm);
                f.unregister(netlink);
                shm.deactivate();
                netlink.deactivate();
            }
        }
    }
}
