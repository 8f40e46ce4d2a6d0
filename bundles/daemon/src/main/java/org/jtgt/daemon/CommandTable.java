package org.jtgt.daemon;

import java.util.Arrays;

/**
 * The dispatch table: one entry for each of the 256 operation codes, pre-filled with the
 * INVALID COMMAND OPERATION CODE handler (SPC-4 4.5.6, ASC 20h), as tgt's {@code usr/sbc.c} and
 * gotgt's {@code sbc.go} do. Implemented opcodes are registered over it, each with its CDB usage
 * data (SPC-4 6.35.3: a bit set for every CDB bit the device server evaluates), and opcodes with
 * service actions with a table of those. REPORT SUPPORTED OPERATION CODES is generated from this
 * table ({@link SupportedOperationCodes}), so what is reported is what is dispatched.
 *
 * <p>Block commands are registered as a {@link Decoder} of their CDB family and an executor
 * ({@link #decoded}): the decoder validates the CDB and leaves the decoded command (LBA, blocks,
 * flags, transfer length, the range checked) in the context; the executor runs only if it
 * found nothing wrong, as LIO's {@code sbc_parse_cdb} precedes {@code execute_cmd}.
 */
final class CommandTable {
    /** Executes one command; returns {@link SenseReason#NONE} on success. */
    @FunctionalInterface
    interface Handler {
        SenseReason execute(CommandContext c);
    }

    /**
     * Decodes and validates one CDB family's fields into the context ({@link BlockCdb});
     * returns {@link SenseReason#NONE} when the command may execute.
     */
    @FunctionalInterface
    interface Decoder {
        SenseReason decode(CommandContext c);
    }

    /** Service actions are the 5-bit field in bits 4..0 of CDB byte 1 (SPC-4 4.3.3). */
    static final int SERVICE_ACTIONS = 32;

    /**
     * One service action of an opcode that has them.
     *
     * @param usage CDB usage data; byte 1 carries the service action itself (SPC-4 6.35.3)
     */
    record ServiceAction(int code, String name, Handler handler, byte[] usage) {
        /** How a persistent reservation treats this service action ({@link PersistentReservations#accessOf}). */
        int persistentAccess(int opcode) {
            return PersistentReservations.accessOf(opcode, code);
        }
    }

    /**
     * One opcode's handler and how the task router treats it.
     *
     * @param worksWithoutUnit the command is answered for a LUN that is not in the target's
     *        inventory (SPC-4 6.6.2 INQUIRY, 6.33 REPORT LUNS, 6.39 REQUEST SENSE)
     * @param bypassesUnitAttention a pending unit attention neither stops nor is cleared by the
     *        command (SAM-5 5.14: INQUIRY, REPORT LUNS, REQUEST SENSE)
     * @param usage CDB usage data, or {@code null} for an opcode with service actions
     * @param serviceActions indexed by service action, {@code null} where none is implemented;
     *        {@code null} as a whole for an opcode without service actions
     * @param conflicts the command is refused with RESERVATION CONFLICT when another I_T nexus
     *        holds an SPC-2 reservation of the unit (SPC-2 5.5.1, table 10)
     * @param needsMedium the command accesses the medium, so it is NOT READY, MEDIUM NOT PRESENT
     *        while a removable unit's medium is ejected (SBC-3 5.25)
     * @param persistentAccess how a persistent reservation treats the command, by opcode and
     *        service action ({@link PersistentReservations#accessOf}); indexed by service action
     *        like {@code serviceActions}, or one element for an opcode without service actions
     * @param duringSanitize the command is processed while a sanitize operation runs (SBC-4:
     *        INQUIRY, REPORT LUNS, REQUEST SENSE, REPORT SUPPORTED OPERATION CODES; and an
     *        unknown opcode stays INVALID COMMAND OPERATION CODE); every other command is NOT READY,
     *        SANITIZE IN PROGRESS
     * @param usesStore the command calls the backing store: over a store that blocks, it runs on
     *        the unit's store workers, never on the thread that delivered it
     * @param submitsAsync the executor submits its store I/O to an {@link
     *        org.jtgt.api.store.AsyncBackingStore} and is finished by the completion (READ, WRITE,
     *        SYNCHRONIZE CACHE): over such a store it runs on the delivering thread even if the
     *        store's synchronous methods block
     * @param readsNow a READ: over a store that blocks, it is first tried on the delivering
     *        thread through the store's {@code readNow} ({@link TaskRouter#start})
     */
    record Entry(String name, Handler handler, boolean worksWithoutUnit, boolean bypassesUnitAttention,
                 byte[] usage, ServiceAction[] serviceActions, boolean conflicts, boolean needsMedium,
                 int[] persistentAccess, boolean duringSanitize, boolean usesStore, boolean submitsAsync,
                 boolean readsNow) {
        /** The access class of the command in {@code cdb} under a persistent reservation; allocation-free. */
        int persistentAccess(byte[] cdb) {
            int[] a = persistentAccess;
            return a.length == 1 ? a[0] : a[cdb[1] & Opcodes.SERVICE_ACTION_MASK];
        }

        boolean hasServiceActions() {
            return serviceActions != null;
        }
    }

