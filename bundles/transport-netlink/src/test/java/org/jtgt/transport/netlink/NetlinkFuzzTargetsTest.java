package org.jtgt.transport.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import com.code_intelligence.jazzer.junit.FuzzTest;

import org.jtgt.api.event.EventFormatException;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;

/**
 * Coverage-guided fuzz target (Jazzer) for the netlink transport's frame decoding, with the checks
 * {@code NetlinkConnection.readFrame} applies in the same order: the frame header
 * ({@link NetlinkFrame#validate}), the event record, and the inline data ranges the record
 * references ({@link InlineData#ranges}), which must account for every byte after the record.
 * Each step accepts or throws {@link FrameFormatException}/{@link EventFormatException}, nothing
 * else; accepted ranges lie inside the data area and a frame never claims more than the largest
 * frame. Under {@code mvn verify} it runs over the inputs in
 * {@code NetlinkFuzzTargetsTestInputs/hostileFrames/}; see {@code scripts/fuzz-long.sh}.
 */
class NetlinkFuzzTargetsTest {
    /** Input byte 0: bit 0 the receiving side (daemon when set), bits 1..3 the data area size; then frames. */
    @FuzzTest(maxDuration = "")
    void hostileFrames(byte[] input) {
        if (input.length < 1) {
            return;
        }
        boolean toDaemon = (input[0] & 1) != 0;
        long areaSize = 4096L << ((input[0] >>> 1) & 7);
        long maxLength = NetlinkFrame.maxLength(areaSize);
        ByteBuffer b = ByteBuffer.wrap(input).order(ByteOrder.LITTLE_ENDIAN);
        long[] offsets = new long[InlineData.MAX_RANGES];
        int[] lengths = new int[InlineData.MAX_RANGES];
        int at = 1;
        while (at < input.length) {
            int available = input.length - at;
            int type;
            try {
                type = NetlinkFrame.validate(b, at, available, maxLength);
            } catch (FrameFormatException e) {
                return;   // the connection closes
            }
            long length = NetlinkFrame.length(b, at);
            assertTrue(length >= NetlinkFrame.HEADER_LENGTH && length <= maxLength, "frame length " + length);
            if (length > available) {
                return;   // the rest would come from the socket
            }
            if (type != NetlinkFrame.TYPE_EVENT) {
                assertTrue(length == NetlinkFrame.ACK_LENGTH || length == NetlinkFrame.REGISTER_LENGTH);
                at += (int) length;
                continue;
            }
            assertTrue(length >= NetlinkFrame.EVENT_MIN_LENGTH);
            long payload = length - NetlinkFrame.HEADER_LENGTH;
            int record = at + NetlinkFrame.HEADER_LENGTH;
            int recordAvailable = (int) Math.min(payload, EventHeader.MAX_RECORD_LENGTH);
            EventType event;
            try {
                event = EventHeader.validate(b, record, recordAvailable);
            } catch (EventFormatException e) {
                return;
            }
            if (event.toDaemon() != toDaemon) {
                return;
            }
            int n = InlineData.ranges(b, record, event, areaSize, offsets, lengths);
            assertTrue(n >= 0 && n <= InlineData.MAX_RANGES);
            long inline = 0;
            for (int i = 0; i < n; i++) {
                assertTrue(lengths[i] > 0 && offsets[i] >= 0 && offsets[i] + lengths[i] <= areaSize,
                        "range " + offsets[i] + "+" + lengths[i] + " outside an area of " + areaSize);
                inline += lengths[i];
            }
            assertEquals(inline, InlineData.total(lengths, n));
            if (payload != event.recordLength() + inline) {
                return;   // FrameFormatException in readFrame: the frame does not carry what the record references
            }
            at += (int) length;
        }
    }
}
