package org.jtgt.api.store;

import java.io.IOException;

/**
 * The store cannot serve this operation through this target any more, though it may through
 * another: a store shared by several gateways whose access moved to another client (its
 * exclusive lock taken), or from which this client was fenced. The daemon answers the command
 * CHECK CONDITION, NOT READY, LOGICAL UNIT NOT ACCESSIBLE, TARGET PORT IN STANDBY STATE
 * (02h/04h/0Bh), or TARGET PORT IN UNAVAILABLE STATE (02h/04h/0Ch) when {@link #fenced()}, or
 * ASYMMETRIC ACCESS STATE TRANSITION (02h/04h/0Ah) when {@link #transitioning()} (the access is
 * moving: try again), so a multipath initiator retries instead of seeing a medium error.
 *
 * @since 1.7
 */
public class NotAccessibleException extends IOException {
    private static final long serialVersionUID = 1L;

    private final boolean fenced;
    private final boolean transitioning;

    /**
     * @param message for the log: the store and the reason
     * @param fenced this client is fenced off for good (blocklisted), not merely not the owner now
     */
    public NotAccessibleException(String message, boolean fenced) {
        this(message, fenced, false);
    }

    private NotAccessibleException(String message, boolean fenced, boolean transitioning) {
        super(message);
        this.fenced = fenced;
        this.transitioning = transitioning;
    }

    /**
     * The operation was not done because the access is moving between clients now (no owner
     * answered, or the owner changed while the operation was on its way); retrying may succeed.
     *
     * @param message for the log: the store and the reason
     * @since 1.9
     */
    public static NotAccessibleException transitioning(String message) {
        return new NotAccessibleException(message, false, true);
    }

    /** This client is fenced off for good; it will not write through this store again. */
    public boolean fenced() {
        return fenced;
    }

    /**
     * The access is moving between clients; the operation was not done and may be retried.
     *
     * @since 1.9
     */
    public boolean transitioning() {
        return transitioning;
    }
}
