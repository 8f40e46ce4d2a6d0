package org.jtgt.api.store;

import java.util.function.Consumer;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Resets of a logical unit that several targets (gateways) serve from one store: a LOGICAL UNIT
 * RESET or a target reset through one gateway resets the unit on every other gateway too (SAM-5:
 * the reset is the logical unit's, whichever port it came through), so each establishes the reset
 * unit attention on its own I_T nexuses and aborts its task set for the unit.
 *
 * @since 1.9
 */
@ConsumerType
public interface SharedUnitResets {
    /** What reset the unit: the unit attention the other gateways establish follows from it. */
    enum Kind {
        /** LOGICAL UNIT RESET (29h/03h). */
        LOGICAL_UNIT_RESET,
        /** TARGET WARM RESET or TARGET COLD RESET (29h/00h). */
        TARGET_RESET
    }

    /**
     * Tells every other target serving the store that the unit was reset; {@code done} runs (on
     * any thread, exactly once) when each has returned from its listener, or after
     * {@link #timeoutMillis()}, with whether all of them answered.
     */
    void announce(Kind kind, Consumer<Boolean> done);

    /**
     * Sets the one listener for the other targets' resets: called on the store's thread, before
     * the announcing target's {@link #announce} completes; it must not block.
     */
    void listen(Consumer<Kind> listener);

    /** How long {@link #announce} waits at most. */
    long timeoutMillis();

    /** For log lines. */
    String describe();
}
