package org.jtgt.transport.split;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.TransportEndpoint;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A way for the events of one daemon generation to cross between the front process and the
 * daemon process of the split shape. Registered as an OSGi service with the property
 * {@value #NAME_PROPERTY} equal to {@link #name()}; both processes pick the one the framework
 * property {@value #SELECTION_PROPERTY} names ({@code shm}, built into transport-shm, is the
 * default and needs no service).
 *
 * <p>Per generation: the daemon process {@linkplain #open opens} its end (after ATTACH) and tells
 * the front its {@link DaemonEnd#address()} in READY; the front {@linkplain #connect connects} a
 * {@link FrontLine} to it. The front's data area ({@link #frontArea}) lives as long as the front:
 * every generation's line references the same ranges, so a request given again to the next
 * daemon still names its data. Ending a generation closes both ends; nothing of it is delivered
 * after {@link FrontLine#close()} returns.
 */
@ConsumerType
public interface SplitMedium {
    /** Service property naming the medium. */
    String NAME_PROPERTY = "jtgt.split.medium";
    /** Framework property choosing the medium in both processes: {@code shm} (default) or a medium's name. */
    String SELECTION_PROPERTY = "jtgt.split.transport";

    /** The medium's name, equal to its {@value #NAME_PROPERTY} property. */
    String name();

    /** Front: the host side's data area of {@code size} bytes, for the front's whole life. */
    DataArea frontArea(long size);

    /**
     * Front: connects to the daemon end at {@code address} (from READY, so from a peer that may be
     * hostile: a medium connects only to what it could have opened itself in {@code dir}). Daemon →
     * host events go to {@code sink} on the line's own threads; a broken line (the daemon died, or
     * sent something malformed) is reported once through {@link EventSink#onTransportFailure}.
     *
     * @param dir the split directory both processes share
     * @param area the area {@link #frontArea} returned
     */
    FrontLine connect(Path dir, String address, DataArea area, EventSink sink, String name) throws IOException;

    /**
     * Daemon: opens the end of {@code generation} in the split directory {@code dir}, for a front
     * whose data area has {@code areaSize} bytes.
     */
    DaemonEnd open(Path dir, long generation, long areaSize) throws IOException;

    /** The front's end of one generation: host → daemon records. */
    interface FrontLine {
        /** Queues one event record for the daemon; false when it cannot take it now (or is closed). */
        boolean offer(ByteBuffer src, int offset, int length);

        /** Whether the line still carries events. */
        boolean isOpen();

        /** Closes without flushing; returns when nothing more of this line is delivered. Idempotent. */
        void close();
    }

    /** The daemon's end of one generation. */
    interface DaemonEnd {
        /** What the front connects to (sent in READY). */
        String address();

        /** Attaches the target daemon: host → daemon events go to {@code sink}. */
        TransportEndpoint attach(EventSink sink) throws IOException;

        /** Closes the end and its connections. Idempotent. */
        void close();
    }
}
