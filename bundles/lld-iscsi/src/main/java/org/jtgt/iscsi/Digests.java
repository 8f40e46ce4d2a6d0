package org.jtgt.iscsi;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C header and data digests (RFC 7143 13.1, 11.2.4). The digest is the standard CRC-32C
 * (Castagnoli) value sent least significant byte first: RFC 3720 appendix B.4 gives 32 zero
 * bytes the digest bytes {@code aa 36 91 8a}, i.e. the value 0x8A9136AA in little-endian order.
 */
final class Digests {
    private Digests() {
    }

    /** CRC32C of {@code length} bytes of {@code b} from {@code offset}; the buffer's position is untouched. */
    static int crc32c(CRC32C crc, ByteBuffer b, int offset, int length) {
        crc.reset();
        update(crc, b, offset, length);
        return (int) crc.getValue();
    }

    /**
     * Adds {@code length} bytes of {@code b} from {@code offset}; position and limit are moved
     * for the call and put back (no view is made per PDU), so {@code b} must be the calling
     * thread's own buffer or view, never one shared with other threads.
     */
    static void update(CRC32C crc, ByteBuffer b, int offset, int length) {
        if (length > 0) {
            int position = b.position();
            int limit = b.limit();
            b.limit(b.capacity()).position(offset).limit(offset + length);
            crc.update(b);
            b.limit(b.capacity()).position(position).limit(limit);
        }
    }

    /** The value as it travels: little-endian. */
    static void put(ByteBuffer b, int offset, int digest) {
        b.put(offset, (byte) digest);
        b.put(offset + 1, (byte) (digest >>> 8));
        b.put(offset + 2, (byte) (digest >>> 16));
        b.put(offset + 3, (byte) (digest >>> 24));
    }

    static int get(ByteBuffer b, int offset) {
        return b.get(offset) & 0xFF | (b.get(offset + 1) & 0xFF) << 8 | (b.get(offset + 2) & 0xFF) << 16
                | (b.get(offset + 3) & 0xFF) << 24;
    }

    static int padding(int length) {
        return -length & (Bhs.PAD - 1);
    }
}
