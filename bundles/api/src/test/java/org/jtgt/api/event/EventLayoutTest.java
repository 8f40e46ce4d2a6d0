package org.jtgt.api.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

class EventLayoutTest {

    @Test
    void everyRecordIsAlignedAndFitsTheLargestSlot() {
        int max = 0;
        for (EventType t : EventType.values()) {
            assertEquals(0, t.recordLength() % EventHeader.ALIGNMENT, t + " is not 8-byte aligned");
            assertTrue(t.recordLength() >= EventHeader.LENGTH);
            max = Math.max(max, t.recordLength());
            assertEquals(t, EventType.fromCode(t.code()));
        }
        assertEquals(EventHeader.MAX_RECORD_LENGTH, max);
    }

    @Test
    void cmdReqFieldsTileTheRecordAsDrawn() {
        // Offsets from the picture in CmdReqEvent, each field ending where the next begins.
        assertEquals(EventHeader.LENGTH, CmdReqEvent.CID_OFFSET);
        assertEquals(CmdReqEvent.CID_OFFSET + 8, CmdReqEvent.NEXUS_OFFSET);
        assertEquals(CmdReqEvent.NEXUS_OFFSET + 8, CmdReqEvent.LUN_OFFSET);
        assertEquals(CmdReqEvent.LUN_OFFSET + CmdReqEvent.LUN_LENGTH, CmdReqEvent.CDB_OFFSET);
        assertEquals(CmdReqEvent.CDB_OFFSET + CmdReqEvent.INLINE_CDB_LENGTH, CmdReqEvent.TAG_OFFSET);
        assertEquals(CmdReqEvent.TAG_OFFSET + 4, CmdReqEvent.EXPECTED_LENGTH_OFFSET);
        assertEquals(CmdReqEvent.EXPECTED_LENGTH_OFFSET + 4, CmdReqEvent.DATA_OFFSET_OFFSET);
        assertEquals(CmdReqEvent.DATA_OFFSET_OFFSET + 8, CmdReqEvent.DATA_LENGTH_OFFSET);
        assertEquals(CmdReqEvent.DATA_LENGTH_OFFSET + 4, CmdReqEvent.DIRECTION_OFFSET);
        assertEquals(CmdReqEvent.DIRECTION_OFFSET + 1, CmdReqEvent.TASK_ATTR_OFFSET);
        assertEquals(CmdReqEvent.TASK_ATTR_OFFSET + 1, CmdReqEvent.CDB_LENGTH_OFFSET);
        assertEquals(CmdReqEvent.CDB_LENGTH_OFFSET + 2, CmdReqEvent.EXT_CDB_OFFSET_OFFSET);
        assertEquals(CmdReqEvent.EXT_CDB_OFFSET_OFFSET + 8, CmdReqEvent.RESERVED_OFFSET);
        assertEquals(CmdReqEvent.RESERVED_OFFSET + 8, CmdReqEvent.LENGTH);
    }

    @Test
    void cmdRspFieldsTileTheRecordAsDrawn() {
        assertEquals(EventHeader.LENGTH, CmdRspEvent.CID_OFFSET);
        assertEquals(CmdRspEvent.CID_OFFSET + 8, CmdRspEvent.DATA_OFFSET_OFFSET);
        assertEquals(CmdRspEvent.DATA_OFFSET_OFFSET + 8, CmdRspEvent.DATA_LENGTH_OFFSET);
        assertEquals(CmdRspEvent.DATA_LENGTH_OFFSET + 4, CmdRspEvent.RESIDUAL_OFFSET);
        assertEquals(CmdRspEvent.RESIDUAL_OFFSET + 4, CmdRspEvent.STATUS_OFFSET);
        assertEquals(CmdRspEvent.STATUS_OFFSET + 1, CmdRspEvent.SENSE_LENGTH_OFFSET);
        assertEquals(CmdRspEvent.SENSE_LENGTH_OFFSET + 1 + 2 + 4, CmdRspEvent.SENSE_OFFSET);
        assertEquals(CmdRspEvent.SENSE_OFFSET + CmdRspEvent.MAX_SENSE_LENGTH, CmdRspEvent.LENGTH);
    }

    @Test
    void smallRecordsTileAsDrawn() {
        assertEquals(CmdDoneEvent.RESERVED_OFFSET + 4, CmdDoneEvent.LENGTH);
        assertEquals(TskMgmtReqEvent.FUNCTION_OFFSET + 1 + 3, TskMgmtReqEvent.LENGTH);
        assertEquals(TskMgmtRspEvent.RESERVED_OFFSET + 4, TskMgmtRspEvent.LENGTH);
        assertEquals(ItNexusReqEvent.NAMES_OFFSET_OFFSET + 8, ItNexusReqEvent.LENGTH);
        assertEquals(ItNexusRspEvent.OP_OFFSET + 4, ItNexusRspEvent.LENGTH);
    }

