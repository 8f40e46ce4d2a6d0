package org.jtgt.api.scsi;

/**
 * Sense key, additional sense code and qualifier read from fixed (0x70/0x71) or descriptor
 * (0x72/0x73) format sense data (SPC-4 4.5).
 */
public record SenseData(int key, int asc, int ascq) {
    /** Parses the first {@code length} bytes of {@code sense}; {@code null} if too short or unknown. */
    public static SenseData parse(byte[] sense, int length) {
        if (sense == null || length < 1) {
            return null;
        }
        int code = sense[0] & 0x7F;
        if ((code == 0x70 || code == 0x71) && length >= 14) {
            return new SenseData(sense[2] & 0x0F, sense[12] & 0xFF, sense[13] & 0xFF);
        }
        if ((code == 0x72 || code == 0x73) && length >= 4) {
            return new SenseData(sense[1] & 0x0F, sense[2] & 0xFF, sense[3] & 0xFF);
        }
        return null;
    }

    @Override
    public String toString() {
        return String.format("sense key 0x%X ASC 0x%02X ASCQ 0x%02X", key, asc, ascq);
    }
}
