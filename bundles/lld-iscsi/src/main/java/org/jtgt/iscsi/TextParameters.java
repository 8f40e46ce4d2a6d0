package org.jtgt.iscsi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The text format of Login and Text data segments (RFC 7143 6.1): {@code key=value} pairs, each
 * terminated by a NUL, UTF-8. Keys are at most 63 bytes of letters, digits and {@code . - + @ _};
 * values at most 8192 bytes (the longest binary values; RFC 7143 6.1 and 6.3).
 */
final class TextParameters {
    static final int MAX_KEY_LENGTH = 63;
    static final int MAX_VALUE_LENGTH = 8192;

    /** One key and its value, in the order received. */
    record Pair(String key, String value) {
    }

    /** The data is not well-formed key=value text. */
    static final class FormatException extends Exception {
        private static final long serialVersionUID = 1L;

        FormatException(String message) {
            super(message);
        }
    }

    private final List<Pair> pairs = new ArrayList<>();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Parses a complete text (all continuation PDUs concatenated). */
    static List<Pair> parse(byte[] text, int length) throws FormatException {
        List<Pair> result = new ArrayList<>();
        int start = 0;
        while (start < length) {
            int nul = start;
            while (nul < length && text[nul] != 0) {
                nul++;
            }
            if (nul == length) {
                throw new FormatException("key=value pair without a terminating NUL");
            }
            if (nul == start) {
                // Tolerate padding NULs (some initiators send a trailing empty string).
                start++;
                continue;
            }
            int eq = -1;
            for (int i = start; i < nul; i++) {
                if (text[i] == '=') {
                    eq = i;
                    break;
                }
            }
            if (eq < 0) {
                throw new FormatException("no '=' in '" + new String(text, start, nul - start, StandardCharsets.UTF_8) + "'");
            }
            String key = new String(text, start, eq - start, StandardCharsets.UTF_8);
            if (key.isEmpty() || eq - start > MAX_KEY_LENGTH || !validKey(key)) {
                throw new FormatException("invalid key '" + key + "'");
            }
            if (nul - eq - 1 > MAX_VALUE_LENGTH) {
                throw new FormatException("value of " + key + " longer than " + MAX_VALUE_LENGTH + " bytes");
            }
            result.add(new Pair(key, new String(text, eq + 1, nul - eq - 1, StandardCharsets.UTF_8)));
            start = nul + 1;
        }
        return Collections.unmodifiableList(result);
    }

    private static boolean validKey(String key) {
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '.' || c == '-' || c == '+' || c == '@' || c == '_';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** The first key that occurs more than once in {@code pairs}, or null. */
    static String firstRepeated(List<Pair> pairs) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (Pair p : pairs) {
            if (!seen.add(p.key())) {
                return p.key();
            }
        }
        return null;
    }

    // ---- building an answer ----

    /** Bytes that {@code key=value} takes in a text, with its NUL. */
    static int size(String key, String value) {
        return key.getBytes(StandardCharsets.UTF_8).length + 1 + value.getBytes(StandardCharsets.UTF_8).length + 1;
    }

    /** Bytes of the text built so far. */
    int length() {
        return out.size();
    }

    TextParameters add(String key, String value) {
        pairs.add(new Pair(key, value));
        byte[] b = (key + "=" + value).getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
        out.write(0);
        return this;
    }

    boolean isEmpty() {
        return pairs.isEmpty();
    }

    List<Pair> pairs() {
        return Collections.unmodifiableList(pairs);
    }

    String get(String key) {
        for (Pair p : pairs) {
            if (p.key().equals(key)) {
                return p.value();
            }
        }
        return null;
    }

    byte[] toBytes() {
        return out.toByteArray();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Pair p : pairs) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(p.key()).append('=').append(p.key().startsWith("CHAP_") ? "..." : p.value());
        }
        return sb.toString();
    }
}
