package org.jtgt.daemon;

import org.jtgt.api.target.PortGroup;
import org.jtgt.daemon.PersistentReservations.Port;
import org.jtgt.daemon.PersistentReservations.Registrant;
import org.jtgt.daemon.PersistentReservations.Reservation;
import org.jtgt.daemon.PersistentReservations.State;

/**
 * PERSISTENT RESERVE IN (SPC-4 6.15) and PERSISTENT RESERVE OUT (SPC-4 6.16): CDB and parameter
 * list checks, and the parameter data of the four PERSISTENT RESERVE IN service actions. The
 * rules of each service action live in {@link PersistentReservations}.
 *
 * <p>Supported: all six reservation types, APTPL where the daemon has a state directory
 * (PTPL_C), compatible reservation handling (CRH: SPC-2 RESERVE and RELEASE conflict while any
 * registration exists). Not supported, and refused with INVALID FIELD IN PARAMETER LIST as
 * REPORT CAPABILITIES says (SIP_C = 0, ATP_C = 0): SPEC_I_PT = 1 and ALL_TG_PT = 1.
 */
final class PersistentReserveCommands {
    // ---- PERSISTENT RESERVE IN CDB (SPC-4 6.15.1) ----
    static final int PRIN_ALLOCATION_LENGTH = 7;

    // ---- PERSISTENT RESERVE IN parameter data ----
    static final int HEADER = 8;
    static final int KEY_LENGTH = 8;
    /** READ RESERVATION: the reservation descriptor after the header (6.15.3). */
    static final int RESERVATION_DESCRIPTOR = 16;
    static final int RESERVATION_SCOPE_TYPE = 13;
    /** REPORT CAPABILITIES (6.15.4): LENGTH = 8. */
    static final int CAPABILITIES_LENGTH = 8;
    static final int CRH = 0x10;
    static final int SIP_C = 0x08;
    static final int ATP_C = 0x04;
    static final int PTPL_C = 0x01;
    static final int TMV = 0x80;
    static final int PTPL_A = 0x01;
    /** PERSISTENT RESERVATION TYPE MASK byte 4: WR_EX_AR, EX_AC_RO, WR_EX_RO, EX_AC, WR_EX. */
    static final int TYPE_MASK_BYTE4 = 0x80 | 0x40 | 0x20 | 0x08 | 0x02;
    /** ... byte 5: EX_AC_AR. */
    static final int TYPE_MASK_BYTE5 = 0x01;
    /** READ FULL STATUS descriptor (6.15.5): 24 bytes, then the TransportID. */
    static final int FULL_STATUS_DESCRIPTOR = 24;
    static final int R_HOLDER = 0x01;

    // ---- PERSISTENT RESERVE OUT CDB (SPC-4 6.16.1) ----
    static final int SCOPE_TYPE = 2;
    static final int PARAMETER_LIST_LENGTH = 5;
    static final int SCOPE_BIT = 7;
    static final int TYPE_BIT = 3;

    // ---- PERSISTENT RESERVE OUT basic parameter list (SPC-4 6.16.3) ----
    static final int BASIC_LENGTH = 24;
    static final int RESERVATION_KEY = 0;
    static final int SERVICE_ACTION_RESERVATION_KEY = 8;
    static final int FLAGS = 20;
    static final int SPEC_I_PT = 0x08;
    static final int SPEC_I_PT_BIT = 3;
    static final int ALL_TG_PT = 0x04;
    static final int ALL_TG_PT_BIT = 2;
    static final int APTPL = 0x01;
    static final int APTPL_BIT = 0;

    // ---- REGISTER AND MOVE parameter list (SPC-4 6.16.4) ----
    static final int MOVE_FLAGS = 17;
    static final int UNREG = 0x02;
    static final int RELATIVE_TARGET_PORT = 18;
    static final int TRANSPORTID_LENGTH = 20;
    static final int TRANSPORTID = 24;

    private PersistentReserveCommands() {
    }

    // =========================== PERSISTENT RESERVE IN ===========================

