package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The uncaught-exception policy the launcher installs (the process-level test is {@code MemoryBudgetIT}). */
class FatalErrorsTest {
    private final List<Integer> halts = new ArrayList<>();
    private final FatalErrors policy = new FatalErrors(halts::add);

    @Test
    void anErrorOnAnyThreadHaltsWithStatus70() {
        policy.uncaughtException(new Thread("Felix worker"), new StackOverflowError());
        assertEquals(List.of(70), halts);
    }

    @Test
    void anyThrowableThatEndsAJtgtThreadHalts() {
        policy.uncaughtException(new Thread("jtgt-shm-daemon"), new IllegalStateException("bug"));
        assertEquals(List.of(FatalErrors.EXIT_FATAL), halts);
    }

    @Test
    void anExceptionOnAThreadJtgtDidNotStartIsOnlyLogged() {
        policy.uncaughtException(new Thread("some-library-thread"), new IllegalStateException("theirs"));
        assertTrue(halts.isEmpty());
        assertFalse(FatalErrors.isFatal(new Thread("x"), new RuntimeException()));
    }

    @Test
    void theLogLineNamesTheErrorItsMessageAndTheThread() {
        assertEquals("OutOfMemoryError (Java heap space) on thread jtgt-shm-daemon",
                FatalErrors.describe(new Thread("jtgt-shm-daemon"), new OutOfMemoryError("Java heap space")));
        assertEquals("StackOverflowError on thread main", FatalErrors.describe(new Thread("main"), new StackOverflowError()));
    }
}
