package org.jtgt.transport.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import com.code_intelligence.jazzer.junit.FuzzTest;

import org.jtgt.api.event.EventFormatException;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.transport.EventSink;
import org.jtgt.api.transport.TransportEndpoint;
import org.jtgt.ring.RingDescriptor;
import org.jtgt.ring.RingFormatException;
import org.jtgt.ring.SlotRing;

/**
 * Coverage-guided fuzz target (Jazzer) for the shared-memory transport's consumer: a peer in
 * another process fills the slots of a ring, and the {@link RingPump} drains them. The sink sees
 * only records whose header validates and whose type travels in the ring's direction; anything
 * else stops the pump with {@link RingFormatException} or {@link EventFormatException}, never
 * another exception. Under {@code mvn verify} it runs over the inputs in
 * {@code ShmFuzzTargetsTestInputs/hostileSlots/}; see {@code scripts/fuzz-long.sh} for fuzzing.
 */
class ShmFuzzTargetsTest {
    private static final int SLOTS = 8;
    private static final int SLOT_SIZE = 256;

    /** Input byte 0: bit 0 the direction (host → daemon when set); the rest: the slots. */
    @FuzzTest(maxDuration = "")
    void hostileSlots(byte[] input) {
        if (input.length < 1) {
            return;
        }
        boolean toDaemon = (input[0] & 1) != 0;
        ByteBuffer region = ByteBuffer.allocateDirect(RingDescriptor.regionLength(SLOTS, SLOT_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
        SlotRing ring = SlotRing.create(region, 0, SLOTS, SLOT_SIZE);
        int n = Math.min(input.length - 1, SLOTS * SLOT_SIZE);
        region.put(RingDescriptor.HEADER_LENGTH, input, 1, n);
        // The peer claimed every slot it wrote (whether it published them is in the slot status).
        region.putLong(RingDescriptor.PRODUCER_CLAIM_OFFSET, SLOTS);

        long[] seen = new long[1];
        EventSink sink = new EventSink() {
            @Override
            public void onEvent(ByteBuffer buffer, int offset, int length, TransportEndpoint from) {
                EventType type = EventHeader.validate(buffer, offset, length);
                assertEquals(toDaemon, type.toDaemon(), type + " delivered on the wrong ring");
                assertTrue(length <= ring.maxRecordLength());
                seen[0]++;
            }
        };
        RingPump pump = new RingPump("fuzz", ring, sink, null, toDaemon);
        try {
            while (ring.drain(pump, RingPump.BATCH) > 0) {
                // drain until empty
            }
        } catch (RingFormatException | EventFormatException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
        }
        assertEquals(seen[0], pump.delivered());
        assertTrue(pump.delivered() <= SLOTS);
    }
}
