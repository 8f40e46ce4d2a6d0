package org.jtgt.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import org.jtgt.api.host.TransportControl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ControlSocketTest {
    private static final Path DIR = Path.of("target", "control-socket-test").toAbsolutePath();

    /** Two transports, swaps recorded. */
    static final class FakeTransports implements TransportControl {
        String active = "shm";
        final List<String> swaps = new ArrayList<>();

        @Override
        public List<TransportState> transports() {
            return List.of(new TransportState("shm", active.equals("shm"), false),
                    new TransportState("netlink", active.equals("netlink"), false));
        }

        @Override
        public String activeTransport() {
            return active;
        }

        @Override
        public SwapRecord swapTo(String name) {
            if (!name.equals("shm") && !name.equals("netlink")) {
                throw new IllegalArgumentException("no transport named '" + name + "' is registered");
            }
            if (name.equals(active)) {
                return new SwapRecord(name, name, "already active", 0, 0);
            }
            String from = active;
            active = name;
            swaps.add(name);
            return new SwapRecord(from, name, "asked", 123, 4);
        }

        @Override
        public SwapSummary swapSummary() {
            return new SwapSummary(swaps.size(), 123, 456, 120, 450);
        }
    }

    private final FakeTransports transports = new FakeTransports();
    private ControlSocket socket;

    @BeforeEach
    void open() throws IOException {
        Files.createDirectories(DIR);
        socket = new ControlSocket();
        socket.transportControl = transports;
        socket.open(DIR.resolve("control.sock"));
    }

    @AfterEach
    void close() {
        socket.close();
    }

    @Test
    void socketIsOwnerOnlyAndRemovedOnClose() throws IOException {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.path())));
        socket.close();
        assertFalse(Files.exists(DIR.resolve("control.sock")));
        socket.open(DIR.resolve("control.sock")); // for @AfterEach
    }

    @Test
    void showsAndSwapsTransports() throws IOException {
        String show = exchange(ControlProtocol.request(List.of("--mode", "transport", "--op", "show")));
        assertEquals("0\nTransports:\n    shm (active)\n    netlink\nSwaps: 0 swaps, pause last 123 us, p50 120 us, "
                + "p99 450 us, worst 456 us\n", show);

        String swap = exchange(ControlProtocol.request(List.of("-m", "transport", "-o", "swap", "--name=netlink")));
        assertEquals("0\ntransport shm -> netlink: paused 123 us, drained 4 requests\n", swap);
        assertEquals(List.of("netlink"), transports.swaps);

        String again = exchange(ControlProtocol.request(List.of("--mode", "transport", "--op", "swap", "-n", "netlink")));
        assertEquals("0\ntransport netlink is active already\n", again);
    }

    @Test
    void refusalsAndUsageErrorsHaveTheirStatusAndAReason() throws IOException {
        assertEquals("1\nno transport named 'carrier-pigeon' is registered\n",
                exchange(ControlProtocol.request(List.of("--mode", "transport", "--op", "swap", "--name", "carrier-pigeon"))));
        assertEquals("2\n--name is required for --op swap: the transport to make active (shm, netlink)\n",
                exchange(ControlProtocol.request(List.of("--mode", "transport", "--op", "swap"))));
        assertEquals("2\nunknown option --bogus\n", exchange(ControlProtocol.request(List.of("--bogus"))));
        assertEquals("2\nunknown mode 'tape' (system, transport, target, logicalunit, session, conn, stats, account, "
                + "lunmap, portgroup)\n",
                exchange(ControlProtocol.request(List.of("--mode", "tape", "--op", "show"))));
        assertEquals("2\noption --mode needs an argument\n", exchange(ControlProtocol.request(List.of("--mode"))));
        assertEquals("1\nthe target daemon is not running\n",
                exchange(ControlProtocol.request(List.of("--mode", "target", "--op", "show"))));
    }

    @Test
    void malformedRequestsAreAnsweredNotDropped() throws IOException {
        assertEquals("2\nmalformed request: request does not end with NUL (truncated?)\n",
                exchange("--mode\0transport".getBytes(StandardCharsets.UTF_8)));
        byte[] huge = new byte[ControlProtocol.MAX_REQUEST + 10];
        String reply = exchange(huge);
        assertTrue(reply.startsWith("2\nmalformed request: request longer than"), reply);
        StringBuilder many = new StringBuilder();
        for (int i = 0; i <= ControlProtocol.MAX_ARGS; i++) {
            many.append("-F").append('\0');
        }
        assertEquals("2\nmalformed request: more than 256 arguments\n",
                exchange(many.toString().getBytes(StandardCharsets.UTF_8)));
        // and it still serves
        assertTrue(exchange(ControlProtocol.request(List.of("-m", "transport", "-o", "show"))).startsWith("0\n"));
    }

    @Test
    void aSecondInstanceOnTheSameSocketIsRefusedAndAStaleFileIsReplaced() throws IOException {
        ControlSocket second = new ControlSocket();
        IOException e = assertThrows(IOException.class, () -> second.open(DIR.resolve("control.sock")));
        assertTrue(e.getMessage().contains("in use by another jtgt process"), e.getMessage());

        Path stale = DIR.resolve("stale.sock");
        Files.deleteIfExists(stale);
        Files.createFile(stale); // what a killed process leaves behind (no listener)
        ControlSocket third = new ControlSocket();
        third.transportControl = transports;
        third.open(stale);
        try {
            assertTrue(exchange(stale, ControlProtocol.request(List.of("-m", "transport", "-o", "show"))).startsWith("0\n"));
        } finally {
            third.close();
        }
    }

    private String exchange(byte[] request) throws IOException {
        return exchange(socket.path(), request);
    }

    private static String exchange(Path path, byte[] request) throws IOException {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(path));
            ByteBuffer out = ByteBuffer.wrap(request);
            try {
                while (out.hasRemaining()) {
                    c.write(out);
                }
                c.shutdownOutput();
            } catch (IOException e) {
                // the server may answer and close before reading all of an oversized request
            }
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(4096);
            while (c.read(in) >= 0) {
                reply.write(in.array(), 0, in.position());
                in.clear();
            }
            return reply.toString(StandardCharsets.UTF_8);
        }
    }
}
