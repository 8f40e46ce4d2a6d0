package org.jtgt.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.host.HostCallbacks;
import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.NexusOperation;
import org.jtgt.api.host.NexusResult;
import org.jtgt.api.host.ScsiHost;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shares of the data area and of the command slots (ShareLimits), on the host side alone:
 * no transport is bound, so every buffer comes from the 8 MiB staging area. Each session may
 * hold a quarter of the area and of its host's 64 slots, each host half the area, and the last
 * quarter of the area and of each host's slots is kept for sessions that hold nothing or less
 * than their guaranteed part (an eighth of the reserve: 256 KiB and 2 slots).
 */
@Timeout(30)
class SessionShareTest {
    private static final int MIB = 1 << 20;
    private static final long NO_WAIT = 0;

    private HostSide side;
    private ScsiHost a;
    private ScsiHost b;
    private final List<HostCommand> heldByA = new ArrayList<>();

    private static final HostCallbacks NONE = new HostCallbacks() {
        @Override public void commandCompleted(HostCommand command) { }
        @Override public void taskManagementCompleted(long mid, TmfResponse response) { }
        @Override public void nexusResult(long nexusId, NexusOperation op, NexusResult result) { }
    };

    @BeforeEach
    void start() {
        side = new HostSide();
        side.activate(new HostSide.Config() {
            @Override public Class<? extends Annotation> annotationType() { return HostSide.Config.class; }
            @Override public String transport() { return "shm"; }
            @Override public int commandsPerHost() { return 64; }
            @Override public int maxDataLength() { return MIB; }
            @Override public int stagingAreaSize() { return 8 * MIB; }
            @Override public int drainTimeoutSeconds() { return 1; }
            @Override public int sessionDataSharePercent() { return 25; }
            @Override public int sessionCommandSharePercent() { return 25; }
            @Override public int hostDataSharePercent() { return 50; }
            @Override public int reservePercent() { return 25; }
        });
        a = side.addHost("a", NONE);
        b = side.addHost("b", NONE);
    }

    @AfterEach
    void stop() {
        a.close();
        b.close();
        side.deactivate();
    }

    /** Takes commands of {@code length} bytes without waiting until one is refused; how many it got. */
    private static int fill(ScsiHost host, long nexus, int length, List<HostCommand> into) throws Exception {
        int n = 0;
        HostCommand c;
        while ((c = host.allocate(nexus, length, NO_WAIT)) != null) {
            into.add(c);
            n++;
        }
        return n;
    }

    @Test
    void aSessionHoldsAtMostItsShareAndTheOthersStillGetIn() throws Exception {
        long hog = a.createNexus("iqn.2026-11.org.jtgt:hog,i,0x1", "t", 1);
        long neighbour = a.createNexus("iqn.2026-11.org.jtgt:neighbour,i,0x1", "t", 1);
        long late = a.createNexus("iqn.2026-11.org.jtgt:late,i,0x1", "t", 1);
        long other = b.createNexus("iqn.2026-11.org.jtgt:other,i,0x1", "t", 1);
        long otherToo = b.createNexus("iqn.2026-11.org.jtgt:other,i,0x2", "t", 1);

        // The hog: a quarter of the area (2 MiB), then commands without data up to a quarter of
        // its host's slots (16), and nothing more.
        assertEquals(2, fill(a, hog, MIB, heldByA), "1 MiB commands within a quarter of 8 MiB");
        assertEquals(14, fill(a, hog, 0, heldByA), "slots up to a quarter of 64");
        assertEquals(16, queue(a).held(hog)[0]);
        assertEquals(2L * MIB, queue(a).held(hog)[1]);

        // Another session of the same host gets its share too; the host stops at half the area,
        // except for a session's first command, which may use the reserve.
        List<HostCommand> rest = new ArrayList<>();
        assertEquals(2, fill(a, neighbour, MIB, rest));
        assertEquals(1, fill(a, late, MIB, rest), "host a at half the area: only the first command of a new session");
        assertEquals(5L * MIB, queue(a).heldBytes());

        // Another host's sessions: past the area's reserve (the last quarter) only first commands.
        assertEquals(1, fill(b, other, MIB, rest), "6 MiB of 8 held: the reserve is for first commands");
        assertEquals(1, fill(b, otherToo, MIB, rest), "a first command from the reserve");
        assertEquals(7L * MIB, side.heldBytes());

        // A session over its share waits in its own allocate; a release of its own lets it go on.
        CompletableFuture<HostCommand> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return a.allocate(hog, 0, TimeUnit.SECONDS.toNanos(10));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(200);
        assertTrue(!waiting.isDone(), "the hog waits while it is at its share");
        HostCommand small = b.allocate(other, 0, NO_WAIT);
        assertNotNull(small, "another session is not held up meanwhile");
        b.release(small);
        a.release(heldByA.remove(heldByA.size() - 1));   // one of the hog's commands without data
        HostCommand got = waiting.get(5, TimeUnit.SECONDS);
        assertNotNull(got, "the hog's waiting command got the room it gave back");
        heldByA.add(got);

        // Everything back: nothing held, every slot free, the staging area whole again.
        for (HostCommand c : heldByA) {
            a.release(c);
        }
        for (HostCommand c : rest) {
            (c.nexusId() == other || c.nexusId() == otherToo ? b : a).release(c);
        }
        assertEquals(0, side.heldBytes());
        assertEquals(0, queue(a).heldBytes());
        assertEquals(64, queue(a).freeSlots());
        assertEquals(64, queue(b).freeSlots());
        HostCommand whole = a.allocate(neighbour, MIB, NO_WAIT);
        assertNotNull(whole);
        a.release(whole);
        long all = side.allocationArea().allocate(8 * MIB);
        assertTrue(all >= 0, "the staging area is wholly free");
        side.allocationArea().free(all, 8 * MIB);
    }

    @Test
    void aSessionWithNothingOutstandingGetsItsFirstCommandEvenWhenTheHostIsFull() throws Exception {
        List<Long> nexuses = new ArrayList<>();
        List<HostCommand> held = new ArrayList<>();
        // Four sessions each at their share of the slots: 64 slots, 16 reserved.
        for (int i = 0; i < 4; i++) {
            long n = a.createNexus("iqn.2026-11.org.jtgt:s" + i + ",i,0x1", "t", 1);
            nexuses.add(n);
            fill(a, n, 0, held);
        }
        assertEquals(50, held.size(), "three sessions' quarters, then the fourth's guaranteed two in the reserve");
        long fresh = a.createNexus("iqn.2026-11.org.jtgt:fresh,i,0x1", "t", 1);
        HostCommand first = a.allocate(fresh, 256 * 1024, NO_WAIT);
        assertNotNull(first, "a session holding nothing takes a reserved slot");
        assertNull(a.allocate(fresh, 4096, NO_WAIT), "its guaranteed data (256 KiB, an eighth of the reserve) is used up");
        HostCommand second = a.allocate(fresh, 0, NO_WAIT);
        assertNotNull(second, "its guaranteed second slot (an eighth of the 16 reserved)");
        assertNull(a.allocate(fresh, 0, NO_WAIT), "and no more while it holds them");
        a.release(first);
        a.release(second);
        for (HostCommand c : held) {
            a.release(c);
        }
        assertEquals(64, queue(a).freeSlots());
        assertEquals(0, side.heldBytes());
    }

    private HostQueue queue(ScsiHost h) {
        return (HostQueue) h;
    }
}
