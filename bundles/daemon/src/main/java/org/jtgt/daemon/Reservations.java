package org.jtgt.daemon;

/**
 * SPC-2 reservations: RESERVE(6)/(10) and RELEASE(6)/(10) (SPC-2 7.21, 7.22, 7.16, 7.17),
 * logical-unit reservations only. The holder is one I_T nexus per logical unit
 * ({@link LogicalUnit#reserve}); commands marked as conflicting in the {@link CommandTable}
 * from any other nexus end with RESERVATION CONFLICT in the task router. The reservation ends
 * with RELEASE from its holder, I_T nexus loss, LOGICAL UNIT RESET and hard reset (SPC-2 5.5.1).
 *
 * <p>Third-party reservations (3RDPTY) and extent reservations (EXTENT, obsolete in SPC-2) are
 * not supported: those bits set are INVALID FIELD IN CDB. RESERVE from the holder again succeeds
 * (SPC-2 7.21.1: a reservation may be superseded by its holder); RELEASE from a nexus that does
 * not hold the reservation is GOOD and changes nothing (SPC-2 7.17.1).
 *
 * <p>While any I_T nexus holds a persistent reservation registration, RESERVE and RELEASE from
 * every nexus end with RESERVATION CONFLICT (SPC-4 5.13.3, compatible reservation handling:
 * REPORT CAPABILITIES reports CRH = 1); PERSISTENT RESERVE IN and OUT from a nexus other than the
 * SPC-2 holder conflict with the SPC-2 reservation (their {@link CommandTable} entries are marked).
 *
 * <p>A unit whose persistent reservations are shared by several gateways ({@link
 * PersistentReservations#shared()}) does not offer SPC-2 reservations: its holder would be a
 * nexus of one gateway only, and the others would let every initiator through. RESERVE and
 * RELEASE are then INVALID COMMAND OPERATION CODE and REPORT SUPPORTED OPERATION CODES leaves them
 * out ({@link #offered}); persistent reservations are the reservations such a unit has.
 */
final class Reservations {
    // ---- byte 1 of RESERVE(6)/RELEASE(6) (SPC-2 7.21.1, 7.17.1) ----
    /** Obsolete EXTENT (bit 0), THIRD PARTY DEVICE ID (bits 3..1), 3RDPTY (bit 4). */
    static final int RESERVE6_UNSUPPORTED = 0x1F;
    /** Byte 1 of RESERVE(10)/RELEASE(10): 3RDPTY (bit 4), LONGID (bit 1), obsolete (bit 0). */
    static final int RESERVE10_UNSUPPORTED = 0x13;

    private Reservations() {
    }

    /** Whether {@code unit} offers SPC-2 reservations: not when its persistent reservations are shared. */
    static boolean offered(LogicalUnit unit) {
        return unit == null || !unit.persistentReservations().shared();
    }

    /** Whether {@code opcode} is one of RESERVE and RELEASE (6) and (10). */
    static boolean isReserveOrRelease(int opcode) {
        return opcode == Opcodes.RESERVE_6 || opcode == Opcodes.RELEASE_6 || opcode == Opcodes.RESERVE_10
                || opcode == Opcodes.RELEASE_10;
    }

    /** RESERVE(6), SPC-2 7.21. */
    static SenseReason reserve6(CommandContext c) {
        if (!offered(c.unit)) {
            return SenseReason.INVALID_COMMAND_OPERATION_CODE;
        }
        if ((Cdb.u8(c.cdb, 1) & RESERVE6_UNSUPPORTED) != 0) {
            return c.invalidField(1);
        }
        return reserve(c);
    }

    /** RESERVE(10), SPC-2 7.22. */
    static SenseReason reserve10(CommandContext c) {
        if (!offered(c.unit)) {
            return SenseReason.INVALID_COMMAND_OPERATION_CODE;
        }
        if ((Cdb.u8(c.cdb, 1) & RESERVE10_UNSUPPORTED) != 0) {
            return c.invalidField(1);
        }
        return reserve(c);
    }

    /** RELEASE(6), SPC-2 7.16. */
    static SenseReason release6(CommandContext c) {
        if (!offered(c.unit)) {
            return SenseReason.INVALID_COMMAND_OPERATION_CODE;
        }
        if ((Cdb.u8(c.cdb, 1) & RESERVE6_UNSUPPORTED) != 0) {
            return c.invalidField(1);
        }
        if (c.unit.persistentReservations().registered()) {
            return SenseReason.RESERVATION_CONFLICT;
        }
        c.unit.release(c.nexus);
        return SenseReason.NONE;
    }

    /** RELEASE(10), SPC-2 7.17. */
    static SenseReason release10(CommandContext c) {
        if (!offered(c.unit)) {
            return SenseReason.INVALID_COMMAND_OPERATION_CODE;
        }
        if ((Cdb.u8(c.cdb, 1) & RESERVE10_UNSUPPORTED) != 0) {
            return c.invalidField(1);
        }
        if (c.unit.persistentReservations().registered()) {
            return SenseReason.RESERVATION_CONFLICT;
        }
        c.unit.release(c.nexus);
        return SenseReason.NONE;
    }

    private static SenseReason reserve(CommandContext c) {
        if (c.unit.persistentReservations().registered()) {
            return SenseReason.RESERVATION_CONFLICT;
        }
        return c.unit.reserve(c.nexus) ? SenseReason.NONE : SenseReason.RESERVATION_CONFLICT;
    }
}
