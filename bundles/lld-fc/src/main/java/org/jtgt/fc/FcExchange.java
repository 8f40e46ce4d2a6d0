package org.jtgt.fc;

import org.jtgt.api.host.HostCommand;

/**
 * One FCP exchange the target port is the responder of: from FCP_CMND to FCP_RSP (or ABTS).
 * Fields are guarded by the connection's lock except where noted.
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

    final FcConnection connection;
    final FcConnection.NPort port;
    final int oxId;
    final int rxId;
    final long lun;
    final boolean read;
    final boolean write;
    final int dataLength;
    final HostCommand command;
    int received;
    /** Where the data the last FCP_XFER_RDY asked for ends (reader thread only). */
    int burstEnd;
    volatile State state;

    FcExchange(FcConnection connection, FcConnection.NPort port, int oxId, int rxId, long lun, boolean read,
            boolean write, int dataLength, HostCommand command) {
        this.connection = connection;
        this.port = port;
        this.oxId = oxId;
        this.rxId = rxId;
        this.lun = lun;
        this.read = read;
        this.write = write;
        this.dataLength = dataLength;
        this.command = command;
    }
}
