package org.jtgt.api.transport;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ConsumerType;

/** One side's attachment to a transport: an outbound event channel plus the data area. */
@ConsumerType
public interface TransportEndpoint extends AutoCloseable {
    /**
     * Copies one event record ({@code [offset, offset+length)} of {@code src}) into the outbound
     * channel without waiting.
     *
     * @return false if the channel is full (back-pressure: try again later) or closed
     */
    boolean offer(ByteBuffer src, int offset, int length);

    /**
     * Like {@link #offer} but waits (spinning briefly, then parking) while the channel is full.
     *
     * @return false only if the endpoint is closed or failed, or the thread was interrupted
     */
    boolean send(ByteBuffer src, int offset, int length);

    /** The data area that event data references point into, as seen from this side. */
    DataArea dataArea();

    /** The transport this endpoint belongs to. */
    Transport transport();

    /** False once closed or failed. */
    boolean isOpen();

    /** Detaches; events still queued for this side are dropped. Idempotent. */
    @Override
    void close();
}
