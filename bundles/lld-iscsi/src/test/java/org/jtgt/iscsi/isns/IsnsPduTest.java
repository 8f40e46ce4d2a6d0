package org.jtgt.iscsi.isns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;

import org.jtgt.iscsi.isns.IsnsPdu.Attribute;
import org.jtgt.iscsi.isns.IsnsPdu.Header;
import org.jtgt.iscsi.isns.IsnsPdu.Response;
import org.junit.jupiter.api.Test;

/** iSNSP framing and attributes held against the layouts of RFC 4171 5.1, 5.5 and 6. */
class IsnsPduTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] hex(String spaced) {
        return HEX.parseHex(spaced.replaceAll("\\s+", ""));
    }

    @Test
    void headerOffsetsMatchThePicture() {
        // 2 bytes each: version, function, length, flags, transaction, sequence.
        assertEquals(0, IsnsPdu.VERSION_OFFSET);
        assertEquals(IsnsPdu.VERSION_OFFSET + 2, IsnsPdu.FUNCTION_OFFSET);
        assertEquals(IsnsPdu.FUNCTION_OFFSET + 2, IsnsPdu.LENGTH_OFFSET);
        assertEquals(IsnsPdu.LENGTH_OFFSET + 2, IsnsPdu.FLAGS_OFFSET);
        assertEquals(IsnsPdu.FLAGS_OFFSET + 2, IsnsPdu.TRANSACTION_OFFSET);
        assertEquals(IsnsPdu.TRANSACTION_OFFSET + 2, IsnsPdu.SEQUENCE_OFFSET);
        assertEquals(IsnsPdu.SEQUENCE_OFFSET + 2, IsnsPdu.HEADER_LENGTH);
        assertEquals(12, IsnsPdu.HEADER_LENGTH);
    }

    @Test
    void devAttrRegBytesFollowTheRfcLayout() throws Exception {
        IsnsRegistration.State state = new IsnsRegistration.State(List.of("iqn.a"),
                List.of(new IsnsRegistration.Portal(InetAddress.getByName("10.1.2.3"), 3260, 7)));
        List<byte[]> pdus = IsnsPdu.encodeRequest(IsnsPdu.DEV_ATTR_REG, IsnsPdu.FLAG_REPLACE, 0x1234,
                IsnsRegistration.registration("e1", "iqn.a", state), IsnsPdu.MAX_PDU_PAYLOAD);
        assertEquals(1, pdus.size());
        String mapped = "00000000 00000000 0000ffff 0a010203";
        byte[] expected = hex(""
                // header: version 1, DevAttrReg, length, flags client|replace|last|first, xid, seq 0
                + "0001 0001 00bc 9c00 1234 0000"
                // source: iSCSI Name (32) "iqn.a" NUL-terminated, padded to 8
                + "00000020 00000008 69716e2e 61000000"
                // message key: Entity Identifier (1) "e1", padded to 4
                + "00000001 00000004 65310000"
                // delimiter
                + "00000000 00000000"
                // entity: EID, Entity Protocol (2) = iSCSI (2)
                + "00000001 00000004 65310000"
                + "00000002 00000004 00000002"
                // portal: Portal IP Address (16) IPv4-mapped, Portal TCP/UDP Port (17) 3260, TCP
                + "00000010 00000010" + mapped
                + "00000011 00000004 00000cbc"
                // storage node: iSCSI Name (32), iSCSI Node Type (33) = Target
                + "00000020 00000008 69716e2e 61000000"
                + "00000021 00000004 00000001"
                // portal group: PG iSCSI Name (48), PG Portal IP (49), PG Portal Port (50), PGT (51) = 7
                + "00000030 00000008 69716e2e 61000000"
                + "00000031 00000010" + mapped
                + "00000032 00000004 00000cbc"
                + "00000033 00000004 00000007");
        assertEquals(HEX.formatHex(expected), HEX.formatHex(pdus.get(0)));
        assertEquals(expected.length - IsnsPdu.HEADER_LENGTH, 0xbc);
    }

    @Test
    void devDeregCarriesTheEntityAsOperatingAttribute() {
        byte[] payload = IsnsPdu.encodeAttributes(IsnsRegistration.deregistration("e1", "iqn.a"));
        assertEquals(HEX.formatHex(hex("00000020 00000008 69716e2e 61000000  00000000 00000000"
                + "00000001 00000004 65310000")), HEX.formatHex(payload));
    }

    @Test
    void stringsAreTerminatedAndPaddedToFourBytes() {
        assertArrayEquals(hex("61626364 00000000"), Attribute.string(1, "abcd").value());
        assertArrayEquals(hex("61626300"), Attribute.string(1, "abc").value());
        assertEquals("abc", Attribute.string(1, "abc").asString());
    }

    @Test
    void addressesRoundTripIpv4MappedAndIpv6() throws Exception {
        InetAddress v4 = InetAddress.getByName("192.0.2.9");
        InetAddress v6 = InetAddress.getByName("2001:db8::5");
        assertArrayEquals(hex("00000000 00000000 0000ffff c0000209"), Attribute.address(16, v4).value());
        assertEquals(v4, Attribute.address(16, v4).asAddress());
        assertEquals(v6, Attribute.address(16, v6).asAddress());
    }

    @Test
    void longMessagesAreSplitIntoNumberedPdus() {
        List<Attribute> attrs = List.of(Attribute.string(32, "iqn.0123456789abcdef"), Attribute.u32(33, 1));
        List<byte[]> pdus = IsnsPdu.encodeRequest(IsnsPdu.DEV_ATTR_REG, 0, 9, attrs, 16);
        assertEquals(3, pdus.size());   // 8 + 24 + 8 + 4 = 44 bytes: 16 + 16 + 12
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (int i = 0; i < pdus.size(); i++) {
            Header h = IsnsPdu.decodeHeader(ByteBuffer.wrap(pdus.get(i)));
            assertEquals(i, h.sequenceId());
            assertEquals(i == 0, h.first());
            assertEquals(i == pdus.size() - 1, h.last());
            assertEquals(pdus.get(i).length - IsnsPdu.HEADER_LENGTH, h.length());
            assertEquals(9, h.transactionId());
            joined.write(pdus.get(i), IsnsPdu.HEADER_LENGTH, h.length());
        }
        assertArrayEquals(IsnsPdu.encodeAttributes(attrs), joined.toByteArray());
    }

    @Test
    void responseDecodes() {
        byte[] message = hex("0001 8001 001c 4c00 0005 0000"
                + "00000000"                                 // status: Successful
                + "00000001 00000004 65310000"               // EID "e1"
                + "00000006 00000004 00000258");             // Registration Period 600 s
        Response r = read(message, IsnsPdu.DEV_ATTR_REG | IsnsPdu.RESPONSE, 5);
        assertEquals(0, r.status());
        assertEquals("e1", r.find(IsnsPdu.TAG_ENTITY_IDENTIFIER).asString());
        assertEquals(600, IsnsRegistration.registrationPeriod(r));
    }

    @Test
    void refusalStatusIsReported() {
        Response r = read(hex("0001 8004 0004 4c00 0001 0000 00000009"), IsnsPdu.DEV_DEREG | IsnsPdu.RESPONSE, 1);
        assertEquals(9, r.status());
        assertEquals("No Such Entry", IsnsPdu.statusName(r.status()));
    }

    @Test
    void responsesSpanningPdusAreJoined() {
        byte[] message = hex("0001 8001 0008 4400 0003 0000  00000000 00000001"
                + "0001 8001 0008 4800 0003 0001  00000004 65310000");
        Response r = read(message, IsnsPdu.DEV_ATTR_REG | IsnsPdu.RESPONSE, 3);
        assertEquals("e1", r.find(1).asString());
    }

    @Test
    void malformedResponsesAreRejectedWithTheReason() {
        int rsp = IsnsPdu.DEV_ATTR_REG | IsnsPdu.RESPONSE;
        assertRejected("version 2", hex("0002 8001 0004 4c00 0001 0000 00000000"), rsp, 1);
        assertRejected("transaction ID 2", hex("0001 8001 0004 4c00 0002 0000 00000000"), rsp, 1);
        assertRejected("function 0x8004", hex("0001 8004 0004 4c00 0001 0000 00000000"), rsp, 1);
        assertRejected("server flag", hex("0001 8001 0004 8c00 0001 0000 00000000"), rsp, 1);
        assertRejected("not a multiple of 4", hex("0001 8001 0005 4c00 0001 0000 00000000 00"), rsp, 1);
        assertRejected("sequence 1", hex("0001 8001 0004 4c00 0001 0001 00000000"), rsp, 1);
        assertRejected("without a status", hex("0001 8001 0000 4c00 0001 0000"), rsp, 1);
        // an attribute claiming more than is left, a negative length, an unaligned one, a cut header
        assertRejected("claims 256 bytes, 4 left", hex("0001 8001 0010 4c00 0001 0000 00000000"
                + "00000001 00000100 65310000"), rsp, 1);
        assertRejected("claims 4294967295", hex("0001 8001 0010 4c00 0001 0000 00000000"
                + "00000001 ffffffff 65310000"), rsp, 1);
        assertRejected("length 2", hex("0001 8001 0010 4c00 0001 0000 00000000 00000001 00000002 65310000"), rsp, 1);
        assertRejected("truncated attribute header", hex("0001 8001 0008 4c00 0001 0000 00000000 00000001"), rsp, 1);
        // a value of the wrong size for its type
        Attribute odd = new Attribute(6, new byte[8]);
        assertThrows(IsnsFormatException.class, odd::asInt);
        assertThrows(IsnsFormatException.class, odd::asAddress);
    }

    @Test
    void responsesAreBoundedInLength() {
        // 17 PDUs of 65532 bytes, none marked last: refused before the 17th is read in full.
        int rsp = IsnsPdu.DEV_ATTR_REG | IsnsPdu.RESPONSE;
        int chunk = 65532;
        ByteBuffer b = ByteBuffer.allocate(17 * (IsnsPdu.HEADER_LENGTH + chunk));
        for (int i = 0; i < 17; i++) {
            b.putShort((short) 1).putShort((short) rsp).putShort((short) chunk)
                    .putShort((short) (IsnsPdu.FLAG_SERVER | (i == 0 ? IsnsPdu.FLAG_FIRST : 0)))
                    .putShort((short) 1).putShort((short) i);
            b.position(b.position() + chunk);
        }
        IsnsFormatException e = assertThrows(IsnsFormatException.class, () -> IsnsClient.read(
                new DataInputStream(new ByteArrayInputStream(b.array())), rsp, 1));
        assertTrue(e.getMessage().contains("longer than"), e.getMessage());
    }

    @Test
    void serverSpecDefaultsToPort3205() {
        assertEquals(InetSocketAddress.createUnresolved("isns.example", 3205), IsnsRegistration.parseServer("isns.example"));
        assertEquals(InetSocketAddress.createUnresolved("10.0.0.1", 4000), IsnsRegistration.parseServer(" 10.0.0.1:4000 "));
        assertEquals(InetSocketAddress.createUnresolved("2001:db8::1", 3205), IsnsRegistration.parseServer("[2001:db8::1]"));
        assertEquals(InetSocketAddress.createUnresolved("2001:db8::1", 9), IsnsRegistration.parseServer("[2001:db8::1]:9"));
        assertThrows(IllegalArgumentException.class, () -> IsnsRegistration.parseServer("host:0"));
        assertThrows(IllegalArgumentException.class, () -> IsnsRegistration.parseServer("host:x"));
        assertThrows(IllegalArgumentException.class, () -> IsnsRegistration.parseServer(":3205"));
    }

    private static Response read(byte[] bytes, int function, int xid) {
        try {
            return IsnsClient.read(new DataInputStream(new ByteArrayInputStream(bytes)), function, xid);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertRejected(String reason, byte[] bytes, int function, int xid) {
        IsnsFormatException e = assertThrows(IsnsFormatException.class, () -> read(bytes, function, xid), reason);
        assertTrue(e.getMessage().contains(reason), "expected '" + reason + "' in: " + e.getMessage());
    }
}
