package org.jtgt.api.event;

/** Bounds checks for {@code (offset, length)} references into a transport's data area. */
public final class DataReference {
    private DataReference() {
    }

    /**
     * @throws EventFormatException unless {@code [offset, offset+length)} lies inside a data area
     *         of {@code areaSize} bytes (a zero length is always valid)
     */
    public static void check(String what, long offset, int length, long areaSize) {
        if (length == 0) {
            return;
        }
        if (length < 0 || offset < 0 || offset > areaSize - length) {
            throw new EventFormatException(what + ": reference " + offset + "+" + length
                    + " lies outside the data area of " + areaSize + " bytes");
        }
    }
}
