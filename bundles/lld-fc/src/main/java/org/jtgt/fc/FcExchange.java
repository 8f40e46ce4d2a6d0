package org.jtgt.fc;

import org.jtgt.api.host.HostCommand;

/**
 * One FCP exchange the target port is the responder of: from FCP_CMND to FCP_RSP (or ABTS).
 *
 * <p>Exchanges are pooled per link ({@link FcpExchanges}): the reader takes one for each
 * FCP_CMND and fills it in ({@link #open}) before anyone else can see it; whoever ends the
 * exchange gives it back once nothing refers to it any more. So the fields other than
 * {@link #state}, {@link #received} and {@link #burstEnd} do not change while an exchange is
 * open. {@link #state} and {@link #pooled} are guarded by the link's lock.
 */
final class FcExchange {
    enum State {
        /** Waiting for FCP_DATA after FCP_XFER_RDY; the LLD holds the command. */
        RECEIVING,
        /** Submitted to the host; the daemon owns it until its completion. */
        SUBMITTED,
        /** Aborted by ABTS or a task-management function; no frame goes out for it any more. */
        ABORTED
    }

    final FcLink link;
    NPort port;
    int oxId;
    int rxId;
    long lun;
    boolean read;
    boolean write;
    int dataLength;
    HostCommand command;
    /** Write data that has arrived (reader thread only). */
    int received;
    /** Where the data the last FCP_XFER_RDY asked for ends (reader thread only). */
    int burstEnd;
    volatile State state;
    /** In the link's pool: ended, not to be ended again. */
    boolean pooled;

    FcExchange(FcLink link) {
        this.link = link;
    }

    /** Fills in a pooled exchange for a new FCP_CMND. */
    void open(NPort port, int oxId, int rxId, long lun, boolean read, boolean write, int dataLength,
            HostCommand command, State state) {
        this.port = port;
        this.oxId = oxId;
        this.rxId = rxId;
        this.lun = lun;
        this.read = read;
        this.write = write;
        this.dataLength = dataLength;
        this.command = command;
        this.received = 0;
        this.burstEnd = 0;
        this.state = state;
    }

    /** Drops the references to the port and the command, which outlive the exchange. */
    void clear() {
        port = null;
        command = null;
    }
}