    /** READ KEYS (SPC-4 6.15.2): every registered key; ADDITIONAL LENGTH does not depend on the allocation length. */
    static SenseReason readKeys(CommandContext c) {
        SenseReason fresh = c.unit.persistentReservations().refresh();
        if (fresh != SenseReason.NONE) {
            return fresh;
        }
        State s = c.unit.persistentReservations().state();
        int n = s.registrants().length;
        c.putIn32(0, Integer.toUnsignedLong(s.generation()));
        c.putIn32(4, (long) n * KEY_LENGTH);
        for (int i = 0; i < n; i++) {
            c.putIn64(HEADER + i * KEY_LENGTH, s.registrants()[i].key());
        }
        c.produce(HEADER + n * KEY_LENGTH, Cdb.u16(c.cdb, PRIN_ALLOCATION_LENGTH));
        return SenseReason.NONE;
    }

    /** READ RESERVATION (SPC-4 6.15.3): the reservation's key (zero for the all-registrants types), scope and type. */
    static SenseReason readReservation(CommandContext c) {
        SenseReason fresh = c.unit.persistentReservations().refresh();
        if (fresh != SenseReason.NONE) {
            return fresh;
        }
        State s = c.unit.persistentReservations().state();
        Reservation res = s.reservation();
        c.putIn32(0, Integer.toUnsignedLong(s.generation()));
        if (res == null) {
            c.putIn32(4, 0);
            c.produce(HEADER, Cdb.u16(c.cdb, PRIN_ALLOCATION_LENGTH));
            return SenseReason.NONE;
        }
        c.putIn32(4, RESERVATION_DESCRIPTOR);
        c.putIn64(HEADER, s.reservationKey());
        c.zeroIn(HEADER + KEY_LENGTH, HEADER + RESERVATION_DESCRIPTOR);
        c.putIn(HEADER + RESERVATION_SCOPE_TYPE, PersistentReservations.LU_SCOPE << 4 | res.type());
        c.produce(HEADER + RESERVATION_DESCRIPTOR, Cdb.u16(c.cdb, PRIN_ALLOCATION_LENGTH));
        return SenseReason.NONE;
    }

    /**
     * REPORT CAPABILITIES (SPC-4 6.15.4): CRH = 1, SIP_C = 0, ATP_C = 0, PTPL_C = 1 when a state
     * directory exists, TMV = 1 with all six types, ALLOW COMMANDS 000b (no information), PTPL_A
     * the current APTPL state.
     */
    static SenseReason reportCapabilities(CommandContext c) {
        PersistentReservations pr = c.unit.persistentReservations();
        SenseReason fresh = pr.refresh();
        if (fresh != SenseReason.NONE) {
            return fresh;
        }
        c.putIn16(0, CAPABILITIES_LENGTH);
        c.putIn(2, CRH | (pr.persistenceCapable() ? PTPL_C : 0));
        c.putIn(3, TMV | (pr.state().aptpl() ? PTPL_A : 0));
        c.putIn(4, TYPE_MASK_BYTE4);
        c.putIn(5, TYPE_MASK_BYTE5);
        c.putIn16(6, 0);
        c.produce(CAPABILITIES_LENGTH, Cdb.u16(c.cdb, PRIN_ALLOCATION_LENGTH));
        return SenseReason.NONE;
    }

    /** READ FULL STATUS (SPC-4 6.15.5): one descriptor per registration with its TransportID. */
    static SenseReason readFullStatus(CommandContext c) {
        SenseReason fresh = c.unit.persistentReservations().refresh();
        if (fresh != SenseReason.NONE) {
            return fresh;
        }
        State s = c.unit.persistentReservations().state();
        Reservation res = s.reservation();
        int p = HEADER;
        for (Registrant r : s.registrants()) {
            byte[] tid = TransportIds.encode(r.port().initiator());
            boolean holder = s.holds(r.port());
            c.putIn64(p, r.key());
            c.zeroIn(p + KEY_LENGTH, p + FULL_STATUS_DESCRIPTOR);
            c.putIn(p + 12, holder ? R_HOLDER : 0);   // ALL_TG_PT = 0
            if (holder) {
                c.putIn(p + 13, PersistentReservations.LU_SCOPE << 4 | res.type());
            }
            c.putIn16(p + 18, r.port().relativePort());
            c.putIn32(p + 20, tid.length);
            c.putIn(p + FULL_STATUS_DESCRIPTOR, tid, 0, tid.length);
            p += FULL_STATUS_DESCRIPTOR + tid.length;
        }
        c.putIn32(0, Integer.toUnsignedLong(s.generation()));
        c.putIn32(4, p - HEADER);
        c.produce(p, Cdb.u16(c.cdb, PRIN_ALLOCATION_LENGTH));
        return SenseReason.NONE;
    }

