package org.jtgt.transport.shm;

import java.nio.ByteBuffer;

/**
 * The front's way to the daemon of one generation, whatever carries it: the region's two rings
 * ({@link RingLine}) or a {@link org.jtgt.transport.split.SplitMedium}'s line ({@link MediumLine}).
 * {@link FrontEndpoint} journals, replays and fences above it and knows nothing of the medium.
 */
interface DaemonLine {
    /** Starts delivering the daemon's events to {@code endpoint}. */
    void start(FrontEndpoint endpoint);

    /** One host → daemon record; false when the medium cannot take it now. */
    boolean offer(ByteBuffer src, int offset, int length);

    /** Like {@link #offer}, waiting up to {@code timeoutNanos}. */
    boolean send(ByteBuffer src, int offset, int length, long timeoutNanos);

    /**
     * Stops the line: nothing of this generation is delivered after it returns. With
     * {@code takeIn}, what the daemon had completely sent is delivered first.
     */
    void stop(boolean takeIn);
}
