package org.jtgt.transport.shm;

import java.nio.ByteBuffer;

import org.jtgt.ring.SlotRing;

/** The shared-memory medium of one generation: requests on one ring, answers pumped from the other. */
final class RingLine implements DaemonLine {
    private final SlotRing down;
    private final SlotRing up;
    private final long generation;
    private RingPump pump;

    RingLine(SlotRing down, SlotRing up, long generation) {
        this.down = down;
        this.up = up;
        this.generation = generation;
    }

    @Override
    public synchronized void start(FrontEndpoint endpoint) {
        pump = new RingPump("jtgt-shm-front-" + generation, up, endpoint, endpoint, false);
        pump.start();
    }

    @Override
    public boolean offer(ByteBuffer src, int offset, int length) {
        return down.offer(src, offset, length);
    }

    @Override
    public boolean send(ByteBuffer src, int offset, int length, long timeoutNanos) {
        return down.send(src, offset, length, timeoutNanos);
    }

    @Override
    public void stop(boolean takeIn) {
        RingPump p;
        synchronized (this) {
            p = pump;
            pump = null;
        }
        if (p != null) {
            p.stop();
            if (takeIn) {
                // Records the dead daemon published completely, up to the first it never published.
                p.drainNow();
            }
        }
    }
}
