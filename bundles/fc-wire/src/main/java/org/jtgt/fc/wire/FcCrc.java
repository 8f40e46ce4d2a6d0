package org.jtgt.fc.wire;

import java.nio.ByteBuffer;
import java.util.zip.CRC32;

/**
 * The FC frame CRC (FC-FS-3 9.2): the IEEE 802.3 CRC-32 (polynomial 04C11DB7, preset and
 * final inversion) over the frame header and data field, fill bytes included. It is carried in
 * the word after the data field in the same byte order as Ethernet's FCS and FCoE's CRC: least
 * significant byte first.
 */
public final class FcCrc {
    /**
     * One checksum per thread, reset for each frame: every frame is checked or sealed, so a
     * new one per frame would be an allocation per frame that only escape analysis removes,
     * when it manages to.
     */
    private static final ThreadLocal<CRC32> CRC = ThreadLocal.withInitial(CRC32::new);

    private FcCrc() {
    }

    /** The CRC-32 of {@code length} bytes at {@code offset}. */
    public static int compute(ByteBuffer b, int offset, int length) {
        CRC32 crc = CRC.get();
        crc.reset();
        if (b.hasArray()) {
            crc.update(b.array(), b.arrayOffset() + offset, length);
        } else {
            ByteBuffer view = b.duplicate();
            view.limit(offset + length).position(offset);
            crc.update(view);
        }
        return (int) crc.getValue();
    }

    /** Writes the CRC of {@code [offset, offset+length)} at {@code offset+length}. */
    public static void put(ByteBuffer b, int offset, int length) {
        int crc = compute(b, offset, length);
        int at = offset + length;
        b.put(at, (byte) crc);
        b.put(at + 1, (byte) (crc >>> 8));
        b.put(at + 2, (byte) (crc >>> 16));
        b.put(at + 3, (byte) (crc >>> 24));
    }

    /** Whether the word after {@code [offset, offset+length)} holds that range's CRC. */
    public static boolean check(ByteBuffer b, int offset, int length) {
        int crc = compute(b, offset, length);
        int at = offset + length;
        int carried = (b.get(at) & 0xFF) | (b.get(at + 1) & 0xFF) << 8 | (b.get(at + 2) & 0xFF) << 16
                | (b.get(at + 3) & 0xFF) << 24;
        return crc == carried;
    }
}
