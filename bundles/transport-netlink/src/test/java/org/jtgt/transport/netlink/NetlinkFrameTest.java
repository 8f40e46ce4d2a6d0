package org.jtgt.transport.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.event.ItNexusReqEvent;
import org.junit.jupiter.api.Test;

/** The frame layout as drawn in {@link NetlinkFrame}, its validation, and {@link InlineData}. */
class NetlinkFrameTest {
    private static final long MAX = NetlinkFrame.maxLength(1 << 20);

    @Test
    void headerFieldsTileAsDrawn() {
        assertEquals(0, NetlinkFrame.LENGTH_OFFSET);
        assertEquals(NetlinkFrame.LENGTH_OFFSET + 4, NetlinkFrame.TYPE_OFFSET);
        assertEquals(NetlinkFrame.TYPE_OFFSET + 2, NetlinkFrame.FLAGS_OFFSET);
        assertEquals(NetlinkFrame.FLAGS_OFFSET + 2, NetlinkFrame.SEQUENCE_OFFSET);
        assertEquals(NetlinkFrame.SEQUENCE_OFFSET + 4, NetlinkFrame.PORT_ID_OFFSET);
        assertEquals(NetlinkFrame.PORT_ID_OFFSET + 4, NetlinkFrame.HEADER_LENGTH);
        assertEquals(16, NetlinkFrame.HEADER_LENGTH, "nlmsghdr is 16 bytes");
        // ACK: error, acked sequence.
        assertEquals(NetlinkFrame.HEADER_LENGTH, NetlinkFrame.ACK_ERROR_OFFSET);
        assertEquals(NetlinkFrame.ACK_ERROR_OFFSET + 4, NetlinkFrame.ACK_SEQUENCE_OFFSET);
        assertEquals(NetlinkFrame.ACK_SEQUENCE_OFFSET + 4, NetlinkFrame.ACK_LENGTH);
        // REGISTER: version, reserved, area size.
        assertEquals(NetlinkFrame.HEADER_LENGTH, NetlinkFrame.REGISTER_VERSION_OFFSET);
        assertEquals(NetlinkFrame.REGISTER_VERSION_OFFSET + 4, NetlinkFrame.REGISTER_RESERVED_OFFSET);
        assertEquals(NetlinkFrame.REGISTER_RESERVED_OFFSET + 4, NetlinkFrame.REGISTER_AREA_SIZE_OFFSET);
        assertEquals(NetlinkFrame.REGISTER_AREA_SIZE_OFFSET + 8, NetlinkFrame.REGISTER_LENGTH);
        // EVENT: the record right after the header.
        assertEquals(NetlinkFrame.HEADER_LENGTH, NetlinkFrame.EVENT_RECORD_OFFSET);
        assertEquals(NetlinkFrame.HEADER_LENGTH + EventHeader.LENGTH, NetlinkFrame.EVENT_MIN_LENGTH);
    }

    @Test
    void fieldsAreLittleEndianWhateverTheBufferOrder() {
        ByteBuffer b = ByteBuffer.allocate(NetlinkFrame.ACK_LENGTH); // big-endian by default
        NetlinkFrame.writeAck(b, 0, 0x01020304, 74, 0x0A0B0C0D);
        assertEquals(NetlinkFrame.ACK_LENGTH, b.get(0));
        assertEquals(NetlinkFrame.TYPE_ACK, b.get(4));
        assertEquals(0x04, b.get(8));
        assertEquals(0x0D, b.get(12));
        assertEquals(74, b.get(16));
        assertEquals(NetlinkFrame.TYPE_ACK, NetlinkFrame.validate(b, 0, b.capacity(), MAX));
        assertEquals(0x01020304, NetlinkFrame.sequence(b, 0));
        assertEquals(0x01020304, NetlinkFrame.ackSequence(b, 0));
        assertEquals(0x0A0B0C0D, NetlinkFrame.portId(b, 0));
        assertEquals(74, NetlinkFrame.ackError(b, 0));

        ByteBuffer r = ByteBuffer.allocate(NetlinkFrame.REGISTER_LENGTH);
        NetlinkFrame.writeRegister(r, 0, 99, 5L << 32);
        assertEquals(NetlinkFrame.TYPE_REGISTER, NetlinkFrame.validate(r, 0, r.capacity(), MAX));
        assertEquals(NetlinkFrame.F_REQUEST | NetlinkFrame.F_ACK, NetlinkFrame.flags(r, 0));
        assertEquals(NetlinkFrame.PROTOCOL_VERSION, NetlinkFrame.registerVersion(r, 0));
        assertEquals(5L << 32, NetlinkFrame.registerAreaSize(r, 0));
        assertEquals(99, NetlinkFrame.portId(r, 0));
    }

