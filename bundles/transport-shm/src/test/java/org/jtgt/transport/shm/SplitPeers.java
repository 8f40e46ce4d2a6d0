package org.jtgt.transport.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;

/**
 * What the split shape's tests with hand-played daemons share over either medium (transport-netlink's
 * tests use it through this module's test jar): the link's first frame, records as byte arrays,
 * waiting for the front.
 */
final class SplitPeers {
    static final int HOST = 3;
    static final long NEXUS = 7;

    private SplitPeers() {
    }

    /** Connects to the front's link socket in {@code dir} and says HELLO over {@code medium}. */
    static PeerLink hello(Path dir, String medium) throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(dir.resolve(ShmDirectories.FRONT_SOCKET)));
        PeerLink link = new PeerLink(c);
        link.write(PeerLink.HELLO, out -> {
            out.writeInt(PeerLink.PROTOCOL);
            out.writeLong(ProcessHandle.current().pid());
            out.writeUTF("test");
            out.writeUTF(medium);
        });
        return link;
    }

    /** Reads until the front closes {@code link}. */
    static boolean linkClosed(PeerLink link) {
        try {
            while (true) {
                link.read();
            }
        } catch (IOException closed) {
            return true;
        }
    }

    static byte[] done(long cid) {
        byte[] r = new byte[CmdDoneEvent.LENGTH];
        CmdDoneEvent.write(wrap(r), 0, HOST, cid, CmdDoneEvent.DELIVERED);
        return r;
    }

    /** The next record the host side received, which must be of {@code type}. */
    static byte[] awaitHost(BlockingQueue<byte[]> toHost, EventType type) throws InterruptedException {
        byte[] r = toHost.poll(10, TimeUnit.SECONDS);
        assertNotNull(r, "nothing reached the host side");
        assertEquals(type.code(), type(r));
        return r;
    }

    static void awaitLinked(FrontShm front) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (front.linkedGeneration() <= 0) {
            assertTrue(System.nanoTime() < deadline, "the front took the daemon's READY");
            Thread.sleep(5);
        }
    }

    static void awaitUnlinked(FrontShm front) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (front.linkedGeneration() > 0) {
            assertTrue(System.nanoTime() < deadline);
            Thread.sleep(5);
        }
    }

    static int type(byte[] r) {
        return EventHeader.type(wrap(r), 0);
    }

    static ByteBuffer wrap(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    static void delete(Path d) throws IOException {
        if (Files.exists(d)) {
            try (Stream<Path> all = Files.walk(d)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
