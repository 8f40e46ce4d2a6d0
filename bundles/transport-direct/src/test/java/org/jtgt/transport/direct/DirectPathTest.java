package org.jtgt.transport.direct;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jtgt.daemon.TargetDaemon;
import org.jtgt.host.HostSide;
import org.jtgt.host.TransportPath;
import org.jtgt.transport.shm.ShmTransport;
import org.junit.jupiter.api.Test;

/**
 * The whole path without a framework, through this transport: a test initiator → the real
 * {@link HostSide} → {@link DirectTransport} → the real {@link TargetDaemon} → a memory store;
 * and swaps between it and the shared-memory ring while I/O runs (the host test kit's
 * {@link TransportPath}).
 */
class DirectPathTest {
    private static final String TARGET = "iqn.2026-11.org.jtgt:direct";

    private static DirectTransport direct(TransportPath f) {
        DirectTransport t = new DirectTransport();
        t.open(256, 32L << 20);
        t.attachDaemon(f.daemon);
        return t;
    }

    @Test
    void writeReadAndTaskManagementOnTheCallingThread() throws Exception {
        try (TransportPath f = new TransportPath(TARGET, "direct", "direct-test")) {
            DirectTransport t = direct(f);
            try {
                f.register(t, "direct", 0);
                f.writeReadAndReset("direct");   // 32 KiB of Data-Out in the shared area
                assertEquals(0, t.toDaemon().queued());
                assertEquals(0, t.toHost().queued());
                assertEquals(t.area().size(), t.area().freeBytes(), "every buffer went back");
            } finally {
                f.unregister(t);
                t.deactivate();
            }
        }
    }

    /** Verified I/O from four threads while the host side swaps between the ring and the direct transport. */
    @Test
    void ioSurvivesSwapsBetweenTheRingAndTheDirectTransport() throws Exception {
        try (TransportPath f = new TransportPath(TARGET, "shm", "direct-test")) {
            ShmTransport shm = f.shm();
            DirectTransport direct = direct(f);
            f.register(shm, "shm", 0);
            f.register(direct, "direct", 0);
            try {
                f.ioSurvivesSwaps("direct");
            } finally {
                f.unregister(shm);
                f.unregister(direct);
                shm.deactivate();
                direct.deactivate();
            }
        }
    }
}
