package org.jtgt.api.transport;

import java.util.Objects;

/**
 * The roles a thread holds that other threads wait on, so that it can give them all up before it
 * waits for a device itself. With the in-process transport one thread reads a connection's PDUs,
 * dispatches its host's queue and delivers the event into the daemon, nested in that order. The
 * daemon may not wait for a blocking store on such a thread (every other command of the
 * connection, the host and the transport would wait behind it), so it hands the task to a store
 * worker and pays that worker's wake-up on the command's latency. If every layer instead lets
 * another thread take its role over, the thread is free to run the task itself: the connection's
 * reading goes on in a standby thread, woken beside the task rather than before it.
 *
 * <p>Each layer {@link #hold}s its role while the thread has it and {@link #drop}s it when it lets
 * go normally; the outermost one, whose thread can be replaced (a connection reader with a
 * standby), {@link #offer}s instead. {@link #handOff} releases them, innermost first; a released
 * role is off the thread's stack, and the layer's code, when the thread comes back up through it,
 * sees that it no longer has the role and touches nothing that belongs to it. A layer refuses
 * when others already wait on it (queued events, a standby that is busy): the caller then does
 * what it did before (a worker), and roles released before the refusal stay released, which every
 * layer handles the same way.
 *
 * <p>Per thread, allocation-free after the first use, at most {@value #MAX_DEPTH} roles deep
 * ({@link #hold} beyond that keeps nothing, and {@link #handOff} then refuses).
 *
 * @since 2.4
 */
public final class HandOff {
    /** Roles one thread may hold at once. */
    public static final int MAX_DEPTH = 8;

    private static final ThreadLocal<Stack> STACK = ThreadLocal.withInitial(Stack::new);

    /** A role the current thread holds; released only on that thread. */
    public interface Role {
        /**
         * Whether {@link #release} would succeed now, as far as this thread can tell without
         * giving anything up (it may still refuse).
         */
        boolean mayRelease();

        /**
         * Gives the role up: from now on other threads may take it, and this thread no longer
         * acts in it. False if it cannot now; the thread then keeps it.
         */
        boolean release();

        /**
         * For an {@linkplain #offer offered} role: the thread that released it has done what it
         * released it for and comes back up through the layers without blocking again
         * ({@link #done}), so the role may be handed back to it before it arrives.
         */
        default void returned() {
        }
    }

    private static final class Stack {
        final Role[] roles = new Role[MAX_DEPTH];
        final boolean[] offered = new boolean[MAX_DEPTH];
        int depth;
        /** Pushes beyond {@link #MAX_DEPTH} that kept nothing: their drops must not pop. */
        int overflow;
        /** The offered role the last successful {@link #handOff} released, until {@link #done}. */
        Role released;
    }

    private HandOff() {
    }

    /** The current thread takes {@code role}, which another thread could take over. */
    public static void hold(Role role) {
        push(role, false);
    }

    /**
     * The current thread takes {@code role}, and the thread itself can be replaced: when every
     * role above it is released too, the thread may block on work of its own.
     */
    public static void offer(Role role) {
        push(role, true);
    }

    private static void push(Role role, boolean offered) {
        Objects.requireNonNull(role, "role");
        Stack s = STACK.get();
        if (s.depth == MAX_DEPTH || s.overflow > 0) {
            s.overflow++;
            return;
        }
        s.roles[s.depth] = role;
        s.offered[s.depth] = offered;
        s.depth++;
    }

    /**
     * The current thread lets go of {@code role} normally. Does nothing if the role is not the
     * innermost one held (it was released by {@link #handOff}, or never kept).
     */
    public static void drop(Role role) {
        Stack s = STACK.get();
        if (s.overflow > 0) {
            s.overflow--;
            return;
        }
        if (s.depth > 0 && s.roles[s.depth - 1] == role) {
            s.depth--;
            s.roles[s.depth] = null;
        }
    }

    /**
     * Releases every role the current thread holds, innermost first, down to the innermost one
     * {@linkplain #offer offered}. True only if there was one and every role was released: the
     * thread may then block without holding anyone up. False if the thread has no role that can
     * be replaced, or a role refused (checked first with {@link Role#mayRelease}, so a refusal
     * after releases is rare); the roles released before a refusal stay released.
     */
    public static boolean handOff() {
        Stack s = STACK.get();
        if (s.overflow > 0) {
            return false;
        }
        int k = s.depth - 1;
        while (k >= 0 && !s.offered[k]) {
            k--;
        }
        if (k < 0) {
            return false;
        }
        for (int i = s.depth - 1; i >= k; i--) {
            if (!s.roles[i].mayRelease()) {
                return false;
            }
        }
        Role offer = s.roles[k];
        for (int i = s.depth - 1; i >= k; i--) {
            Role r = s.roles[i];
            boolean offered = s.offered[i];
            // Off the stack before its release, which may hold and drop roles of its own.
            s.roles[i] = null;
            s.depth = i;
            if (!r.release()) {
                s.roles[i] = r;
                s.offered[i] = offered;
                s.depth = i + 1;
                return false;
            }
        }
        s.released = offer;
        return true;
    }

    /** Tells the role the last successful {@link #handOff} on this thread released that the thread is done ({@link Role#returned}). */
    public static void done() {
        Stack s = STACK.get();
        Role r = s.released;
        if (r != null) {
            s.released = null;
            r.returned();
        }
    }

    /** Forgets every role of the current thread (tests). */
    static void clear() {
        Stack s = STACK.get();
        java.util.Arrays.fill(s.roles, null);
        s.released = null;
        s.depth = 0;
        s.overflow = 0;
    }

    /** How many roles the current thread holds (for tests and diagnostics). */
    public static int depth() {
        return STACK.get().depth;
    }
}
