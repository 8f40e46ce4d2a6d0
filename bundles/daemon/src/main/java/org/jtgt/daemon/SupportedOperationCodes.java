package org.jtgt.daemon;

/**
 * REPORT SUPPORTED OPERATION CODES (MAINTENANCE IN, service action 0Ch; SPC-4 6.35), generated
 * from the {@link CommandTable} the task router dispatches through, so it reports exactly the
 * commands that run: every registered opcode, and for an opcode with service actions one entry
 * per implemented service action.
 *
 * <pre>
 * CDB                                  all_commands parameter data (6.35.2)
 * byte 0     A3h                       0..3  COMMAND DATA LENGTH (n - 3)
 * byte 1     SA 0Ch                    4..   command descriptors, 8 bytes each:
 * byte 2     RCTD(7) REPORTING OPTIONS(2..0)     0 OPERATION CODE  1 reserved
 * byte 3     REQUESTED OPERATION CODE            2..3 SERVICE ACTION  4 reserved
 * byte 4..5  REQUESTED SERVICE ACTION            5 CTDP(1) SERVACTV(0)  6..7 CDB LENGTH
 * byte 6..9  ALLOCATION LENGTH                   + a 12-byte command timeouts descriptor if CTDP
 *
 * one_command parameter data (6.35.3): 0 reserved, 1 CTDP(7) SUPPORT(2..0), 2..3 CDB SIZE,
 * 4.. CDB USAGE DATA, then the command timeouts descriptor if CTDP.
 * command timeouts descriptor (6.35.4): 0..1 DESCRIPTOR LENGTH (0Ah), 2 reserved,
 * 3 command specific, 4..7 NOMINAL COMMAND PROCESSING TIMEOUT, 8..11 RECOMMENDED COMMAND TIMEOUT.
 * </pre>
 *
 * <p>Timeouts are reported as 0, "not specified" (SPC-4 6.35.4): every command runs inline on
 * the delivering thread and its duration is the backing store's, which the daemon cannot bound.
 */
final class SupportedOperationCodes {
    static final int RCTD = 0x80;
    static final int RCTD_BIT = 7;
    static final int REPORTING_OPTIONS_MASK = 0x07;
    static final int REPORTING_OPTIONS_MSB = 2;
    static final int ALL_COMMANDS = 0;
    static final int ONE_COMMAND = 1;
    static final int ONE_SERVICE_ACTION = 2;
    /** SPC-4 r37: operation code and service action, whether or not the opcode has service actions. */
    static final int ONE_COMMAND_OR_SERVICE_ACTION = 3;

    static final int HEADER = 4;
    static final int DESCRIPTOR = 8;
    static final int CTDP = 0x02;
    static final int SERVACTV = 0x01;
    static final int ONE_COMMAND_HEADER = 4;
    static final int ONE_COMMAND_CTDP = 0x80;
    static final int SUPPORT_NOT_SUPPORTED = 0x01;
    static final int SUPPORT_STANDARD = 0x03;
    static final int TIMEOUTS_DESCRIPTOR = 12;
    /** DESCRIPTOR LENGTH: the bytes after the length field. */
    static final int TIMEOUTS_DESCRIPTOR_LENGTH = 0x0A;

    private final CommandTable table;

    SupportedOperationCodes(CommandTable table) {
        this.table = table;
    }

