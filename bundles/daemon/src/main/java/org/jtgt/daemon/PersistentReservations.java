package org.jtgt.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

import org.jtgt.api.store.NotAccessibleException;
import org.jtgt.api.store.SharedReservations;
import org.jtgt.api.store.SharedReservations.Versioned;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The persistent reservation state of one logical unit (SPC-4 5.13): the registered I_T nexuses
 * with their reservation keys, the persistent reservation if any, the PRGENERATION counter and
 * the APTPL state; and the rules of every PERSISTENT RESERVE OUT service action applied to it.
 * {@link PersistentReserveCommands} parses the CDBs and parameter lists and calls in here.
 *
 * <p>A registration belongs to an I_T nexus, that is to an (initiator port name, relative target
 * port) pair ({@link Port}), not to a {@link Nexus} object: it survives I_T nexus loss and logical
 * unit reset (SPC-4 5.13.1), and an initiator port that logs in again finds it. ALL_TG_PT and
 * SPEC_I_PT are not supported (REPORT CAPABILITIES says so), so every registration names exactly
 * the nexus it came from, or the one REGISTER AND MOVE named.
 *
 * <p>The state is an immutable {@link State} behind one volatile field, replaced whole under
 * this object's lock by the (rare) PERSISTENT RESERVE OUT commands. The per-command check
 * {@link #conflicts} is one volatile read while no persistent reservation exists, and otherwise a
 * scan of at most {@link #MAX_REGISTRANTS} string compares; it allocates nothing.
 *
 * <p>Unit attentions go to every current I_T nexus of the target that matches an affected
 * registration; a registration whose nexus is not logged in gets none (the condition exists per
 * I_T nexus, and that nexus does not exist).
 *
 * <p>A unit whose store shares its reservations with other gateways ({@link #share}) keeps the
 * state in the store's record instead of files: each change is written there version-guarded
 * ({@link Stale}: decide again on the newer state), and other gateways' changes arrive through the
 * store's listener with the unit attentions they cause here (DESIGN.md, "Reservations across
 * gateways").
 */
final class PersistentReservations {
    private static final Logger LOG = LoggerFactory.getLogger(PersistentReservations.class);

    /** The most registrations one logical unit keeps; one more is INSUFFICIENT REGISTRATION RESOURCES. */
    static final int MAX_REGISTRANTS = 128;

    // ---- persistent reservation types (SPC-4 6.16.3.4, table 213) ----
    static final int WRITE_EXCLUSIVE = 0x1;
    static final int EXCLUSIVE_ACCESS = 0x3;
    static final int WRITE_EXCLUSIVE_REGISTRANTS_ONLY = 0x5;
    static final int EXCLUSIVE_ACCESS_REGISTRANTS_ONLY = 0x6;
    static final int WRITE_EXCLUSIVE_ALL_REGISTRANTS = 0x7;
    static final int EXCLUSIVE_ACCESS_ALL_REGISTRANTS = 0x8;
    /** SCOPE: only LU_SCOPE exists in SPC-4 (6.16.3.3). */
    static final int LU_SCOPE = 0x0;

    // ---- how a command is treated under a persistent reservation (SPC-4 5.13.1 table 67, SBC-3 4.17 table 13) ----
    /** Never conflicts (INQUIRY, REPORT LUNS, READ CAPACITY, PERSISTENT RESERVE IN/OUT, ...). */
    static final int ACCESS_ANY = 0;
    /** Conflicts under Exclusive Access from non-holders, under EA Registrants Only / All Registrants from unregistered nexuses. */
    static final int ACCESS_READ = 1;
    /** Conflicts under every type: from non-holders (WE, EA) or from unregistered nexuses (the others). */
    static final int ACCESS_WRITE = 2;

    /**
     * How a persistent reservation treats a command (SPC-4 5.13.1 table 67 for SPC commands,
     * SBC-3 4.17.1 table 13 for block commands). Commands that read the medium are allowed under
     * the write-exclusive types; everything that changes the medium, and MODE SENSE, MODE SELECT and
     * SYNCHRONIZE CACHE, conflicts for non-holders (or unregistered nexuses) under every type.
     * START STOP UNIT and PREVENT ALLOW MEDIUM REMOVAL depend on their CDB (START = 1 with POWER
     * CONDITION 0h, and PREVENT 00b, are allowed), so their handlers check for themselves.
     * INQUIRY, REPORT LUNS, REQUEST SENSE, TEST UNIT READY, READ CAPACITY, REPORT SUPPORTED
     * OPERATION CODES and PERSISTENT RESERVE IN/OUT never conflict; SPC-2 RESERVE and RELEASE are
     * refused by their own rule while registrations exist ({@link Reservations}).
     *
     * @param serviceAction the service action, or -1 for an opcode without
     */
    static int accessOf(int opcode, int serviceAction) {
        switch (opcode) {
            case Opcodes.READ_6:
            case Opcodes.READ_10:
            case Opcodes.READ_12:
            case Opcodes.READ_16:
            case Opcodes.VERIFY_10:
            case Opcodes.VERIFY_12:
            case Opcodes.VERIFY_16:
            case Opcodes.PRE_FETCH_10:
            case Opcodes.PRE_FETCH_16:
            case Opcodes.READ_DEFECT_DATA_10:
            case Opcodes.READ_DEFECT_DATA_12:
                return ACCESS_READ;
            case Opcodes.SERVICE_ACTION_IN_16:
                return serviceAction == Opcodes.SA_GET_LBA_STATUS ? ACCESS_READ : ACCESS_ANY;
            case Opcodes.WRITE_6:
            case Opcodes.WRITE_10:
            case Opcodes.WRITE_12:
            case Opcodes.WRITE_16:
            case Opcodes.WRITE_AND_VERIFY_10:
            case Opcodes.WRITE_AND_VERIFY_12:
            case Opcodes.WRITE_AND_VERIFY_16:
            case Opcodes.WRITE_SAME_10:
            case Opcodes.WRITE_SAME_16:
            case Opcodes.ORWRITE_16:
            case Opcodes.COMPARE_AND_WRITE:
            case Opcodes.UNMAP:
            case Opcodes.SYNCHRONIZE_CACHE_10:
            case Opcodes.SYNCHRONIZE_CACHE_16:
            case Opcodes.MODE_SENSE_6:
            case Opcodes.MODE_SENSE_10:
            case Opcodes.MODE_SELECT_6:
            case Opcodes.MODE_SELECT_10:
            case Opcodes.WRITE_ATOMIC_16:
            case Opcodes.SANITIZE:
                return ACCESS_WRITE;
            case Opcodes.THIRD_PARTY_COPY_OUT:
                // EXTENDED COPY and WRITE USING TOKEN write through this unit's copy manager;
                // POPULATE TOKEN only reads this unit's blocks (SBC-4 table of commands and reservations)
                return serviceAction == Opcodes.SA_POPULATE_TOKEN ? ACCESS_READ : ACCESS_WRITE;
            default:
                return ACCESS_ANY;
        }
    }

    /** An I_T nexus as a registration names it: initiator port name and relative target port identifier. */
    record Port(String initiator, int relativePort) {
        boolean is(Nexus n) {
            return relativePort == n.relativePort() && initiator.equalsIgnoreCase(n.initiatorPortName());
        }

        boolean same(Port o) {
            return relativePort == o.relativePort && initiator.equalsIgnoreCase(o.initiator);
        }

        static Port of(Nexus n) {
            return new Port(n.initiatorPortName(), n.relativePort());
        }
    }

    /** One registration: an I_T nexus and its reservation key (never zero). */
    record Registrant(Port port, long key) {
    }

    /**
     * The persistent reservation.
     *
     * @param holder the holding I_T nexus, or {@code null} for the all-registrants types, where
     *        every registered nexus is a holder (SPC-4 5.13.9)
     */
    record Reservation(int type, Port holder) {
        boolean allRegistrants() {
            return PersistentReservations.allRegistrants(type);
        }
    }

    /**
     * An immutable snapshot.
     *
     * @param registrants never modified once published
     * @param reservation {@code null} when none is held
     * @param aptpl the APTPL value of the last REGISTER, REGISTER AND IGNORE EXISTING KEY or
     *        REGISTER AND MOVE that changed something
     */
    record State(int generation, Registrant[] registrants, Reservation reservation, boolean aptpl) {
        static final State EMPTY = new State(0, new Registrant[0], null, false);

        Registrant find(Port p) {
            for (Registrant r : registrants) {
                if (r.port().same(p)) {
                    return r;
                }
            }
            return null;
        }

        Registrant find(Nexus n) {
            for (Registrant r : registrants) {
                if (r.port().is(n)) {
                    return r;
                }
            }
            return null;
        }

        /** Whether {@code n} holds the reservation (any registrant does for the all-registrants types). */
        boolean holds(Nexus n) {
            Reservation res = reservation;
            if (res == null) {
                return false;
            }
            return res.holder == null ? find(n) != null : res.holder.is(n);
        }

        boolean holds(Port p) {
            Reservation res = reservation;
            if (res == null) {
                return false;
            }
            return res.holder == null ? find(p) != null : res.holder.same(p);
        }

        /** The reservation key READ RESERVATION reports: the holder's, or zero for all-registrants types. */
        long reservationKey() {
            if (reservation == null || reservation.holder == null) {
                return 0;
            }
            Registrant h = find(reservation.holder);
            return h == null ? 0 : h.key;
        }
    }

    private volatile State state = State.EMPTY;
    private final int maxRegistrants;
    /**
     * Where the state is kept with the store for every gateway that exports it, or {@code null}
     * (the state is this object's). Set once by {@link #share} before the unit serves.
     */
    private volatile SharedReservations shared;
    /** The version of {@link #shared}'s record that {@link #state} is; guarded by {@link #installLock}. */
    private long version;
    private final Object installLock = new Object();
    /** Names this object's writes in the shared record, so its own notifications cause no second unit attention. */
    private final String origin = Long.toHexString(ThreadLocalRandom.current().nextLong() | 1L << 63);
    /** For the unit attentions of other gateways' changes: set when the unit joins its target. */
    private volatile Target target;
    private volatile int lun;
    /** How often a PERSISTENT RESERVE OUT reads and decides again after another gateway wrote first. */
    static final int SHARED_RETRIES = 1000;
    /** Where APTPL state is written, or {@code null}: then PTPL_C is 0 and APTPL = 1 is refused. */
    private AptplFile file;
    /** In the split shape's daemon: where every state is written for the next daemon process; else {@code null}. */
    private AptplFile kept;

    PersistentReservations() {
        this(MAX_REGISTRANTS);
    }

    PersistentReservations(int maxRegistrants) {
        this.maxRegistrants = maxRegistrants;
    }

    static boolean validType(int type) {
        return type == WRITE_EXCLUSIVE || type == EXCLUSIVE_ACCESS || type == WRITE_EXCLUSIVE_REGISTRANTS_ONLY
                || type == EXCLUSIVE_ACCESS_REGISTRANTS_ONLY || type == WRITE_EXCLUSIVE_ALL_REGISTRANTS
                || type == EXCLUSIVE_ACCESS_ALL_REGISTRANTS;
    }

    static boolean allRegistrants(int type) {
        return type == WRITE_EXCLUSIVE_ALL_REGISTRANTS || type == EXCLUSIVE_ACCESS_ALL_REGISTRANTS;
    }

    State state() {
        return state;
    }

    /** True if PTPL_C: the state can be persisted across power loss. */
    synchronized boolean persistenceCapable() {
        return file != null || shared != null;
    }

    /** Any registration exists: SPC-2 RESERVE and RELEASE conflict then (SPC-4 5.13.3, CRH = 1). */
    boolean registered() {
        return state.registrants.length > 0;
    }

    /**
     * Whether a command of access class {@code access} from {@code n} conflicts with the
     * persistent reservation (SPC-4 5.13.1 table 67; SBC-3 4.17.1 table 13). Allocation-free.
     */
    boolean conflicts(Nexus n, int access) {
        State s = state;
        Reservation res = s.reservation;
        if (access == ACCESS_ANY) {
            return false;
        }
        SharedReservations sh = shared;
        if (sh != null && !sh.current()) {
            return true;   // this gateway may have missed another's change: conflictReason() says so
        }
        if (res == null) {
            return false;
        }
        switch (res.type) {
            case WRITE_EXCLUSIVE:
                return access == ACCESS_WRITE && !s.holds(n);
            case EXCLUSIVE_ACCESS:
                return !s.holds(n);
            case WRITE_EXCLUSIVE_REGISTRANTS_ONLY:
            case WRITE_EXCLUSIVE_ALL_REGISTRANTS:
                return access == ACCESS_WRITE && s.find(n) == null;
            default:   // EXCLUSIVE ACCESS REGISTRANTS ONLY / ALL REGISTRANTS
                return s.find(n) == null;
        }
    }

    // =========================== APTPL ===========================

    /**
     * Binds the unit to its APTPL file and takes over what the file holds. A file that cannot be
     * read or parsed is reported and ignored; the unit starts without registrations then.
     */
    synchronized void restore(AptplFile f) {
        this.file = f;
        try {
            State loaded = f.load();
            if (loaded != null) {
                state = loaded;
                LOG.info("{}: restored {} registration(s){} (APTPL)", f.path(), loaded.registrants.length,
                        loaded.reservation == null ? "" : " and a reservation of type " + loaded.reservation.type);
            }
        } catch (AptplFile.BrokenFileException e) {
            LOG.warn("{}; persistent reservations of this logical unit start empty", e.getMessage());
        } catch (IOException e) {
            LOG.warn("{}: cannot read: {}; persistent reservations of this logical unit start empty", f.path(), e.toString());
        }
    }

    /**
     * Binds the unit to the file its state is kept in for the next daemon process (the split
     * shape) and takes that state over if the file exists: it is newer than the APTPL file, being
     * written on every change.
     */
    synchronized void keep(AptplFile f) {
        this.kept = f;
        try {
            State loaded = f.load();
            if (loaded != null) {
                state = loaded;
                LOG.info("{}: taken over {} registration(s){} from the previous daemon process", f.path(),
                        loaded.registrants.length,
                        loaded.reservation == null ? "" : " and a reservation of type " + loaded.reservation.type);
            }
        } catch (AptplFile.BrokenFileException e) {
            LOG.warn("{}; persistent reservations of this logical unit start from the APTPL state", e.getMessage());
        } catch (IOException e) {
            LOG.warn("{}: cannot read: {}; persistent reservations of this logical unit start from the APTPL state",
                    f.path(), e.toString());
        }
    }

    /** Lock held. Writes (or removes) the APTPL file for {@code next}; false if that failed. */
    private boolean persist(State previous, State next) {
        if (kept != null) {
            try {
                if (next.registrants.length > 0) {
                    kept.save(next);
                } else {
                    kept.delete();
                }
            } catch (IOException e) {
                LOG.warn("{}: cannot write persistent reservations: {}", kept.path(), e.toString());
                return false;
            }
        }
        if (file == null || (!next.aptpl && !previous.aptpl)) {
            return true;
        }
        try {
            if (next.aptpl && next.registrants.length > 0) {
                file.save(next);
            } else {
                file.delete();
            }
            return true;
        } catch (IOException e) {
            LOG.warn("{}: cannot write persistent reservations: {}", file.path(), e.toString());
            return false;
        }
    }

    /** Lock held. Persists and publishes {@code next}; INSUFFICIENT REGISTRATION RESOURCES if APTPL state could not be written. */
    private SenseReason publish(State previous, State next) {
        return publish(previous, next, Change.NONE, null, false);
    }

    /**
     * Lock held. Persists and publishes {@code next}. With a shared record: writes it if nobody
     * changed it since {@link #state} was read, with {@code change} for the other gateways'
     * unit attentions ({@link Stale} if somebody did: the caller reads again and decides
     * again); a gateway that cannot write (fenced, cluster unreachable) answers NOT READY and
     * changes nothing.
     */
    private SenseReason publish(State previous, State next, Change change, Port actor, boolean abort) {
        SharedReservations sh = shared;
        if (sh != null) {
            long expected;
            synchronized (installLock) {
                if (state != previous) {
                    throw Stale.INSTANCE;   // a notification came in since this command read the state
                }
                expected = version;
            }
            Versioned written;
            try {
                written = sh.compareAndSet(expected, encode(next, change, actor, abort));
            } catch (NotAccessibleException e) {
                LOG.warn("{}: persistent reservation not changed: {}", sh.describe(), e.getMessage());
                return e.fenced() ? SenseReason.TARGET_PORT_IN_UNAVAILABLE_STATE : SenseReason.TARGET_PORT_IN_STANDBY_STATE;
            } catch (IOException | RuntimeException e) {
                LOG.warn("{}: persistent reservation not changed: {}", sh.describe(), e.toString());
                return SenseReason.INSUFFICIENT_REGISTRATION_RESOURCES;
            }
            if (written == null) {
                throw Stale.INSTANCE;
            }
            install(next, written.version());
            return SenseReason.NONE;
        }
        if (!persist(previous, next)) {
            return SenseReason.INSUFFICIENT_REGISTRATION_RESOURCES;
        }
        state = next;
        return SenseReason.NONE;
    }

    // =========================== PERSISTENT RESERVE OUT ===========================

    /**
     * REGISTER and REGISTER AND IGNORE EXISTING KEY (SPC-4 5.13.7, table 61 and 62): registers,
     * changes the key of, or (SARK = 0) removes the registration of the I_T nexus {@code n}.
     */
    synchronized SenseReason register(Nexus n, Target target, int lun, long key, long sark, boolean ignoreExisting,
                                      boolean aptpl) {
        return retrying(() -> registerOnce(n, target, lun, key, sark, ignoreExisting, aptpl));
    }

    private SenseReason registerOnce(Nexus n, Target target, int lun, long key, long sark, boolean ignoreExisting,
                                     boolean aptpl) {
        State s = state;
        Registrant mine = s.find(n);
        if (mine == null) {
            if (!ignoreExisting && key != 0) {
                return SenseReason.RESERVATION_CONFLICT;
            }
            if (sark == 0) {
                return SenseReason.NONE;   // nothing to register or remove: no generation change
            }
            if (s.registrants.length >= maxRegistrants) {
                return SenseReason.INSUFFICIENT_REGISTRATION_RESOURCES;
            }
            List<Registrant> next = list(s);
            next.add(new Registrant(Port.of(n), sark));
            return publish(s, new State(s.generation + 1, array(next), s.reservation, aptpl));
        }
        if (!ignoreExisting && key != mine.key) {
            return SenseReason.RESERVATION_CONFLICT;
        }
        if (sark != 0) {
            List<Registrant> next = list(s);
            next.set(next.indexOf(mine), new Registrant(mine.port, sark));
            return publish(s, new State(s.generation + 1, array(next), s.reservation, aptpl));
        }
        return unregister(s, mine, target, lun, aptpl);
    }

    /**
     * Lock held. Removes {@code mine}; the reservation ends if it was its holder's, or (all
     * registrants types) if it was the last registration (SPC-4 5.13.11.2.3). Releasing a
     * registrants-only reservation this way tells the other registrants (RESERVATIONS RELEASED).
     */
    private SenseReason unregister(State s, Registrant mine, Target target, int lun, boolean aptpl) {
        List<Registrant> next = list(s);
        next.remove(mine);
        Reservation res = s.reservation;
        boolean released = false;
        if (res != null) {
            if (res.holder == null ? next.isEmpty() : res.holder.same(mine.port)) {
                released = true;
                res = null;
            }
        }
        State after = new State(s.generation + 1, array(next), res, aptpl);
        boolean tell = released && (s.reservation.type == WRITE_EXCLUSIVE_REGISTRANTS_ONLY
                || s.reservation.type == EXCLUSIVE_ACCESS_REGISTRANTS_ONLY);
        SenseReason r = publish(s, after, tell ? Change.RELEASED_AFTER : Change.NONE, null, false);
        if (r == SenseReason.NONE && tell) {
            notify(target, lun, after.registrants, null, SenseReason.RESERVATIONS_RELEASED);
        }
        return r;
    }

    /** RESERVE (SPC-4 5.13.9). The generation does not change. */
    synchronized SenseReason reserve(Nexus n, long key, int type) {
        return retrying(() -> reserveOnce(n, key, type));
    }

    private SenseReason reserveOnce(Nexus n, long key, int type) {
        State s = state;
        Registrant mine = s.find(n);
        if (mine == null || mine.key != key) {
            return SenseReason.RESERVATION_CONFLICT;
        }
        Reservation res = s.reservation;
        if (res != null) {
            // The holder reserving again with the same type and scope changes nothing.
            return s.holds(n) && res.type == type ? SenseReason.NONE : SenseReason.RESERVATION_CONFLICT;
        }
        return publish(s, new State(s.generation, s.registrants,
                new Reservation(type, allRegistrants(type) ? null : mine.port), s.aptpl));
    }

    /** RELEASE (SPC-4 5.13.11.2.2). The generation does not change. */
    synchronized SenseReason release(Nexus n, Target target, int lun, long key, int type) {
        return retrying(() -> releaseOnce(n, target, lun, key, type));
    }

    private SenseReason releaseOnce(Nexus n, Target target, int lun, long key, int type) {
        State s = state;
        Registrant mine = s.find(n);
        if (mine == null || mine.key != key) {
            return SenseReason.RESERVATION_CONFLICT;
        }
        Reservation res = s.reservation;
        if (res == null || !s.holds(n)) {
            return SenseReason.NONE;
        }
        if (res.type != type) {
            return SenseReason.INVALID_RELEASE_OF_PERSISTENT_RESERVATION;
        }
        boolean tell = res.type != WRITE_EXCLUSIVE && res.type != EXCLUSIVE_ACCESS;
        SenseReason r = publish(s, new State(s.generation, s.registrants, null, s.aptpl),
                tell ? Change.RELEASED_BEFORE : Change.NONE, mine.port, false);
        if (r == SenseReason.NONE && tell) {
            notify(target, lun, s.registrants, mine.port, SenseReason.RESERVATIONS_RELEASED);
        }
        return r;
    }

    /** CLEAR (SPC-4 5.13.11.2.6): every registration and the reservation go. */
    synchronized SenseReason clear(Nexus n, Target target, int lun, long key) {
        return retrying(() -> clearOnce(n, target, lun, key));
    }

    private SenseReason clearOnce(Nexus n, Target target, int lun, long key) {
        State s = state;
        Registrant mine = s.find(n);
        if (mine == null || mine.key != key) {
            return SenseReason.RESERVATION_CONFLICT;
        }
        SenseReason r = publish(s, new State(s.generation + 1, new Registrant[0], null, s.aptpl), Change.PREEMPTED_BEFORE,
                mine.port, false);
        if (r == SenseReason.NONE) {
            notify(target, lun, s.registrants, mine.port, SenseReason.RESERVATIONS_PREEMPTED);
        }
        return r;
    }

    /**
     * PREEMPT and PREEMPT AND ABORT (SPC-4 5.13.11.4). Removes the registrations the service
     * action reservation key names and, where SPC-4 says so, takes over the reservation with
     * {@code type}. The I_T nexuses whose registrations were removed get REGISTRATIONS PREEMPTED;
     * with {@code abort} their tasks on this logical unit are aborted (all but {@code own}, the
     * PERSISTENT RESERVE OUT itself): their records go, and the tasks still in the unit's task
     * set are ended as by ABORT TASK SET, collected into {@code ended} for the caller to answer
     * once this lock is let go. The command does not wait for the running ones.
     *
     * @return the outcome; INVALID FIELD IN PARAMETER LIST (SARK) is the caller's to point at
     */
    synchronized SenseReason preempt(Nexus n, Target target, int lun, long key, long sark, int type,
                                     boolean abort, CommandContext own, TaskSet.Ended ended) {
        return retrying(() -> preemptOnce(n, target, lun, key, sark, type, abort, own, ended));
    }

    private SenseReason preemptOnce(Nexus n, Target target, int lun, long key, long sark, int type,
                                    boolean abort, CommandContext own, TaskSet.Ended ended) {
        State s = state;
        Registrant mine = s.find(n);
        if (mine == null || mine.key != key) {
            return SenseReason.RESERVATION_CONFLICT;
        }
        Reservation res = s.reservation;
        List<Registrant> keep = new ArrayList<>();
        List<Port> removed = new ArrayList<>();
        Reservation nextRes = res;
        if (res == null || (res.holder != null && sark != s.reservationKey())) {
            // No reservation, or one whose holder SARK does not name: only registrations go.
            if (sark == 0) {
                return SenseReason.INVALID_FIELD_IN_PARAMETER_LIST;
            }
            split(s, sark, null, keep, removed);
            if (removed.isEmpty()) {
                return SenseReason.RESERVATION_CONFLICT;
            }
        } else if (res.holder == null) {
            // All registrants: SARK = 0 removes every other registration and takes the reservation;
            // another SARK removes the registrations it names and leaves the reservation alone.
            if (sark == 0) {
                for (Registrant r : s.registrants) {
                    if (r.port.same(mine.port)) {
                        keep.add(r);
                    } else {
                        removed.add(r.port);
                    }
                }
                nextRes = new Reservation(type, allRegistrants(type) ? null : mine.port);
            } else {
                split(s, sark, null, keep, removed);
                if (removed.isEmpty()) {
                    return SenseReason.RESERVATION_CONFLICT;
                }
            }
        } else {
            // SARK names the holder: its key's registrations go (not the preempting nexus's own),
            // and the preempting nexus holds the reservation with the new type.
            split(s, sark, mine.port, keep, removed);
            nextRes = new Reservation(type, allRegistrants(type) ? null : mine.port);
        }
        if (nextRes != null && nextRes.holder == null && keep.isEmpty()) {
            nextRes = null;
        }
        State after = new State(s.generation + 1, array(keep), nextRes, s.aptpl);
        SenseReason r = publish(s, after, Change.PREEMPT, mine.port, abort);
        if (r != SenseReason.NONE) {
            return r;
        }
        for (Nexus x : target.nexuses()) {
            for (Port p : removed) {
                if (p.is(x)) {
                    if (x != n) {
                        x.unitAttentions().establish(lun, SenseReason.REGISTRATIONS_PREEMPTED);
                    }
                    if (abort) {
                        int aborted = x.tasks().removeAll(x, lun, x == n ? own.cid : -1);
                        LogicalUnit u = own.unit;
                        u.tasks().abort(x, true, 0, own, u.workers(), null, ended);
                        if (aborted > 0) {
                            LOG.info("{}: PREEMPT AND ABORT aborted {} task(s) on LUN {}", x, aborted, lun);
                        }
                    }
                }
            }
        }
        if (res != null && nextRes != null && (res.type != nextRes.type)) {
            // SPC-4 5.13.11.4.3: a changed type tells the remaining registrants.
            notify(target, lun, after.registrants, mine.port, SenseReason.RESERVATIONS_RELEASED);
        }
        return SenseReason.NONE;
    }

    /**
     * REGISTER AND MOVE (SPC-4 5.13.8): registers {@code destination} with {@code sark} unless it
     * is registered, moves the reservation to it, and with {@code unregister} removes the
     * registration of {@code n}.
     *
     * @return NONE, RESERVATION CONFLICT, or INVALID FIELD IN PARAMETER LIST (the caller points at it)
     */
    synchronized SenseReason registerAndMove(Nexus n, long key, long sark, Port destination, boolean unregister,
                                             boolean aptpl) {
        return retrying(() -> registerAndMoveOnce(n, key, sark, destination, unregister, aptpl));
    }

    private SenseReason registerAndMoveOnce(Nexus n, long key, long sark, Port destination, boolean unregister,
                                            boolean aptpl) {
        State s = state;
        Registrant mine = s.find(n);
        if (mine == null || mine.key != key) {
            return SenseReason.RESERVATION_CONFLICT;
        }
        Reservation res = s.reservation;
        if (res == null || res.holder == null || !res.holder.same(mine.port)) {
            return SenseReason.RESERVATION_CONFLICT;   // not the holder, or an all-registrants type
        }
        if (sark == 0 || destination.same(mine.port)) {
            return SenseReason.INVALID_FIELD_IN_PARAMETER_LIST;
        }
        List<Registrant> next = list(s);
        if (s.find(destination) == null) {
            if (next.size() >= maxRegistrants) {
                return SenseReason.INSUFFICIENT_REGISTRATION_RESOURCES;
            }
            next.add(new Registrant(destination, sark));
        }
        if (unregister) {
            next.remove(mine);
        }
        return publish(s, new State(s.generation + 1, array(next), new Reservation(res.type, destination), aptpl));
    }

    // =========================== shared across gateways ===========================

    /** What a change tells the registrants on other gateways (their unit attentions). */
    enum Change {
        NONE,
        /** RESERVATIONS RELEASED to the registrants after the change (but the actor). */
        RELEASED_AFTER,
        /** RESERVATIONS RELEASED to the registrants before the change but the actor (RELEASE). */
        RELEASED_BEFORE,
        /** RESERVATIONS PREEMPTED to the registrants before the change but the actor (CLEAR). */
        PREEMPTED_BEFORE,
        /** REGISTRATIONS PREEMPTED to the removed registrations; RESERVATIONS RELEASED to the rest if the type changed. */
        PREEMPT
    }

    /** Another gateway changed the shared record since this one read it: read again, decide again. */
    static final class Stale extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final Stale INSTANCE = new Stale();

        private Stale() {
            super("the shared persistent reservation record changed", null, false, false);
        }
    }

    /** A shared record decoded: the state, and the change that made it with who made it where. */
    record Decoded(State state, Change change, String origin, Port actor, boolean abort) {
    }

    static final String SHARED_HEADER = "# jtgt persistent reservations, shared by every gateway exporting the store";

    /**
     * The shared record: the APTPL file format ({@link AptplFile}, with its {@code aptpl 0|1}
     * line), then {@code change KIND ORIGIN ABORT [RELATIVE-PORT INITIATOR-PORT-NAME]}.
     */
    byte[] encode(State next, Change change, Port actor, boolean abort) {
        StringBuilder b = new StringBuilder(AptplFile.format(SHARED_HEADER, next));
        b.append("change ").append(change.name()).append(' ').append(origin).append(' ').append(abort ? 1 : 0);
        if (actor != null) {
            b.append(' ').append(actor.relativePort()).append(' ').append(actor.initiator());
        }
        return b.append('\n').toString().getBytes(StandardCharsets.UTF_8);
    }

    static Decoded decode(Versioned v, String what) throws AptplFile.BrokenFileException {
        if (v.data().length == 0) {
            return new Decoded(State.EMPTY, Change.NONE, "", null, false);
        }
        List<String> lines = new ArrayList<>(Arrays.asList(new String(v.data(), StandardCharsets.UTF_8).split("\n")));
        Change change = Change.NONE;
        String origin = "";
        Port actor = null;
        boolean abort = false;
        AptplFile format = new AptplFile(what);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.startsWith("change ")) {
                String[] f = line.split("\\s+", 6);
                try {
                    change = Change.valueOf(f[1]);
                    origin = f[2];
                    abort = f[3].equals("1");
                    if (f.length == 6) {
                        actor = new Port(f[5], Integer.parseInt(f[4]));
                    }
                } catch (RuntimeException e) {
                    throw new AptplFile.BrokenFileException(format.path(), i + 1, "expected 'change KIND ORIGIN ABORT [PORT NAME]'");
                }
                lines.set(i, "");
            }
        }
        return new Decoded(format.parse(lines, true), change, origin, actor, abort);
    }

    /**
     * Keeps this unit's state in {@code sh} from now on, for every gateway that exports the
     * store: takes over the record (or, when no other gateway watches it and APTPL is off,
     * starts empty as after a power loss, and writes that), then listens to changes. The APTPL
     * and kept files are not used then.
     */
    void share(SharedReservations sh) throws IOException {
        boolean others = sh.othersListening();
        Versioned v = sh.load();
        Decoded d = decoded(v, sh);
        long ver = v.version();
        if (!others && !d.state.aptpl && d.state.registrants.length > 0) {
            Versioned w = sh.compareAndSet(ver, encode(new State(d.state.generation, new Registrant[0], null, false),
                    Change.NONE, null, false));
            LOG.info("{}: no other gateway exports it and APTPL is off: {} registration(s) dropped, as at power on{}",
                    sh.describe(), d.state.registrants.length, w == null ? " (another gateway wrote first)" : "");
            v = sh.load();
            d = decoded(v, sh);
            ver = v.version();
        } else if (d.state.registrants.length > 0) {
            LOG.info("{}: {} registration(s){} taken over from the record the gateways share", sh.describe(),
                    d.state.registrants.length,
                    d.state.reservation == null ? "" : " and a reservation of type " + d.state.reservation.type);
        }
        synchronized (this) {
            synchronized (installLock) {
                state = d.state;
                version = ver;
            }
            file = null;
            kept = null;
            shared = sh;
        }
        sh.listen(this::received);
        reload();   // what was written between the load and the watch
    }

    private static Decoded decoded(Versioned v, SharedReservations sh) throws IOException {
        try {
            return decode(v, sh.describe());
        } catch (AptplFile.BrokenFileException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** The unit joined {@code t} as LUN {@code number}: other gateways' changes establish unit attentions there. */
    void attach(Target t, int number) {
        this.lun = number;
        this.target = t;
    }

    /** The unit is gone: stop listening. */
    void close() {
        SharedReservations sh = shared;
        if (sh != null) {
            sh.close();
        }
    }

    boolean shared() {
        return shared != null;
    }

    /** The answer to a command {@link #conflicts} refused: NOT READY while this gateway may have missed a change. */
    SenseReason conflictReason() {
        SharedReservations sh = shared;
        return sh != null && !sh.current() ? SenseReason.TARGET_PORT_IN_UNAVAILABLE_STATE : SenseReason.RESERVATION_CONFLICT;
    }

    /**
     * Before PERSISTENT RESERVE IN: a gateway that may have missed a change reads the record
     * again (one round trip, only then); NOT READY if it cannot.
     */
    SenseReason refresh() {
        SharedReservations sh = shared;
        if (sh == null || sh.current()) {
            return SenseReason.NONE;
        }
        return reload() ? SenseReason.NONE : SenseReason.TARGET_PORT_IN_UNAVAILABLE_STATE;
    }

    private SenseReason retrying(Supplier<SenseReason> once) {
        for (int i = 0;; i++) {
            try {
                return once.get();
            } catch (Stale e) {
                if (i >= SHARED_RETRIES) {
                    LOG.warn("{}: persistent reservation not changed: the record changed {} times while deciding",
                            shared.describe(), i);
                    return SenseReason.TARGET_PORT_IN_STANDBY_STATE;
                }
                if (!reload()) {
                    return SenseReason.TARGET_PORT_IN_UNAVAILABLE_STATE;
                }
            }
        }
    }

    /** Reads the shared record and takes it if it is newer; false if it cannot be read. */
    private boolean reload() {
        SharedReservations sh = shared;
        try {
            received(sh.load(), true);
            return true;
        } catch (IOException e) {
            LOG.warn("{}: cannot read the persistent reservations: {}", sh.describe(), e.getMessage());
            return false;
        }
    }

    /** The store's listener (its watch thread): never takes this object's lock. */
    private void received(Versioned v) {
        if (v == null) {
            reload();
            return;
        }
        try {
            received(v, false);
        } catch (IOException e) {
            LOG.warn("{}", e.getMessage());
        }
    }

    private void received(Versioned v, boolean loaded) throws IOException {
        SharedReservations sh = shared;
        Decoded d = decoded(v, sh);
        State before;
        synchronized (installLock) {
            if (v.version() <= version) {
                return;
            }
            before = state;
            state = d.state;
            version = v.version();
        }
        if (!d.origin.equals(origin)) {
            LOG.debug("{}: version {} from another gateway ({}): {} registration(s)", sh.describe(), v.version(),
                    d.change, d.state.registrants.length);
            effects(before, d);
        }
    }

    private void install(State next, long ver) {
        synchronized (installLock) {
            if (ver > version) {
                state = next;
                version = ver;
            }
        }
    }

    /** Another gateway's change: the unit attentions on this gateway's nexuses (SPC-4 5.13). */
    private void effects(State before, Decoded d) {
        Target t = target;
        if (t == null) {
            return;
        }
        int number = lun;
        State after = d.state;
        switch (d.change) {
            case RELEASED_AFTER:
                notify(t, number, after.registrants, d.actor, SenseReason.RESERVATIONS_RELEASED);
                break;
            case RELEASED_BEFORE:
                notify(t, number, before.registrants, d.actor, SenseReason.RESERVATIONS_RELEASED);
                break;
            case PREEMPTED_BEFORE:
                notify(t, number, before.registrants, d.actor, SenseReason.RESERVATIONS_PREEMPTED);
                break;
            case PREEMPT: {
                List<Registrant> removed = new ArrayList<>();
                for (Registrant r : before.registrants) {
                    if (after.find(r.port) == null) {
                        removed.add(r);
                    }
                }
                notify(t, number, array(removed), d.actor, SenseReason.REGISTRATIONS_PREEMPTED);
                if (d.abort) {
                    abortRemote(t, number, removed);
                }
                if (before.reservation != null && after.reservation != null
                        && before.reservation.type != after.reservation.type) {
                    notify(t, number, after.registrants, d.actor, SenseReason.RESERVATIONS_RELEASED);
                }
                break;
            }
            default:
                break;
        }
    }

    /**
     * PREEMPT AND ABORT through another gateway: the preempted nexuses' tasks on this unit end
     * here as they would on that gateway (records removed, the unit's task set aborted, the
     * removed tasks answered as aborted; those running finish as aborted). On the watch thread:
     * the task set and records have their own locks, and answers go out from any thread, as
     * asynchronous completions do.
     */
    private static void abortRemote(Target t, int number, List<Registrant> removed) {
        LogicalUnit u = t.lun(number);
        for (Nexus x : t.nexuses()) {
            for (Registrant r : removed) {
                if (!r.port.is(x)) {
                    continue;
                }
                int aborted = x.tasks().removeAll(x, number, -1);
                if (u != null) {
                    TaskManager.endRemote(u, x);
                }
                if (aborted > 0) {
                    LOG.info("{}: PREEMPT AND ABORT through another gateway aborted {} task(s) on LUN {}", x, aborted,
                            number);
                }
                break;
            }
        }
    }

    // =========================== helpers ===========================

    /** Splits the registrations into those keyed {@code sark} (removed, except {@code spare}) and the rest. */
    private static void split(State s, long sark, Port spare, List<Registrant> keep, List<Port> removed) {
        for (Registrant r : s.registrants) {
            if (r.key == sark && (spare == null || !r.port.same(spare))) {
                removed.add(r.port);
            } else {
                keep.add(r);
            }
        }
    }

    /** Establishes {@code reason} on every current nexus of {@code who}'s registrations, except {@code except}'s. */
    private static void notify(Target target, int lun, Registrant[] who, Port except, SenseReason reason) {
        for (Nexus x : target.nexuses()) {
            if (except != null && except.is(x)) {
                continue;
            }
            for (Registrant r : who) {
                if (r.port.is(x)) {
                    x.unitAttentions().establish(lun, reason);
                    break;
                }
            }
        }
    }

    private static List<Registrant> list(State s) {
        return new ArrayList<>(List.of(s.registrants));
    }

    private static Registrant[] array(List<Registrant> l) {
        return l.toArray(new Registrant[0]);
    }
}
