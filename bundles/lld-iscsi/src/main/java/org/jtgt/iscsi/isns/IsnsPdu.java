package org.jtgt.iscsi.isns;

import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * iSNSP framing (RFC 4171 5.1): a 12-byte header, then the payload as TLV attributes, all
 * big-endian. A message longer than one PDU is carried in several, numbered by the sequence ID
 * and marked first and last.
 *
 * <pre>
 * Byte/     0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0| iSNSP Version (0x0001)        | Function ID                   |
 *    +---------------+---------------+---------------+---------------+
 *   4| PDU Length (payload bytes)    | Flags                         |
 *    +---------------+---------------+---------------+---------------+
 *   8| Transaction ID                | Sequence ID                   |
 *    +---------------+---------------+---------------+---------------+
 *  12| payload: requests carry attributes; responses a 4-byte status  |
 *    | code (5.7), then attributes                                   |
 *
 * attribute (5.5):
 *    +---------------+---------------+---------------+---------------+
 *   0| Attribute Tag                                                 |
 *    +---------------+---------------+---------------+---------------+
 *   4| Attribute Length (value bytes, a multiple of 4)               |
 *    +---------------+---------------+---------------+---------------+
 *   8| Attribute Value (strings NUL-terminated, padded with NULs)    |
 * </pre>
 *
 * <p>Decoding treats the server's bytes as hostile: every length is checked against what is left
 * and against {@link #MAX_MESSAGE} before anything is copied, and a violation is an
 * {@link IsnsFormatException} that names the field.
 */
public final class IsnsPdu {
    public static final int VERSION_OFFSET = 0;
    public static final int FUNCTION_OFFSET = 2;
    public static final int LENGTH_OFFSET = 4;
    public static final int FLAGS_OFFSET = 6;
    public static final int TRANSACTION_OFFSET = 8;
    public static final int SEQUENCE_OFFSET = 10;
    public static final int HEADER_LENGTH = 12;
    /** An attribute's tag and length words. */
    public static final int ATTRIBUTE_HEADER_LENGTH = 8;
    /** A response's status code word. */
    public static final int STATUS_LENGTH = 4;

    public static final int VERSION = 1;

    /** Flags (5.1.4): bit 16 of the header word is the most significant bit of the flags field. */
    public static final int FLAG_CLIENT = 0x8000;
    public static final int FLAG_SERVER = 0x4000;
    public static final int FLAG_AUTH = 0x2000;
    public static final int FLAG_REPLACE = 0x1000;
    public static final int FLAG_LAST = 0x0800;
    public static final int FLAG_FIRST = 0x0400;

    /** Function IDs (5.1.3); a response is the request's ID with {@link #RESPONSE} set. */
    public static final int DEV_ATTR_REG = 0x0001;
    public static final int DEV_ATTR_QRY = 0x0002;
    public static final int DEV_DEREG = 0x0004;
    public static final int RESPONSE = 0x8000;

    /** Attribute tags (6.1). */
    public static final int TAG_DELIMITER = 0;
    public static final int TAG_ENTITY_IDENTIFIER = 1;
    public static final int TAG_ENTITY_PROTOCOL = 2;
    public static final int TAG_REGISTRATION_PERIOD = 6;
    public static final int TAG_PORTAL_IP_ADDRESS = 16;
    public static final int TAG_PORTAL_PORT = 17;
    public static final int TAG_ISCSI_NAME = 32;
    public static final int TAG_ISCSI_NODE_TYPE = 33;
    public static final int TAG_ISCSI_ALIAS = 34;
    public static final int TAG_PG_ISCSI_NAME = 48;
    public static final int TAG_PG_PORTAL_IP_ADDRESS = 49;
    public static final int TAG_PG_PORTAL_PORT = 50;
    public static final int TAG_PG_TAG = 51;

    /** Entity Protocol (6.2.2). */
    public static final int ENTITY_PROTOCOL_ISCSI = 2;
    /** iSCSI Node Type (6.4.2): bit 31 (the least significant) is Target. */
    public static final int NODE_TYPE_TARGET = 0x1;

    /** The most a PDU's length field can say. */
    public static final int MAX_PDU_PAYLOAD = 0xFFFF;
    /** The largest message (all PDUs of one response together) this client accepts. */
    public static final int MAX_MESSAGE = 1 << 20;

    private IsnsPdu() {
    }

    /** One TLV attribute; {@code value} is the padded value as on the wire. */
    public record Attribute(int tag, byte[] value) {
        public Attribute {
            if (value.length % 4 != 0) {
                throw new IllegalArgumentException("attribute " + tag + ": length " + value.length
                        + " is not a multiple of 4");
            }
        }

        /** A UTF-8 string attribute, NUL-terminated and padded to a multiple of 4 (5.5.1). */
        public static Attribute string(int tag, String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            return new Attribute(tag, Arrays.copyOf(utf8, (utf8.length + 4) & ~3));
        }

        public static Attribute u32(int tag, int v) {
            return new Attribute(tag, ByteBuffer.allocate(4).putInt(v).array());
        }

        /** A 16-byte address; IPv4 as an IPv4-mapped IPv6 address (6.3.1). */
        public static Attribute address(int tag, InetAddress a) {
            byte[] out = new byte[16];
            byte[] raw = a.getAddress();
            if (a instanceof Inet4Address) {
                out[10] = (byte) 0xFF;
                out[11] = (byte) 0xFF;
                System.arraycopy(raw, 0, out, 12, 4);
            } else {
                System.arraycopy(raw, 0, out, 0, 16);
            }
            return new Attribute(tag, out);
        }

        /** A TCP port (6.3.2): bit 15 of the word (UDP) clear, the port in the low 16 bits. */
        public static Attribute tcpPort(int tag, int port) {
            return u32(tag, port & 0xFFFF);
        }

        public static Attribute delimiter() {
            return new Attribute(TAG_DELIMITER, new byte[0]);
        }

        /** The value up to its first NUL. */
        public String asString() {
            int end = 0;
            while (end < value.length && value[end] != 0) {
                end++;
            }
            return new String(value, 0, end, StandardCharsets.UTF_8);
        }

        public int asInt() {
            if (value.length != 4) {
                throw new IsnsFormatException("attribute " + tag + " has " + value.length + " bytes, not 4");
            }
            return ByteBuffer.wrap(value).getInt();
        }

        /** A 16-byte address; an IPv4-mapped one as the IPv4 address. */
        public InetAddress asAddress() {
            if (value.length != 16) {
                throw new IsnsFormatException("attribute " + tag + " has " + value.length + " bytes, not 16");
            }
            try {
                return InetAddress.getByAddress(value);   // maps ::ffff:a.b.c.d to Inet4Address
            } catch (UnknownHostException e) {
                throw new IsnsFormatException("attribute " + tag + ": " + e.getMessage());
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Attribute a && a.tag == tag && Arrays.equals(a.value, value);
        }

        @Override
        public int hashCode() {
            return 31 * tag + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return tag + "=" + (value.length == 4 ? Integer.toString(asInt()) : asString());
        }
    }

    /** A decoded response: its function ID, status code (5.7.3) and attributes. */
    public record Response(int function, int transactionId, int status, List<Attribute> attributes) {
        /** The first attribute with {@code tag}, or null. */
        public Attribute find(int tag) {
            for (Attribute a : attributes) {
                if (a.tag() == tag) {
                    return a;
                }
            }
            return null;
        }
    }

    /** The attributes' wire form, one after the other. */
    public static byte[] encodeAttributes(List<Attribute> attributes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer word = ByteBuffer.allocate(ATTRIBUTE_HEADER_LENGTH).order(ByteOrder.BIG_ENDIAN);
        for (Attribute a : attributes) {
            word.clear();
            word.putInt(a.tag()).putInt(a.value().length);
            out.write(word.array(), 0, ATTRIBUTE_HEADER_LENGTH);
            out.write(a.value(), 0, a.value().length);
        }
        return out.toByteArray();
    }

    /**
     * A request as one or more PDUs (the payload split every {@code maxPayload} bytes, sequence IDs
     * from 0, FIRST on the first and LAST on the last), ready to write in order.
     *
     * @param flags flags besides CLIENT, FIRST and LAST (e.g. {@link #FLAG_REPLACE})
     */
    public static List<byte[]> encodeRequest(int function, int flags, int transactionId, List<Attribute> attributes,
            int maxPayload) {
        if (maxPayload < 4 || maxPayload > MAX_PDU_PAYLOAD) {
            throw new IllegalArgumentException("maxPayload " + maxPayload);
        }
        byte[] payload = encodeAttributes(attributes);
        List<byte[]> pdus = new ArrayList<>();
        int offset = 0;
        int sequence = 0;
        do {
            int length = Math.min(maxPayload & ~3, payload.length - offset);
            int f = flags | FLAG_CLIENT | (offset == 0 ? FLAG_FIRST : 0)
                    | (offset + length == payload.length ? FLAG_LAST : 0);
            ByteBuffer pdu = ByteBuffer.allocate(HEADER_LENGTH + length).order(ByteOrder.BIG_ENDIAN);
            pdu.putShort(VERSION_OFFSET, (short) VERSION);
            pdu.putShort(FUNCTION_OFFSET, (short) function);
            pdu.putShort(LENGTH_OFFSET, (short) length);
            pdu.putShort(FLAGS_OFFSET, (short) f);
            pdu.putShort(TRANSACTION_OFFSET, (short) transactionId);
            pdu.putShort(SEQUENCE_OFFSET, (short) sequence++);
            pdu.put(HEADER_LENGTH, payload, offset, length);
            pdus.add(pdu.array());
            offset += length;
        } while (offset < payload.length);
        return pdus;
    }

    /** A validated PDU header. */
    public record Header(int function, int length, int flags, int transactionId, int sequenceId) {
        public boolean first() {
            return (flags & FLAG_FIRST) != 0;
        }

        public boolean last() {
            return (flags & FLAG_LAST) != 0;
        }
    }

    /** Reads a header from {@code buf} (12 bytes from its position); rejects a version other than 1. */
    public static Header decodeHeader(ByteBuffer buf) {
        if (buf.remaining() < HEADER_LENGTH) {
            throw new IsnsFormatException("PDU header of " + buf.remaining() + " bytes, need " + HEADER_LENGTH);
        }
        ByteBuffer b = buf.slice().order(ByteOrder.BIG_ENDIAN);
        int version = Short.toUnsignedInt(b.getShort(VERSION_OFFSET));
        if (version != VERSION) {
            throw new IsnsFormatException("iSNSP version " + version + ", expected " + VERSION);
        }
        int length = Short.toUnsignedInt(b.getShort(LENGTH_OFFSET));
        if (length % 4 != 0) {
            throw new IsnsFormatException("PDU length " + length + " is not a multiple of 4");
        }
        buf.position(buf.position() + HEADER_LENGTH);
        return new Header(Short.toUnsignedInt(b.getShort(FUNCTION_OFFSET)), length,
                Short.toUnsignedInt(b.getShort(FLAGS_OFFSET)), Short.toUnsignedInt(b.getShort(TRANSACTION_OFFSET)),
                Short.toUnsignedInt(b.getShort(SEQUENCE_OFFSET)));
    }

    /**
     * Decodes a response message (the payloads of its PDUs, concatenated): the status code, then
     * attributes up to the end. Bounds every attribute length by what is left.
     */
    public static Response decodeResponse(int function, int transactionId, byte[] payload) {
        if ((function & RESPONSE) == 0) {
            throw new IsnsFormatException(String.format("function 0x%04x is not a response", function));
        }
        if (payload.length > MAX_MESSAGE) {
            throw new IsnsFormatException("response of " + payload.length + " bytes, more than " + MAX_MESSAGE);
        }
        ByteBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.BIG_ENDIAN);
        if (b.remaining() < STATUS_LENGTH) {
            throw new IsnsFormatException("response without a status code (" + payload.length + " bytes)");
        }
        int status = b.getInt();
        return new Response(function, transactionId, status, decodeAttributes(b));
    }

    /** Attributes from the buffer's position to its limit. */
    public static List<Attribute> decodeAttributes(ByteBuffer b) {
        List<Attribute> attributes = new ArrayList<>();
        while (b.hasRemaining()) {
            if (b.remaining() < ATTRIBUTE_HEADER_LENGTH) {
                throw new IsnsFormatException("truncated attribute header: " + b.remaining() + " bytes left");
            }
            int tag = b.getInt();
            int length = b.getInt();
            if (length < 0 || length > b.remaining()) {
                throw new IsnsFormatException("attribute " + tag + " claims " + Integer.toUnsignedString(length)
                        + " bytes, " + b.remaining() + " left");
            }
            if (length % 4 != 0) {
                throw new IsnsFormatException("attribute " + tag + " length " + length + " is not a multiple of 4");
            }
            byte[] value = new byte[length];
            b.get(value);
            attributes.add(new Attribute(tag, value));
        }
        return attributes;
    }

    /** Status code names (5.7.3), for logs. */
    public static String statusName(int status) {
        return switch (status) {
            case 0 -> "Successful";
            case 1 -> "Unknown Error";
            case 2 -> "Message Format Error";
            case 3 -> "Invalid Registration";
            case 5 -> "Invalid Query";
            case 6 -> "Source Unknown";
            case 7 -> "Source Absent";
            case 8 -> "Source Unauthorized";
            case 9 -> "No Such Entry";
            case 10 -> "Version Not Supported";
            case 11 -> "Internal Error";
            case 12 -> "Busy";
            case 13 -> "Option Not Understood";
            case 14 -> "Invalid Update";
            case 15 -> "Message Not Supported";
            case 18 -> "Attribute Not Implemented";
            case 21 -> "ESI Not Available";
            case 22 -> "Invalid Deregistration";
            case 23 -> "Registration Feature Not Supported";
            default -> "status " + status;
        };
    }
}
