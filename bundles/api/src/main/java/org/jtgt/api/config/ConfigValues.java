package org.jtgt.api.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.jtgt.api.target.LunOptions;

/**
 * The values jtgtadm's options and {@code targets.conf}'s lines share, with the checks both
 * apply: tid and LUN numbers, sizes, block sizes, LUN parameters ({@code -P}: the options every
 * LUN has, and the store options of its type, which its {@code BackingStoreProvider} names and
 * checks), CHAP accounts.
 * Each check throws {@link IllegalArgumentException} with the reason the value is refused.
 */
public final class ConfigValues {
    /** The ACL entry that admits every initiator. */
    public static final String ALL = "ALL";
    public static final int MAX_TID = 65535;
    public static final int MAX_LUN = 16383;
    public static final int DEFAULT_BLOCK_SIZE = 512;
    /** Longest serial number the daemon takes for VPD page 80h. */
    public static final int MAX_SERIAL_LENGTH = 64;
    public static final String READONLY = "readonly";
    public static final String REMOVABLE = "removable";
    public static final String THIN = "thin";
    public static final String SERIAL = "serial";
    public static final String PHYSICAL_BLOCK_SIZE = "physicalblocksize";
    /** A thin LUN's soft threshold on used space, percent of its capacity (0 = none). @since 1.2 */
    public static final String SOFT_THRESHOLD = "softthreshold";
    public static final String SIZE = "size";
    /** A {@code lun} line's block size ({@code --blocksize}); never a store option's name. @since 1.1 */
    public static final String BLOCK_SIZE = "blocksize";
    /** The LUN options' keys. */
    public static final List<String> OPTION_KEYS = List.of(READONLY, REMOVABLE, THIN, SERIAL, PHYSICAL_BLOCK_SIZE,
            SOFT_THRESHOLD);
    /**
     * Keys {@code --op update --mode logicalunit} takes: the options and {@value #SIZE} (serial and
     * physicalblocksize only to be refused with the reason).
     */
    public static final List<String> UPDATE_KEYS = List.of(READONLY, REMOVABLE, THIN, SERIAL, PHYSICAL_BLOCK_SIZE,
            SOFT_THRESHOLD, SIZE);

    /** Shortest and longest CHAP secret: RFC 7143 12.1.3 asks for at least 96 bits; 16 bytes is the common limit. */
    public static final int MIN_SECRET = 12;
    public static final int MAX_SECRET = 16;
    public static final int MAX_USER = 64;

    private ConfigValues() {
    }

