package org.jtgt.api.transport;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ConsumerType;

/** Receives events from a transport; implemented by the host side and the daemon. */
@ConsumerType
public interface EventSink {
    /**
     * One event whose header the transport has validated ({@code EventHeader.validate}). The
     * bytes {@code [offset, offset+length)} of {@code buffer} are valid only during the call; the
     * sink reads them with absolute accessors and must not change the buffer's position or limit.
     *
     * @param from the endpoint the event arrived on: answers go back through it, and its
     *        {@link TransportEndpoint#dataArea() data area} resolves the event's data references
     */
    void onEvent(ByteBuffer buffer, int offset, int length, TransportEndpoint from);

    /**
     * The transport stopped delivering because its peer broke the protocol or an I/O error
     * occurred; the endpoint is unusable. The host side reacts by moving to another transport.
     */
    default void onTransportFailure(TransportEndpoint endpoint, String reason) {
    }
}
