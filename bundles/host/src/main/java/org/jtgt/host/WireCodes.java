package org.jtgt.host;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.host.NexusResult;
import org.jtgt.api.host.ResponseDelivery;

/**
 * The host API's enums as the event records carry them: the drivers speak {@link NexusResult}
 * and {@link ResponseDelivery}, the daemon reads and writes the codes of {@link ItNexusRspEvent}
 * and {@link CmdDoneEvent}.
 */
final class WireCodes {
    /** ECANCELED: nobody waits for the response any more. */
    static final int DONE_ABANDONED = 125;
    /** EIO: the response could not be handed over. */
    static final int DONE_FAILED = 5;

    private WireCodes() {
    }

    /** The {@code KEVENT_CMD_DONE} result: 0, or an errno. */
    static int doneResult(ResponseDelivery delivery) {
        return switch (delivery) {
            case DELIVERED -> CmdDoneEvent.DELIVERED;
            case NEXUS_LOST -> CmdDoneEvent.NEXUS_LOST;
            case ABANDONED -> DONE_ABANDONED;
            case FAILED -> DONE_FAILED;
        };
    }

    /** The {@code UEVENT_IT_NEXUS_RSP} result; a code this side does not know is {@link NexusResult#REFUSED}. */
    static NexusResult nexusResult(int result) {
        return switch (result) {
            case ItNexusRspEvent.RESULT_OK -> NexusResult.OK;
            case ItNexusRspEvent.RESULT_NO_SUCH_TARGET -> NexusResult.NO_SUCH_TARGET;
            case ItNexusRspEvent.RESULT_ACCESS_DENIED -> NexusResult.ACCESS_DENIED;
            case ItNexusRspEvent.RESULT_EXISTS -> NexusResult.EXISTS;
            case ItNexusRspEvent.RESULT_NO_SUCH_NEXUS -> NexusResult.NO_SUCH_NEXUS;
            default -> NexusResult.REFUSED;
        };
    }
}
