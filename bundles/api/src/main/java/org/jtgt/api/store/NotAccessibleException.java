package org.jtgt.api.store;

import java.io.IOException;

/**
 * The store cannot serve this operation through this target any more, though it may through
 * another: a store shared by several gateways whose access moved to another client (its
 * exclusive lock taken), or from which this client was fenced. The daemon answers the command
 * CHECK CONDITION, NOT READY, LOGICAL UNIT NOT ACCESSIBLE, TARGET PORT IN STANDBY STATE
 * (02h/04h/0Bh), or TARGET PORT IN UNAVAILABLE STATE (02h/04h/0Ch) when {@link #fenced()}, so a
 * multipath initiator retries on another path instead of seeing a medium error.
 *
 * @since 1.7
 */
public class NotAccessibleException extends IOException {
    private static final long serialVersionUID = 1L;

    private final boolean fenced;

    /**
     * @param message for the log: the store and the reason
     * @param fenced this client is fenced off for good (blocklisted), not merely not the owner now
     */
    public NotAccessibleException(String message, boolean fenced) {
        super(message);
        this.fenced = fenced;
    }

    /** This client is fenced off for good; it will not write through this store again. */
    public boolean fenced() {
        return fenced;
    }
}