    @Test
    void validateRejectsWhatNoReceiverCouldAccept() {
        assertRejected(header(16, NetlinkFrame.TYPE_EVENT, 0), 10, "short frame header: 10 of 16");
        assertRejected(header(15, NetlinkFrame.TYPE_EVENT, 0), 16, "shorter than its 16-byte header");
        assertRejected(header(MAX + 1, NetlinkFrame.TYPE_EVENT, 0), 16, "exceeds the largest frame");
        assertRejected(header(0xFFFF_FFFFL, NetlinkFrame.TYPE_EVENT, 0), 16, "frame length 4294967295");
        assertRejected(header(64, 0x77, 0), 16, "unknown frame type 0x77");
        assertRejected(header(64, NetlinkFrame.TYPE_EVENT, 0x8000), 16, "unknown flags 0x8000");
        assertRejected(header(28, NetlinkFrame.TYPE_ACK, 0), 16, "ACK frame of 28 bytes; it has 24");
        assertRejected(header(24, NetlinkFrame.TYPE_REGISTER, 0), 16, "REGISTER frame of 24 bytes; it has 32");
        assertRejected(header(31, NetlinkFrame.TYPE_EVENT, 0), 16, "cannot hold an event record");
        assertEquals(NetlinkFrame.TYPE_EVENT, NetlinkFrame.validate(header(MAX, NetlinkFrame.TYPE_EVENT, 5), 0, 16, MAX));
    }

    @Test
    void theLongestFrameIsARecordAnAreaAndALongCdb() {
        assertEquals(16 + 144 + (1 << 20) + 260, MAX);
        assertEquals(EventHeader.MAX_RECORD_LENGTH, 144);
        assertEquals(0xFFFF_FFFFL, NetlinkFrame.maxLength(Long.MAX_VALUE / 2));
    }

    @Test
    void inlineRangesFollowTheRecordsReferences() {
        long area = 1 << 20;
        long[] offs = new long[InlineData.MAX_RANGES];
        int[] lens = new int[InlineData.MAX_RANGES];
        byte[] cdb32 = new byte[32];

        ByteBuffer write = Events.cmdReq(0, 1, DataDirection.WRITE, 4096, 512, cdb32, 8192);
        assertEquals(2, InlineData.ranges(write, 0, EventType.KEVENT_CMD_REQ, area, offs, lens));
        assertEquals(4096, offs[0]);
        assertEquals(512, lens[0]);
        assertEquals(8192, offs[1]);
        assertEquals(32, lens[1]);
        assertEquals(544, InlineData.total(lens, 2));

        ByteBuffer read = Events.cmdReq(0, 1, DataDirection.READ, 4096, 512, Events.TEST_UNIT_READY, 0);
        assertEquals(0, InlineData.ranges(read, 0, EventType.KEVENT_CMD_REQ, area, offs, lens), "READ carries nothing out");
        ByteBuffer bidi = Events.cmdReq(0, 1, DataDirection.BIDIRECTIONAL, 4096, 512, Events.TEST_UNIT_READY, 0);
        assertEquals(1, InlineData.ranges(bidi, 0, EventType.KEVENT_CMD_REQ, area, offs, lens));
        ByteBuffer outside = Events.cmdReq(0, 1, DataDirection.WRITE, area - 100, 512, Events.TEST_UNIT_READY, 0);
        assertEquals(0, InlineData.ranges(outside, 0, EventType.KEVENT_CMD_REQ, area, offs, lens), "outside: bare");
        ByteBuffer hugeCdb = Events.cmdReq(0, 1, DataDirection.NONE, 0, 0, Events.TEST_UNIT_READY, 64);
        org.jtgt.api.event.LittleEndian.putU16(hugeCdb, CmdReqEvent.CDB_LENGTH_OFFSET, CmdReqEvent.MAX_CDB_LENGTH + 1);
        assertEquals(0, InlineData.ranges(hugeCdb, 0, EventType.KEVENT_CMD_REQ, area, offs, lens));

        ByteBuffer create = Events.nexusReq(0, 1, ItNexusReqEvent.OP_CREATE, 0, 40);
        assertEquals(1, InlineData.ranges(create, 0, EventType.KEVENT_IT_NEXUS_REQ, area, offs, lens));
        assertEquals(40, lens[0]);
        ByteBuffer destroy = Events.nexusReq(0, 1, ItNexusReqEvent.OP_DESTROY, 0, 40);
        assertEquals(0, InlineData.ranges(destroy, 0, EventType.KEVENT_IT_NEXUS_REQ, area, offs, lens));

        ByteBuffer rsp = Events.cmdRsp(0, 1, 12288, 700);
        assertEquals(1, InlineData.ranges(rsp, 0, EventType.UEVENT_CMD_RSP, area, offs, lens));
        assertEquals(12288, offs[0]);
        assertEquals(700, lens[0]);
        for (ByteBuffer none : new ByteBuffer[] {Events.cmdDone(0, 1), Events.tmfReq(0, 1), Events.tmfRsp(0, 1),
                Events.nexusRsp(0, 1, 1)}) {
            EventType t = EventType.fromCode(EventHeader.type(none, 0));
            assertEquals(0, InlineData.ranges(none, 0, t, area, offs, lens), t.toString());
        }
    }

    private static ByteBuffer header(long length, int type, int flags) {
        ByteBuffer b = ByteBuffer.allocate(64);
        NetlinkFrame.writeHeader(b, 0, length, type, flags, 1, 0);
        return b;
    }

    private static void assertRejected(ByteBuffer b, int available, String expected) {
        FrameFormatException e = assertThrows(FrameFormatException.class,
                () -> NetlinkFrame.validate(b, 0, available, MAX));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
