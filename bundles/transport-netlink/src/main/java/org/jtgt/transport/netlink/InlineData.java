package org.jtgt.transport.netlink;

import java.nio.ByteBuffer;

import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.EventType;
import org.jtgt.api.event.ItNexusReqEvent;

/**
 * Which data-area ranges an event carries inline after its record, in this order:
 *
 * <table>
 * <caption>ranges per event</caption>
 * <tr><th>event</th><th>ranges</th></tr>
 * <tr><td>{@code KEVENT_CMD_REQ}</td><td>the data reference when the direction is WRITE or
 *     BIDIRECTIONAL (Data-Out); then the extended CDB when the CDB is longer than 16 bytes</td></tr>
 * <tr><td>{@code KEVENT_IT_NEXUS_REQ}</td><td>the names, for OP_CREATE</td></tr>
 * <tr><td>{@code UEVENT_CMD_RSP}</td><td>the Data-In reference</td></tr>
 * <tr><td>the others</td><td>none: they reference no data</td></tr>
 * </table>
 *
 * A range travels only if it is non-empty and lies inside the data area; a reference outside it
 * (or a CDB length beyond {@link CmdReqEvent#MAX_CDB_LENGTH}) travels as a bare record, and the
 * receiving sink rejects it exactly as it would on the shared-memory ring. Sender and receiver run
 * this same function on the same record, so the receiver can demand that the frame carries exactly
 * the bytes the record references, no more and no fewer.
 */
final class InlineData {
    /** At most two ranges per record (CMD_REQ: Data-Out and an extended CDB). */
    static final int MAX_RANGES = 2;

    private InlineData() {
    }

    /**
     * Fills {@code offsets}/{@code lengths} (each at least {@link #MAX_RANGES} long) with the
     * ranges of the record at {@code o} and returns how many there are.
     */
    static int ranges(ByteBuffer b, int o, EventType type, long areaSize, long[] offsets, int[] lengths) {
        int n = 0;
        switch (type) {
            case KEVENT_CMD_REQ: {
                int direction = CmdReqEvent.direction(b, o);
                if (direction == DataDirection.WRITE.code() || direction == DataDirection.BIDIRECTIONAL.code()) {
                    n = add(CmdReqEvent.dataOffset(b, o), CmdReqEvent.dataLength(b, o), areaSize, offsets, lengths, n);
                }
                int cdbLength = CmdReqEvent.cdbLength(b, o);
                if (cdbLength > CmdReqEvent.INLINE_CDB_LENGTH && cdbLength <= CmdReqEvent.MAX_CDB_LENGTH) {
                    n = add(CmdReqEvent.extCdbOffset(b, o), cdbLength, areaSize, offsets, lengths, n);
                }
                break;
            }
            case KEVENT_IT_NEXUS_REQ:
                if (ItNexusReqEvent.op(b, o) == ItNexusReqEvent.OP_CREATE) {
                    n = add(ItNexusReqEvent.namesOffset(b, o), ItNexusReqEvent.namesLength(b, o), areaSize, offsets,
                            lengths, n);
                }
                break;
            case UEVENT_CMD_RSP:
                n = add(CmdRspEvent.dataOffset(b, o), CmdRspEvent.dataLength(b, o), areaSize, offsets, lengths, n);
                break;
            default:
                break;
        }
        return n;
    }

    /** Sum of the first {@code n} lengths. */
    static long total(int[] lengths, int n) {
        long sum = 0;
        for (int i = 0; i < n; i++) {
            sum += lengths[i];
        }
        return sum;
    }

    private static int add(long offset, int length, long areaSize, long[] offsets, int[] lengths, int n) {
        if (length <= 0 || offset < 0 || offset > areaSize - length) {
            return n;
        }
        offsets[n] = offset;
        lengths[n] = length;
        return n + 1;
    }
}
