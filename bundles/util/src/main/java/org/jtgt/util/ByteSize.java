package org.jtgt.util;

import java.util.Locale;

/** Renders byte counts in binary units for descriptions and logs: "1 GiB", "1.5 MiB", "512 B". */
public final class ByteSize {
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private ByteSize() {
    }

    public static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        int unit = (63 - Long.numberOfLeadingZeros(bytes)) / 10;
        long scale = 1L << (10 * unit);
        if (bytes % scale == 0) {
            return bytes / scale + " " + UNITS[unit];
        }
        return String.format(Locale.ROOT, "%.1f %s", (double) bytes / scale, UNITS[unit]);
    }
}
