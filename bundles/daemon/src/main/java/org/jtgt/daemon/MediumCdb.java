package org.jtgt.daemon;

/**
 * Decoder of the medium commands: START STOP UNIT, SBC-3 5.25, and PREVENT ALLOW MEDIUM
 * REMOVAL, SBC-3 5.15. Reserved bits and the obsolete PREVENT values 10b and 11b are INVALID
 * FIELD IN CDB; what the fields ask for is left in the context.
 */
final class MediumCdb {
    // ---- START STOP UNIT ----
    static final int SSU_IMMED = 0x01;
    static final int SSU_FLAGS_OFFSET = 4;
    static final int SSU_START = 0x01;
    static final int SSU_LOEJ = 0x02;
    static final int SSU_LOEJ_BIT = 1;
    /** Byte 4 bit 3 is reserved (bit 2 is NO_FLUSH, accepted: there is no cache to keep). */
    static final int SSU_RESERVED = 0x08;
    static final int SSU_RESERVED_BIT = 3;
    static final int SSU_POWER_CONDITION_SHIFT = 4;

    // ---- PREVENT ALLOW MEDIUM REMOVAL ----
    static final int PREVENT_OFFSET = 4;
    static final int PREVENT_MASK = 0x03;
    static final int PREVENT_OFF = 0;
    static final int PREVENT_ON = 1;

    private MediumCdb() {
    }

    /** START STOP UNIT: IMMED is accepted; START, LOEJ and POWER CONDITION into the context. */
    static SenseReason startStopUnit(CommandContext c) {
        byte[] cdb = c.cdb;
        if ((Cdb.u8(cdb, 1) & ~SSU_IMMED) != 0) {
            return c.invalidField(1);
        }
        int flags = Cdb.u8(cdb, SSU_FLAGS_OFFSET);
        if ((flags & SSU_RESERVED) != 0) {
            return c.invalidField(SSU_FLAGS_OFFSET, SSU_RESERVED_BIT);
        }
        c.start = (flags & SSU_START) != 0;
        c.loej = (flags & SSU_LOEJ) != 0;
        c.powerCondition = flags >>> SSU_POWER_CONDITION_SHIFT;
        return SenseReason.NONE;
    }

    /** PREVENT ALLOW MEDIUM REMOVAL: PREVENT 00b or 01b into the context. */
    static SenseReason preventAllowMediumRemoval(CommandContext c) {
        int field = Cdb.u8(c.cdb, PREVENT_OFFSET);
        int prevent = field & PREVENT_MASK;
        if ((field & ~PREVENT_MASK) != 0 || prevent > PREVENT_ON) {
            return c.invalidField(PREVENT_OFFSET);
        }
        c.prevent = prevent;
        return SenseReason.NONE;
    }
}