    /**
     * Checks a CHAP account as jtgtadm takes it: a user name of 1..64 printable ASCII characters
     * without spaces (CHAP_N is a text value; the file is split at white space) and a secret of
     * 12..16 printable ASCII characters without spaces (RFC 7143 12.1.3: at least 96 bits;
     * initiators commonly refuse longer secrets, and a longer one would not log in).
     */
    public static void checkAccount(String user, String secret) {
        checkUser(user);
        if (secret.length() < MIN_SECRET || secret.length() > MAX_SECRET) {
            throw new IllegalArgumentException("the CHAP secret has " + secret.length() + " characters; it must have "
                    + MIN_SECRET + " to " + MAX_SECRET + " (RFC 7143 12.1.3 asks for at least 96 bits)");
        }
        for (int i = 0; i < secret.length(); i++) {
            char c = secret.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                throw new IllegalArgumentException("the CHAP secret must be printable ASCII without spaces");
            }
        }
    }

    public static void checkUser(String user) {
        if (user.isEmpty() || user.length() > MAX_USER) {
            throw new IllegalArgumentException("user name must have 1.." + MAX_USER + " characters");
        }
        for (int i = 0; i < user.length(); i++) {
            char c = user.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                throw new IllegalArgumentException("user name '" + user + "' must be printable ASCII without spaces");
            }
        }
    }

    public static int tid(String s) {
        return number(s, "tid", 1, MAX_TID);
    }

    public static int number(String s, String what, int min, int max) {
        int n;
        try {
            n = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " '" + s + "' is not a number");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(what + " " + n + " is outside " + min + ".." + max);
        }
        return n;
    }

    public static long size(String s) {
        long n;
        try {
            n = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size '" + s + "' is not a number of bytes");
        }
        if (n <= 0) {
            throw new IllegalArgumentException("size " + n + " is not positive");
        }
        return n;
    }

    public static int blockSize(String s) {
        if (!s.equals("512") && !s.equals("4096")) {
            throw new IllegalArgumentException("block size '" + s + "' is not supported; use 512 or 4096");
        }
        return Integer.parseInt(s);
    }

    public static void checkFits(long size, int blockSize) {
        if (size % blockSize != 0) {
            throw new IllegalArgumentException("size " + size + " is not a multiple of the block size " + blockSize);
        }
    }

    /**
     * tgtadm's {@code --params}: {@code key=value} items separated by commas, each key once, for
     * example {@code readonly=1,serial=DISK0001}. Only the keys are checked here.
     */
    public static Map<String, String> params(String text) {
        return params(text, OPTION_KEYS);
    }

    /** {@link #params(String)} with the keys {@code allowed}. */
    public static Map<String, String> params(String text, List<String> allowed) {
        return params(text, allowed, Map.of());
    }

    /**
     * {@link #params(String)} with the keys {@code allowed} and the store options of the LUN's
     * type ({@code storeOptions}: each key with the values it takes, as the type's
     * {@code BackingStoreProvider} names them; {@code null} while its provider is not running,
     * when every other key is kept for the provider to check). The values of store options are
     * the provider's to check.
     *
     * @since 1.1
     */
    public static Map<String, String> params(String text, List<String> allowed, Map<String, String> storeOptions) {
        Map<String, String> out = new LinkedHashMap<>();
        String store = storeOptions == null ? "" : storeSyntax(storeOptions);
        for (String item : text.split(",", -1)) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--params item '" + item + "' is not KEY=VALUE (" + keys() + store
                        + ")");
            }
            String key = item.substring(0, eq);
            boolean storeOption = !OPTION_KEYS.contains(key) && !key.equals(SIZE) && !key.equals(BLOCK_SIZE)
                    && (storeOptions == null || storeOptions.containsKey(key));
            if (!allowed.contains(key) && !storeOption) {
                throw new IllegalArgumentException("unknown --params key '" + key + "' (" + keys()
                        + (allowed.contains(SIZE) ? ", size=BYTES" : "") + store + ")");
            }
            if (out.put(key, item.substring(eq + 1)) != null) {
                throw new IllegalArgumentException("--params key '" + key + "' given twice");
            }
        }
        return out;
    }

    /** The items of {@code params} that are LUN options ({@link #OPTION_KEYS}), in order. @since 1.1 */
    public static Map<String, String> lunParams(Map<String, String> params) {
        Map<String, String> out = new LinkedHashMap<>();
        params.forEach((k, v) -> {
            if (OPTION_KEYS.contains(k)) {
                out.put(k, v);
            }
        });
        return out;
    }

    /**
     * The items of {@code params} that are neither LUN options nor {@value #SIZE}: the store
     * options of the LUN's type, sorted by key, as {@code targets.conf} keeps them.
     *
     * @since 1.1
     */
    public static Map<String, String> storeParams(Map<String, String> params) {
        Map<String, String> out = new TreeMap<>();
        params.forEach((k, v) -> {
            if (!OPTION_KEYS.contains(k) && !k.equals(SIZE) && !k.equals(BLOCK_SIZE)) {
                out.put(k, v);
            }
        });
        return out;
    }

    /**
     * {@code , direct=0|1} for the store options {@code storeOptions} (key to the values it
     * takes), sorted; empty for none. For messages that list the keys a LUN takes.
     *
     * @since 1.1
     */
    public static String storeSyntax(Map<String, String> storeOptions) {
        StringBuilder s = new StringBuilder();
        new TreeMap<>(storeOptions).forEach((k, v) -> s.append(", ").append(k).append('=').append(v));
        return s.toString();
    }

    /**
     * The options {@code values} (keys {@code readonly}, {@code removable}, {@code thin},
     * {@code serial}, {@code physicalblocksize}, {@code softthreshold}) give, each missing key keeping
     * its value in {@code d}. Whether they go together is {@link #checkCombination}'s to say.
     */
    public static LunOptions lunOptions(Map<String, String> values, LunOptions d) {
        for (String key : values.keySet()) {
            if (!OPTION_KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown LUN option '" + key + "' (" + keys() + ")");
            }
        }
        String serial = values.containsKey(SERIAL) ? values.get(SERIAL) : d.serial();
        if (values.containsKey(SERIAL)) {
            checkSerial(serial);
        }
        int softThreshold = values.containsKey(SOFT_THRESHOLD) ? softThreshold(values.get(SOFT_THRESHOLD))
                : d.softThreshold();
        return new LunOptions(flag(values, READONLY, d.readOnly()), flag(values, REMOVABLE, d.removable()),
                flag(values, THIN, d.thin()), serial, values.containsKey(PHYSICAL_BLOCK_SIZE)
                        ? physicalBlockSize(values.get(PHYSICAL_BLOCK_SIZE)) : d.physicalBlockSize(), softThreshold);
    }

    /**
     * {@code o}, if its options go together: a soft threshold needs a thin LUN.
     *
     * @since 1.2
     */
    public static LunOptions checkCombination(LunOptions o) {
        if (o.softThreshold() != 0 && !o.thin()) {
            throw new IllegalArgumentException(SOFT_THRESHOLD + "=" + o.softThreshold() + " needs a thin LUN (thin=1): "
                    + "a fully provisioned LUN has all its space from the start");
        }
        return o;
    }

    /** Percent of the LUN's capacity in use at which the soft threshold is reached: 0 (none) to 100. */
    private static int softThreshold(String v) {
        String digits = v.endsWith("%") ? v.substring(0, v.length() - 1) : v;
        int n;
        try {
            n = Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(SOFT_THRESHOLD + "=" + v + " is not a percentage; use 0 (none) to 100");
        }
        if (n < 0 || n > 100) {
            throw new IllegalArgumentException(SOFT_THRESHOLD + "=" + v + " is outside 0..100 (percent of the LUN's "
                    + "capacity in use)");
        }
        return n;
    }

    /** {@code readonly=0 removable=0 thin=1} (and {@code softthreshold=N} if set), as a {@code lun} line has them. */
    public static String describeOptions(LunOptions o) {
        return READONLY + "=" + (o.readOnly() ? 1 : 0) + " " + REMOVABLE + "=" + (o.removable() ? 1 : 0) + " " + THIN
                + "=" + (o.thin() ? 1 : 0) + (o.softThreshold() != 0 ? " " + SOFT_THRESHOLD + "=" + o.softThreshold() : "");
    }

    /**
     * Bytes per physical block: 0 (absent: one logical block per physical block) or a power of
     * two; that it is a multiple of the block size the daemon checks when it adds the LUN.
     */
    private static int physicalBlockSize(String v) {
        if (v == null) {
            return 0;
        }
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PHYSICAL_BLOCK_SIZE + "=" + v + " is not a number of bytes");
        }
        if (n < 0 || n != 0 && Integer.bitCount(n) != 1) {
            throw new IllegalArgumentException(PHYSICAL_BLOCK_SIZE + "=" + v + ": use 0 or a power of two, e.g. 4096");
        }
        return n;
    }

    /** SPC-4 Unit Serial Number VPD page (80h): ASCII; the daemon takes 1..64 printable characters. */
    private static void checkSerial(String serial) {
        if (serial.isEmpty()) {
            throw new IllegalArgumentException("serial= is empty");
        }
        if (serial.length() > MAX_SERIAL_LENGTH) {
            throw new IllegalArgumentException("serial has " + serial.length() + " characters; at most "
                    + MAX_SERIAL_LENGTH + " fit VPD page 80h");
        }
        for (int i = 0; i < serial.length(); i++) {
            char c = serial.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                throw new IllegalArgumentException("serial must be printable ASCII without spaces (VPD page 80h); "
                        + "character " + (i + 1) + " is U+" + String.format("%04X", (int) c));
            }
        }
    }

    private static boolean flag(Map<String, String> values, String key, boolean fallback) {
        String v = values.get(key);
        if (v == null) {
            return fallback;
        }
        return switch (v) {
            case "0", "off" -> false;
            case "1", "on" -> true;
            default -> throw new IllegalArgumentException(key + "=" + v + ": use " + key + "=0|1 or " + key + "=on|off");
        };
    }

    private static String keys() {
        return READONLY + "=0|1, " + REMOVABLE + "=0|1, " + THIN + "=0|1, " + SERIAL + "=STRING, "
                + PHYSICAL_BLOCK_SIZE + "=BYTES, " + SOFT_THRESHOLD + "=PERCENT";
    }
}
