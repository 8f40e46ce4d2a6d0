package org.jtgt.host;

/**
 * Fixed-format sense (SPC-4 4.5.3) for the few answers the host side makes up itself, when a
 * transport fails with commands in flight. Everything else comes from the daemon.
 */
final class FixedSense {
    static final int LENGTH = 18;

    private FixedSense() {
    }

    static int write(byte[] sense, int key, int asc, int ascq) {
        java.util.Arrays.fill(sense, 0, LENGTH, (byte) 0);
        sense[0] = 0x70;            // current error, fixed format
        sense[2] = (byte) key;      // sense key
        sense[7] = LENGTH - 8;      // additional sense length
        sense[12] = (byte) asc;     // additional sense code
        sense[13] = (byte) ascq;    // additional sense code qualifier
        return LENGTH;
    }
}
