package org.jtgt.daemon;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * TransportIDs (SPC-4 7.6.4) for the initiator port names the LLDs give their nexuses: the iSCSI
 * driver (and the loopback driver) name a port {@code <iSCSI name>,i,0x<ISID>}, the FC driver
 * {@code naa.<16 hex digits>} (its N_Port name).
 *
 * <pre>
 * iSCSI (7.6.4.6), initiator port form (FORMAT CODE 01b):
 *   byte 0      FORMAT CODE (7..6) = 01b | PROTOCOL IDENTIFIER (3..0) = 5h   -> 45h
 *   byte 1      reserved
 *   bytes 2..3  ADDITIONAL LENGTH (n - 3): a multiple of 4, at least 20
 *   bytes 4..n  "name,i,0xISID" UTF-8, NUL-terminated, NUL-padded
 * iSCSI, initiator device name form (FORMAT CODE 00b, 05h): the name alone, same layout.
 * Fibre Channel (7.6.4.2), FORMAT CODE 00b, PROTOCOL IDENTIFIER 0h, 24 bytes:
 *   byte 0 = 00h, bytes 1..7 reserved, bytes 8..15 N_PORT NAME, bytes 16..23 reserved
 * </pre>
 */
final class TransportIds {
    static final int PROTOCOL_FC = 0x0;
    static final int PROTOCOL_ISCSI = 0x5;
    static final int FORMAT_ISCSI_NAME = 0x00;
    static final int FORMAT_ISCSI_PORT = 0x40;
    static final int FC_LENGTH = 24;
    static final int FC_PORT_NAME_OFFSET = 8;
    static final int ISCSI_HEADER = 4;
    static final int ISCSI_MIN_ADDITIONAL_LENGTH = 20;
    /** The separator between iSCSI name and ISID (RFC 7143 4.2.7.1, SPC-4 7.6.4.6). */
    static final String ISID_SEPARATOR = ",i,0x";
    private static final String NAA = "naa.";
    private static final int WWN_DIGITS = 16;

    private TransportIds() {
    }

    /** Whether the port name is an FC N_Port name, {@code naa.<16 hex digits>} (without an ISID). */
    private static boolean isFc(String portName) {
        if (portName.length() != NAA.length() + WWN_DIGITS || !portName.regionMatches(true, 0, NAA, 0, NAA.length())) {
            return false;
        }
        for (int i = NAA.length(); i < portName.length(); i++) {
            if (Character.digit(portName.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /** The TransportID of an initiator port, as bytes. */
    static byte[] encode(String portName) {
        if (isFc(portName)) {
            byte[] t = new byte[FC_LENGTH];
            long wwpn = Long.parseUnsignedLong(portName.substring(NAA.length()), 16);
            for (int i = 0; i < Long.BYTES; i++) {
                t[FC_PORT_NAME_OFFSET + i] = (byte) (wwpn >>> (56 - 8 * i));
            }
            return t;
        }
        boolean port = portName.toLowerCase(Locale.ROOT).contains(ISID_SEPARATOR);
        byte[] name = portName.getBytes(StandardCharsets.UTF_8);
        int additional = Math.max(ISCSI_MIN_ADDITIONAL_LENGTH, (name.length + 1 + 3) & ~3);   // NUL, pad to 4
        byte[] t = new byte[ISCSI_HEADER + additional];
        t[0] = (byte) ((port ? FORMAT_ISCSI_PORT : FORMAT_ISCSI_NAME) | PROTOCOL_ISCSI);
        t[2] = (byte) (additional >>> 8);
        t[3] = (byte) additional;
        System.arraycopy(name, 0, t, ISCSI_HEADER, name.length);
        return t;
    }

    /**
     * Decodes the TransportID of one initiator port at {@code [at, at + length)} of the command's
     * parameter list into the port name a nexus of that port carries, or {@code null} if it is not
     * a TransportID naming one initiator port (an iSCSI name without ISID names a device, not a port).
     */
    static String decodePort(CommandContext c, int at, int length) {
        if (length < 4) {
            return null;
        }
        int head = c.outU8(at);
        int protocol = head & 0x0F;
        int format = head & 0xC0;
        if (protocol == PROTOCOL_FC && format == 0) {
            if (length < FC_LENGTH) {
                return null;
            }
            return String.format("naa.%016x", c.outU64(at + FC_PORT_NAME_OFFSET));
        }
        if (protocol != PROTOCOL_ISCSI || format != FORMAT_ISCSI_PORT) {
            return null;
        }
        int additional = c.outU16(at + 2);
        if (additional % 4 != 0 || additional < ISCSI_MIN_ADDITIONAL_LENGTH || ISCSI_HEADER + additional > length) {
            return null;
        }
        int end = at + ISCSI_HEADER;
        int limit = at + ISCSI_HEADER + additional;
        while (end < limit && c.outU8(end) != 0) {
            end++;
        }
        if (end == limit) {
            return null;   // not NUL-terminated
        }
        byte[] b = new byte[end - at - ISCSI_HEADER];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) c.outU8(at + ISCSI_HEADER + i);
        }
        String name = new String(b, StandardCharsets.UTF_8);
        int sep = name.toLowerCase(Locale.ROOT).indexOf(ISID_SEPARATOR);
        if (sep <= 0 || sep + ISID_SEPARATOR.length() == name.length()) {
            return null;
        }
        return name;
    }
}
