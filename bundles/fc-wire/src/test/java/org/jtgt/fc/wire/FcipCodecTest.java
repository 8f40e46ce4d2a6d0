package org.jtgt.fc.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.event.TaskManagementFunction;
import org.junit.jupiter.api.Test;

/** Raw bytes: the encapsulation, the frame header, the CRC, the framing state machine and its rejections. */
class FcipCodecTest {

    @Test
    void layoutConstantsAgreeWithThePictures() {
        assertEquals(28, FcipHeader.LENGTH);
        assertEquals(FcipHeader.LENGTH, FcipHeader.SOF_OFFSET);
        assertEquals(FcipHeader.SOF_OFFSET + 4, FcipHeader.FRAME_OFFSET);
        assertEquals(FcipHeader.CRC_OFFSET + 4, FcipHeader.LENGTH);
        assertEquals(16, FcipHeader.MIN_WORDS);          // 28 + 4 + 24 + 4 + 4 = 64 bytes
        assertEquals(544, FcipHeader.MAX_WORDS);         // + 2112 bytes of payload: 2176 bytes
        assertEquals(24, FcFrameHeader.LENGTH);
        assertEquals(FcFrameHeader.PARAMETER_OFFSET + 4, FcFrameHeader.LENGTH);
        assertEquals(FcFrameHeader.RX_ID_OFFSET + 2, FcFrameHeader.PARAMETER_OFFSET);
        assertEquals(116, Els.LOGIN_LENGTH);
        assertEquals(Fcp.CDB_OFFSET + 16 + 4, Fcp.CMND_LENGTH);
        assertEquals(Fcp.RSP_RSP_LEN_OFFSET + 4, Fcp.RSP_LENGTH);
    }

    /**
     * CRC-32/ISO-HDLC's check value over "123456789" is CBF43926; on the wire it goes least
     * significant byte first, as FCoE carries the same FC CRC (Linux's fcoe driver stores
     * {@code cpu_to_le32(~crc)}; Wireshark's FCoE dissector checks it that way, and
     * FcTsharkTest has it check our frames). A CRC in the other byte order is refused.
     */
    @Test
    void crcIsTheIeee8023Crc32() {
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertEquals(0xCBF43926, FcCrc.compute(ByteBuffer.wrap(check), 0, check.length));
        ByteBuffer b = ByteBuffer.allocate(13);
        b.put(0, check);
        FcCrc.put(b, 0, 9);
        assertEquals(0x26, b.get(9) & 0xFF);   // least significant byte first
        assertEquals(0x39, b.get(10) & 0xFF);
        assertEquals(0xF4, b.get(11) & 0xFF);
        assertEquals(0xCB, b.get(12) & 0xFF);
        assertTrue(FcCrc.check(b, 0, 9));
        ByteBuffer swapped = ByteBuffer.allocate(13).put(0, check).putInt(9, 0xCBF43926);   // big-endian
        assertFalse(FcCrc.check(swapped, 0, 9));
        b.put(3, (byte) 0);
        assertFalse(FcCrc.check(b, 0, 9));
    }

    @Test
    void specialFrameRoundTrip() throws Exception {
        byte[] fsf = FcipHeader.specialFrame(0x1000000000000001L, 0x2000000000000002L, 0x0123456789ABCDEFL,
                FcipHeader.FSF_USAGE_CLASS3, 0, 0, 10_000);
        assertEquals(76, fsf.length);
        assertEquals(FcipHeader.FSF_LAST_WORD_OFFSET + 4, FcipHeader.FSF_BYTES);
        assertEquals(FcipHeader.FSF_KATOV_OFFSET + 4, FcipHeader.FSF_LAST_WORD_OFFSET);
        ByteBuffer b = ByteBuffer.wrap(fsf);
        assertNull(FcipHeader.validate(b, 0));
        assertEquals(FcipHeader.PFLAG_SPECIAL_FRAME, FcipHeader.pflags(b, 0));
        byte[] twice = new byte[fsf.length * 2];
        System.arraycopy(fsf, 0, twice, 0, fsf.length);
        System.arraycopy(fsf, 0, twice, fsf.length, fsf.length);
        FcipFraming framing = new FcipFraming(new java.io.ByteArrayInputStream(twice));
        FcipFraming.Frame f = framing.read();
        assertTrue(f.special());
        assertArrayEquals(fsf, f.specialFrameCopy());
        assertTrue(framing.read().special());
        assertNull(framing.read());
        // a special frame of another length: the stream cannot be trusted
        ByteBuffer wrong = ByteBuffer.wrap(fsf.clone());
        wrong.putShort(FcipHeader.FLAGS_LENGTH_OFFSET, (short) 20).putShort(FcipHeader.FLAGS_LENGTH_N_OFFSET, (short) ~20);
        assertTrue(FcipHeader.validate(wrong, 0).contains("special frame of 20 words"));
    }

