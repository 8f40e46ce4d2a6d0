package org.jtgt.loopback;

/**
 * Encodes a LUN number into the 8-byte SAM LUN structure an initiator sends (SAM-5 4.7), held as
 * a big-endian long the way {@code HostCommand.setLun} and the event records carry it.
 */
final class SamLun {
    /** The largest LUN the flat space addressing method can carry (14 bits). */
    static final int MAX = 0x3FFF;

    private SamLun() {
    }

    static long encode(long lun) {
        if (lun < 0 || lun > MAX) {
            throw new IllegalArgumentException("LUN " + lun + " outside 0.." + MAX);
        }
        if (lun < 256) {
            // SAM-5 4.7.7.2 peripheral device addressing, bus 0: byte 0 = 0x00, byte 1 = LUN.
            return lun << 48;
        }
        // SAM-5 4.7.7.4 flat space addressing: byte 0 = 01b << 6 | LUN[13:8], byte 1 = LUN[7:0].
        return (0x4000L | lun) << 48;
    }
}
