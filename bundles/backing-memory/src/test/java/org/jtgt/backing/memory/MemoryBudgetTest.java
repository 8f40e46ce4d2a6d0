package org.jtgt.backing.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jtgt.api.store.SpaceAllocationFailedException;
import org.junit.jupiter.api.Test;

/** Memory stores and their shared budget: refusal, what stays readable, what is given back. */
class MemoryBudgetTest {
    /** 1 KiB chunks, 4 chunks per page: a page counts 32 bytes, a directory slot 8. */
    private static final int CHUNK_SHIFT = 10;
    private static final int PAGE_SHIFT = 2;
    private static final int CHUNK = 1 << CHUNK_SHIFT;
    private static final int PAGE = MemoryStore.REFERENCE_BYTES << PAGE_SHIFT;

    private static MemoryStore open(long size, MemoryBudget budget) throws IOException {
        return MemoryStore.open(size, CHUNK_SHIFT, PAGE_SHIFT, budget);
    }

    private static byte[] read(MemoryStore s, long offset, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        s.read(offset, b);
        return b.array();
    }

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    /** A memory LUN has no path and is thin unless told otherwise; its size comes from the request. */
    @Test
    void aMemoryLunNamesOnlyItsSize() throws IOException {
        MemoryStoreProvider provider = new MemoryStoreProvider(new MemoryBudget(1 << 20));
        assertEquals(false, provider.usesPath());
        assertEquals(true, provider.thinByDefault());
        assertEquals(new org.jtgt.api.store.StorePlan(null, 4096, java.util.Map.of(), false),
                provider.plan("/ignored", 4096L, true));
        assertEquals("a memory LUN needs --size BYTES",
                assertThrows(IOException.class, () -> provider.plan(null, null, false)).getMessage());
    }

    @Test
    void aThinStoreThatRunsOutRefusesTheWholeWriteAndKeepsWhatItHas() throws IOException {
        // 64 KiB store: 16 pages, so 128 bytes of directory; room for one page and 4 chunks.
        MemoryBudget budget = new MemoryBudget(128 + PAGE + 4 * CHUNK);
        MemoryStore s = open(64 * CHUNK, budget);
        byte[] first = pattern(4 * CHUNK, 1);
        s.write(0, ByteBuffer.wrap(first), false);
        assertEquals(budget.limit(), budget.used());

        // One more chunk, in another page: refused, nothing stored, nothing taken.
        byte[] more = pattern(2 * CHUNK, 2);
        ByteBuffer src = ByteBuffer.wrap(more);
        SpaceAllocationFailedException e = assertThrows(SpaceAllocationFailedException.class,
                () -> s.write(8 * CHUNK, src, false));
        assertTrue(e.getMessage().contains("memory budget in use"), e.getMessage());
        assertEquals(0, src.position(), "the refused write consumed nothing");
        assertEquals(budget.limit(), budget.used());
        assertArrayEquals(new byte[2 * CHUNK], read(s, 8 * CHUNK, 2 * CHUNK));
        // A write that straddles a mapped and an unmapped chunk is refused as a whole too.
        assertThrows(SpaceAllocationFailedException.class,
                () -> s.write(4 * CHUNK - 10, ByteBuffer.wrap(pattern(20, 3)), false));
        assertArrayEquals(first, read(s, 0, 4 * CHUNK), "what was written stays readable and unchanged");

        // Rewriting mapped chunks needs nothing more.
        byte[] again = pattern(CHUNK, 4);
        s.write(CHUNK, ByteBuffer.wrap(again), false);
        assertArrayEquals(again, read(s, CHUNK, CHUNK));
    }

    @Test
    void deallocationAndCloseGiveBackWhatTheyFree() throws IOException {
        MemoryBudget budget = new MemoryBudget(128 + PAGE + 4 * CHUNK);
        MemoryStore s = open(64 * CHUNK, budget);
        s.write(0, ByteBuffer.wrap(pattern(4 * CHUNK, 1)), false);
        assertThrows(SpaceAllocationFailedException.class, () -> s.write(4 * CHUNK, ByteBuffer.wrap(pattern(CHUNK, 5)), false));

        s.deallocate(CHUNK, 2 * CHUNK);   // two whole chunks
        assertEquals(budget.limit() - 2 * CHUNK, budget.used());
        s.deallocate(10, 100);            // part of a chunk: zeroed, still allocated
        assertEquals(budget.limit() - 2 * CHUNK, budget.used());
        byte[] next = pattern(CHUNK, 6);
        s.write(4 * CHUNK, ByteBuffer.wrap(next), false);   // another page: a page and a chunk
        assertArrayEquals(next, read(s, 4 * CHUNK, CHUNK));

        s.close();
        assertEquals(0, budget.used());
    }

