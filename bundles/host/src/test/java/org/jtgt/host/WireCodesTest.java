package org.jtgt.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.host.NexusResult;
import org.jtgt.api.host.ResponseDelivery;
import org.junit.jupiter.api.Test;

/** The host API's enums keep the codes the event records carried before they were enums. */
class WireCodesTest {
    @Test
    void deliveriesAreTheErrnosOfCmdDone() {
        assertEquals(CmdDoneEvent.DELIVERED, WireCodes.doneResult(ResponseDelivery.DELIVERED));
        assertEquals(0, WireCodes.doneResult(ResponseDelivery.DELIVERED));
        assertEquals(103, WireCodes.doneResult(ResponseDelivery.NEXUS_LOST));   // ECONNABORTED
        assertEquals(125, WireCodes.doneResult(ResponseDelivery.ABANDONED));    // ECANCELED
        assertEquals(5, WireCodes.doneResult(ResponseDelivery.FAILED));         // EIO
    }

    @Test
    void nexusAnswersMapOneToOneAndUnknownCodesAreRefusals() {
        assertEquals(NexusResult.OK, WireCodes.nexusResult(ItNexusRspEvent.RESULT_OK));
        assertEquals(NexusResult.NO_SUCH_TARGET, WireCodes.nexusResult(ItNexusRspEvent.RESULT_NO_SUCH_TARGET));
        assertEquals(NexusResult.ACCESS_DENIED, WireCodes.nexusResult(ItNexusRspEvent.RESULT_ACCESS_DENIED));
        assertEquals(NexusResult.EXISTS, WireCodes.nexusResult(ItNexusRspEvent.RESULT_EXISTS));
        assertEquals(NexusResult.NO_SUCH_NEXUS, WireCodes.nexusResult(ItNexusRspEvent.RESULT_NO_SUCH_NEXUS));
        assertEquals(NexusResult.REFUSED, WireCodes.nexusResult(-5));
        assertEquals(NexusResult.REFUSED, WireCodes.nexusResult(1));
    }
}
