package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

/** Guards the dispatch table, as gotgt's sbc_test.go does. */
class CommandTableTest {
    private final CommandTable table = CommandTable.blockDevice();

    /** Opcode → name of every command the daemon implements. */
    private static final Map<Integer, String> IMPLEMENTED = new TreeMap<>(Map.ofEntries(
            Map.entry(0x00, "TEST UNIT READY"), Map.entry(0x03, "REQUEST SENSE"), Map.entry(0x08, "READ(6)"),
            Map.entry(0x0A, "WRITE(6)"), Map.entry(0x12, "INQUIRY"), Map.entry(0x1A, "MODE SENSE(6)"),
            Map.entry(0x25, "READ CAPACITY(10)"), Map.entry(0x28, "READ(10)"), Map.entry(0x2A, "WRITE(10)"),
            Map.entry(0x2E, "WRITE AND VERIFY(10)"), Map.entry(0x2F, "VERIFY(10)"), Map.entry(0x35, "SYNCHRONIZE CACHE(10)"), Map.entry(0x5A, "MODE SENSE(10)"),
            Map.entry(0x88, "READ(16)"), Map.entry(0x8A, "WRITE(16)"), Map.entry(0x8E, "WRITE AND VERIFY(16)"), Map.entry(0x8F, "VERIFY(16)"),
            Map.entry(0x91, "SYNCHRONIZE CACHE(16)"), Map.entry(0x9E, "SERVICE ACTION IN(16)"),
            Map.entry(0xA0, "REPORT LUNS"), Map.entry(0xA8, "READ(12)"), Map.entry(0xAA, "WRITE(12)"),
            Map.entry(0xAE, "WRITE AND VERIFY(12)"), Map.entry(0xAF, "VERIFY(12)"),
            Map.entry(0x16, "RESERVE(6)"), Map.entry(0x17, "RELEASE(6)"), Map.entry(0x1B, "START STOP UNIT"),
            Map.entry(0x1E, "PREVENT ALLOW MEDIUM REMOVAL"), Map.entry(0x34, "PRE-FETCH(10)"),
            Map.entry(0x56, "RESERVE(10)"), Map.entry(0x57, "RELEASE(10)"), Map.entry(0x90, "PRE-FETCH(16)"),
            Map.entry(0xA3, "MAINTENANCE IN"), Map.entry(0x41, "WRITE SAME(10)"), Map.entry(0x93, "WRITE SAME(16)"),
            Map.entry(0xA4, "MAINTENANCE OUT"),
            Map.entry(0x8B, "ORWRITE(16)"), Map.entry(0x89, "COMPARE AND WRITE"), Map.entry(0x42, "UNMAP"), Map.entry(0x4D, "LOG SENSE"),
            Map.entry(0x5E, "PERSISTENT RESERVE IN"), Map.entry(0x5F, "PERSISTENT RESERVE OUT"),
            Map.entry(0x9C, "WRITE ATOMIC(16)"), Map.entry(0x37, "READ DEFECT DATA(10)"),
            Map.entry(0xB7, "READ DEFECT DATA(12)"), Map.entry(0x48, "SANITIZE"),
            Map.entry(0x83, "THIRD-PARTY COPY OUT"), Map.entry(0x84, "THIRD-PARTY COPY IN"),
            Map.entry(0x15, "MODE SELECT(6)"), Map.entry(0x55, "MODE SELECT(10)")));

    @Test
    void everySlotHasAHandler() {
        for (int op = 0; op < 256; op++) {
            CommandTable.Entry e = table.get(op);
            assertNotNull(e, "slot " + op);
            assertNotNull(e.handler(), "handler of slot " + op);
        }
    }

    @Test
    void implementedOpcodesMapToTheirHandlersAndTheRestToInvalid() {
        int implemented = 0;
        for (int op = 0; op < 256; op++) {
            CommandTable.Entry e = table.get(op);
            String name = IMPLEMENTED.get(op);
            if (name == null) {
                assertSame(CommandTable.INVALID, e, String.format("opcode 0x%02X should be invalid", op));
            } else {
                assertNotSame(CommandTable.INVALID, e);
                assertEquals(name, e.name(), String.format("opcode 0x%02X", op));
                implemented++;
            }
        }
        assertEquals(IMPLEMENTED.size(), implemented);
    }

    @Test
    void theInvalidHandlerAnswersInvalidCommandOperationCode() {
        assertEquals(SenseReason.INVALID_COMMAND_OPERATION_CODE, CommandTable.INVALID.handler().execute(new CommandContext()));
        SenseReason r = SenseReason.INVALID_COMMAND_OPERATION_CODE;
        assertEquals(0x05, r.senseKey());
        assertEquals(0x20, r.asc());
        assertEquals(0x00, r.ascq());
    }

    @Test
    void onlyInquiryReportLunsAndRequestSenseWorkWithoutAUnitAndBypassUnitAttention() {
        for (int op = 0; op < 256; op++) {
            CommandTable.Entry e = table.get(op);
            boolean special = op == 0x12 || op == 0xA0 || op == 0x03;
            assertEquals(special, e.worksWithoutUnit(), String.format("0x%02X", op));
            assertEquals(special, e.bypassesUnitAttention(), String.format("0x%02X", op));
        }
    }

    @Test
    void usageDataStartsWithTheOpcodeAndSpansTheCdb() {
        for (int op : IMPLEMENTED.keySet()) {
            CommandTable.Entry e = table.get(op);
            if (e.hasServiceActions()) {
                int n = 0;
                for (CommandTable.ServiceAction a : e.serviceActions()) {
                    if (a != null) {
                        assertEquals((byte) op, a.usage()[0]);
                        assertEquals(a.code(), a.usage()[1] & 0x1F, a.name());
                        assertEquals(Cdb.lengthForOpcode(op), a.usage().length, a.name());
                        n++;
                    }
                }
                assertTrue(n > 0, e.name());
            } else {
                assertEquals((byte) op, e.usage()[0], e.name());
                assertEquals(Cdb.lengthForOpcode(op), e.usage().length, e.name());
            }
        }
    }

    @Test
    void cdbLengthFollowsTheGroupCode() {
        assertEquals(6, Cdb.lengthForOpcode(0x12));
        assertEquals(10, Cdb.lengthForOpcode(0x28));
        assertEquals(10, Cdb.lengthForOpcode(0x5A));
        assertEquals(16, Cdb.lengthForOpcode(0x88));
        assertEquals(12, Cdb.lengthForOpcode(0xA0));
        assertEquals(0, Cdb.lengthForOpcode(0x7F));
        for (int op : IMPLEMENTED.keySet()) {
            assertTrue(Cdb.lengthForOpcode(op) > 0, "implemented opcodes have fixed-length CDBs");
        }
        assertFalse(IMPLEMENTED.containsKey(0x7F));
    }
}