    /** Registration flag: refused under another nexus's reservation. */
    private static final int CONFLICTS = 1;
    /** Registration flag: accesses the medium. */
    private static final int MEDIUM = 2;
    /** Registration flag: processed while a sanitize operation runs. */
    private static final int DURING_SANITIZE = 4;
    /** Registration flag: calls the backing store. */
    private static final int STORE = 8;
    /** Registration flag: submits its store I/O asynchronously where the store can take it so. */
    private static final int ASYNC = 16;
    /** Registration flag: a READ, tried through the store's readNow before the workers. */
    private static final int READ_NOW = 32;
    private static final int MEDIUM_ACCESS = CONFLICTS | MEDIUM | STORE;
    private static final int MEDIUM_IO = MEDIUM_ACCESS | ASYNC;
    private static final int MEDIUM_READ = MEDIUM_IO | READ_NOW;

    static final Entry INVALID = new Entry("invalid", c -> SenseReason.INVALID_COMMAND_OPERATION_CODE,
            false, false, null, null, false, false, new int[1], true, false, false, false);

    private final Entry[] entries = new Entry[256];

    private CommandTable() {
        Arrays.fill(entries, INVALID);
    }

    /** The block device command set this daemon implements. */
    static CommandTable blockDevice() {
        CommandTable t = new CommandTable();
        // SPC-4 commands. Usage data: the CONTROL byte's NACA bit is evaluated (and refused).
        t.spc(Opcodes.TEST_UNIT_READY, "TEST UNIT READY", SpcCommands::testUnitReady, "00 00 00 00 00 04", MEDIUM);
        t.any(Opcodes.INQUIRY, "INQUIRY", SpcCommands::inquiry, "12 03 FF FF FF 04");
        t.any(Opcodes.REQUEST_SENSE, "REQUEST SENSE", SpcCommands::requestSense, "03 01 00 00 FF 04");
        t.any(Opcodes.REPORT_LUNS, "REPORT LUNS", SpcCommands::reportLuns, "A0 00 FF 00 00 00 FF FF FF FF 00 04");
        t.spc(Opcodes.MODE_SENSE_6, "MODE SENSE(6)", ModePages::modeSense6, "1A 08 FF FF FF 04", CONFLICTS);
        t.spc(Opcodes.MODE_SENSE_10, "MODE SENSE(10)", ModePages::modeSense10, "5A 18 FF FF 00 00 00 FF FF 04", CONFLICTS);
        t.spc(Opcodes.MODE_SELECT_6, "MODE SELECT(6)", ModePages::modeSelect6, "15 11 00 00 FF 04", CONFLICTS);
        t.spc(Opcodes.MODE_SELECT_10, "MODE SELECT(10)", ModePages::modeSelect10, "55 11 00 00 00 00 00 FF FF 04", CONFLICTS);
        t.spc(Opcodes.RESERVE_6, "RESERVE(6)", Reservations::reserve6, "16 00 00 00 00 04", CONFLICTS);
        t.spc(Opcodes.RELEASE_6, "RELEASE(6)", Reservations::release6, "17 00 00 00 00 04", 0);
        t.spc(Opcodes.RESERVE_10, "RESERVE(10)", Reservations::reserve10, "56 00 00 00 00 00 00 00 00 04", CONFLICTS);
        t.spc(Opcodes.RELEASE_10, "RELEASE(10)", Reservations::release10, "57 00 00 00 00 00 00 00 00 04", 0);
        t.spc(Opcodes.LOG_SENSE, "LOG SENSE", LogPages::logSense, "4D 01 FF FF 00 FF FF FF FF 04", 0);
        SupportedOperationCodes rsoc = new SupportedOperationCodes(t);
        t.serviceActions(Opcodes.MAINTENANCE_IN, "MAINTENANCE IN", DURING_SANITIZE,
                new ServiceAction(Opcodes.SA_REPORT_SUPPORTED_OPERATION_CODES, "REPORT SUPPORTED OPERATION CODES",
                        rsoc::execute, usage("A3 0C 87 FF FF FF FF FF FF FF 00 04")),
                new ServiceAction(Opcodes.SA_REPORT_TARGET_PORT_GROUPS, "REPORT TARGET PORT GROUPS",
                        TargetPortGroups::report, usage("A3 EA 00 00 00 00 FF FF FF FF 00 04")));
        // SPC-4 6.45; not refused under reservations (SPC-4 5.13.1 lets any I_T nexus change access states)
        t.serviceActions(Opcodes.MAINTENANCE_OUT, "MAINTENANCE OUT", 0,
                new ServiceAction(Opcodes.SA_SET_TARGET_PORT_GROUPS, "SET TARGET PORT GROUPS",
                        TargetPortGroups::set, usage("A4 0A 00 00 00 00 FF FF FF FF 00 04")));
        // SBC-3 commands. Byte 1: DPO and FUA are accepted (MODE SENSE reports DPOFUA = 1);
        // RDPROTECT/WRPROTECT/VRPROTECT are not supported and so not "used".
        t.sbc(Opcodes.READ_CAPACITY_10, "READ CAPACITY(10)", CapacityCdb::readCapacity10, SbcCommands::readCapacity10,
                "25 00 FF FF FF FF 00 00 01 04", MEDIUM);
        t.serviceActions(Opcodes.SERVICE_ACTION_IN_16, "SERVICE ACTION IN(16)", MEDIUM,
                new ServiceAction(Opcodes.SA_READ_CAPACITY_16, "READ CAPACITY(16)",
                        decoded(CapacityCdb::readCapacity16, SbcCommands::readCapacity16),
                        usage("9E 10 FF FF FF FF FF FF FF FF FF FF FF FF 01 04")),
                new ServiceAction(Opcodes.SA_GET_LBA_STATUS, "GET LBA STATUS",
                        decoded(GetLbaStatusCdb::decode, SbcCommands::getLbaStatus),
                        usage("9E 12 FF FF FF FF FF FF FF FF FF FF FF FF 00 04")));
        t.sbc(Opcodes.READ_6, "READ(6)", ReadWriteCdb::decode6, SbcCommands::read, "08 1F FF FF FF 04", MEDIUM_READ);
        t.sbc(Opcodes.READ_10, "READ(10)", ReadWriteCdb::decode10, SbcCommands::read,
                "28 18 FF FF FF FF 00 FF FF 04", MEDIUM_READ);
        t.sbc(Opcodes.READ_12, "READ(12)", ReadWriteCdb::decode12, SbcCommands::read,
                "A8 18 FF FF FF FF FF FF FF FF 00 04", MEDIUM_READ);
        t.sbc(Opcodes.READ_16, "READ(16)", ReadWriteCdb::decode16, SbcCommands::read,
                "88 18 FF FF FF FF FF FF FF FF FF FF FF FF 00 04", MEDIUM_READ);
        t.sbc(Opcodes.WRITE_6, "WRITE(6)", ReadWriteCdb::decode6, SbcCommands::write, "0A 1F FF FF FF 04", MEDIUM_IO);
        t.sbc(Opcodes.WRITE_10, "WRITE(10)", ReadWriteCdb::decode10, SbcCommands::write,
                "2A 18 FF FF FF FF 00 FF FF 04", MEDIUM_IO);
        t.sbc(Opcodes.WRITE_12, "WRITE(12)", ReadWriteCdb::decode12, SbcCommands::write,
                "AA 18 FF FF FF FF FF FF FF FF 00 04", MEDIUM_IO);
        t.sbc(Opcodes.WRITE_16, "WRITE(16)", ReadWriteCdb::decode16, SbcCommands::write,
                "8A 18 FF FF FF FF FF FF FF FF FF FF FF FF 00 04", MEDIUM_IO);
        t.sbc(Opcodes.WRITE_AND_VERIFY_10, "WRITE AND VERIFY(10)", VerifyCdb::writeAndVerify10, SbcCommands::writeAndVerify,
                "2E 16 FF FF FF FF 00 FF FF 04", MEDIUM_ACCESS);
        t.sbc(Opcodes.WRITE_AND_VERIFY_12, "WRITE AND VERIFY(12)", VerifyCdb::writeAndVerify12, SbcCommands::writeAndVerify,
                "AE 16 FF FF FF FF FF FF FF FF 00 04", MEDIUM_ACCESS);
        t.sbc(Opcodes.WRITE_AND_VERIFY_16, "WRITE AND VERIFY(16)", VerifyCdb::writeAndVerify16, SbcCommands::writeAndVerify,
                "8E 16 FF FF FF FF FF FF FF FF FF FF FF FF 00 04", MEDIUM_ACCESS);
        t.sbc(Opcodes.VERIFY_10, "VERIFY(10)", VerifyCdb::verify10, SbcCommands::verify,
                "2F 16 FF FF FF FF 00 FF FF 04", MEDIUM_ACCESS);
        t.sbc(Opcodes.VERIFY_12, "VERIFY(12)", VerifyCdb::verify12, SbcCommands::verify,
                "AF 16 FF FF FF FF FF FF FF FF 00 04", MEDIUM_ACCESS);
        t.sbc(Opcodes.VERIFY_16, "VERIFY(16)", VerifyCdb::verify16, SbcCommands::verify,
                "8F 16 FF FF FF FF FF FF FF FF FF FF FF FF 00 04", MEDIUM_ACCESS);
        t.sbc(Opcodes.SYNCHRONIZE_CACHE_10, "SYNCHRONIZE CACHE(10)", CacheCdb::synchronizeCache10, SbcCommands::synchronizeCache,
                "35 02 FF FF FF FF 00 FF FF 04", MEDIUM_IO);
        t.sbc(Opcodes.SYNCHRONIZE_CACHE_16, "SYNCHRONIZE CACHE(16)", CacheCdb::synchronizeCache16, SbcCommands::synchronizeCache,
                "91 02 FF FF FF FF FF FF FF FF FF FF FF FF 00 04", MEDIUM_IO);
        t.sbc(Opcodes.PRE_FETCH_10, "PRE-FETCH(10)", CacheCdb::preFetch10, SbcCommands::preFetch,
                "34 02 FF FF FF FF 00 FF FF 04", MEDIUM_ACCESS);
        t.sbc(Opcodes.PRE_FETCH_16, "PRE-FETCH(16)", CacheCdb::preFetch16, SbcCommands::preFetch,
                "90 02 FF FF FF FF FF FF FF FF FF FF FF FF 00 04", MEDIUM_ACCESS);
        t.sbc(Opcodes.ORWRITE_16, "ORWRITE(16)", ReadWriteCdb::decode16, SbcCommands::orWrite,
                "8B 18 FF FF FF FF FF FF FF FF FF FF FF FF 00 04", MEDIUM_ACCESS);
        t.sbc(Opcodes.WRITE_SAME_10, "WRITE SAME(10)", WriteSameCdb::decode10, SbcCommands::writeSame,
                "41 08 FF FF FF FF 00 FF FF 04", MEDIUM_ACCESS);
        t.sbc(Opcodes.WRITE_SAME_16, "WRITE SAME(16)", WriteSameCdb::decode16, SbcCommands::writeSame,
                "93 09 FF FF FF FF FF FF FF FF FF FF FF FF 00 04", MEDIUM_ACCESS);
        t.sbc(Opcodes.COMPARE_AND_WRITE, "COMPARE AND WRITE", CompareAndWriteCdb::decode, SbcCommands::compareAndWrite,
                "89 18 FF FF FF FF FF FF FF FF 00 00 00 FF 00 04", MEDIUM_ACCESS);
        t.sbc(Opcodes.UNMAP, "UNMAP", UnmapCdb::decode, SbcCommands::unmap, "42 00 00 00 00 00 00 FF FF 04", MEDIUM_ACCESS);
        t.sbc(Opcodes.START_STOP_UNIT, "START STOP UNIT", MediumCdb::startStopUnit, SbcCommands::startStopUnit, "1B 01 00 0F F7 04", CONFLICTS);
        // SPC-4 6.15, 6.16. Refused under another nexus's SPC-2 reservation (SPC-4 5.13.3);
        // never in conflict with a persistent reservation (the service actions check keys).
        t.serviceActions(Opcodes.PERSISTENT_RESERVE_IN, "PERSISTENT RESERVE IN", CONFLICTS,
                new ServiceAction(Opcodes.SA_READ_KEYS, "READ KEYS", PersistentReserveCommands::readKeys,
                        usage("5E 00 00 00 00 00 00 FF FF 04")),
                new ServiceAction(Opcodes.SA_READ_RESERVATION, "READ RESERVATION", PersistentReserveCommands::readReservation,
                        usage("5E 01 00 00 00 00 00 FF FF 04")),
                new ServiceAction(Opcodes.SA_REPORT_CAPABILITIES, "REPORT CAPABILITIES",
                        PersistentReserveCommands::reportCapabilities, usage("5E 02 00 00 00 00 00 FF FF 04")),
                new ServiceAction(Opcodes.SA_READ_FULL_STATUS, "READ FULL STATUS", PersistentReserveCommands::readFullStatus,
                        usage("5E 03 00 00 00 00 00 FF FF 04")));
        t.serviceActions(Opcodes.PERSISTENT_RESERVE_OUT, "PERSISTENT RESERVE OUT", CONFLICTS,
                new ServiceAction(Opcodes.SA_REGISTER, "REGISTER", PersistentReserveCommands::register,
                        usage("5F 00 FF 00 00 FF FF FF FF 04")),
                new ServiceAction(Opcodes.SA_RESERVE, "RESERVE", PersistentReserveCommands::reserve,
                        usage("5F 01 FF 00 00 FF FF FF FF 04")),
                new ServiceAction(Opcodes.SA_RELEASE, "RELEASE", PersistentReserveCommands::release,
                        usage("5F 02 FF 00 00 FF FF FF FF 04")),
                new ServiceAction(Opcodes.SA_CLEAR, "CLEAR", PersistentReserveCommands::clear,
                        usage("5F 03 FF 00 00 FF FF FF FF 04")),
                new ServiceAction(Opcodes.SA_PREEMPT, "PREEMPT", PersistentReserveCommands::preempt,
                        usage("5F 04 FF 00 00 FF FF FF FF 04")),
                new ServiceAction(Opcodes.SA_PREEMPT_AND_ABORT, "PREEMPT AND ABORT", PersistentReserveCommands::preemptAndAbort,
                        usage("5F 05 FF 00 00 FF FF FF FF 04")),
                new ServiceAction(Opcodes.SA_REGISTER_AND_IGNORE_EXISTING_KEY, "REGISTER AND IGNORE EXISTING KEY",
                        PersistentReserveCommands::registerAndIgnoreExistingKey, usage("5F 06 FF 00 00 FF FF FF FF 04")),
                new ServiceAction(Opcodes.SA_REGISTER_AND_MOVE, "REGISTER AND MOVE", PersistentReserveCommands::registerAndMove,
                        usage("5F 07 FF 00 00 FF FF FF FF 04")));
        t.sbc(Opcodes.PREVENT_ALLOW_MEDIUM_REMOVAL, "PREVENT ALLOW MEDIUM REMOVAL", MediumCdb::preventAllowMediumRemoval,
                SbcCommands::preventAllowMediumRemoval,
                "1E 00 00 00 03 04", CONFLICTS);
        t.sbc(Opcodes.WRITE_ATOMIC_16, "WRITE ATOMIC(16)", ReadWriteCdb::decodeAtomic16, SbcCommands::writeAtomic,
                "9C 18 FF FF FF FF FF FF FF FF 00 00 FF FF 00 04", MEDIUM_ACCESS);
        t.spc(Opcodes.READ_DEFECT_DATA_10, "READ DEFECT DATA(10)", DefectData::readDefectData10,
                "37 00 1F 00 00 00 00 FF FF 04", MEDIUM_ACCESS);
        t.spc(Opcodes.READ_DEFECT_DATA_12, "READ DEFECT DATA(12)", DefectData::readDefectData12,
                "B7 1F FF FF FF FF FF FF FF FF 00 04", MEDIUM_ACCESS);
        // Not STORE: the handler marks the unit as sanitizing before it answers or returns (later
        // commands must see that at once) and runs the operation on a thread of its own.
        t.serviceActions(Opcodes.SANITIZE, "SANITIZE", CONFLICTS | MEDIUM,
                new ServiceAction(Opcodes.SA_SANITIZE_OVERWRITE, "SANITIZE OVERWRITE", Sanitize::overwrite,
                        usage("48 A1 00 00 00 00 00 FF FF 04")),
                new ServiceAction(Opcodes.SA_SANITIZE_BLOCK_ERASE, "SANITIZE BLOCK ERASE", Sanitize::blockErase,
                        usage("48 A2 00 00 00 00 00 FF FF 04")),
                new ServiceAction(Opcodes.SA_SANITIZE_EXIT_FAILURE_MODE, "SANITIZE EXIT FAILURE MODE",
                        Sanitize::exitFailureMode, usage("48 BF 00 00 00 00 00 FF FF 04")));
        // SPC-4 third-party copy (EXTENDED COPY LID1 and RECEIVE COPY RESULTS); SBC-4 token copy.
        t.serviceActions(Opcodes.THIRD_PARTY_COPY_OUT, "THIRD-PARTY COPY OUT", MEDIUM_ACCESS,
                new ServiceAction(Opcodes.SA_EXTENDED_COPY_LID1, "EXTENDED COPY(LID1)", ExtendedCopy::extendedCopy,
                        usage("83 00 00 00 00 00 00 00 00 00 FF FF FF FF 00 04")),
                new ServiceAction(Opcodes.SA_POPULATE_TOKEN, "POPULATE TOKEN", TokenCopy::populateToken,
                        usage("83 10 00 00 00 00 FF FF FF FF FF FF FF FF 00 04")),
                new ServiceAction(Opcodes.SA_WRITE_USING_TOKEN, "WRITE USING TOKEN", TokenCopy::writeUsingToken,
                        usage("83 11 00 00 00 00 FF FF FF FF FF FF FF FF 00 04")));
        t.serviceActions(Opcodes.THIRD_PARTY_COPY_IN, "THIRD-PARTY COPY IN", 0,
                new ServiceAction(Opcodes.SA_COPY_STATUS, "RECEIVE COPY STATUS(LID1)", ExtendedCopy::copyStatus,
                        usage("84 00 FF 00 00 00 00 00 00 00 FF FF FF FF 00 04")),
                new ServiceAction(Opcodes.SA_OPERATING_PARAMETERS, "RECEIVE COPY OPERATING PARAMETERS",
                        ExtendedCopy::operatingParameters, usage("84 03 00 00 00 00 00 00 00 00 FF FF FF FF 00 04")),
                new ServiceAction(Opcodes.SA_FAILED_SEGMENT_DETAILS, "RECEIVE COPY FAILURE DETAILS(LID1)",
                        ExtendedCopy::failedSegmentDetails, usage("84 04 FF 00 00 00 00 00 00 00 FF FF FF FF 00 04")),
                new ServiceAction(Opcodes.SA_RECEIVE_ROD_TOKEN_INFORMATION, "RECEIVE ROD TOKEN INFORMATION",
                        TokenCopy::receiveRodTokenInformation, usage("84 07 FF FF FF FF 00 00 00 00 FF FF FF FF 00 04")));
        return t;
    }

