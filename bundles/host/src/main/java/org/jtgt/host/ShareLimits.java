package org.jtgt.host;

/**
 * How much of the data area and of a host's command slots one session (I_T nexus) and one host
 * may hold, so that one initiator cannot starve the others (SAM-5 5.3.1: a logical unit should
 * accept at least one command of every initiator; TASK SET FULL is the answer for an initiator
 * that already has commands in the task set).
 *
 * <p>The rule, checked by {@link HostQueue#allocate} under the host's slot lock:
 * <ul>
 * <li>a session never holds more than {@link #sessionBytes} of data and {@link #sessionCommands}
 *     slots;
 * <li>a session that holds nothing may take its one command from anywhere, the reserve included:
 *     every session can always get a command in while there is room at all; and a session may
 *     go on taking from anywhere while it holds less than its guaranteed part, an eighth of the
 *     reserve ({@link #guaranteedCommands}, {@link #guaranteedBytes}), so that sessions doing
 *     small I/O keep some queue depth while others are at their shares;
 * <li>a session that holds something may not take the last {@link #reserveBytes} of the area nor
 *     the last {@link #reserveCommands} slots of its host, and its host may not hold more than
 *     {@link #hostBytes} of the area.
 * </ul>
 * Data is counted in whole {@value #UNIT}-byte blocks, the block size of every data area here, so
 * that many small commands cannot hold more than the shares say.
 *
 * @param sessionDataPercent part of the data area one session may hold (at least one maximal command)
 * @param sessionCommandPercent part of a host's command slots one session may hold (at least one)
 * @param hostDataPercent part of the data area one host may hold besides first commands
 * @param reservePercent part of the data area and of each host's slots kept for sessions that hold nothing
 */
record ShareLimits(int sessionDataPercent, int sessionCommandPercent, int hostDataPercent, int reservePercent,
        int maxDataLength, int commandsPerHost) {
    /** The accounting block: what a data area's allocator rounds a reservation up to. */
    static final int UNIT = 4096;

    ShareLimits {
        sessionDataPercent = clamp(sessionDataPercent, 1, 100);
        sessionCommandPercent = clamp(sessionCommandPercent, 1, 100);
        hostDataPercent = clamp(hostDataPercent, 1, 100);
        reservePercent = clamp(reservePercent, 0, 90);
    }

    /** What a reservation of {@code length} bytes counts as. */
    static long units(int length) {
        return ((long) length + UNIT - 1) / UNIT * UNIT;
    }

    long sessionBytes(long areaSize) {
        return Math.max(areaSize * sessionDataPercent / 100, units(maxDataLength));
    }

    long hostBytes(long areaSize) {
        return Math.max(areaSize * hostDataPercent / 100, units(maxDataLength));
    }

    long reserveBytes(long areaSize) {
        return reservePercent == 0 ? 0 : Math.min(areaSize, Math.max(areaSize * reservePercent / 100, units(maxDataLength)));
    }

    int sessionCommands(int slots) {
        return Math.max(1, (int) ((long) slots * sessionCommandPercent / 100));
    }

    int reserveCommands(int slots) {
        return (int) ((long) slots * reservePercent / 100);
    }

    /** Slots a session may hold whatever its host holds: an eighth of the reserve, at least one. */
    int guaranteedCommands(int slots) {
        return Math.max(1, reserveCommands(slots) / 8);
    }

    /** Data a session may hold whatever the others hold: an eighth of the reserve. */
    long guaranteedBytes(long areaSize) {
        return reserveBytes(areaSize) / 8;
    }

    private static int clamp(int v, int min, int max) {
        return Math.max(min, Math.min(max, v));
    }
}
