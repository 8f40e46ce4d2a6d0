package org.jtgt.transport.shm;

/**
 * Which commands the front gives a restarted daemon again when the daemon that had them died
 * before answering: those whose second execution leaves the unit as one execution would and
 * returns what the first would have. Reads and writes of blocks qualify (a write of the same data
 * to the same blocks again), so do commands that only report. Everything else (COMPARE AND WRITE,
 * ORWRITE, PERSISTENT RESERVE OUT, RESERVE/RELEASE, EXTENDED COPY, MODE SELECT, FORMAT UNIT,
 * SANITIZE, START STOP UNIT, ...) may have been executed, and repeating it could answer
 * differently (a COMPARE AND WRITE that did write miscompares the second time) or change what
 * the initiator did not ask for twice: the front answers those CHECK CONDITION, ABORTED COMMAND,
 * LOGICAL UNIT COMMUNICATION FAILURE (08h/00h), the answer the host side already gives for a
 * command whose transport failed under it, and which initiators retry.
 */
final class RepeatableCommands {
    private static final boolean[] BY_OPCODE = new boolean[256];

    static {
        int[] repeatable = {
            0x00, // TEST UNIT READY
            0x03, // REQUEST SENSE
            0x12, // INQUIRY
            0x1A, 0x5A, // MODE SENSE (6), (10)
            0x1C, // RECEIVE DIAGNOSTIC RESULTS
            0x25, // READ CAPACITY (10)
            0x37, 0xB7, // READ DEFECT DATA (10), (12)
            0x4D, // LOG SENSE
            0x5E, // PERSISTENT RESERVE IN
            0xA0, // REPORT LUNS
            0x08, 0x28, 0xA8, 0x88, // READ (6), (10), (12), (16)
            0x0A, 0x2A, 0xAA, 0x8A, // WRITE (6), (10), (12), (16)
            0x2F, 0xAF, 0x8F, // VERIFY (10), (12), (16)
            0x2E, 0xAE, 0x8E, // WRITE AND VERIFY (10), (12), (16)
            0x41, 0x93, // WRITE SAME (10), (16)
            0x35, 0x91, // SYNCHRONIZE CACHE (10), (16)
            0x34, 0x90, // PRE-FETCH (10), (16)
            0x42, // UNMAP
        };
        for (int op : repeatable) {
            BY_OPCODE[op] = true;
        }
    }

    private RepeatableCommands() {
    }

    /** Whether the command with this CDB start may be executed again. */
    static boolean repeatable(int opcode, int serviceActionByte) {
        int serviceAction = serviceActionByte & 0x1F;
        if (opcode == 0x9E) { // SERVICE ACTION IN (16): READ CAPACITY (16), GET LBA STATUS
            return serviceAction == 0x10 || serviceAction == 0x12;
        }
        if (opcode == 0xA3) { // MAINTENANCE IN: REPORT TARGET PORT GROUPS, opcodes, TMFs, timestamp
            return serviceAction == 0x0A || serviceAction == 0x0C || serviceAction == 0x0D || serviceAction == 0x0F;
        }
        return BY_OPCODE[opcode & 0xFF];
    }
}
