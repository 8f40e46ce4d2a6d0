package org.jtgt.transport.netlink;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.TransportEndpoint;

/**
 * An {@link EventSink} for tests: keeps a copy of every record delivered, of the bytes its data
 * references named in the receiving side's area at that moment, and every failure reported; an
 * optional {@link Responder} runs on the delivering thread.
 */
final class Recorder implements EventSink {
    /** What to do with each event, on the transport's thread. */
    interface Responder {
        void onEvent(ByteBuffer buffer, int offset, int length, TransportEndpoint from) throws Exception;
    }

    /** One delivered event. */
    record Delivery(byte[] record, List<byte[]> data, TransportEndpoint from) {
        ByteBuffer buffer() {
            return ByteBuffer.wrap(record);
        }

        EventType type() {
            return EventType.fromCode(EventHeader.type(buffer(), 0));
        }
    }

    final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<TransportEndpoint> failedEndpoints = new ConcurrentLinkedQueue<>();
    volatile Responder responder;
    /** Copy referenced data at delivery (off for throughput tests). */
    volatile boolean captureData = true;

    @Override
    public void onEvent(ByteBuffer buffer, int offset, int length, TransportEndpoint from) {
        byte[] record = new byte[length];
        buffer.get(offset, record);
        List<byte[]> data = new ArrayList<>();
        if (captureData) {
            ByteBuffer r = ByteBuffer.wrap(record);
            ByteBuffer area = from.dataArea().buffer();
            long[] offsets = new long[InlineData.MAX_RANGES];
            int[] lengths = new int[InlineData.MAX_RANGES];
            int n = InlineData.ranges(r, 0, EventType.fromCode(EventHeader.type(r, 0)), from.dataArea().size(), offsets,
                    lengths);
            for (int i = 0; i < n; i++) {
                byte[] d = new byte[lengths[i]];
                area.get((int) offsets[i], d);
                data.add(d);
            }
        }
        deliveries.add(new Delivery(record, data, from));
        Responder r = responder;
        if (r != null) {
            try {
                r.onEvent(buffer, offset, length, from);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Override
    public void onTransportFailure(TransportEndpoint endpoint, String reason) {
        // The endpoint first: a test that sees the reason (awaitFailure) then looks at the endpoint.
        failedEndpoints.add(endpoint);
        failures.add(reason);
    }

    void awaitDeliveries(int n, Duration timeout) {
        await(() -> deliveries.size() >= n, timeout, () -> deliveries.size() + " of " + n + " events delivered");
    }

    String awaitFailure(Duration timeout) {
        await(() -> !failures.isEmpty(), timeout, () -> "no failure reported");
        return failures.peek();
    }

    static void await(BooleanSupplier condition, Duration timeout, java.util.function.Supplier<String> what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms: " + what.get());
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
    }

    /** Answers every CMD_REQ with a GOOD CMD_RSP without data, through the endpoint it came on. */
    static Responder answerCommands() {
        ThreadLocal<ByteBuffer> buffers = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(CmdRspEvent.LENGTH));
        return (b, o, l, from) -> {
            ByteBuffer rsp = buffers.get();
            if (EventHeader.type(b, o) == EventType.KEVENT_CMD_REQ.code()) {
                CmdRspEvent.write(rsp, 0, EventHeader.hostNo(b, o), CmdReqEvent.cid(b, o), 0, 0, 0, 0);
                if (!from.send(rsp, 0, CmdRspEvent.LENGTH)) {
                    throw new IllegalStateException("answer not sent: endpoint closed");
                }
            }
        };
    }
}
