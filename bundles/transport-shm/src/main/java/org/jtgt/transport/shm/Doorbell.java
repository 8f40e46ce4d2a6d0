package org.jtgt.transport.shm;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

import org.jtgt.ring.SlotRing;

/**
 * The split shape's doorbell: an unpark cannot reach a pump in another process, so a producer
 * whose consumer is waiting ({@link SlotRing#setDoorbell}) writes one byte on a Unix socket
 * between the two processes ({@code jtgt-front.bell}, one per generation), and the other side's
 * listener wakes its pump. Without it a waiting pump sees a record only after its bounded park
 * (up to 1 ms). The byte is written without blocking: if the socket is full, the peer has bells
 * it has not heard yet. Both directions share the socket. Ringing allocates nothing.
 */
final class Doorbell implements Closeable {
    private final SocketChannel channel;
    private final Selector selector;
    private final ByteBuffer one = ByteBuffer.allocateDirect(1);
    private final ByteBuffer heard = ByteBuffer.allocateDirect(256);
    private final SlotRing wakes;
    private final Thread listener;

    /** Listens on {@code channel} (connected) and wakes the consumer of {@code wakes} when rung. */
    Doorbell(SocketChannel channel, SlotRing wakes, String name) throws IOException {
        this.channel = channel;
        this.wakes = wakes;
        channel.configureBlocking(false);
        this.selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
        this.listener = new Thread(this::listen, name);
        listener.setDaemon(true);
        listener.start();
    }

    /** Rings the peer's pump; called by a producer that saw the consumer waiting. */
    void ring() {
        synchronized (one) {
            one.clear();
            try {
                channel.write(one);
            } catch (IOException e) {
                // The peer is gone: the link says so too, and the ring is fenced then.
            }
        }
    }

    private void listen() {
        try {
            while (channel.isOpen()) {
                selector.select();
                selector.selectedKeys().clear();
                boolean rung = false;
                int n;
                do {
                    heard.clear();
                    n = channel.read(heard);
                    rung |= n > 0;
                } while (n > 0);
                if (rung) {
                    wakes.wakeConsumer();
                }
                if (n < 0) {
                    return;
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            // closed
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
