package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.LittleEndian;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.scsi.SenseKey;
import org.junit.jupiter.api.Test;

/** A hostile or broken peer gets answers, never an exception out of onEvent. */
class MalformedEventTest {
    private final Harness h = Harness.withLun();

    private void writeTur(long cid, int cdbLength, long dataOffset, int dataLength) {
        byte[] cdb = Cdbs.testUnitReady();
        CmdReqEvent.write(h.event, 0, Harness.HOST, cid, Harness.NEXUS, 0, cdb, cdb.length, 1, dataLength,
                dataOffset, dataLength, DataDirection.READ.code(), TaskAttribute.SIMPLE.code(), 0);
        LittleEndian.putU16(h.event, CmdReqEvent.CDB_LENGTH_OFFSET, cdbLength);
    }

    @Test
    void cdbLengthThreeIsAnsweredWithCheckCondition() {
        writeTur(1, 3, 0, 0);
        Harness.Result r = h.run(1, 1, 0);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x0E, 0x03);
    }

    @Test
    void dataReferenceOutsideTheAreaIsAnsweredWithCheckCondition() {
        writeTur(2, 6, h.endpoint.size() - 16, 4096);
        Harness.Result r = h.run(2, 1, 0);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x0E, 0x03);
        assertEquals(0, r.data().length);
        writeTur(3, 6, -8, 16);
        h.run(3, 1, 0).assertSense(SenseKey.ILLEGAL_REQUEST, 0x0E, 0x03);
    }

    @Test
    void unknownDirectionAndTaskAttribute() {
        writeTur(4, 6, 0, 0);
        LittleEndian.putU8(h.event, CmdReqEvent.DIRECTION_OFFSET, 9);
        h.run(4, 1, 0).assertSense(SenseKey.ILLEGAL_REQUEST, 0x0E, 0x03);
        writeTur(5, 6, 0, 0);
        LittleEndian.putU8(h.event, CmdReqEvent.TASK_ATTR_OFFSET, 7);
        h.run(5, 1, 0).assertSense(SenseKey.ILLEGAL_REQUEST, 0x0E, 0x03);
    }

    @Test
    void cdbShorterThanItsOpcodeNeeds() {
        byte[] cdb = Cdbs.rw16(false, 0, 1, 0);
        long at = h.endpoint.allocate(512);
        CmdReqEvent.write(h.event, 0, Harness.HOST, 6, Harness.NEXUS, 0, cdb, 10, 1, 512, at, 512,
                DataDirection.READ.code(), TaskAttribute.SIMPLE.code(), 0);
        h.run(6, 1, at).assertSense(SenseKey.ILLEGAL_REQUEST, 0x0E, 0x03);
    }

    @Test
    void extendedCdbIsReadFromTheDataArea() {
        // a 32-byte variable-length CDB (7Fh) travels in the data area; not implemented here
        byte[] cdb = new byte[32];
        cdb[0] = 0x7F;
        cdb[7] = 0x18;
        long ext = h.endpoint.allocate(32);
        h.endpoint.put(ext, cdb);
        CmdReqEvent.write(h.event, 0, Harness.HOST, 7, Harness.NEXUS, 0, cdb, 32, 1, 0, 0, 0,
                DataDirection.NONE.code(), TaskAttribute.SIMPLE.code(), ext);
        h.run(7, 1, 0).assertSense(SenseKey.ILLEGAL_REQUEST, 0x20, 0x00);
        CmdReqEvent.write(h.event, 0, Harness.HOST, 8, Harness.NEXUS, 0, cdb, 32, 1, 0, 0, 0,
                DataDirection.NONE.code(), TaskAttribute.SIMPLE.code(), h.endpoint.size() - 8);
        h.run(8, 1, 0).assertSense(SenseKey.ILLEGAL_REQUEST, 0x0E, 0x03);
    }

    @Test
    void unaddressableLunIsNotSupported() {
        byte[] cdb = Cdbs.testUnitReady();
        CmdReqEvent.write(h.event, 0, Harness.HOST, 8, Harness.NEXUS, 0x0001_0001_0000_0000L, cdb, 6, 1, 0, 0, 0,
                DataDirection.NONE.code(), TaskAttribute.SIMPLE.code(), 0);
        h.run(8, 1, 0).assertSense(SenseKey.ILLEGAL_REQUEST, 0x25, 0x00);
    }

    @Test
    void cmdDoneForAnUnknownCidIsIgnored() {
        CmdDoneEvent.write(h.event, 0, Harness.HOST, 123456, 0);
        h.deliver(CmdDoneEvent.LENGTH);
        CmdDoneEvent.write(h.event, 0, 42, 1, 0);
        h.deliver(CmdDoneEvent.LENGTH);
        assertEquals(1, h.endpoint.sent.size(), "only the login answer was ever sent");
    }

    @Test
    void aClosedEndpointDropsTheTaskRecord() {
        h.autoDone = false;
        h.endpoint.open = false;
        byte[] cdb = Cdbs.testUnitReady();
        CmdReqEvent.write(h.event, 0, Harness.HOST, 9, Harness.NEXUS, 0, cdb, 6, 1, 0, 0, 0,
                DataDirection.NONE.code(), TaskAttribute.SIMPLE.code(), 0);
        h.deliver(CmdReqEvent.LENGTH);
        Nexus n = h.daemon.nexus(Harness.HOST, Harness.NEXUS);
        assertEquals(0, n.tasks().count(n, -1));
    }
}
