package org.jtgt.iscsi;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * CHAP (RFC 1994) as iSCSI uses it (RFC 7143 12.1.3): algorithm 5 (MD5) only; the response is
 * MD5(identifier || secret || challenge). Binary values travel as {@code 0x} hex or {@code 0b}
 * base64 (RFC 7143 6.1).
 */
final class Chap {
    /** CHAP_A value of MD5 (RFC 1994, IANA PPP authentication algorithms). */
    static final String MD5 = "5";
    static final int CHALLENGE_LENGTH = 16;
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private Chap() {
    }

    static byte[] response(int identifier, String secret, byte[] challenge) {
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            md5.update((byte) identifier);
            md5.update(secret.getBytes(StandardCharsets.UTF_8));
            md5.update(challenge);
            return md5.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has MD5", e);
        }
    }

    static byte[] newChallenge() {
        byte[] c = new byte[CHALLENGE_LENGTH];
        RANDOM.nextBytes(c);
        return c;
    }

    static int newIdentifier() {
        return RANDOM.nextInt(256);
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder(2 + 2 * b.length).append("0x");
        for (byte x : b) {
            sb.append(HEX[(x >> 4) & 0xF]).append(HEX[x & 0xF]);
        }
        return sb.toString();
    }

    /** Decodes a binary value ({@code 0x...} hex or {@code 0b...} base64); null if malformed. */
    static byte[] decodeBinary(String value) {
        if (value == null || value.length() < 3) {
            return null;
        }
        String prefix = value.substring(0, 2);
        String body = value.substring(2);
        if (prefix.equalsIgnoreCase("0x")) {
            if (body.length() % 2 != 0) {
                body = "0" + body;
            }
            byte[] out = new byte[body.length() / 2];
            for (int i = 0; i < out.length; i++) {
                int hi = Character.digit(body.charAt(2 * i), 16);
                int lo = Character.digit(body.charAt(2 * i + 1), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                out[i] = (byte) (hi << 4 | lo);
            }
            return out;
        }
        if (prefix.equalsIgnoreCase("0b")) {
            try {
                return Base64.getDecoder().decode(body);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    /** Decodes CHAP_I: a decimal (or 0x hex) number 0..255; -1 if malformed. */
    static int decodeIdentifier(String value) {
        Long v = Negotiation.parseNumber(value);
        return v == null || v < 0 || v > 255 ? -1 : v.intValue();
    }
}
