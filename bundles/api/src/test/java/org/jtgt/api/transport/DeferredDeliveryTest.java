package org.jtgt.api.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a thread owes: only once it promised, once per action, in order, and all of it even if one fails. */
class DeferredDeliveryTest {
    private final List<String> ran = new ArrayList<>();

    @AfterEach
    void reset() {
        DeferredDelivery.owedHere(false);
    }

    @Test
    void aThreadThatPromisedNothingOwesNothing() {
        assertFalse(DeferredDelivery.owe(() -> ran.add("a")), "the caller must deliver itself");
        assertFalse(DeferredDelivery.owesAny());
        DeferredDelivery.deliverOwed();
        assertEquals(List.of(), ran);
    }

    @Test
    void eachActionRunsOnceInTheOrderItWasFirstOwed() {
        DeferredDelivery.owedHere(true);
        Runnable a = () -> ran.add("a");
        Runnable b = () -> ran.add("b");
        assertTrue(DeferredDelivery.owe(a));
        assertTrue(DeferredDelivery.owe(b));
        assertTrue(DeferredDelivery.owe(a), "owed already: still owed once");
        assertTrue(DeferredDelivery.owesAny());
        DeferredDelivery.deliverOwed();
        assertEquals(List.of("a", "b"), ran);
        assertFalse(DeferredDelivery.owesAny());
        DeferredDelivery.deliverOwed();
        assertEquals(List.of("a", "b"), ran, "nothing runs twice");
    }

    @Test
    void anActionThatOwesMoreIsFollowedByIt() {
        DeferredDelivery.owedHere(true);
        Runnable later = () -> ran.add("later");
        DeferredDelivery.owe(() -> {
            ran.add("first");
            DeferredDelivery.owe(later);
        });
        DeferredDelivery.deliverOwed();
        assertEquals(List.of("first", "later"), ran);
    }

    @Test
    void beyondTheLimitTheCallerDeliversItself() {
        DeferredDelivery.owedHere(true);
        for (int i = 0; i < DeferredDelivery.MAX_OWED; i++) {
            String n = "r" + i;
            assertTrue(DeferredDelivery.owe(() -> ran.add(n)));
        }
        assertFalse(DeferredDelivery.owe(() -> ran.add("too many")));
        DeferredDelivery.deliverOwed();
        assertEquals(List.of("r0", "r1", "r2", "r3"), ran);
    }

    @Test
    void aFailureDoesNotStopTheOthersAndIsThrownAfterThem() {
        DeferredDelivery.owedHere(true);
        IllegalStateException boom = new IllegalStateException("boom");
        DeferredDelivery.owe(() -> {
            throw boom;
        });
        DeferredDelivery.owe(() -> ran.add("after"));
        assertSame(boom, assertThrows(IllegalStateException.class, DeferredDelivery::deliverOwed));
        assertEquals(List.of("after"), ran);
        assertFalse(DeferredDelivery.owesAny());
    }

    @Test
    void withdrawingThePromiseDeliversWhatIsOwed() {
        DeferredDelivery.owedHere(true);
        DeferredDelivery.owe(() -> ran.add("a"));
        DeferredDelivery.owedHere(false);
        assertEquals(List.of("a"), ran);
        assertFalse(DeferredDelivery.owe(() -> ran.add("b")));
    }

    @Test
    void aFailingActionStillWithdrawsThePromise() {
        DeferredDelivery.owedHere(true);
        DeferredDelivery.owe(() -> {
            throw new IllegalStateException("owed action failed");
        });
        assertThrows(IllegalStateException.class, () -> DeferredDelivery.owedHere(false));
        assertFalse(DeferredDelivery.owe(() -> ran.add("b")), "no promise left after the failure");
        assertFalse(DeferredDelivery.owesAny());
    }

    @Test
    void promisesAreThePromisingThreadsOnly() throws Exception {
        DeferredDelivery.owedHere(true);
        boolean[] elsewhere = new boolean[1];
        Thread t = new Thread(() -> elsewhere[0] = DeferredDelivery.owe(() -> ran.add("x")));
        t.start();
        t.join();
        assertFalse(elsewhere[0]);
    }
}
