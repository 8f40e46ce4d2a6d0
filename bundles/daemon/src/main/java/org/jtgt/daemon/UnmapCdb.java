package org.jtgt.daemon;

/**
 * Decoder of the UNMAP CDB, SBC-3 5.28: the command exists for thin units only (LBPU = 1 in the
 * Logical Block Provisioning VPD page; a fully provisioned unit answers INVALID COMMAND OPERATION
 * CODE, as one without the command would); ANCHOR is not supported (ANC_SUP = 0) and the other
 * bits of byte 1 are reserved. The PARAMETER LIST LENGTH is what the command wants to move; the
 * parameter list itself is read by the executor ({@link SbcCommands#unmap}).
 */
final class UnmapCdb {
    static final int UNMAP_ANCHOR = 0x01;
    static final int UNMAP_LIST_LENGTH_OFFSET = 7;

    private UnmapCdb() {
    }

    static SenseReason decode(CommandContext c) {
        if (!c.unit.options().thin()) {
            return SenseReason.INVALID_COMMAND_OPERATION_CODE;
        }
        int flags = Cdb.u8(c.cdb, 1);
        if ((flags & UNMAP_ANCHOR) != 0) {
            return c.invalidField(1, 0);
        }
        if (flags != 0) {
            return c.invalidField(1);
        }
        c.wanted = Cdb.u16(c.cdb, UNMAP_LIST_LENGTH_OFFSET);
        return SenseReason.NONE;
    }
}
