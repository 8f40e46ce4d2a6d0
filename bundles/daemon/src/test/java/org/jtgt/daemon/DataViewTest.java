package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jtgt.api.event.ItNexusRspEvent;
import org.junit.jupiter.api.Test;

/**
 * The daemon reuses one view of the data area per thread. Backing-store I/O narrows a view to the
 * command's window; what comes after — Data-In written at absolute offsets, a nexus request's
 * names — must not be held to that window. (Found in the OSGi tests: a login after a READ was
 * dropped with an IndexOutOfBoundsException.)
 */
class DataViewTest {

    @Test
    void absoluteAccessAfterWindowedIoReachesTheWholeArea() {
        Harness h = Harness.withLun();
        h.write(0, Cdbs.rw10(true, 0, 1, 0), Harness.pattern(512, 3)).assertGood();
        h.read(0, Cdbs.rw10(false, 0, 1, 0), 512).assertGood();
        // Both land at offsets above the READ's window in the bump-allocated fake data area.
        Harness.Result inquiry = h.read(0, Cdbs.inquiry(false, 0, 96), 96);
        inquiry.assertGood();
        assertEquals(0x00, inquiry.u8(0), "peripheral device type: direct access");
        h.read(0, Cdbs.rw10(false, 0, 1, 0), 512).assertGood();
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(Harness.INITIATOR + ",i,0x23d000000002", Harness.TARGET, 99));
    }
}
