package org.jtgt.fc.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

/** The CT_IU preamble against FC-GS-7 4.3.2's byte positions (the picture in {@link CtIu}). */
class CtIuTest {
    @Test
    void requestCarriesThePreambleThenThePayload() {
        byte[] r = CtIu.request(CtIu.GID_FT, new byte[] {0, 0, 0, 0x08});
        assertEquals(CtIu.PREAMBLE_LENGTH + 4, r.length);
        assertArrayEquals(new byte[] {0x01, 0, 0, 0, (byte) 0xFC, 0x02, 0, 0, 0x01, 0x71, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0x08}, r);
    }

    @Test
    void rejectCarriesReasonAndExplanation() {
        ByteBuffer b = ByteBuffer.wrap(CtIu.reject(CtIu.FS_RJT_UNABLE, CtIu.FS_EXPL_TYPES_NOT_REGISTERED));
        assertEquals(16, b.limit());
        assertEquals(0x8001, b.getShort(8) & 0xFFFF);
        assertEquals(0x09, b.get(13));
        assertEquals(0x07, b.get(14));
    }

    @Test
    void offsetsMatchThePicture() {
        assertEquals(16, CtIu.PREAMBLE_LENGTH);
        assertEquals(0, CtIu.REVISION_OFFSET);
        assertEquals(4, CtIu.GS_TYPE_OFFSET);
        assertEquals(5, CtIu.GS_SUBTYPE_OFFSET);
        assertEquals(8, CtIu.COMMAND_OFFSET);
        assertEquals(13, CtIu.REASON_OFFSET);
        assertEquals(14, CtIu.EXPLANATION_OFFSET);
        assertEquals(32, CtIu.FT_BITMAP_LENGTH);
    }
}
