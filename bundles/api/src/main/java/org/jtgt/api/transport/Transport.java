package org.jtgt.api.transport;

import java.io.IOException;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Moves events between the host side and the target daemon; knows nothing about SCSI.
 * Registered as an OSGi service with the property {@value #NAME_PROPERTY} naming it
 * ({@code shm}, {@code netlink}). One daemon endpoint and any number of host endpoints may be
 * attached at a time. The transport calls its sinks on threads of its own.
 */
@ConsumerType
public interface Transport {
    /** Service property that names a transport; also the key of the active-transport choice. */
    String NAME_PROPERTY = "jtgt.transport";

    /** The transport's name, equal to its {@value #NAME_PROPERTY} service property. */
    String name();

    /**
     * Attaches the target daemon. Every host → daemon event is delivered to {@code sink}, in the
     * order each host sent it.
     *
     * @throws IOException if the transport cannot set up its resources
     * @throws IllegalStateException if a daemon is attached already
     */
    TransportEndpoint attachDaemon(EventSink sink) throws IOException;

    /**
     * Attaches the host side. Daemon → host events are delivered to {@code sink}.
     *
     * @throws IOException if the transport cannot set up its resources
     */
    TransportEndpoint attachHost(EventSink sink) throws IOException;
}
