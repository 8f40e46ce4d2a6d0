package org.jtgt.api.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzz target (Jazzer) for event records as a peer in another process may write
 * them: {@link EventHeader#validate} and each type's {@code validate} either accept a record or
 * throw {@link EventFormatException}, nothing else; what they accept is safe to use (lengths and
 * data references inside their bounds). Under {@code mvn verify} it runs over the inputs in
 * {@code EventFuzzTargetsTestInputs/eventRecord/}; see {@code scripts/fuzz-long.sh} for fuzzing.
 */
class EventFuzzTargetsTest {
    /**
     * Input: 4 bytes of data area size (little-endian, unsigned), 1 byte of buffer offset, then
     * the record bytes, all of which are "available".
     */
    @FuzzTest(maxDuration = "")
    void eventRecord(byte[] input) {
        if (input.length < 5) {
            return;
        }
        ByteBuffer in = ByteBuffer.wrap(input).order(ByteOrder.LITTLE_ENDIAN);
        long areaSize = in.getInt(0) & 0xFFFF_FFFFL;
        int offset = input[4] & 0x1F;
        int available = input.length - 5;
        ByteBuffer b = ByteBuffer.allocate(offset + available);
        b.put(offset, input, 5, available);

        EventType type;
        try {
            type = EventHeader.validate(b, offset, available);
        } catch (EventFormatException e) {
            assertNotNull(e.getMessage());
            return;
        }
        int length = EventHeader.length(b, offset);
        assertEquals(type.recordLength(), length);
        assertTrue(length >= EventHeader.LENGTH && length <= available && length <= EventHeader.MAX_RECORD_LENGTH);
        assertEquals(EventHeader.VERSION, EventHeader.version(b, offset));
        try {
            check(type, b, offset, areaSize);
        } catch (EventFormatException e) {
            assertNotNull(e.getMessage());
        }
    }

    /** Validates as the receiving side does, then reads every field it would trust. */
    private static void check(EventType type, ByteBuffer b, int o, long areaSize) {
        switch (type) {
            case KEVENT_CMD_REQ -> {
                CmdReqEvent.validate(b, o, areaSize);
                int cdbLength = CmdReqEvent.cdbLength(b, o);
                assertTrue(cdbLength >= 6 && cdbLength <= CmdReqEvent.MAX_CDB_LENGTH);
                assertNotNull(DataDirection.fromCode(CmdReqEvent.direction(b, o)));
                assertTrue(CmdReqEvent.taskAttribute(b, o) <= TaskAttribute.ACA.code());
                inside(CmdReqEvent.dataOffset(b, o), CmdReqEvent.dataLength(b, o), areaSize);
                if (cdbLength > CmdReqEvent.INLINE_CDB_LENGTH) {
                    inside(CmdReqEvent.extCdbOffset(b, o), cdbLength, areaSize);
                }
            }
            case UEVENT_CMD_RSP -> {
                CmdRspEvent.validate(b, o, areaSize);
                assertTrue(CmdRspEvent.senseLength(b, o) <= CmdRspEvent.MAX_SENSE_LENGTH);
                byte[] sense = new byte[CmdRspEvent.MAX_SENSE_LENGTH];
                CmdRspEvent.sense(b, o, sense);
                inside(CmdRspEvent.dataOffset(b, o), CmdRspEvent.dataLength(b, o), areaSize);
            }
            case KEVENT_TSK_MGMT_REQ -> {
                TskMgmtReqEvent.validate(b, o);
                assertNotNull(TaskManagementFunction.fromCode(TskMgmtReqEvent.function(b, o)));
            }
            case UEVENT_TSK_MGMT_RSP -> {
                TskMgmtRspEvent.validate(b, o);
                assertNotNull(TmfResponse.fromCode(TskMgmtRspEvent.result(b, o)));
            }
            case KEVENT_IT_NEXUS_REQ -> {
                ItNexusReqEvent.validate(b, o, areaSize);
                int op = ItNexusReqEvent.op(b, o);
                assertTrue(op == ItNexusReqEvent.OP_CREATE || op == ItNexusReqEvent.OP_DESTROY);
                if (op == ItNexusReqEvent.OP_CREATE) {
                    int n = ItNexusReqEvent.namesLength(b, o);
                    assertTrue(n >= 3 && n <= ItNexusReqEvent.MAX_NAMES_LENGTH);
                    inside(ItNexusReqEvent.namesOffset(b, o), n, areaSize);
                }
            }
            case KEVENT_CMD_DONE, UEVENT_IT_NEXUS_RSP -> {
                // No fields beyond the header need checking: ids are looked up, never trusted.
            }
        }
    }

    private static void inside(long offset, int length, long areaSize) {
        if (length != 0) {
            assertTrue(length > 0 && offset >= 0 && offset + length <= areaSize,
                    "reference " + offset + "+" + length + " outside an area of " + areaSize);
        }
    }
}
