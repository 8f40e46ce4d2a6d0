package org.jtgt.daemon;

import java.util.Arrays;

/**
 * The dispatch table: one entry for each of the 256 operation codes, pre-filled with the
 * INVALID COMMAND OPERATION CODE handler (SPC-4 4.5.6, ASC 20h), as tgt's {@code usr/sbc.c} and
 * gotgt's {@code sbc.go} do. Implemented opcodes are registered over it.
 */
final class CommandTable {
    /** Executes one command; returns {@link SenseReason#NONE} on success. */
    @FunctionalInterface
    interface Handler {
        SenseReason execute(CommandContext c);
    }

    /**
     * One opcode's handler and how the task router treats it.
     *
     * @param worksWithoutUnit the command is answered for a LUN that is not in the target's
     *        inventory (SPC-4 6.6.2 INQUIRY, 6.33 REPORT LUNS, 6.39 REQUEST SENSE)
     * @param bypassesUnitAttention a pending unit attention neither stops nor is cleared by the
     *        command (SAM-5 5.14: INQUIRY, REPORT LUNS, REQUEST SENSE)
     */
    record Entry(String name, Handler handler, boolean worksWithoutUnit, boolean bypassesUnitAttention) {
    }

    static final Entry INVALID = new Entry("invalid", c -> SenseReason.INVALID_COMMAND_OPERATION_CODE, false, false);

    private final Entry[] entries = new Entry[256];

    private CommandTable() {
        Arrays.fill(entries, INVALID);
    }

    /** The block device command set this daemon implements. */
    static CommandTable blockDevice() {
        CommandTable t = new CommandTable();
        // SPC-4 commands
        t.spc(Opcodes.TEST_UNIT_READY, "TEST UNIT READY", SpcCommands::testUnitReady);
        t.any(Opcodes.INQUIRY, "INQUIRY", SpcCommands::inquiry);
        t.any(Opcodes.REQUEST_SENSE, "REQUEST SENSE", SpcCommands::requestSense);
        t.any(Opcodes.REPORT_LUNS, "REPORT LUNS", SpcCommands::reportLuns);
        t.spc(Opcodes.MODE_SENSE_6, "MODE SENSE(6)", ModePages::modeSense6);
        t.spc(Opcodes.MODE_SENSE_10, "MODE SENSE(10)", ModePages::modeSense10);
        // SBC-3 commands
        t.spc(Opcodes.READ_CAPACITY_10, "READ CAPACITY(10)", SbcCommands::readCapacity10);
        t.spc(Opcodes.SERVICE_ACTION_IN_16, "SERVICE ACTION IN(16)", SbcCommands::serviceActionIn16);
        t.spc(Opcodes.READ_6, "READ(6)", SbcCommands::read6);
        t.spc(Opcodes.READ_10, "READ(10)", SbcCommands::read10);
        t.spc(Opcodes.READ_12, "READ(12)", SbcCommands::read12);
        t.spc(Opcodes.READ_16, "READ(16)", SbcCommands::read16);
        t.spc(Opcodes.WRITE_6, "WRITE(6)", SbcCommands::write6);
        t.spc(Opcodes.WRITE_10, "WRITE(10)", SbcCommands::write10);
        t.spc(Opcodes.WRITE_12, "WRITE(12)", SbcCommands::write12);
        t.spc(Opcodes.WRITE_16, "WRITE(16)", SbcCommands::write16);
        t.spc(Opcodes.WRITE_AND_VERIFY_10, "WRITE AND VERIFY(10)", SbcCommands::writeAndVerify10);
        t.spc(Opcodes.WRITE_AND_VERIFY_12, "WRITE AND VERIFY(12)", SbcCommands::writeAndVerify12);
        t.spc(Opcodes.WRITE_AND_VERIFY_16, "WRITE AND VERIFY(16)", SbcCommands::writeAndVerify16);
        t.spc(Opcodes.VERIFY_10, "VERIFY(10)", SbcCommands::verify10);
        t.spc(Opcodes.VERIFY_12, "VERIFY(12)", SbcCommands::verify12);
        t.spc(Opcodes.VERIFY_16, "VERIFY(16)", SbcCommands::verify16);
        t.spc(Opcodes.SYNCHRONIZE_CACHE_10, "SYNCHRONIZE CACHE(10)", SbcCommands::synchronizeCache10);
        t.spc(Opcodes.SYNCHRONIZE_CACHE_16, "SYNCHRONIZE CACHE(16)", SbcCommands::synchronizeCache16);
        return t;
    }

    /** A command addressed to an existing logical unit and subject to unit attentions. */
    private void spc(int opcode, String name, Handler h) {
        register(opcode, new Entry(name, h, false, false));
    }

    /** A command answered for any LUN and not stopped by unit attentions. */
    private void any(int opcode, String name, Handler h) {
        register(opcode, new Entry(name, h, true, true));
    }

    private void register(int opcode, Entry e) {
        if (entries[opcode] != INVALID) {
            throw new IllegalStateException("opcode 0x" + Integer.toHexString(opcode) + " registered twice");
        }
        entries[opcode] = e;
    }

    Entry get(int opcode) {
        return entries[opcode & 0xFF];
    }
}