    @Test
    void cmdReqRoundTripsWhateverTheBufferOrder() {
        ByteBuffer b = ByteBuffer.allocateDirect(256).order(ByteOrder.BIG_ENDIAN);
        byte[] cdb = {0x28, 0, 0, 0, 0x10, 0, 0, 0, 8, 0};
        CmdReqEvent.write(b, 8, 3, 0x1122334455L, 77L, 0x0001000000000000L, cdb, cdb.length, 0xABCD, 4096,
                8192L, 4096, DataDirection.READ.code(), TaskAttribute.SIMPLE.code(), 0L);
        assertEquals(EventType.KEVENT_CMD_REQ, EventHeader.validate(b, 8, 248));
        assertEquals(3, EventHeader.hostNo(b, 8));
        assertEquals(0x1122334455L, CmdReqEvent.cid(b, 8));
        assertEquals(0x0001000000000000L, CmdReqEvent.lun(b, 8));
        assertEquals(1, b.get(8 + CmdReqEvent.LUN_OFFSET + 1), "LUN bytes are stored as sent (SAM order)");
        assertEquals(0x28, CmdReqEvent.cdbByte(b, 8, 0));
        assertEquals(10, CmdReqEvent.cdbLength(b, 8));
        assertEquals(0, CmdReqEvent.cdbByte(b, 8, 12), "inline CDB is zero padded");
        assertEquals(4096, CmdReqEvent.expectedLength(b, 8));
        // little-endian on the wire regardless of the buffer's order
        assertEquals(0x55, b.get(8 + CmdReqEvent.CID_OFFSET) & 0xFF);
        CmdReqEvent.validate(b, 8, 1 << 20);
    }

    @Test
    void malformedRecordsAreRejectedWithAReason() {
        ByteBuffer b = ByteBuffer.allocate(256);
        CmdDoneEvent.write(b, 0, 1, 5L, 0);
        assertThrows(EventFormatException.class, () -> EventHeader.validate(b, 0, 10), "truncated");
        assertThrows(EventFormatException.class, () -> EventHeader.validate(b, 0, 16), "shorter than its type");

        LittleEndian.putU16(b, 0, 42);
        EventFormatException unknown = assertThrows(EventFormatException.class, () -> EventHeader.validate(b, 0, 64));
        assertTrue(unknown.getMessage().contains("unknown event type"), unknown.getMessage());

        CmdDoneEvent.write(b, 0, 1, 5L, 0);
        LittleEndian.putI32(b, EventHeader.LENGTH_OFFSET, 1 << 30);
        assertThrows(EventFormatException.class, () -> EventHeader.validate(b, 0, 64), "impossible length");

        CmdDoneEvent.write(b, 0, 1, 5L, 0);
        LittleEndian.putU16(b, EventHeader.VERSION_OFFSET, 9);
        assertThrows(EventFormatException.class, () -> EventHeader.validate(b, 0, 64), "version");
    }

    @Test
    void dataReferencesOutsideTheAreaAreRejected() {
        ByteBuffer b = ByteBuffer.allocate(256);
        byte[] cdb = new byte[10];
        CmdReqEvent.write(b, 0, 1, 1, 1, 0, cdb, 10, 0, 512, 4096 - 256, 512, DataDirection.WRITE.code(), 0, 0);
        assertThrows(EventFormatException.class, () -> CmdReqEvent.validate(b, 0, 4096));
        CmdReqEvent.write(b, 0, 1, 1, 1, 0, cdb, 10, 0, 512, Long.MAX_VALUE - 10, 512, DataDirection.WRITE.code(), 0, 0);
        assertThrows(EventFormatException.class, () -> CmdReqEvent.validate(b, 0, 4096), "overflowing offset");
        CmdReqEvent.write(b, 0, 1, 1, 1, 0, cdb, 3, 0, 0, 0, 0, 0, 0, 0);
        assertThrows(EventFormatException.class, () -> CmdReqEvent.validate(b, 0, 4096), "CDB too short");
        CmdReqEvent.write(b, 0, 1, 1, 1, 0, cdb, 10, 0, 0, 0, 0, 9, 0, 0);
        assertThrows(EventFormatException.class, () -> CmdReqEvent.validate(b, 0, 4096), "direction");
    }
}
