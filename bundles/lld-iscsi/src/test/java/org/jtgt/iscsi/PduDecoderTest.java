package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.channels.ScatteringByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.Test;

/** Framing without meaning: the decoder's states, limits and digests, byte by byte. */
class PduDecoderTest {

    /** A channel over bytes that hands them out in small pieces, as TCP may. */
    private static ScatteringByteChannel channel(byte[] bytes, int chunk) {
        return new ChunkedChannel(bytes, 0, chunk);
    }

    private static byte[] pdu(int opcode, byte[] ahs, byte[] data, boolean headerDigest, boolean dataDigest) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] bhs = new byte[48];
        bhs[0] = (byte) opcode;
        bhs[1] = (byte) 0x80;
        bhs[4] = (byte) (ahs.length / 4);
        bhs[5] = (byte) (data.length >> 16);
        bhs[6] = (byte) (data.length >> 8);
        bhs[7] = (byte) data.length;
        out.writeBytes(bhs);
        out.writeBytes(ahs);
        CRC32C crc = new CRC32C();
        if (headerDigest) {
            crc.update(bhs);
            crc.update(ahs);
            le(out, (int) crc.getValue());
        }
        if (data.length > 0) {
            out.writeBytes(data);
            byte[] pad = new byte[-data.length & 3];
            out.writeBytes(pad);
            if (dataDigest) {
                crc.reset();
                crc.update(data);
                crc.update(pad);
                le(out, (int) crc.getValue());
            }
        }
        return out.toByteArray();
    }

    private static void le(ByteArrayOutputStream out, int v) {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }

    private static PduDecoder ffp(int max) {
        PduDecoder d = new PduDecoder(max, max);
        d.fullFeaturePhase();
        return d;
    }

    @Test
    void wholePdusWithAhsPaddingAndDigestsFromTinyReads() throws Exception {
        byte[] data = {1, 2, 3, 4, 5};
        byte[] ahs = {0, 5, 1, 0, 9, 9, 9, 9};
        byte[] stream = new byte[0];
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(pdu(0x01, ahs, data, true, true));
        b.writeBytes(pdu(0x00, new byte[0], new byte[0], true, true));
        stream = b.toByteArray();
        PduDecoder d = ffp(8192);
        d.digests(true, true);
        ScatteringByteChannel ch = channel(stream, 3);
        d.read(ch, null);
        assertEquals(PduDecoder.State.COMPLETE, d.state());
        assertEquals(0x01, Bhs.opcode(d.header()));
        assertEquals(8, d.ahsLength());
        assertEquals(5, d.dataLength());
        assertTrue(d.dataDigestOk());
        assertArrayEquals(data, d.dataBytes());
        d.read(ch, null);
        assertEquals(0x00, Bhs.opcode(d.header()));
        assertEquals(0, d.dataLength());
        EOFException eof = assertThrows(EOFException.class, () -> d.read(ch, null));
        assertEquals(null, eof.getMessage(), "a clean close between PDUs");
    }

    @Test
    void placementReceivesTheDataWhereTheCallerWants() throws Exception {
        byte[] data = new byte[1000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        ByteBuffer target = ByteBuffer.allocateDirect(4096);
        PduDecoder d = ffp(8192);
        d.read(channel(pdu(0x05, new byte[0], data, false, false), 100),
                (h, len) -> target.duplicate().position(100).limit(100 + len));
        assertFalse(d.dataInOwnBuffer());
        byte[] got = new byte[1000];
        target.get(100, got);
        assertArrayEquals(data, got);
    }

    @Test
    void pdusQueuedInTheSocketAreDecodedFromOneRead() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < 40; i++) {
            byte[] data = new byte[i * 7];
            java.util.Arrays.fill(data, (byte) i);
            b.writeBytes(pdu(0x01, i % 2 == 0 ? new byte[0] : new byte[] {0, 1, 1, 0, 2, 2, 2, 2}, data, true, true));
        }
        byte[] stream = b.toByteArray();
        assertTrue(stream.length < PduDecoder.READ_AHEAD);
        ChunkedChannel ch = new ChunkedChannel(stream, 0, Integer.MAX_VALUE);
        PduDecoder d = ffp(8192);
        d.digests(true, true);
        for (int i = 0; i < 40; i++) {
            d.read(ch, null);
            assertEquals(i * 7, d.dataLength());
            assertTrue(d.dataDigestOk());
            byte[] expected = new byte[i * 7];
            java.util.Arrays.fill(expected, (byte) i);
            assertArrayEquals(expected, d.dataBytes());
        }
        assertEquals(List.of(stream.length), ch.sizes, "forty PDUs the socket already held, one read");
        assertEquals(0, d.readAheadBytes());
        assertThrows(EOFException.class, () -> d.read(ch, null));
    }

    @Test
    void largeDataSegmentIsReadStraightIntoItsPlacement() throws Exception {
        int length = 256 * 1024;
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) {
            data[i] = (byte) (i * 31);
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(pdu(0x05, new byte[0], data, false, true));
        b.writeBytes(pdu(0x00, new byte[0], new byte[0], false, true));
        ChunkedChannel ch = new ChunkedChannel(b.toByteArray(), 0, Integer.MAX_VALUE);
        ByteBuffer area = ByteBuffer.allocateDirect(length + 512);
        PduDecoder d = ffp(length);
        d.digests(false, true);
        d.read(ch, (h, len) -> area.duplicate().position(512).limit(512 + len));
        assertTrue(d.dataDigestOk());
        byte[] got = new byte[length];
        area.get(512, got);
        assertArrayEquals(data, got);
        int direct = 0;
        for (int i = 0; i < ch.sizes.size(); i++) {
            if (ch.into.get(i).capacity() == area.capacity()) {
                direct += ch.sizes.get(i);
            }
        }
        assertEquals(length - (PduDecoder.READ_AHEAD - Bhs.LENGTH), direct,
                "all but what came with the header went straight to the placement");
        d.read(ch, null);
        assertEquals(0x00, Bhs.opcode(d.header()), "the digest and the next PDU were read through the read-ahead");
    }

    @Test
    void dataSegmentOverTheLimitFailsBeforeReadingIt() {
        PduDecoder d = ffp(8192);
        byte[] header = java.util.Arrays.copyOf(pdu(0x00, new byte[0], new byte[9000], false, false), 48);
        PduDecoder.FramingException e = assertThrows(PduDecoder.FramingException.class,
                () -> d.read(channel(header, 48), null));
        assertEquals(RejectReason.PROTOCOL_ERROR, e.rejectReason);
        assertTrue(e.headerValid);
        assertEquals(PduDecoder.State.BAD_MESSAGE, d.state());
        assertThrows(PduDecoder.FramingException.class, () -> d.read(channel(new byte[48], 48), null),
                "nothing is decoded after a violation");
    }

    @Test
    void headerDigestMismatchIsFatal() {
        byte[] p = pdu(0x00, new byte[0], new byte[0], true, false);
        p[48] ^= 1;
        PduDecoder d = ffp(8192);
        d.digests(true, false);
        PduDecoder.FramingException e = assertThrows(PduDecoder.FramingException.class, () -> d.read(channel(p, 7), null));
        assertFalse(e.headerValid);
        assertEquals(PduDecoder.State.BAD_MESSAGE, d.state());
    }

    @Test
    void dataDigestMismatchIsReportedNotFatal() throws Exception {
        byte[] p = pdu(0x04, new byte[0], "SendTargets=All\0".getBytes(), false, true);
        p[p.length - 1] ^= 1;
        PduDecoder d = ffp(8192);
        d.digests(false, true);
        d.read(channel(p, 5), null);
        assertFalse(d.dataDigestOk());
        assertEquals(PduDecoder.State.COMPLETE, d.state());
    }

    @Test
    void onlyLoginRequestsBeforeTheFullFeaturePhaseAndAhsOnlyOnCommands() {
        PduDecoder login = new PduDecoder(8192, 8192);
        assertThrows(PduDecoder.FramingException.class,
                () -> login.read(channel(pdu(0x01, new byte[0], new byte[0], false, false), 48), null));
        PduDecoder d = ffp(8192);
        assertThrows(PduDecoder.FramingException.class,
                () -> d.read(channel(pdu(0x00, new byte[] {0, 1, 1, 0}, new byte[0], false, false), 48), null));
    }

    @Test
    void truncatedPduIsEof() {
        byte[] p = pdu(0x00, new byte[0], new byte[100], false, false);
        PduDecoder d = ffp(8192);
        EOFException e = assertThrows(EOFException.class,
                () -> d.read(channel(java.util.Arrays.copyOf(p, 70), 10), null));
        assertTrue(e.getMessage() != null, "not a clean close");
    }

    /** The BHS diagram in Bhs's Javadoc and the offset constants agree (so the picture cannot drift). */
    @Test
    void bhsLayoutMatchesTheDiagram() throws Exception {
        java.util.Map<Integer, String> rows = new java.util.TreeMap<>();
        java.util.regex.Pattern row = java.util.regex.Pattern.compile("^\\s*\\*\\s+(\\d+)\\|(.*)\\|\\s*$");
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Paths.get("src/main/java/org/jtgt/iscsi/Bhs.java"))) {
            java.util.regex.Matcher m = row.matcher(line);
            if (m.matches()) {
                rows.put(Integer.parseInt(m.group(1)), m.group(2));
            }
        }
        assertEquals(List.of(0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44), new ArrayList<>(rows.keySet()),
                "one diagram row per 4-byte word of the 48-byte BHS");
        assertEquals(Bhs.LENGTH, 44 + 4);
        assertTrue(rows.get(Bhs.OPCODE_OFFSET).contains("Opcode"));
        assertTrue(rows.get(Bhs.TOTAL_AHS_LENGTH_OFFSET).contains("TotalAHSLength"));
        assertTrue(rows.get(Bhs.DATA_SEGMENT_LENGTH_OFFSET - 1).contains("DataSegmentLength"));
        assertTrue(rows.get(Bhs.LUN_OFFSET).contains("LUN"));
        assertTrue(rows.get(Bhs.ITT_OFFSET).contains("Initiator Task Tag"));
        assertTrue(rows.get(Bhs.WORD20_OFFSET).contains("TTT"));
        assertTrue(rows.get(Bhs.CMD_SN_OFFSET).contains("CmdSN") && rows.get(Bhs.STAT_SN_OFFSET).contains("StatSN"));
        assertTrue(rows.get(Bhs.EXP_STAT_SN_OFFSET).contains("ExpStatSN"));
        assertTrue(rows.get(Bhs.MAX_CMD_SN_OFFSET).contains("MaxCmdSN") && rows.get(Bhs.CDB_OFFSET).contains("CDB"));
        assertTrue(rows.get(Bhs.WORD36_OFFSET).contains("DataSN"));
        assertTrue(rows.get(Bhs.BUFFER_OFFSET_OFFSET).contains("Buffer Offset"));
        assertTrue(rows.get(Bhs.WORD44_OFFSET).contains("Residual Count"));
        assertEquals(Bhs.LENGTH, Bhs.CDB_OFFSET + Bhs.CDB_LENGTH, "the CDB ends the BHS");
        assertEquals(8, Bhs.ITT_OFFSET - Bhs.LUN_OFFSET, "LUN is 8 bytes");
        assertEquals(6, Bhs.TSIH_OFFSET - Bhs.ISID_OFFSET, "ISID is 6 bytes");
        // Digest byte order: RFC 3720 B.4, 32 zero bytes give aa 36 91 8a on the wire.
        ByteBuffer zeros = ByteBuffer.allocate(32);
        ByteBuffer out = ByteBuffer.allocate(4);
        Digests.put(out, 0, Digests.crc32c(new CRC32C(), zeros, 0, 32));
        assertArrayEquals(new byte[] {(byte) 0xaa, 0x36, (byte) 0x91, (byte) 0x8a}, out.array());
    }
}