    SenseReason execute(CommandContext c) {
        byte[] cdb = c.cdb;
        int flags = Cdb.u8(cdb, 2);
        boolean rctd = (flags & RCTD) != 0;
        int option = flags & REPORTING_OPTIONS_MASK;
        if ((flags & ~(RCTD | REPORTING_OPTIONS_MASK)) != 0) {
            return c.invalidField(2);
        }
        int opcode = Cdb.u8(cdb, 3);
        int serviceAction = Cdb.u16(cdb, 4);
        long allocation = Cdb.u32(cdb, 6);
        CommandTable.Entry e = table.get(opcode);
        if (!offered(c, opcode)) {
            e = CommandTable.INVALID;
        }
        switch (option) {
            case ALL_COMMANDS:
                allCommands(c, rctd, allocation);
                return SenseReason.NONE;
            case ONE_COMMAND:
                if (e.hasServiceActions()) {
                    return c.invalidField(2, REPORTING_OPTIONS_MSB);
                }
                oneCommand(c, rctd, e == CommandTable.INVALID ? null : e.usage(), allocation);
                return SenseReason.NONE;
            case ONE_SERVICE_ACTION:
                if (e != CommandTable.INVALID && !e.hasServiceActions()) {
                    return c.invalidField(2, REPORTING_OPTIONS_MSB);
                }
                oneCommand(c, rctd, serviceActionUsage(e, serviceAction), allocation);
                return SenseReason.NONE;
            case ONE_COMMAND_OR_SERVICE_ACTION:
                byte[] usage = e.hasServiceActions() ? serviceActionUsage(e, serviceAction)
                        : serviceAction == 0 ? e.usage() : null;
                oneCommand(c, rctd, usage, allocation);
                return SenseReason.NONE;
            default:
                return c.invalidField(2, REPORTING_OPTIONS_MSB);
        }
    }

    /** Whether the addressed unit offers {@code opcode}: SPC-2 reservations only where they are not shared. */
    private static boolean offered(CommandContext c, int opcode) {
        return !Reservations.isReserveOrRelease(opcode) || Reservations.offered(c.unit);
    }

    private static byte[] serviceActionUsage(CommandTable.Entry e, int serviceAction) {
        if (!e.hasServiceActions() || serviceAction >= CommandTable.SERVICE_ACTIONS) {
            return null;
        }
        CommandTable.ServiceAction a = e.serviceActions()[serviceAction];
        return a == null ? null : a.usage();
    }

    private void allCommands(CommandContext c, boolean rctd, long allocation) {
        int size = DESCRIPTOR + (rctd ? TIMEOUTS_DESCRIPTOR : 0);
        int p = HEADER;
        for (int op = 0; op < 256; op++) {
            CommandTable.Entry e = table.get(op);
            if (e == CommandTable.INVALID || !offered(c, op)) {
                continue;
            }
            if (e.hasServiceActions()) {
                for (CommandTable.ServiceAction a : e.serviceActions()) {
                    if (a != null) {
                        descriptor(c, p, op, a.code(), true, a.usage().length, rctd);
                        p += size;
                    }
                }
            } else {
                descriptor(c, p, op, 0, false, e.usage().length, rctd);
                p += size;
            }
        }
        c.putIn32(0, p - HEADER);
        c.produce(p, allocation);
    }

    private static void descriptor(CommandContext c, int p, int opcode, int serviceAction, boolean servactv,
                                   int cdbLength, boolean rctd) {
        c.putIn(p, opcode);
        c.putIn(p + 1, 0);
        c.putIn16(p + 2, serviceAction);
        c.putIn(p + 4, 0);
        c.putIn(p + 5, (rctd ? CTDP : 0) | (servactv ? SERVACTV : 0));
        c.putIn16(p + 6, cdbLength);
        if (rctd) {
            timeouts(c, p + DESCRIPTOR);
        }
    }

    /** A command timeouts descriptor with both timeouts "not specified" (see the class comment). */
    private static void timeouts(CommandContext c, int p) {
        c.zeroIn(p, p + TIMEOUTS_DESCRIPTOR);
        c.putIn16(p, TIMEOUTS_DESCRIPTOR_LENGTH);
    }

    /** One command's parameter data; {@code usage == null}: not supported (SUPPORT 001b). */
    private static void oneCommand(CommandContext c, boolean rctd, byte[] usage, long allocation) {
        if (usage == null) {
            c.zeroIn(0, ONE_COMMAND_HEADER);
            c.putIn(1, SUPPORT_NOT_SUPPORTED);
            c.produce(ONE_COMMAND_HEADER, allocation);
            return;
        }
        c.putIn(0, 0);
        c.putIn(1, (rctd ? ONE_COMMAND_CTDP : 0) | SUPPORT_STANDARD);
        c.putIn16(2, usage.length);
        c.putIn(ONE_COMMAND_HEADER, usage, 0, usage.length);
        int p = ONE_COMMAND_HEADER + usage.length;
        if (rctd) {
            timeouts(c, p);
            p += TIMEOUTS_DESCRIPTOR;
        }
        c.produce(p, allocation);
    }
}