    @Test
    void fullProvisioningReservesTheWholeCapacityOrIsRefused() throws IOException {
        long size = 64 * CHUNK;
        long whole = 128 + 16 * PAGE + 64 * CHUNK;   // directory, every page, every chunk
        MemoryBudget budget = new MemoryBudget(whole + 128 + PAGE + CHUNK);
        MemoryStore thick = open(size, budget);
        thick.provision(true);
        assertEquals(whole, budget.used());
        assertEquals(whole, thick.heldBytes());
        assertTrue(thick.describe().endsWith("(used 0 B, all reserved)"), thick.describe());

        // A second one does not fit: refused, and it holds only its directory.
        MemoryStore other = open(size, budget);
        SpaceAllocationFailedException e = assertThrows(SpaceAllocationFailedException.class, () -> other.provision(true));
        assertTrue(e.getMessage().startsWith("a fully provisioned memory LUN of 64 KiB needs"), e.getMessage());
        assertEquals(whole + 128, budget.used());
        // ... but thin, it writes what the budget has room for (a page and a chunk here) and no more.
        other.write(0, ByteBuffer.wrap(pattern(100, 1)), false);
        assertThrows(SpaceAllocationFailedException.class, () -> other.write(CHUNK, ByteBuffer.wrap(pattern(1, 1)), false));

        // The thick store writes everywhere without taking more, and cannot grow past the budget.
        byte[] all = pattern((int) size, 7);
        thick.write(0, ByteBuffer.wrap(all), false);
        assertArrayEquals(all, read(thick, 0, (int) size));
        assertEquals(whole + 128 + PAGE + CHUNK, budget.used());
        assertThrows(SpaceAllocationFailedException.class, () -> thick.grow(2 * size));
        assertEquals(size, thick.size());

        // Thin again, it gives back what it does not use: the 32 chunks just deallocated.
        thick.deallocate(0, 32 * CHUNK);
        thick.provision(false);
        assertEquals(whole - 32 * CHUNK + 128 + PAGE + CHUNK, budget.used());
        thick.close();
        other.close();
        assertEquals(0, budget.used());
    }

    @Test
    void aStoreWhoseDirectoryDoesNotFitIsNotOpened() {
        MemoryBudget budget = new MemoryBudget(100);
        SpaceAllocationFailedException e = assertThrows(SpaceAllocationFailedException.class,
                () -> open(64 * CHUNK, budget));
        assertTrue(e.getMessage().contains("for its directory"), e.getMessage());
        assertEquals(0, budget.used());
    }

    @Test
    void theProviderRefusesAFullyProvisionedStoreBeyondItsBudget() throws IOException {
        MemoryBudget budget = new MemoryBudget(64L << 20);
        MemoryStoreProvider provider = new MemoryStoreProvider(budget);
        var big = provider.open(null, 128L << 20, null);
        assertThrows(SpaceAllocationFailedException.class, () -> big.provision(true));
        var fits = provider.open(null, 32L << 20, null);
        fits.provision(true);
        assertTrue(budget.used() > 32L << 20, "the whole capacity is held: " + budget.used());
        fits.close();
        big.close();
        assertEquals(0, budget.used());
    }

    @Test
    void theDefaultBudgetLeavesAQuarterOfTheHeapAndAtLeast128MiB() {
        assertEquals(384L << 20, MemoryBudget.defaultLimit(512L << 20));
        assertEquals(128L << 20, MemoryBudget.defaultLimit(256L << 20));
        assertEquals(0, MemoryBudget.defaultLimit(100L << 20));
        assertEquals(3L << 30, MemoryBudget.defaultLimit(4L << 30));
        assertEquals(Long.MAX_VALUE, MemoryBudget.defaultLimit(Long.MAX_VALUE));
        assertEquals(384L << 20, MemoryStoreProvider.parseSize("384m"));
        assertEquals(1L << 30, MemoryStoreProvider.parseSize("1GiB"));
        assertEquals(4096, MemoryStoreProvider.parseSize("4096"));
        assertThrows(IllegalArgumentException.class, () -> MemoryStoreProvider.parseSize("lots"));
    }
}