    @Test
    void encapsulationHeaderRoundTrip() {
        ByteBuffer b = ByteBuffer.allocate(FcipHeader.LENGTH);
        FcipHeader.encode(b, 0, 100, 1_700_000_000_500L);
        assertNull(FcipHeader.validate(b, 0));
        assertEquals(100, FcipHeader.words(b, 0));
        assertEquals(0, FcipHeader.flags(b, 0));
        byte[] expect = {1, 1, (byte) 0xFE, (byte) 0xFE, 1, 1, (byte) 0xFE, (byte) 0xFE, 0, 0, (byte) 0xFF, (byte) 0xFF,
                0, 100, (byte) 0xFF, (byte) 0x9B};
        byte[] head = new byte[16];
        b.get(0, head);
        assertArrayEquals(expect, head);
        assertEquals(1_700_000_000L + 2_208_988_800L, b.getInt(16) & 0xFFFFFFFFL);
        assertEquals(0x80000000L, b.getInt(20) & 0xFFFFFFFFL, 1_000);   // half a second
        assertEquals(0, b.getInt(24));
        assertThrows(IllegalArgumentException.class, () -> FcipHeader.encode(b, 0, 15, 0));
        assertThrows(IllegalArgumentException.class, () -> FcipHeader.encode(b, 0, 545, 0));
    }

    private static String rejection(Consumer<ByteBuffer> damage) {
        ByteBuffer b = ByteBuffer.allocate(FcipHeader.LENGTH);
        FcipHeader.encode(b, 0, 20, 0);
        damage.accept(b);
        return FcipHeader.validate(b, 0);
    }

    @Test
    void encapsulationHeaderRejections() {
        assertTrue(rejection(b -> b.put(0, (byte) 2)).contains("protocol 2"));
        assertTrue(rejection(b -> b.put(1, (byte) 2)).contains("version"));
        assertTrue(rejection(b -> b.put(2, (byte) 0)).contains("complement"));
        assertTrue(rejection(b -> b.put(5, (byte) 3)).contains("replicate"));
        assertTrue(rejection(b -> b.put(10, (byte) 0)).contains("pFlags"));
        assertTrue(rejection(b -> b.put(9, (byte) 1)).contains("reserved"));
        assertTrue(rejection(b -> b.putShort(14, (short) 0)).contains("frame length"));
        assertTrue(rejection(b -> {
            b.putShort(12, (short) (1 << 10 | 20));
            b.putShort(14, (short) ~(1 << 10 | 20));
        }).contains("CRCV"));
        assertTrue(rejection(b -> {
            b.putShort(12, (short) 15);
            b.putShort(14, (short) ~15);
        }).contains("outside"));
        assertTrue(rejection(b -> {
            b.putShort(12, (short) 600);
            b.putShort(14, (short) ~600);
        }).contains("outside"));
    }

