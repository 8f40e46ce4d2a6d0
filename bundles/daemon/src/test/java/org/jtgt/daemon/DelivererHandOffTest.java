package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.transport.HandOff;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A command over a store that blocks runs on the thread that delivered it when that thread can
 * hand everything it holds over ({@link HandOff}); otherwise, as before, on the unit's workers.
 * The test thread delivers the events itself, so it plays the connection's reader: its offered
 * role releases or refuses as each test says.
 */
class DelivererHandOffTest {
    /** A blocking store that records which thread wrote. */
    static final class RecordingStore extends MemoryStore {
        final List<Thread> writers = new CopyOnWriteArrayList<>();

        RecordingStore() {
            super(Harness.SIZE, true);
        }

        @Override
        public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
            writers.add(Thread.currentThread());
            super.write(offset, src, fua);
        }
    }

    /** The reader's role as the test thread plays it. */
    static final class Reader implements HandOff.Role {
        boolean releases = true;
        int released;
        int returned;

        @Override public boolean mayRelease() { return releases; }

        @Override
        public boolean release() {
            if (releases) {
                released++;
            }
            return releases;
        }

        @Override public void returned() { returned++; }
    }

    private final RecordingStore store = new RecordingStore();
    private final Reader reader = new Reader();

    @AfterEach
    void dropTheRole() {
        HandOff.drop(reader);
    }

    private Harness harness() {
        return Harness.withLun(new Harness(), LunOptions.DEFAULT, store);
    }

    private static void writeAndReadBack(Harness h, int lba, int seed) {
        byte[] data = Harness.pattern(4096, seed);
        h.write(0, Cdbs.rw10(true, lba, 8, 0), data).assertGood();
        Harness.Result r = h.read(0, Cdbs.rw10(false, lba, 8, 0), 4096);
        r.assertGood();
        assertArrayEquals(data, r.data());
    }

    @Test
    void aThreadThatHandsOffRunsTheCommandItself() {
        Harness h = harness();
        HandOff.offer(reader);
        writeAndReadBack(h, 8, 1);
        assertEquals(List.of(Thread.currentThread()), store.writers);
        assertEquals(1, reader.released, "the reader role was given up for the write");
        assertEquals(1, reader.returned, "and told when the write was answered");
        assertEquals(0, HandOff.depth(), "released: off this thread's stack");
    }

    @Test
    void aRoleThatRefusesSendsTheCommandToTheWorkers() {
        Harness h = harness();
        reader.releases = false;
        HandOff.offer(reader);
        writeAndReadBack(h, 8, 2);
        assertEquals(1, store.writers.size());
        assertNotEquals(Thread.currentThread(), store.writers.get(0));
        assertTrue(store.writers.get(0).getName().startsWith("jtgt-"), store.writers.get(0).getName());
        assertEquals(1, HandOff.depth(), "the role stays held");
    }

    @Test
    void aThreadWithoutAnOfferSendsTheCommandToTheWorkers() {
        Harness h = harness();
        writeAndReadBack(h, 8, 3);
        assertNotEquals(Thread.currentThread(), store.writers.get(0));
    }

    @Test
    void switchedOffUnitsUseTheirWorkers() {
        Harness h = new Harness();
        h.daemon.handOff(false);
        Harness.withLun(h, LunOptions.DEFAULT, store);
        HandOff.offer(reader);
        writeAndReadBack(h, 8, 4);
        assertNotEquals(Thread.currentThread(), store.writers.get(0));
        assertEquals(0, reader.released);
    }

    @Test
    void aUnitSeveralNexusesUseIsServedByItsWorkers() {
        Harness h = harness();
        long second = Harness.NEXUS + 1;
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(Harness.INITIATOR + ",i,0x23d000000002", Harness.TARGET, second));
        // Both nexuses use the unit: the task set is shared from the second one's command on.
        h.command(second, 0, Cdbs.testUnitReady(), org.jtgt.api.event.DataDirection.NONE, 0, null);
        h.command(Harness.NEXUS, 0, Cdbs.testUnitReady(), org.jtgt.api.event.DataDirection.NONE, 0, null);
        HandOff.offer(reader);
        byte[] data = Harness.pattern(4096, 5);
        h.command(second, 0, Cdbs.rw10(true, 16, 8, 0), org.jtgt.api.event.DataDirection.WRITE, 4096, data);
        h.command(Harness.NEXUS, 0, Cdbs.rw10(true, 24, 8, 0), org.jtgt.api.event.DataDirection.WRITE, 4096, data);
        assertTrue(store.writers.stream().noneMatch(t -> t == Thread.currentThread()),
                "a shared unit's writes ran on the workers: " + store.writers);
        assertEquals(0, reader.released);
    }
}
