package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.EventFormatException;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.event.ItNexusReqEvent;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.event.TskMgmtReqEvent;
import org.jtgt.api.event.TskMgmtRspEvent;
import org.jtgt.api.target.LunOptions;

/**
 * Coverage-guided fuzz targets (Jazzer) for what reaches the daemon from a transport: sequences
 * of CDBs per opcode through the {@link CommandTable} and {@link TaskRouter}, checked as
 * {@link CdbFuzzTest} checks its random ones ({@link CdbFuzzTest#checkAnswer}), and raw event
 * records whose header validated, each of which gets exactly the one answer its type requires.
 * Each input runs against a fresh daemon with one 1 MiB unit and a logged-in nexus. Under
 * {@code mvn verify} each target runs over the inputs in {@code DaemonFuzzTargetsTestInputs/<method>/};
 * see {@code scripts/fuzz-long.sh} for fuzzing.
 */
class DaemonFuzzTargetsTest {
    /** One data area for all inputs, zeroed before each (allocating 1 MiB per input would dominate). */
    private static final FakeEndpoint AREA = new FakeEndpoint(1 << 20);

    private static Harness fresh() {
        AREA.reset();
        return Harness.withLun(new Harness(new TargetDaemon(), AREA), LunOptions.DEFAULT, new MemoryStore(Harness.SIZE));
    }

    /**
     * Up to eight commands: an opcode (one with a handler, or any), the rest of a CDB of its
     * group's length (or 6..32 bytes), a data direction (usually the opcode's), a transfer length
     * and Data-Out. Afterwards the unit still answers TEST UNIT READY.
     */
    @FuzzTest(maxDuration = "")
    void cdbSequence(FuzzedDataProvider in) {
        Harness h = fresh();
        try {
            for (int i = 0; i < 8 && in.remainingBytes() > 0; i++) {
                int opcode = in.consumeBoolean() ? CdbFuzzTest.KNOWN[in.consumeInt(0, CdbFuzzTest.KNOWN.length - 1)]
                        : in.consumeInt(0, 255);
                int length = CdbFuzzTest.groupLength(opcode);
                if (length == 0) {
                    length = in.consumeInt(6, 32);
                }
                byte[] cdb = new byte[length];
                cdb[0] = (byte) opcode;
                byte[] rest = in.consumeBytes(length - 1);
                System.arraycopy(rest, 0, cdb, 1, rest.length);
                int d = in.consumeInt(0, 3);
                DataDirection dir = d == 3 ? CdbFuzzTest.usualDirection(opcode) : DataDirection.values()[d];
                int expected = dir == DataDirection.NONE ? 0 : transferLength(in);
                byte[] dataOut = null;
                if (dir == DataDirection.WRITE) {
                    dataOut = new byte[expected];
                    byte[] given = in.consumeBytes(expected);
                    System.arraycopy(given, 0, dataOut, 0, given.length);
                }
                String command = "command " + i + " " + CdbFuzzTest.hex(cdb) + " " + dir + " " + expected;
                Harness.Result r = h.command(Harness.NEXUS, 0, cdb, dir, expected, dataOut);
                CdbFuzzTest.checkAnswer(r, expected, command);
            }
            Harness.Result tur = h.command(Harness.NEXUS, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null);
            assertTrue(tur.status() == 0x00 || tur.status() == 0x02 || tur.status() == 0x18, "TEST UNIT READY: " + tur);
        } finally {
            h.daemon.deactivate();
        }
    }

    private static int transferLength(FuzzedDataProvider in) {
        return switch (in.consumeInt(0, 4)) {
            case 0 -> 0;
            case 1 -> 8 * in.consumeInt(1, 8);
            case 2 -> Harness.BLOCK;
            case 3 -> Harness.BLOCK * in.consumeInt(1, 8);
            default -> in.consumeInt(0, 65_536);
        };
    }

    /**
     * One record as a transport delivers it (its header validated, its direction host → daemon):
     * a command, task management or nexus request is answered exactly once, with its own id and
     * an answer that itself validates; KEVENT_CMD_DONE is not answered.
     */
    @FuzzTest(maxDuration = "")
    void eventRecord(byte[] input) {
        Harness h = fresh();
        try {
            ByteBuffer b = h.event;
            int n = Math.min(input.length, b.capacity());
            b.put(0, input, 0, n);
            EventType type;
            try {
                type = EventHeader.validate(b, 0, n);
            } catch (EventFormatException e) {
                return;   // the transport stops here (RingPump, NetlinkConnection)
            }
            if (!type.toDaemon()) {
                return;   // refused by the transport as well
            }
            int before = AREA.sent.size();
            h.deliver(n);
            int answers = type == EventType.KEVENT_CMD_DONE ? 0 : 1;
            h.awaitAnswers(before + answers);
            assertEquals(before + answers, AREA.sent.size(), type + ": answers");
            if (answers == 0) {
                return;
            }
            ByteBuffer rsp = ByteBuffer.wrap(AREA.sent.get(before));
            EventType answer = EventHeader.validate(rsp, 0, rsp.capacity());
            assertEquals(EventHeader.hostNo(b, 0), EventHeader.hostNo(rsp, 0));
            switch (type) {
                case KEVENT_CMD_REQ -> {
                    assertEquals(EventType.UEVENT_CMD_RSP, answer);
                    assertEquals(CmdReqEvent.cid(b, 0), CmdRspEvent.cid(rsp, 0));
                    CmdRspEvent.validate(rsp, 0, AREA.size());
                    assertTrue(CdbFuzzTest.STATUSES.contains(CmdRspEvent.status(rsp, 0)));
                    assertTrue(CmdRspEvent.dataLength(rsp, 0) == 0
                            || Integer.toUnsignedLong(CmdRspEvent.dataLength(rsp, 0))
                                    <= Integer.toUnsignedLong(CmdReqEvent.expectedLength(b, 0)),
                            "more Data-In than expected");
                }
                case KEVENT_TSK_MGMT_REQ -> {
                    assertEquals(EventType.UEVENT_TSK_MGMT_RSP, answer);
                    assertEquals(TskMgmtReqEvent.mid(b, 0), TskMgmtRspEvent.mid(rsp, 0));
                    TskMgmtRspEvent.validate(rsp, 0);
                }
                case KEVENT_IT_NEXUS_REQ -> {
                    assertEquals(EventType.UEVENT_IT_NEXUS_RSP, answer);
                    assertEquals(ItNexusReqEvent.nexusId(b, 0), ItNexusRspEvent.nexusId(rsp, 0));
                    assertEquals(ItNexusReqEvent.op(b, 0), ItNexusRspEvent.op(rsp, 0));
                }
                default -> throw new AssertionError(type + " answered");
            }
        } finally {
            h.daemon.deactivate();
        }
    }
}
