package org.jtgt.iscsi;

/** A protocol violation that ends the connection, optionally after a Reject. */
final class ConnectionFailure extends Exception {
    private static final long serialVersionUID = 1L;
    /** The Reject reason to send before closing, or 0 to close without one. */
    final int rejectReason;

    ConnectionFailure(String message, int rejectReason) {
        super(message);
        this.rejectReason = rejectReason;
    }
}
