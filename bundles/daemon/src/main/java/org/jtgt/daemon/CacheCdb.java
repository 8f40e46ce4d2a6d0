package org.jtgt.daemon;

/**
 * Decoder of the cache commands: SYNCHRONIZE CACHE (10/16) and PRE-FETCH (10/16). Both name a
 * range that must lie inside the medium; a length of 0 means "to the last LBA", so then only the
 * LBA must. Nothing moves. The group number is not used.
 */
final class CacheCdb {
    /** PRE-FETCH byte 1: IMMED; the other bits are reserved (bit 0 is obsolete RELADR). */
    static final int PREFETCH_IMMED = 0x02;

    private CacheCdb() {
    }

    /** SYNCHRONIZE CACHE(10), SBC-3 5.26; byte 1 (SYNC_NV, IMMED) is accepted as it comes. */
    static SenseReason synchronizeCache10(CommandContext c) {
        BlockCdb.form10(c);
        return BlockCdb.checkRange(c);
    }

    /** SYNCHRONIZE CACHE(16), SBC-3 5.27. */
    static SenseReason synchronizeCache16(CommandContext c) {
        BlockCdb.form16(c);
        return BlockCdb.checkRange(c);
    }

    /** PRE-FETCH(10), SBC-3 5.9. */
    static SenseReason preFetch10(CommandContext c) {
        BlockCdb.form10(c);
        return decodePreFetch(c);
    }

    /** PRE-FETCH(16), SBC-3 5.10. */
    static SenseReason preFetch16(CommandContext c) {
        BlockCdb.form16(c);
        return decodePreFetch(c);
    }

    /** IMMED is accepted: there is nothing to wait for. */
    private static SenseReason decodePreFetch(CommandContext c) {
        if ((Cdb.u8(c.cdb, 1) & ~PREFETCH_IMMED) != 0) {
            return c.invalidField(1);
        }
        return BlockCdb.checkRange(c);
    }
}
