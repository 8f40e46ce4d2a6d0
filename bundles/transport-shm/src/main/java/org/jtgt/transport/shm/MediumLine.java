package org.jtgt.transport.shm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.TransportEndpoint;
import org.jtgt.transport.split.SplitMedium;

/**
 * One generation's line of a {@link SplitMedium} (the netlink-style connection, say), as the
 * front's endpoint sees it. It is the line's sink: events are passed on only while the line has
 * not been stopped, so nothing of a fenced generation reaches the host side once
 * {@link #stop} returns, and a line that breaks (the daemon died, or sent a frame that does not
 * parse) fences its generation through {@link FrontShm#lineFailed}.
 */
final class MediumLine implements DaemonLine, EventSink {
    private static final long PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

    private final FrontShm owner;
    private final long generation;
    private final SplitMedium.FrontLine line;
    private volatile FrontEndpoint endpoint;
    private volatile boolean stopped;

    MediumLine(FrontShm owner, SplitMedium medium, java.nio.file.Path dir, String address, DataArea area,
            long generation) throws IOException {
        this.owner = owner;
        this.generation = generation;
        this.line = medium.connect(dir, address, area, this, medium.name() + " front g" + generation);
    }

    @Override
    public void start(FrontEndpoint e) {
        endpoint = e;
    }

    @Override
    public boolean offer(ByteBuffer src, int offset, int length) {
        return !stopped && line.offer(src, offset, length);
    }

    @Override
    public boolean send(ByteBuffer src, int offset, int length, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (!stopped && line.isOpen()) {
            if (line.offer(src, offset, length)) {
                return true;
            }
            if (System.nanoTime() - deadline > 0 || Thread.currentThread().isInterrupted()) {
                return false;
            }
            LockSupport.parkNanos(PARK_NANOS);
        }
        return false;
    }

    @Override
    public void stop(boolean takeIn) {
        // The medium's reader delivers what arrived before the end of the stream, in order, before
        // it reports the end; close() returns once it delivers nothing more.
        line.close();
        stopped = true;
    }

    @Override
    public void onEvent(ByteBuffer buffer, int offset, int length, TransportEndpoint from) {
        FrontEndpoint e = endpoint;
        if (!stopped && e != null) {
            e.onEvent(buffer, offset, length, e);
        }
    }

    @Override
    public void onTransportFailure(TransportEndpoint from, String reason) {
        if (!stopped) {
            owner.lineFailed(generation, reason);
        }
    }

    boolean isOpen() {
        return !stopped && line.isOpen();
    }
}
