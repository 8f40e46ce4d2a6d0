package org.jtgt.transport.netlink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.TransportEndpoint;
import org.jtgt.transport.split.SplitMedium;
import org.jtgt.util.file.OrphanFiles;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The netlink-style transport as the split shape's medium between the front and the daemon
 * process ({@code jtgt.split.transport=netlink}). Per daemon generation the daemon process opens
 * a netlink socket of its own ({@code jtgt-netlink-<pid>-g<generation>.sock} in the split
 * directory, 0600) and names it in READY; the front connects one host connection to it. Frames,
 * inline data and every check are the one-process transport's: the daemon's side mirrors the
 * front's data area, which lives as long as the front, so a request given again to the next
 * daemon carries its data from the same place. A connection that breaks ends its generation only.
 */
@Component(service = SplitMedium.class, property = SplitMedium.NAME_PROPERTY + "=netlink")
public final class NetlinkMedium implements SplitMedium {
    private static final Logger LOG = LoggerFactory.getLogger(NetlinkMedium.class);
    static final int QUEUE_SLOTS = 1024;
    static final int ACK_WINDOW = 1024;
    static final String SOCKET_SUFFIX = ".sock";

    @Override
    public String name() {
        return "netlink";
    }

    @Override
    public DataArea frontArea(long size) {
        if (size < NetlinkDataArea.BLOCK_SIZE || size > Integer.MAX_VALUE - NetlinkDataArea.BLOCK_SIZE) {
            throw new IllegalArgumentException("data area size " + size + " outside " + NetlinkDataArea.BLOCK_SIZE
                    + ".." + (Integer.MAX_VALUE - NetlinkDataArea.BLOCK_SIZE) + " for the netlink medium");
        }
        return NetlinkDataArea.forHost((int) size);
    }

    @Override
    public FrontLine connect(Path dir, String address, DataArea area, EventSink sink, String name) throws IOException {
        if (!(area instanceof NetlinkDataArea host)) {
            throw new IllegalArgumentException("the netlink medium's front area comes from frontArea()");
        }
        Path socket = socketIn(dir, address);
        HostConnection c = new NetlinkTransport().connectHost(socket, host, sink, name, QUEUE_SLOTS, ACK_WINDOW);
        return new FrontLine() {
            @Override
            public boolean offer(ByteBuffer src, int offset, int length) {
                return c.offer(src, offset, length);
            }

            @Override
            public boolean isOpen() {
                return c.isOpen();
            }

            @Override
            public void close() {
                c.shutdown(false);
            }

            @Override
            public String toString() {
                return c.toString();
            }
        };
    }

    /**
     * The socket a daemon named in READY, if it is one a daemon's {@link #open} could have made:
     * {@code jtgt-netlink-*.sock} directly in the split directory, within sun_path's length.
     */
    static Path socketIn(Path dir, String address) throws IOException {
        Path socket;
        try {
            socket = Paths.get(address);
        } catch (java.nio.file.InvalidPathException e) {
            socket = null;
        }
        if (socket == null || address.getBytes(StandardCharsets.UTF_8).length > NetlinkTransport.MAX_SOCKET_PATH
                || !socket.isAbsolute() || !dir.toAbsolutePath().normalize().equals(socket.getParent())
                || !socket.getFileName().toString().startsWith(NetlinkTransport.SOCKET_PREFIX)
                || !socket.getFileName().toString().endsWith(SOCKET_SUFFIX)) {
            throw new IOException("the daemon named \"" + address + "\", not a netlink socket of the split directory "
                    + dir);
        }
        return socket;
    }

    @Override
    public DaemonEnd open(Path dir, long generation, long areaSize) throws IOException {
        for (Path orphan : OrphanFiles.remove(dir, NetlinkTransport.SOCKET_PREFIX, SOCKET_SUFFIX)) {
            LOG.info("removed {}, left by a process that is gone", orphan);
        }
        Path socket = dir.resolve(NetlinkTransport.SOCKET_PREFIX + ProcessHandle.current().pid() + "-g" + generation
                + SOCKET_SUFFIX).toAbsolutePath();
        NetlinkTransport t = new NetlinkTransport();
        t.open(socket, areaSize, QUEUE_SLOTS, ACK_WINDOW);
        return new DaemonEnd() {
            @Override
            public String address() {
                return socket.toString();
            }

            @Override
            public TransportEndpoint attach(EventSink sink) {
                return t.attachDaemon(sink);
            }

            @Override
            public void close() {
                t.deactivate();
            }
        };
    }
}
