package org.jtgt.api.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Which roles a hand-off releases, in which order, and what a refusal leaves held. */
class HandOffTest {
    private final List<String> released = new ArrayList<>();

    private final class Named implements HandOff.Role {
        final String name;
        boolean may = true;
        boolean will = true;
        Runnable during = () -> { };

        Named(String name) {
            this.name = name;
        }

        @Override
        public boolean mayRelease() {
            return may;
        }

        @Override
        public boolean release() {
            during.run();
            if (will) {
                released.add(name);
            }
            return will;
        }
    }

    @AfterEach
    void empty() {
        HandOff.clear();   // a failed test leaves nothing for the next on this thread
    }

    private static void dropAll(HandOff.Role... innermostFirst) {
        for (HandOff.Role r : innermostFirst) {
            HandOff.drop(r);
        }
    }

    // The roles of a connection's reader with the in-process transport, outermost first.
    private final Named reader = new Named("reader");
    private final Named queue = new Named("queue");
    private final Named channel = new Named("channel");

    /** The reader offers, the host queue and the channel hold, as nested on a reader's thread. */
    private void holdAll() {
        HandOff.offer(reader);
        HandOff.hold(queue);
        HandOff.hold(channel);
    }

    @Test
    void aThreadWithoutAnOfferedRoleCannotHandOff() {
        assertFalse(HandOff.handOff(), "nothing held");
        HandOff.hold(queue);
        assertFalse(HandOff.handOff(), "held roles alone: the thread itself cannot be replaced");
        assertEquals(List.of(), released);
        assertEquals(1, HandOff.depth());
        HandOff.drop(queue);
        assertEquals(0, HandOff.depth());
    }

    @Test
    void rolesAreReleasedInnermostFirstDownToTheOffer() {
        holdAll();
        assertTrue(HandOff.handOff());
        assertEquals(List.of("channel", "queue", "reader"), released);
        assertEquals(0, HandOff.depth());
        dropAll(channel, queue, reader);   // the layers unwinding: nothing left to pop
        assertEquals(0, HandOff.depth());
    }

    @Test
    void rolesOutsideTheOfferStayHeld() {
        Named outer = new Named("outer");
        HandOff.hold(outer);
        HandOff.offer(reader);
        HandOff.hold(channel);
        assertTrue(HandOff.handOff());
        assertEquals(List.of("channel", "reader"), released);
        assertEquals(1, HandOff.depth());
        dropAll(channel, reader, outer);
        assertEquals(0, HandOff.depth());
    }

    @Test
    void aRoleThatMayNotReleaseStopsTheHandOffBeforeAnythingIsReleased() {
        reader.may = false;   // its standby is busy
        holdAll();
        assertFalse(HandOff.handOff());
        assertEquals(List.of(), released);
        assertEquals(3, HandOff.depth());
        dropAll(channel, queue, reader);
        assertEquals(0, HandOff.depth());
    }

    @Test
    void aRefusalAfterReleasesKeepsTheRefusingRoleAndThoseOutsideIt() {
        queue.will = false;   // someone queued behind the entry in the instant after mayRelease
        holdAll();
        assertFalse(HandOff.handOff());
        assertEquals(List.of("channel"), released);
        assertEquals(2, HandOff.depth(), "queue and reader still held");
        dropAll(channel, queue, reader);
        assertEquals(0, HandOff.depth());
    }

    @Test
    void aReleaseMayHoldAndDropRolesOfItsOwn() {
        Named nested = new Named("nested");
        queue.during = () -> {
            HandOff.hold(nested);   // a dispatch pass run from inside the release
            HandOff.drop(nested);
        };
        HandOff.offer(reader);
        HandOff.hold(queue);
        assertTrue(HandOff.handOff());
        assertEquals(List.of("queue", "reader"), released);
        assertEquals(0, HandOff.depth());
    }

    @Test
    void beyondTheMaximumDepthNothingIsKeptAndNothingIsHandedOff() {
        List<Named> roles = new ArrayList<>();
        HandOff.offer(reader);
        for (int i = 1; i < HandOff.MAX_DEPTH + 2; i++) {
            Named r = new Named("r" + i);
            roles.add(r);
            HandOff.hold(r);
        }
        assertEquals(HandOff.MAX_DEPTH, HandOff.depth());
        assertFalse(HandOff.handOff(), "a role that was not kept could not be released");
        assertEquals(List.of(), released);
        for (int i = roles.size() - 1; i >= 0; i--) {
            HandOff.drop(roles.get(i));
        }
        HandOff.drop(reader);
        assertEquals(0, HandOff.depth());
    }

    @Test
    void aRoleHeldOnAnotherThreadIsNotThisThreads() throws InterruptedException {
        Thread t = new Thread(() -> HandOff.offer(reader));
        t.start();
        t.join();
        assertEquals(0, HandOff.depth());
        assertFalse(HandOff.handOff());
    }
}
