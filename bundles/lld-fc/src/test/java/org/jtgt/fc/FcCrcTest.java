package org.jtgt.fc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

/**
 * The FC CRC (FC-FS-3 9.2) against published values. The algorithm is CRC-32/ISO-HDLC
 * (polynomial 04C11DB7, reflected, preset and final inversion), whose check value over the ASCII
 * bytes "123456789" is CBF43926. The byte order on the wire is that of FCoE, where the same FC
 * frame and CRC travel: Linux's fcoe driver stores {@code cpu_to_le32(~crc)} (least significant
 * byte first) and Wireshark's FCoE dissector verifies it the same way ({@code crc32_802_tvb},
 * byte-reversed, read big-endian). FcTsharkTest also has Wireshark check our frames' CRCs.
 */
class FcCrcTest {

    @Test
    void checkValueOfTheCrc32() {
        ByteBuffer b = ByteBuffer.allocate(13);
        b.put(0, "123456789".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0xCBF43926, FcCrc.compute(b, 0, 9));
        FcCrc.put(b, 0, 9);
        assertArrayEquals(new byte[] {0x26, 0x39, (byte) 0xF4, (byte) 0xCB}, Arrays.copyOfRange(b.array(), 9, 13),
                "least significant byte first");
        assertTrue(FcCrc.check(b, 0, 9));
    }

    @Test
    void aFlippedBitOrASwappedCrcIsCaught() {
        byte[] frame = FcipFraming.encode(FcFrameHeader.R_CTL_ELS_REQUEST, 0xFFFFFE, 0, FcFrameHeader.TYPE_ELS,
                FcFrameHeader.F_CTL_REQUEST, 0, 1, FcFrameHeader.UNASSIGNED_ID, 0,
                Els.login(Els.FLOGI, 0x10000000c9a0b001L, 0x20000000c9a0b001L, 2048, 0, 0, 2000));
        int fcLength = frame.length - FcipHeader.FRAME_OFFSET - 8;
        ByteBuffer b = ByteBuffer.wrap(frame);
        assertTrue(FcCrc.check(b, FcipHeader.FRAME_OFFSET, fcLength));
        int crcAt = FcipHeader.FRAME_OFFSET + fcLength;
        byte[] swapped = frame.clone();
        for (int i = 0; i < 4; i++) {
            swapped[crcAt + i] = frame[crcAt + 3 - i];
        }
        assertFalse(FcCrc.check(ByteBuffer.wrap(swapped), FcipHeader.FRAME_OFFSET, fcLength), "big-endian CRC refused");
        for (int bit = 0; bit < 8; bit++) {
            byte[] flipped = frame.clone();
            flipped[FcipHeader.FRAME_OFFSET + 40] ^= (byte) (1 << bit);
            assertFalse(FcCrc.check(ByteBuffer.wrap(flipped), FcipHeader.FRAME_OFFSET, fcLength));
        }
    }
}
