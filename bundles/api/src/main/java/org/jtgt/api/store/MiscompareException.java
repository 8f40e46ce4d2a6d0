package org.jtgt.api.store;

import java.io.IOException;

/**
 * An atomic compare-and-write found bytes other than the expected ones and wrote nothing
 * (COMPARE AND WRITE's MISCOMPARE DURING VERIFY OPERATION).
 *
 * @since 1.5
 */
public class MiscompareException extends IOException {
    private static final long serialVersionUID = 1L;

    private final long offset;

    /** @param offset bytes from the start of the compared range to the first byte that differs */
    public MiscompareException(long offset) {
        super("miscompare at byte " + offset + " of the compared range");
        this.offset = offset;
    }

    /** Bytes from the start of the compared range to the first byte that differs. */
    public long offset() {
        return offset;
    }
}