    @Test
    void frameHeaderRoundTrip() {
        ByteBuffer b = ByteBuffer.allocate(24);
        FcFrameHeader.encode(b, 0, 0x06, 0x010001, 0x010100, 0x08, 0x290000, 7, 3, 0x1234, 0xFFFF, 0x11223344);
        assertEquals(0x06, FcFrameHeader.rCtl(b, 0));
        assertEquals(0x010001, FcFrameHeader.dId(b, 0));
        assertEquals(0, FcFrameHeader.csCtl(b, 0));
        assertEquals(0x010100, FcFrameHeader.sId(b, 0));
        assertEquals(0x08, FcFrameHeader.type(b, 0));
        assertEquals(0x290000, FcFrameHeader.fCtl(b, 0));
        assertEquals(7, FcFrameHeader.seqId(b, 0));
        assertEquals(0, FcFrameHeader.dfCtl(b, 0));
        assertEquals(3, FcFrameHeader.seqCnt(b, 0));
        assertEquals(0x1234, FcFrameHeader.oxId(b, 0));
        assertEquals(0xFFFF, FcFrameHeader.rxId(b, 0));
        assertEquals(0x11223344, FcFrameHeader.parameter(b, 0));
        assertEquals(0x06010001, b.getInt(0));
        assertEquals(0x00010100, b.getInt(4));
        assertEquals(0x08290000, b.getInt(8));
        assertNull(FcFrameHeader.validate(b, 0));
        b.put(FcFrameHeader.DF_CTL_OFFSET, (byte) 0x40);
        assertNotNull(FcFrameHeader.validate(b, 0));
    }

    private static byte[] frame(byte[] payload) {
        return FcipFraming.encode(FcFrameHeader.R_CTL_ELS_REQUEST, 0xFFFFFE, 0, FcFrameHeader.TYPE_ELS,
                FcFrameHeader.F_CTL_REQUEST, 1, 0x42, 0xFFFF, 0, payload);
    }

    @Test
    void framingRoundTripWithFill() throws Exception {
        byte[] payload = {1, 2, 3, 4, 5, 6, 7};
        byte[] f = frame(payload);
        assertEquals(FcipFraming.encodedLength(7), f.length);
        assertEquals(64 + 8, f.length);
        assertEquals(FcipHeader.SOF_I3, f[28] & 0xFF);
        assertEquals(FcipHeader.EOF_T, f[f.length - 4] & 0xFF);
        FcipFraming r = new FcipFraming(new ByteArrayInputStream(f));
        FcipFraming.Frame got = r.read();
        assertEquals(7, got.payloadLength());
        assertArrayEquals(payload, got.payloadCopy());
        assertEquals(0x42, got.oxId());
        assertEquals(0xFFFFFE, got.dId());
        assertEquals(FcFrameHeader.F_CTL_REQUEST | 1, got.fCtl());   // one fill byte
        assertNull(r.read());
    }

    @Test
    void badCrcOrDelimiterDropsOnlyThatFrame() throws Exception {
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        byte[] bad = frame(new byte[] {9, 9, 9, 9});
        bad[FcipHeader.FRAME_OFFSET + FcFrameHeader.LENGTH] ^= 1;   // payload bit flip: CRC wrong
        byte[] badEof = frame(new byte[8]);
        badEof[badEof.length - 1] = 0;                                // EOF complement wrong
        byte[] badSof = frame(new byte[8]);
        badSof[FcipHeader.SOF_OFFSET] = 0x77;
        byte[] good = frame(new byte[] {1, 2, 3, 4});
        s.write(bad);
        s.write(badEof);
        s.write(badSof);
        s.write(good);
        FcipFraming r = new FcipFraming(new ByteArrayInputStream(s.toByteArray()));
        FcipFraming.BadFrameException e1 = assertThrows(FcipFraming.BadFrameException.class, r::read);
        assertTrue(e1.getMessage().contains("CRC"));
        assertFalse(e1.streamLost());
        assertTrue(assertThrows(FcipFraming.BadFrameException.class, r::read).getMessage().contains("EOF"));
        assertTrue(assertThrows(FcipFraming.BadFrameException.class, r::read).getMessage().contains("SOF"));
        assertArrayEquals(new byte[] {1, 2, 3, 4}, r.read().payloadCopy());
    }

    @Test
    void badHeaderLosesTheStream() {
        byte[] good = frame(new byte[4]);
        byte[] bytes = good.clone();
        bytes[2] = 0;   // protocol complement
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        s.writeBytes(bytes);
        s.writeBytes(good);
        FcipFraming r = new FcipFraming(new ByteArrayInputStream(s.toByteArray()));
        FcipFraming.BadFrameException e = assertThrows(FcipFraming.BadFrameException.class, r::read);
        assertTrue(e.streamLost());
        assertTrue(assertThrows(FcipFraming.BadFrameException.class, r::read).streamLost());
    }

