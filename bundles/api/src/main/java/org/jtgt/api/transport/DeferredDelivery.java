package org.jtgt.api.transport;

import java.util.Objects;

/**
 * Deliveries a thread owes once it is out of the daemon's code. A transport that hands events to
 * the peer's sink on the sending thread (the in-process one) must not deliver a host → daemon
 * event on a thread that is inside the daemon already (the daemon would run again beneath its
 * own frames); it leaves such an event to another thread, which it may have to wake. A thread
 * that runs the daemon's work in a loop of its own (a store worker) can take those events itself
 * between two tasks instead, without a wake-up: it says so with {@link #owedHere}, and calls
 * {@link #deliverOwed} each time it is back at the top of its loop, where none of the daemon's
 * frames, locks or per-task state are on its stack.
 *
 * <p>Per thread, allocation-free after the first use: a thread holds at most {@value #MAX_OWED}
 * distinct owed actions (one per transport direction in practice); {@link #owe} refuses more, and
 * the transport then wakes its own thread as before.
 */
public final class DeferredDelivery {
    /** Distinct actions one thread may owe at once. */
    public static final int MAX_OWED = 4;

    private static final ThreadLocal<Owed> OWED = ThreadLocal.withInitial(Owed::new);

    private static final class Owed {
        boolean enabled;
        final Runnable[] actions = new Runnable[MAX_OWED];
        int count;
    }

    private DeferredDelivery() {
    }

    /**
     * Marks the current thread as one that calls {@link #deliverOwed} between its tasks, or no
     * longer ({@code false} first delivers what it owes, and unmarks the thread even if an owed
     * action throws, which it then passes on).
     */
    public static void owedHere(boolean on) {
        Owed o = OWED.get();
        if (on) {
            o.enabled = true;
            return;
        }
        try {
            deliverOwed();
        } finally {
            o.enabled = false;   // even if an owed action failed: the thread promises nothing more
        }
    }

    /**
     * For transports: asks the current thread to run {@code action} at its next
     * {@link #deliverOwed}, once however often it is asked before that (by identity).
     *
     * @return false if this thread makes no such promise (or owes {@value #MAX_OWED} other
     *         actions already): the caller must see to the delivery itself
     */
    public static boolean owe(Runnable action) {
        Objects.requireNonNull(action, "action");
        Owed o = OWED.get();
        if (!o.enabled) {
            return false;
        }
        for (int i = 0; i < o.count; i++) {
            if (o.actions[i] == action) {
                return true;
            }
        }
        if (o.count == MAX_OWED) {
            return false;
        }
        o.actions[o.count++] = action;
        return true;
    }

    /**
     * Runs what the current thread owes, in the order it was first asked, until it owes nothing
     * (an action may make the thread owe more). A failing action does not stop the others; the
     * first failure is thrown after them.
     */
    public static void deliverOwed() {
        Owed o = OWED.get();
        RuntimeException first = null;
        while (o.count > 0) {
            Runnable a = o.actions[0];
            System.arraycopy(o.actions, 1, o.actions, 0, o.count - 1);
            o.actions[--o.count] = null;
            try {
                a.run();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Whether the current thread owes anything (for tests and diagnostics). */
    public static boolean owesAny() {
        return OWED.get().count > 0;
    }
}
