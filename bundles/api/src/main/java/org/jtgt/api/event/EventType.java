package org.jtgt.api.event;

/**
 * The seven events that cross a transport, named as in Linux tgt. {@code KEVENT_*} go from the
 * host side to the target daemon, {@code UEVENT_*} from the daemon to the host side.
 */
public enum EventType {
    KEVENT_CMD_REQ(1, CmdReqEvent.LENGTH, true),
    UEVENT_CMD_RSP(2, CmdRspEvent.LENGTH, false),
    KEVENT_CMD_DONE(3, CmdDoneEvent.LENGTH, true),
    KEVENT_TSK_MGMT_REQ(4, TskMgmtReqEvent.LENGTH, true),
    UEVENT_TSK_MGMT_RSP(5, TskMgmtRspEvent.LENGTH, false),
    KEVENT_IT_NEXUS_REQ(6, ItNexusReqEvent.LENGTH, true),
    UEVENT_IT_NEXUS_RSP(7, ItNexusRspEvent.LENGTH, false);

    private static final EventType[] BY_CODE = new EventType[8];

    static {
        for (EventType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;
    private final int recordLength;
    private final boolean toDaemon;

    EventType(int code, int recordLength, boolean toDaemon) {
        this.code = code;
        this.recordLength = recordLength;
        this.toDaemon = toDaemon;
    }

    /** The wire code in {@link EventHeader#TYPE_OFFSET}. */
    public int code() {
        return code;
    }

    /** The fixed length of a record of this type, a multiple of {@link EventHeader#ALIGNMENT}. */
    public int recordLength() {
        return recordLength;
    }

    /** True for host → daemon events, false for daemon → host. */
    public boolean toDaemon() {
        return toDaemon;
    }

    /** The type for a wire code, or {@code null} if there is none. */
    public static EventType fromCode(int code) {
        return code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