    @Test
    void fcpCommandAndResponseLayouts() {
        byte[] cdb = {0x28, 0, 0, 0, 0, 1, 0, 0, 8, 0};
        byte[] c = Fcp.command(1L << 48, TaskAttribute.ORDERED, 0, cdb, true, false, 4096);
        assertEquals(32, c.length);
        ByteBuffer b = ByteBuffer.wrap(c);
        assertEquals(1L << 48, b.getLong(0));
        assertEquals(2, c[Fcp.ATTRIBUTE_OFFSET]);
        assertEquals(Fcp.RDDATA, c[Fcp.ADDITIONAL_OFFSET]);
        assertEquals(0x28, c[Fcp.CDB_OFFSET]);
        assertEquals(4096, b.getInt(28));
        byte[] longCdb = new byte[32];
        byte[] c2 = Fcp.command(0, TaskAttribute.SIMPLE, 0, longCdb, false, true, 512);
        assertEquals(48, c2.length);
        assertEquals(4 << 2 | Fcp.WRDATA, c2[Fcp.ADDITIONAL_OFFSET]);
        assertEquals(TaskAttribute.HEAD_OF_QUEUE, Fcp.attribute(1));
        assertEquals(TaskAttribute.ACA, Fcp.attribute(4));
        assertNull(Fcp.attribute(3));
        assertEquals(TaskManagementFunction.LOGICAL_UNIT_RESET, Fcp.function(Fcp.TMF_LUN_RESET));
        assertNull(Fcp.function(Fcp.TMF_LUN_RESET | Fcp.TMF_CLEAR_TASK_SET));

        ByteBuffer r = ByteBuffer.allocate(64);
        byte[] sense = {0x70, 0, 5, 0, 0, 0, 0, 10};
        int n = Fcp.response(r, 2, 512, sense, sense.length, -1);
        assertEquals(24 + 8, n);
        assertEquals(Fcp.RESID_UNDER | Fcp.SNS_LEN_VALID, r.get(10));
        assertEquals(2, r.get(11));
        assertEquals(512, r.getInt(12));
        assertEquals(8, r.getInt(16));
        assertEquals(0x70, r.get(24));
        n = Fcp.response(r, 0, -100, null, 0, Fcp.RSP_TMF_INCORRECT_LUN);
        assertEquals(32, n);
        assertEquals(Fcp.RESID_OVER | Fcp.RSP_LEN_VALID, r.get(10));
        assertEquals(100, r.getInt(12));
        assertEquals(8, r.getInt(20));
        assertEquals(9, r.get(27));
    }

    @Test
    void elsPayloadLayouts() {
        byte[] l = Els.login(Els.PLOGI, 0x2100001122334455L, 0x2000001122334455L, 2048, Els.FEATURE_CIRO, 0x00FF0000, 2000);
        ByteBuffer b = ByteBuffer.wrap(l);
        assertEquals(0x03000000, b.getInt(0));
        assertEquals(0x2100001122334455L, b.getLong(20));
        assertEquals(0x2000001122334455L, b.getLong(28));
        assertEquals(2048, b.getShort(10) & 0xFFF);
        assertEquals((short) 0x8000, b.getShort(68));
        byte[] p = Els.prli(Els.PRLI, Els.PRLI_ESTABLISH_IMAGE_PAIR, Els.FCP_INITIATOR_FUNCTION);
        assertEquals(0x20100014, ByteBuffer.wrap(p).getInt(0));
        assertEquals(0x08002000, ByteBuffer.wrap(p).getInt(4));
        assertEquals(0x20, ByteBuffer.wrap(p).getInt(16));
        byte[] rjt = Els.lsRjt(Els.RJT_UNABLE, Els.EXPL_LOGIN_REQUIRED);
        assertEquals(0x01000000, ByteBuffer.wrap(rjt).getInt(0));
        assertEquals(0x00091E00, ByteBuffer.wrap(rjt).getInt(4));
        byte[] acc = Fcp.baAcc(0x1234, 0x0007);
        assertEquals(0x12340007, ByteBuffer.wrap(acc).getInt(4));
        assertEquals(0x0000FFFF, ByteBuffer.wrap(acc).getInt(8));
    }
}
