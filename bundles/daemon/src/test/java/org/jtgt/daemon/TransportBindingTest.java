package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Map;

import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
import org.junit.jupiter.api.Test;

/** The whiteboard reference to transports, driven by calling bind/unbind as SCR would. */
class TransportBindingTest {
    private static final class FakeTransport implements Transport {
        final FakeEndpoint endpoint = new FakeEndpoint(4096);
        EventSink sink;
        boolean fail;

        @Override
        public String name() {
            return "fake";
        }

        @Override
        public TransportEndpoint attachDaemon(EventSink s) throws IOException {
            if (fail) {
                throw new IOException("no shared memory today");
            }
            sink = s;
            return endpoint;
        }

        @Override
        public TransportEndpoint attachHost(EventSink s) {
            throw new UnsupportedOperationException();
        }
    }

    private final TargetDaemon daemon = new TargetDaemon();
    private final Map<String, Object> props = Map.of(Transport.NAME_PROPERTY, "fake");

    @Test
    void bindAttachesAndUnbindLeavesTheEndpointOpen() {
        FakeTransport t = new FakeTransport();
        daemon.bindTransport(t, props);
        assertSame(daemon, t.sink);
        daemon.unbindTransport(t, props);
        assertTrue(t.endpoint.isOpen(), "the transport closes it after the host side drained");
        daemon.deactivate();
        assertTrue(t.endpoint.isOpen(), "an unbound endpoint is not the daemon's to close");
    }

    @Test
    void deactivateClosesTheEndpointsStillHeld() {
        FakeTransport t = new FakeTransport();
        daemon.bindTransport(t, props);
        daemon.deactivate();
        assertFalse(t.endpoint.isOpen());
    }

    @Test
    void aFailingAttachIsLoggedNotThrown() {
        FakeTransport t = new FakeTransport();
        t.fail = true;
        daemon.bindTransport(t, props);
        daemon.unbindTransport(t, props);
        assertEquals(null, t.sink);
    }
}
