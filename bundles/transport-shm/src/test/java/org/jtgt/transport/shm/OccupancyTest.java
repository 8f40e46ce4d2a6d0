package org.jtgt.transport.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.transport.TransportEndpoint;
import org.junit.jupiter.api.Test;

/** What metrics read as the rings' occupancy: events sent and not yet consumed, per direction. */
class OccupancyTest {
    @Test
    void queuedEventsAreCountedUntilTheOtherSideConsumesThem() throws Exception {
        Path file = Path.of("target", "shm-occupancy", "o.region").toAbsolutePath();
        Files.deleteIfExists(file);
        ShmTransport t = new ShmTransport();
        assertEquals(0, t.capacity(), "not open");
        t.open(file, 64, 256, 1 << 20);
        try {
            assertEquals(64, t.capacity());
            TransportEndpoint host = t.attachHost((b, o, l, from) -> { });
            ByteBuffer done = ByteBuffer.allocate(CmdDoneEvent.LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < 5; i++) {
                CmdDoneEvent.write(done, 0, 1, i, CmdDoneEvent.DELIVERED);
                assertTrue(host.send(done, 0, CmdDoneEvent.LENGTH));
            }
            assertEquals(5, t.queuedToDaemon(), "no daemon attached: nothing consumed");
            assertEquals(0, t.queuedToHost());

            AtomicInteger delivered = new AtomicInteger();
            t.attachDaemon((b, o, l, from) -> delivered.incrementAndGet());
            long deadline = System.nanoTime() + 10_000_000_000L;
            while ((delivered.get() < 5 || t.queuedToDaemon() != 0) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(5, delivered.get());
            assertEquals(0, t.queuedToDaemon(), "the daemon's pump consumed them");
        } finally {
            t.deactivate();
        }
    }
}
