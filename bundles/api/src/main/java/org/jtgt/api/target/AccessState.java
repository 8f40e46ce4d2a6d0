package org.jtgt.api.target;

import java.util.Locale;

/**
 * The primary target port asymmetric access states of SPC-4 5.16.2.4 and 5.16.2.5, each with
 * its ASYMMETRIC ACCESS STATE code (REPORT TARGET PORT GROUPS, SET TARGET PORT GROUPS) and the
 * name jtgtadm and {@code targets.conf} use for it.
 */
public enum AccessState {
    /** Every command is processed, as fast as the device can (5.16.2.4.2). */
    ACTIVE_OPTIMIZED(0x0, "active/optimized", "ao"),
    /** Every command is processed, possibly slower than through an optimized group (5.16.2.4.3). */
    ACTIVE_NON_OPTIMIZED(0x1, "active/non-optimized", "an"),
    /** Only the commands of 5.16.2.4.4; others are NOT READY, TARGET PORT IN STANDBY STATE. */
    STANDBY(0x2, "standby", "s"),
    /** Only the commands of 5.16.2.4.5; others are NOT READY, TARGET PORT IN UNAVAILABLE STATE. */
    UNAVAILABLE(0x3, "unavailable", "u"),
    /**
     * Between two states (5.16.2.5); others are NOT READY, ASYMMETRIC ACCESS STATE TRANSITION.
     * Set by the administrator only: SET TARGET PORT GROUPS cannot request it.
     */
    TRANSITIONING(0xF, "transitioning", "t");

    private final int code;
    private final String label;
    private final String shortName;

    AccessState(int code, String label, String shortName) {
        this.code = code;
        this.label = label;
        this.shortName = shortName;
    }

    /** The ASYMMETRIC ACCESS STATE field's value. */
    public int code() {
        return code;
    }

    /** The name jtgtadm and {@code targets.conf} use ({@code active/optimized}, {@code standby}, ...). */
    public String label() {
        return label;
    }

    /** The state with this ASYMMETRIC ACCESS STATE code, or {@code null} for another code. */
    public static AccessState ofCode(int code) {
        for (AccessState s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }

    /**
     * The state named {@code name}: its label or short form ({@code ao}, {@code an}, {@code s},
     * {@code u}, {@code t}), in any case.
     *
     * @throws IllegalArgumentException naming the states for anything else
     */
    public static AccessState parse(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (AccessState s : values()) {
            if (s.label.equals(n) || s.shortName.equals(n)) {
                return s;
            }
        }
        throw new IllegalArgumentException("'" + name + "' is not an access state (active/optimized or ao, "
                + "active/non-optimized or an, standby or s, unavailable or u, transitioning or t)");
    }

    @Override
    public String toString() {
        return label;
    }
}
