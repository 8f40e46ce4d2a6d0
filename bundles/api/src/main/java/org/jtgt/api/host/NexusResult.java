package org.jtgt.api.host;

/** The daemon's answer to a nexus request, as {@link HostCallbacks#nexusResult} reports it. */
public enum NexusResult {
    /** Created, or destroyed. */
    OK,
    /** No target of that name. */
    NO_SUCH_TARGET,
    /** The target's ACL does not admit that initiator. */
    ACCESS_DENIED,
    /** A nexus with that id exists already, or the daemon has no room for another. */
    EXISTS,
    /** The nexus to destroy is unknown (or the transport carrying the request failed). */
    NO_SUCH_NEXUS,
    /** A refusal this host side does not know. */
    REFUSED
}
