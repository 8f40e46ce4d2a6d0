package org.jtgt.transport.netlink;

import org.jtgt.api.event.EventFormatException;

/**
 * A frame read from the socket breaks the framing or the conversation (a bad header, a payload
 * that disagrees with its record, a message out of turn). Like a malformed event it means the
 * peer is broken or hostile: the connection is failed and closed, never resynchronised.
 */
final class FrameFormatException extends EventFormatException {
    private static final long serialVersionUID = 1L;

    FrameFormatException(String message) {
        super(message);
    }
}
