package org.jtgt.api.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jtgt.api.target.AccessState;
import org.jtgt.api.target.TargetPorts;

/**
 * The syntax of target port groups that jtgtadm ({@code --mode portgroup -P ...}) and
 * {@code targets.conf} ({@code portgroup} lines) share: {@code group=N}, {@code ports=P,P...}
 * (relative target port identifiers), {@code state=STATE} ({@link AccessState#parse}) and
 * {@code preferred=0|1}. Each method throws {@link IllegalArgumentException} with a message for
 * the user.
 *
 * @since 1.2
 */
public final class PortGroupValues {
    public static final String GROUP = "group";
    public static final String PORTS = "ports";
    public static final String STATE = "state";
    public static final String PREFERRED = "preferred";
    public static final List<String> KEYS = List.of(GROUP, PORTS, STATE, PREFERRED);
    static final String SYNTAX = "group=1..65535, ports=PORT[,PORT...], state=active/optimized|active/non-optimized"
            + "|standby|unavailable|transitioning, preferred=0|1";

    private PortGroupValues() {
    }

    /** A target port group number. */
    public static int group(String s) {
        return ConfigValues.number(s, "target port group", TargetPorts.MIN_ID, TargetPorts.MAX_ID);
    }

    /** A comma-separated list of relative target port identifiers, each once. */
    public static List<Integer> ports(String s) {
        List<Integer> out = new ArrayList<>();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("ports= names no port");
        }
        for (String p : s.split(",", -1)) {
            int id = ConfigValues.number(p, "relative target port", TargetPorts.MIN_ID, TargetPorts.MAX_ID);
            if (out.contains(id)) {
                throw new IllegalArgumentException("port " + id + " is listed twice");
            }
            out.add(id);
        }
        return out;
    }

    public static AccessState state(String s) {
        return AccessState.parse(s);
    }

    /** {@code 0|1}, or {@code on|off}. */
    public static boolean flag(String s, String what) {
        return switch (s) {
            case "1", "on" -> true;
            case "0", "off" -> false;
            default -> throw new IllegalArgumentException(what + "=" + s + " is not 0|1 (or on|off)");
        };
    }

    /**
     * jtgtadm's {@code --params} for a port group: {@code KEY=VALUE} items separated by commas,
     * each key once; since the ports are separated by commas too, an item without {@code =}
     * right after {@code ports=} adds one more port ({@code group=2,ports=3,4,state=standby}).
     */
    public static Map<String, String> params(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        String last = null;
        for (String item : text.split(",", -1)) {
            int eq = item.indexOf('=');
            if (eq < 0 && PORTS.equals(last)) {
                out.put(PORTS, out.get(PORTS) + "," + item);
                continue;
            }
            if (eq <= 0) {
                throw new IllegalArgumentException("--params item '" + item + "' is not KEY=VALUE (" + SYNTAX + ")");
            }
            String key = item.substring(0, eq);
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown --params key '" + key + "' (" + SYNTAX + ")");
            }
            if (out.put(key, item.substring(eq + 1)) != null) {
                throw new IllegalArgumentException("--params key '" + key + "' given twice");
            }
            last = key;
        }
        return out;
    }
}
