package org.jtgt.iscsi.isns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.jtgt.iscsi.isns.IsnsPdu.Attribute;
import org.jtgt.iscsi.isns.IsnsPdu.Header;
import org.junit.jupiter.api.Test;

/** The registration's behaviour against a scripted server: refusals retried, changes sent, deregistration on close. */
class IsnsRegistrationTest {
    private static final IsnsRegistration.Portal PORTAL =
            new IsnsRegistration.Portal(InetAddress.getLoopbackAddress(), 3260, 1);

    /** One request as the server saw it. */
    record Request(int function, int flags, List<Attribute> attributes, long nanos) {
    }

    /** Answers each request with the status {@code statuses} gives for its number, from a thread. */
    static final class ScriptedServer implements AutoCloseable {
        final ServerSocket socket = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        final List<Request> requests = new CopyOnWriteArrayList<>();
        final Thread thread;

        ScriptedServer(java.util.function.IntUnaryOperator statuses) throws IOException {
            thread = new Thread(() -> {
                AtomicInteger n = new AtomicInteger();
                while (!socket.isClosed()) {
                    try (Socket s = socket.accept()) {
                        DataInputStream in = new DataInputStream(s.getInputStream());
                        byte[] header = new byte[IsnsPdu.HEADER_LENGTH];
                        in.readFully(header);
                        Header h = IsnsPdu.decodeHeader(ByteBuffer.wrap(header));
                        byte[] payload = new byte[h.length()];
                        in.readFully(payload);
                        requests.add(new Request(h.function(), h.flags(),
                                IsnsPdu.decodeAttributes(ByteBuffer.wrap(payload)), System.nanoTime()));
                        ByteBuffer answer = ByteBuffer.allocate(IsnsPdu.HEADER_LENGTH + 16);
                        answer.putShort((short) 1).putShort((short) (h.function() | IsnsPdu.RESPONSE))
                                .putShort((short) 16)
                                .putShort((short) (IsnsPdu.FLAG_SERVER | IsnsPdu.FLAG_FIRST | IsnsPdu.FLAG_LAST))
                                .putShort((short) h.transactionId()).putShort((short) 0)
                                .putInt(statuses.applyAsInt(n.getAndIncrement()))
                                .putInt(IsnsPdu.TAG_REGISTRATION_PERIOD).putInt(4).putInt(30);
                        OutputStream out = s.getOutputStream();
                        out.write(answer.array());
                        out.flush();
                    } catch (IOException e) {
                        // closed
                    }
                }
            }, "scripted-isns");
            thread.setDaemon(true);
            thread.start();
        }

        InetSocketAddress address() {
            return InetSocketAddress.createUnresolved("127.0.0.1", socket.getLocalPort());
        }

        List<Request> of(int function) {
            return requests.stream().filter(r -> r.function() == function).toList();
        }

        @Override
        public void close() throws Exception {
            socket.close();
            thread.join(5_000);
        }
    }

    @Test
    void refusedRegistrationIsRetriedWithBackoffAndChangesReplaceTheEntity() throws Exception {
        AtomicReference<IsnsRegistration.State> state = new AtomicReference<>(
                new IsnsRegistration.State(List.of("iqn.2026-11.org.jtgt:a"), List.of(PORTAL)));
        // the first answer is Invalid Registration (3), the rest Successful
        try (ScriptedServer server = new ScriptedServer(n -> n == 0 ? 3 : 0)) {
            IsnsRegistration r = new IsnsRegistration(server.address(), "e1", state::get, 20).start();
            try {
                await(() -> r.registered() != null);
                List<Request> regs = server.of(IsnsPdu.DEV_ATTR_REG);
                assertEquals(2, regs.size(), "the refused registration was sent again once");
                assertTrue(regs.get(1).nanos() - regs.get(0).nanos() >= 900_000_000L,
                        "retried after a backoff of about 1 s, not at the poll rate");
                assertTrue((regs.get(1).flags() & IsnsPdu.FLAG_REPLACE) != 0, "sent with the Replace flag");
                assertEquals(15_000, r.refreshMillis(), "half the Registration Period the server returned (30 s)");

                state.set(new IsnsRegistration.State(List.of("iqn.2026-11.org.jtgt:b"), List.of(PORTAL)));
                await(() -> server.of(IsnsPdu.DEV_ATTR_REG).size() == 3);
                List<Attribute> third = server.of(IsnsPdu.DEV_ATTR_REG).get(2).attributes();
                // Source: the new node (the old one is not wanted any more); it is also the only node.
                assertEquals("iqn.2026-11.org.jtgt:b", third.get(0).asString());
                assertEquals(1, third.stream().filter(a -> a.tag() == IsnsPdu.TAG_ISCSI_NAME).count() - 1);
            } finally {
                r.close(2_000);
            }
            List<Request> deregs = server.of(IsnsPdu.DEV_DEREG);
            assertEquals(1, deregs.size(), "deregistered on close");
            assertEquals("e1", deregs.get(0).attributes().get(2).asString());
            assertNull(r.registered());
        }
    }

    @Test
    void emptyStateDeregistersAndUnreachableServerNeverBlocks() throws Exception {
        AtomicReference<IsnsRegistration.State> state = new AtomicReference<>(
                new IsnsRegistration.State(List.of("iqn.2026-11.org.jtgt:a"), List.of(PORTAL)));
        try (ScriptedServer server = new ScriptedServer(n -> 0)) {
            IsnsRegistration r = new IsnsRegistration(server.address(), "e1", state::get, 20).start();
            try {
                await(() -> r.registered() != null);
                state.set(new IsnsRegistration.State(List.of(), List.of(PORTAL)));
                await(() -> server.of(IsnsPdu.DEV_DEREG).size() == 1);
                assertEquals("iqn.2026-11.org.jtgt:a", server.of(IsnsPdu.DEV_DEREG).get(0).attributes().get(0).asString());
            } finally {
                r.close(2_000);
            }
            assertEquals(1, server.of(IsnsPdu.DEV_DEREG).size(), "nothing left to deregister on close");
        }
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        long start = System.nanoTime();
        IsnsRegistration.State one = new IsnsRegistration.State(List.of("iqn.2026-11.org.jtgt:a"), List.of(PORTAL));
        IsnsRegistration r = new IsnsRegistration(InetSocketAddress.createUnresolved("127.0.0.1", closedPort), "",
                () -> one, 20).start();
        Thread.sleep(300);
        r.close(1_000);
        assertNull(r.registered());
        assertNotNull(r.entityId(), "default entity identifier derived");
        assertTrue(r.entityId().startsWith("jtgt:") && r.entityId().endsWith(":3260"), r.entityId());
        assertTrue(System.nanoTime() - start < 3_000_000_000L, "start and close bounded with no server");
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached within 10 s");
            }
            Thread.sleep(10);
        }
    }
}
