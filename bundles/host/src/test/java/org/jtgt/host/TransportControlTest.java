package org.jtgt.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import org.jtgt.api.host.NexusResult;
import org.jtgt.api.host.TransportControl.SwapRecord;
import org.jtgt.api.host.TransportControl.SwapSummary;
import org.jtgt.api.host.TransportControl.TransportState;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
import org.jtgt.transport.shm.ShmTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Swapping by name through {@link org.jtgt.api.host.TransportControl}, with data checked after each swap. */
@Timeout(60)
class TransportControlTest {
    /** An shm transport under another name, so two can be told apart. */
    record Named(String name, ShmTransport shm) implements Transport {
        @Override
        public TransportEndpoint attachDaemon(EventSink sink) throws IOException {
            return shm.attachDaemon(sink);
        }

        @Override
        public TransportEndpoint attachHost(EventSink sink) throws IOException {
            return shm.attachHost(sink);
        }
    }

    @Test
    void swapsByNameStaysWithTheChoiceAndComesBackToIt() throws Exception {
        PathFixture f = new PathFixture(1 << 20);
        Named alpha = new Named("alpha", f.newTransport());
        Named beta = new Named("beta", f.newTransport());
        try {
            swapAround(f, alpha, beta);
        } finally {
            f.close();
            alpha.shm().deactivate(); // unmaps and removes the region: the next fixture reuses its name
            beta.shm().deactivate();
        }
    }

    private static void swapAround(PathFixture f, Named alpha, Named beta) throws Exception {
        f.hostSide.bindTransport(alpha, Map.of(Transport.NAME_PROPERTY, "alpha", "service.ranking", 10, "service.id", 1L));
        f.hostSide.bindTransport(beta, Map.of(Transport.NAME_PROPERTY, "beta", "service.ranking", 0, "service.id", 2L));
        assertEquals(NexusResult.OK, f.awaitNexus());
        assertEquals("alpha", f.hostSide.activeTransport(), "highest ranking wins while nothing is chosen");
        assertEquals(List.of(new TransportState("alpha", true, false), new TransportState("beta", false, false)),
                f.hostSide.transports());
        long swapsBefore = f.hostSide.swapSummary().count();

        byte[] pattern = new byte[4096];
        for (int i = 0; i < 10; i++) {
            String to = i % 2 == 0 ? "beta" : "alpha";
            SwapRecord swap = f.hostSide.swapTo(to);
            assertEquals(to, swap.to());
            assertEquals(i % 2 == 0 ? "alpha" : "beta", swap.from());
            assertEquals(to, f.hostSide.activeTransport());
            java.util.Arrays.fill(pattern, (byte) i);
            assertEquals(0, f.execute(PathFixture.rw16(0x8a, i * 8L, 8), ByteBuffer.wrap(pattern), null));
            ByteBuffer back = ByteBuffer.allocate(4096);
            assertEquals(0, f.execute(PathFixture.rw16(0x88, i * 8L, 8), null, back));
            assertArrayEquals(pattern, back.array());
        }
        SwapSummary summary = f.hostSide.swapSummary();
        assertEquals(swapsBefore + 10, summary.count(), summary.toString());
        assertTrue(summary.p50Micros() <= summary.p99Micros() && summary.p99Micros() <= summary.worstMicros(),
                summary.toString());

        SwapRecord same = f.hostSide.swapTo("alpha");
        assertEquals(0, same.pauseMicros());
        assertEquals(swapsBefore + 10, f.hostSide.swapSummary().count(), "no swap when it is active already");

        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> f.hostSide.swapTo("gamma"));
        assertEquals("no transport named 'gamma' is registered (registered: alpha, beta)", unknown.getMessage());

        // The chosen one goes away: the host side moves on by itself, and back when it returns.
        f.hostSide.swapTo("beta");
        f.hostSide.unbindTransport(beta);
        assertEquals("alpha", f.hostSide.activeTransport());
        f.hostSide.bindTransport(beta, Map.of(Transport.NAME_PROPERTY, "beta", "service.ranking", 0, "service.id", 3L));
        assertEquals("beta", f.hostSide.activeTransport(), "the chosen transport beats a higher ranking");
        assertEquals(0, f.execute(new byte[] {0, 0, 0, 0, 0, 0}, null, null), "TEST UNIT READY after the swaps");
    }

    @Test
    void percentilesAreNearestRank() {
        SwapStatistics s = new SwapStatistics();
        for (int i = 1; i <= 100; i++) {
            s.record(i * 1000L);
        }
        SwapSummary summary = s.summary();
        assertEquals(100, summary.count());
        assertEquals(50, summary.p50Micros());
        assertEquals(99, summary.p99Micros());
        assertEquals(100, summary.worstMicros());
        assertEquals(100, summary.lastMicros());
        assertEquals(0, new SwapStatistics().summary().p99Micros());
    }
}