    /** A command addressed to an existing logical unit and subject to unit attentions. */
    private void spc(int opcode, String name, Handler h, String usage, int flags) {
        register(opcode, new Entry(name, h, false, false, usage(usage), null,
                (flags & CONFLICTS) != 0, (flags & MEDIUM) != 0,
                new int[] {PersistentReservations.accessOf(opcode, -1)}, (flags & DURING_SANITIZE) != 0,
                (flags & STORE) != 0, (flags & ASYNC) != 0, (flags & READ_NOW) != 0));
    }

    /** A block command: its CDB family's decoder, then its executor. */
    private void sbc(int opcode, String name, Decoder decoder, Handler executor, String usage, int flags) {
        spc(opcode, name, decoded(decoder, executor), usage, flags);
    }

    /** The handler that runs {@code executor} once {@code decoder} accepted the CDB; made once, at table build. */
    static Handler decoded(Decoder decoder, Handler executor) {
        return c -> {
            SenseReason r = decoder.decode(c);
            return r != SenseReason.NONE ? r : executor.execute(c);
        };
    }

    /** A command answered for any LUN, not stopped by unit attentions nor by reservations. */
    private void any(int opcode, String name, Handler h, String usage) {
        register(opcode, new Entry(name, h, true, true, usage(usage), null, false, false,
                new int[] {PersistentReservations.accessOf(opcode, -1)}, true, false, false, false));
    }

