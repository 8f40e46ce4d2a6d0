package org.jtgt.iscsi;

/** 32-bit serial number arithmetic (RFC 1982), as RFC 7143 4.2.2.1 requires for CmdSN and StatSN. */
final class SerialNumber {
    private SerialNumber() {
    }

    /** {@code a < b} in serial arithmetic. */
    static boolean lt(int a, int b) {
        return a != b && a - b < 0;
    }

    /** {@code a > b} in serial arithmetic. */
    static boolean gt(int a, int b) {
        return a != b && a - b > 0;
    }
}
