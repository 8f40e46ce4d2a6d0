package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.target.TargetInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The component's life: portals, limits, liveness pings, and a clean stop. */
@Timeout(60)
class LifecycleTest {

    private static int nexusCount(IscsiFixture f) {
        for (TargetInfo t : f.daemon.targets()) {
            if (t.name().equals(IscsiFixture.TARGET)) {
                return t.nexusCount();
            }
        }
        return -1;
    }

    @Test
    void stopEndsSessionsAndDestroysTheirNexuses() throws Exception {
        IscsiFixture f = new IscsiFixture(8 << 20);
        boolean closed = false;
        try (TestInitiator c = new TestInitiator(f.port)) {
            assertEquals(0, c.login(IscsiFixture.TARGET, Map.of()).loginStatus());
            assertEquals(ScsiStatus.GOOD, c.command(0, TestInitiator.testUnitReady(), 0, false, null).status);
            RawPduTest.waitFor(() -> nexusCount(f) == 1, "nexus created");
            f.iscsi.stop();
            assertTrue(c.closedByTarget(), "the session ends");
            assertEquals(0, nexusCount(f), "its nexus is destroyed before stop() returns");
            assertEquals(0, f.openConnections());
            assertThrows(java.io.IOException.class, () -> new TestInitiator(f.port).close(), "the portal is closed");
        } finally {
            f.close();
        }
    }

    @Test
    void idleConnectionsArePingedAndSilentOnesClosed() throws Exception {
        try (IscsiFixture f = new IscsiFixture(8 << 20, Map.of("nopInIntervalSeconds", 1, "nopInTimeoutSeconds", 1))) {
            try (TestInitiator answering = new TestInitiator(f.port); TestInitiator silent = new TestInitiator(f.port)) {
                assertEquals(0, answering.login(IscsiFixture.TARGET, Map.of()).loginStatus());
                assertEquals(0, silent.login(IscsiFixture.TARGET, Map.of()).loginStatus());
                // The answering one (TestInitiator.next() echoes pings) is serviced meanwhile.
                java.util.concurrent.atomic.AtomicReference<Throwable> trouble = new java.util.concurrent.atomic.AtomicReference<>();
                java.util.concurrent.atomic.AtomicInteger pings = new java.util.concurrent.atomic.AtomicInteger();
                Thread service = new Thread(() -> {
                    long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                    try {
                        answering.socket.setSoTimeout(200);
                        while (System.nanoTime() < end) {
                            try {
                                answering.read();
                                pings.incrementAndGet();
                                byte[] h = TestInitiator.header(0x40, 0x80);
                                ByteBuffer.wrap(h).putInt(16, -1).putInt(20, answering.lastTtt).putInt(24, answering.cmdSn);
                                answering.send(h, null);
                            } catch (java.net.SocketTimeoutException e) {
                                // idle, as intended
                            }
                        }
                        answering.socket.setSoTimeout(10_000);
                    } catch (Throwable t) {
                        trouble.set(t);
                    }
                });
                service.start();
                // The silent one reads the ping but never answers it: closed within a few seconds.
                TestInitiator.Pdu ping = silent.read();
                assertEquals(0x20, ping.opcode());
                assertEquals(-1, ping.itt());
                assertTrue(ping.ttt() != -1, "a target ping carries a TTT to echo");
                assertTrue(silent.closedByTarget());
                service.join();
                assertEquals(null, trouble.get());
                assertTrue(pings.get() >= 2, "pinged again after answering: " + pings.get());
                assertEquals(ScsiStatus.GOOD, answering.command(0, TestInitiator.testUnitReady(), 0, false, null).status);
            }
        }
    }

    @Test
    void connectionsBeyondMaxConnectionsAreRefused() throws Exception {
        try (IscsiFixture f = new IscsiFixture(8 << 20, Map.of("maxConnections", 2))) {
            try (TestInitiator a = new TestInitiator(f.port); TestInitiator b = new TestInitiator(f.port)) {
                assertEquals(0, a.login(IscsiFixture.TARGET, Map.of()).loginStatus());
                assertEquals(0, b.login(IscsiFixture.TARGET, Map.of()).loginStatus());
                try (TestInitiator c = new TestInitiator(f.port)) {
                    assertTrue(c.closedByTarget(), "the third connection is closed at once");
                }
                assertEquals(ScsiStatus.GOOD, a.command(0, TestInitiator.testUnitReady(), 0, false, null).status);
            }
        }
    }

    @Test
    void portalsParse() {
        assertEquals(List.of(new InetSocketAddress("127.0.0.1", 3260), new InetSocketAddress("::1", 3261)),
                IscsiTarget.parsePortals("127.0.0.1:3260, [::1]:3261"));
        assertThrows(IllegalArgumentException.class, () -> IscsiTarget.parsePortals("127.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> IscsiTarget.parsePortals("::1:3260"));
        assertThrows(IllegalArgumentException.class, () -> IscsiTarget.parsePortals("host:70000"));
        assertThrows(IllegalArgumentException.class, () -> IscsiTarget.parsePortals(" , "));
    }

    @Test
    void thePortalOverrideWinsOverTheConfiguration() throws Exception {
        IscsiFixture f = new IscsiFixture(8 << 20);
        try {
            f.iscsi.stop();
            f.iscsi.start(IscsiFixture.config(Map.of("portals", "127.0.0.1:1")), "127.0.0.1:0");
            int port = f.iscsi.boundPorts().get(0);
            assertTrue(port > 1);
            try (TestInitiator c = new TestInitiator(port)) {
                assertEquals(0, c.login(IscsiFixture.TARGET, Map.of()).loginStatus());
                byte[] h = TestInitiator.header(0x46, 0x80);
                ByteBuffer.wrap(h).putInt(16, 1).putInt(24, c.cmdSn);
                c.send(h, null);
                assertEquals(0x26, c.next().opcode());
            }
        } finally {
            f.close();
        }
    }
}