    // =========================== PERSISTENT RESERVE OUT ===========================

    static SenseReason register(CommandContext c) {
        return basic(c, Opcodes.SA_REGISTER);
    }

    static SenseReason registerAndIgnoreExistingKey(CommandContext c) {
        return basic(c, Opcodes.SA_REGISTER_AND_IGNORE_EXISTING_KEY);
    }

    static SenseReason reserve(CommandContext c) {
        return basic(c, Opcodes.SA_RESERVE);
    }

    static SenseReason release(CommandContext c) {
        return basic(c, Opcodes.SA_RELEASE);
    }

    static SenseReason clear(CommandContext c) {
        return basic(c, Opcodes.SA_CLEAR);
    }

    static SenseReason preempt(CommandContext c) {
        return basic(c, Opcodes.SA_PREEMPT);
    }

    static SenseReason preemptAndAbort(CommandContext c) {
        return basic(c, Opcodes.SA_PREEMPT_AND_ABORT);
    }

    /**
     * Every service action with the basic parameter list (SPC-4 6.16.3). The list must be
     * exactly 24 bytes (SPEC_I_PT is not supported, so nothing may follow): shorter or longer is
     * PARAMETER LIST LENGTH ERROR, SPEC_I_PT = 1 INVALID FIELD IN PARAMETER LIST. ALL_TG_PT and
     * APTPL count for REGISTER and REGISTER AND IGNORE EXISTING KEY only and are ignored
     * otherwise (6.16.3.1). SCOPE and TYPE are checked where they are used (RESERVE, RELEASE,
     * PREEMPT, PREEMPT AND ABORT; 6.16.3.3, 6.16.3.4).
     */
    private static SenseReason basic(CommandContext c, int sa) {
        long listLength = Cdb.u32(c.cdb, PARAMETER_LIST_LENGTH);
        c.wanted = listLength;
        boolean usesType = sa == Opcodes.SA_RESERVE || sa == Opcodes.SA_RELEASE
                || sa == Opcodes.SA_PREEMPT || sa == Opcodes.SA_PREEMPT_AND_ABORT;
        int scope = Cdb.u8(c.cdb, SCOPE_TYPE) >>> 4;
        int type = Cdb.u8(c.cdb, SCOPE_TYPE) & 0x0F;
        if (usesType && scope != PersistentReservations.LU_SCOPE) {
            return c.invalidField(SCOPE_TYPE, SCOPE_BIT);
        }
        if (usesType && !PersistentReservations.validType(type)) {
            return c.invalidField(SCOPE_TYPE, TYPE_BIT);
        }
        if (listLength < BASIC_LENGTH || c.outAvailable < BASIC_LENGTH) {
            return SenseReason.PARAMETER_LIST_LENGTH_ERROR;
        }
        int flags = c.outU8(FLAGS);
        if ((flags & SPEC_I_PT) != 0) {
            return c.invalidParameter(FLAGS, SPEC_I_PT_BIT);   // SIP_C = 0
        }
        if (listLength != BASIC_LENGTH) {
            return SenseReason.PARAMETER_LIST_LENGTH_ERROR;
        }
        long key = c.outU64(RESERVATION_KEY);
        long sark = c.outU64(SERVICE_ACTION_RESERVATION_KEY);
        boolean aptpl = (flags & APTPL) != 0;
        PersistentReservations pr = c.unit.persistentReservations();
        switch (sa) {
            case Opcodes.SA_REGISTER:
            case Opcodes.SA_REGISTER_AND_IGNORE_EXISTING_KEY:
                if ((flags & ALL_TG_PT) != 0) {
                    return c.invalidParameter(FLAGS, ALL_TG_PT_BIT);   // ATP_C = 0
                }
                if (aptpl && !pr.persistenceCapable()) {
                    return c.invalidParameter(FLAGS, APTPL_BIT);       // PTPL_C = 0
                }
                return pr.register(c.nexus, c.target, c.lun, key, sark,
                        sa == Opcodes.SA_REGISTER_AND_IGNORE_EXISTING_KEY, aptpl);
            case Opcodes.SA_RESERVE:
                return pr.reserve(c.nexus, key, type);
            case Opcodes.SA_RELEASE:
                return pr.release(c.nexus, c.target, c.lun, key, type);
            case Opcodes.SA_CLEAR:
                return pr.clear(c.nexus, c.target, c.lun, key);
            default: {
                TaskSet.Ended ended = new TaskSet.Ended();
                SenseReason r = pr.preempt(c.nexus, c.target, c.lun, key, sark, type,
                        sa == Opcodes.SA_PREEMPT_AND_ABORT, c, ended);
                if (c.router != null) {
                    c.router.endRemoved(ended);
                }
                return r == SenseReason.INVALID_FIELD_IN_PARAMETER_LIST
                        ? c.invalidParameter(SERVICE_ACTION_RESERVATION_KEY, -1) : r;
            }
        }
    }