    /** An opcode whose CDB byte 1 names a service action; unknown ones are INVALID FIELD IN CDB. */
    private void serviceActions(int opcode, String name, int flags, ServiceAction... actions) {
        ServiceAction[] bySa = new ServiceAction[SERVICE_ACTIONS];
        for (ServiceAction a : actions) {
            if (a.usage()[0] != (byte) opcode || (a.usage()[1] & Opcodes.SERVICE_ACTION_MASK) != a.code()) {
                throw new IllegalStateException(a.name() + ": usage data must start with opcode and service action");
            }
            bySa[a.code()] = a;
        }
        Handler dispatch = c -> {
            ServiceAction a = bySa[Cdb.u8(c.cdb, 1) & Opcodes.SERVICE_ACTION_MASK];
            return a == null ? c.invalidField(1, Opcodes.SERVICE_ACTION_MSB) : a.handler().execute(c);
        };
        int[] access = new int[SERVICE_ACTIONS];
        for (ServiceAction a : actions) {
            access[a.code()] = a.persistentAccess(opcode);
        }
        register(opcode, new Entry(name, dispatch, false, false, null, bySa,
                (flags & CONFLICTS) != 0, (flags & MEDIUM) != 0, access, (flags & DURING_SANITIZE) != 0,
                (flags & STORE) != 0, (flags & ASYNC) != 0, (flags & READ_NOW) != 0));
    }

    /** Parses usage data written as hex bytes; its length is the CDB length. */
    static byte[] usage(String hex) {
        String[] parts = hex.trim().split("\\s+");
        byte[] b = new byte[parts.length];
        for (int i = 0; i < parts.length; i++) {
            b[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        return b;
    }

    private void register(int opcode, Entry e) {
        if (entries[opcode] != INVALID) {
            throw new IllegalStateException("opcode 0x" + Integer.toHexString(opcode) + " registered twice");
        }
        if (e.usage() != null && (e.usage()[0] != (byte) opcode || e.usage().length != Cdb.lengthForOpcode(opcode))) {
            throw new IllegalStateException(e.name() + ": usage data must start with the opcode and span the CDB");
        }
        entries[opcode] = e;
    }

    Entry get(int opcode) {
        return entries[opcode & 0xFF];
    }
}
