package org.jtgt.api.event;

/**
 * A record read from a transport is not a valid event: truncated, of an unknown type, or with a
 * length or field that cannot be right. Transports treat the peer as hostile: on this exception
 * they stop processing the ring or connection instead of guessing (see STYLE.md, TCMU).
 */
public class EventFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EventFormatException(String message) {
        super(message);
    }
}
