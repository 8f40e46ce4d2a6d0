package org.jtgt.api.host;

/** How the LLD ended a completed command, as it tells {@link ScsiHost#done}. */
public enum ResponseDelivery {
    /** The response reached the initiator's side of the LLD. */
    DELIVERED,
    /** The I_T nexus went away (connection dropped) before the response could be delivered. */
    NEXUS_LOST,
    /** Nobody waits for the response any more (the caller timed out, was interrupted or cancelled). */
    ABANDONED,
    /** The response could not be handed over (copying it out failed). */
    FAILED
}