    /**
     * REGISTER AND MOVE (SPC-4 6.16.4, 5.13.8): the parameter list is 24 bytes and a TransportID
     * naming one initiator port; the relative target port must be one the target is reached
     * through: a port a driver registered (every target is reached through every port), whether
     * or not the destination initiator has logged in through it yet, or the port of one of the
     * target's I_T nexuses. SCOPE and TYPE are ignored.
     */
    static SenseReason registerAndMove(CommandContext c) {
        long listLength = Cdb.u32(c.cdb, PARAMETER_LIST_LENGTH);
        c.wanted = listLength;
        if (listLength < BASIC_LENGTH || c.outAvailable < Math.min(listLength, Integer.MAX_VALUE)) {
            return SenseReason.PARAMETER_LIST_LENGTH_ERROR;
        }
        long tidLength = c.outU32(TRANSPORTID_LENGTH);
        if (TRANSPORTID + tidLength > listLength) {
            return SenseReason.PARAMETER_LIST_LENGTH_ERROR;
        }
        PersistentReservations pr = c.unit.persistentReservations();
        int flags = c.outU8(MOVE_FLAGS);
        boolean aptpl = (flags & APTPL) != 0;
        if (aptpl && !pr.persistenceCapable()) {
            return c.invalidParameter(MOVE_FLAGS, APTPL_BIT);
        }
        String initiator = TransportIds.decodePort(c, TRANSPORTID, (int) tidLength);
        if (initiator == null) {
            return c.invalidParameter(TRANSPORTID, -1);
        }
        int port = c.outU16(RELATIVE_TARGET_PORT);
        if (!c.ports.contains(port) && !targetPortExists(c.target, port)) {
            return c.invalidParameter(RELATIVE_TARGET_PORT, -1);
        }
        Port destination = new Port(initiator, port);
        SenseReason r = pr.registerAndMove(c.nexus, c.outU64(RESERVATION_KEY), c.outU64(SERVICE_ACTION_RESERVATION_KEY),
                destination, (flags & UNREG) != 0, aptpl);
        if (r == SenseReason.INVALID_FIELD_IN_PARAMETER_LIST) {
            // SARK zero, or the TransportID and port name the I_T nexus the command came on
            return destination.is(c.nexus) ? c.invalidParameter(TRANSPORTID, -1)
                    : c.invalidParameter(SERVICE_ACTION_RESERVATION_KEY, -1);
        }
        return r;
    }

    /**
     * Whether the target is reached through {@code relativePort}: one of its I_T nexuses is on it,
     * or one of its configured target port groups lists it (REPORT TARGET PORT GROUPS names it a
     * port of the target: in a gateway cluster every gateway lists the others' ports, so a
     * reservation moves to a nexus of another gateway).
     */
    private static boolean targetPortExists(Target target, int relativePort) {
        for (Nexus n : target.nexuses()) {
            if (n.relativePort() == relativePort) {
                return true;
            }
        }
        for (PortGroup g : target.accessStates().list()) {
            if (g.ports().contains(relativePort)) {
                return true;
            }
        }
        return false;
    }
}
