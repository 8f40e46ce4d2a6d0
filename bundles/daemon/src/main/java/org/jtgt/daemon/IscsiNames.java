package org.jtgt.daemon;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Syntax of iSCSI names (RFC 3720 3.2.6.3, RFC 3980 for {@code naa.}), with RFC 3722's
 * stringprep profile simplified to "already normalized": names are compared byte for byte, so
 * upper case (which stringprep would fold), spaces and control characters are refused rather
 * than mapped.
 *
 * <pre>
 *  iqn.yyyy-mm.reversed.domain[:anything]     e.g. iqn.2026-11.org.jtgt:disk1
 *  eui.&lt;16 hex digits&gt;                         e.g. eui.02004567a425678d
 *  naa.&lt;16 or 32 hex digits&gt;                   e.g. naa.52004567ba64678d
 * </pre>
 */
final class IscsiNames {
    /** RFC 3720 3.2.6.1: an iSCSI name is at most 223 bytes of UTF-8. */
    static final int MAX_BYTES = 223;

    private IscsiNames() {
    }

    /** Returns why {@code name} is not a valid iSCSI name, or {@code null} if it is. */
    static String check(String name) {
        if (name == null || name.isEmpty()) {
            return "an iSCSI name must not be empty";
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            return "iSCSI name '" + name + "' is longer than " + MAX_BYTES + " bytes (RFC 3720 3.2.6.1)";
        }
        if (name.codePoints().anyMatch(cp -> Character.isWhitespace(cp) || Character.isISOControl(cp) || Character.isSpaceChar(cp))) {
            return "iSCSI name '" + name + "' contains a space or control character";
        }
        if (name.codePoints().anyMatch(Character::isUpperCase)) {
            return "iSCSI name '" + name + "' contains upper case; iSCSI names are lower case (RFC 3722), e.g. '"
                    + name.toLowerCase(Locale.ROOT) + "'";
        }
        if (name.startsWith("iqn.")) {
            return checkIqn(name);
        }
        if (name.startsWith("eui.")) {
            return isHex(name, 4, 16) ? null
                    : "iSCSI name '" + name + "': an eui. name is 'eui.' and 16 hex digits (RFC 3720 3.2.6.3.2)";
        }
        if (name.startsWith("naa.")) {
            return isHex(name, 4, 16) || isHex(name, 4, 32) ? null
                    : "iSCSI name '" + name + "': a naa. name is 'naa.' and 16 or 32 hex digits (RFC 3980)";
        }
        return "iSCSI name '" + name + "' must start with 'iqn.', 'eui.' or 'naa.'";
    }

    private static boolean isHex(String s, int from, int digits) {
        if (s.length() != from + digits) {
            return false;
        }
        for (int i = from; i < s.length(); i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /** iqn.yyyy-mm.reversed.domain[:unique], RFC 3720 3.2.6.3.1. */
    private static String checkIqn(String name) {
        String bad = "iSCSI name '" + name + "': ";
        // "iqn." + "yyyy-mm" + "."
        if (name.length() < 12 || name.charAt(8) != '-' || name.charAt(11) != '.') {
            return bad + "an iqn. name continues with a date yyyy-mm and a dot (RFC 3720 3.2.6.3.1)";
        }
        for (int i : new int[] {4, 5, 6, 7, 9, 10}) {
            if (!isAsciiDigit(name.charAt(i))) {
                return bad + "the date must be yyyy-mm in digits";
            }
        }
        int month = (name.charAt(9) - '0') * 10 + (name.charAt(10) - '0');
        if (month < 1 || month > 12) {
            return bad + "month " + name.substring(9, 11) + " is not 01..12";
        }
        int colon = name.indexOf(':', 12);
        String authority = colon < 0 ? name.substring(12) : name.substring(12, colon);
        if (authority.isEmpty()) {
            return bad + "the reversed domain name of the naming authority is missing";
        }
        for (String label : authority.split("\\.", -1)) {
            if (label.isEmpty()) {
                return bad + "the reversed domain name has an empty label";
            }
            for (int i = 0; i < label.length(); i++) {
                char ch = label.charAt(i);
                if (!(ch == '-' || isAsciiDigit(ch) || ch >= 'a' && ch <= 'z')) {
                    return bad + "the reversed domain name may hold only a-z, 0-9, '-' and '.'";
                }
            }
        }
        if (colon >= 0) {
            String unique = name.substring(colon + 1);
            if (unique.isEmpty()) {
                return bad + "nothing follows the ':'";
            }
            for (int i = 0; i < unique.length(); ) {
                int cp = unique.codePointAt(i);
                boolean ok = cp == '-' || cp == '.' || cp == ':' || isAsciiDigit(cp) || cp >= 'a' && cp <= 'z'
                        || cp > 0x7F && Character.isLetterOrDigit(cp);
                if (!ok) {
                    return bad + "character '" + new String(Character.toChars(cp))
                            + "' is not allowed (a-z, 0-9, '-', '.', ':' and letters; RFC 3722)";
                }
                i += Character.charCount(cp);
            }
        }
        return null;
    }

    private static boolean isAsciiDigit(int ch) {
        return ch >= '0' && ch <= '9';
    }
}
