package org.jtgt.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.jtgt.api.config.ConfigValues;
import org.jtgt.api.config.PortGroupValues;
import org.jtgt.api.target.AccessState;
import org.jtgt.api.target.PortGroup;

/**
 * The {@code portgroup} lines of {@code targets.conf}: one target port group of a target each,
 * after the target's other lines.
 *
 * <pre>
 * portgroup TID GROUP ports=PORT[,PORT...] state=STATE [preferred=0|1]
 *           GROUP: 1..65535; PORT: a relative target port identifier (iSCSI portal n: TPGT
 *           portalGroupTag + n - 1; FC 256; loopback 512); STATE: active/optimized,
 *           active/non-optimized, standby, unavailable or transitioning
 * </pre>
 *
 * A group is given once per target, a port is in one group of a target at most; a target
 * without {@code portgroup} lines has each port as a group of its own, active/optimized.
 */
final class PortGroupLines {
    static final String KEYWORD = "portgroup";
    static final String FORM = "portgroup TID GROUP ports=PORT[,PORT...] state=STATE [preferred=0|1]";

    private PortGroupLines() {
    }

    /** Parses one line into {@code groups} (by tid); throws with the reason for a line to skip. */
    static void parse(String[] w, Map<Integer, TargetsFile.TargetSpec> targets, Map<Integer, List<PortGroup>> groups) {
        if (w.length < 5 || w.length > 6) {
            throw new IllegalArgumentException("expected '" + FORM + "'");
        }
        TargetsFile.TargetSpec t = targets.get(ConfigValues.tid(w[1]));
        if (t == null) {
            throw new IllegalArgumentException("tid " + w[1] + " is not declared by an earlier target line");
        }
        int id = PortGroupValues.group(w[2]);
        Map<String, String> kv = new LinkedHashMap<>();
        for (int i = 3; i < w.length; i++) {
            int eq = w[i].indexOf('=');
            String key = eq > 0 ? w[i].substring(0, eq) : "";
            if (!key.equals(PortGroupValues.PORTS) && !key.equals(PortGroupValues.STATE)
                    && !key.equals(PortGroupValues.PREFERRED)) {
                throw new IllegalArgumentException("'" + w[i] + "' is not ports=PORT[,PORT...], state=STATE or "
                        + "preferred=0|1");
            }
            if (kv.put(key, w[i].substring(eq + 1)) != null) {
                throw new IllegalArgumentException(key + "= given twice");
            }
        }
        if (!kv.containsKey(PortGroupValues.PORTS) || !kv.containsKey(PortGroupValues.STATE)) {
            throw new IllegalArgumentException("expected '" + FORM + "'");
        }
        List<Integer> ports = PortGroupValues.ports(kv.get(PortGroupValues.PORTS));
        AccessState state = PortGroupValues.state(kv.get(PortGroupValues.STATE));
        boolean preferred = kv.containsKey(PortGroupValues.PREFERRED)
                && PortGroupValues.flag(kv.get(PortGroupValues.PREFERRED), PortGroupValues.PREFERRED);
        List<PortGroup> of = groups.computeIfAbsent(t.tid(), k -> new ArrayList<>());
        Set<Integer> taken = new HashSet<>();
        for (PortGroup g : of) {
            if (g.id() == id) {
                throw new IllegalArgumentException("tid " + t.tid() + " has port group " + id + " twice");
            }
            taken.addAll(g.ports());
        }
        for (int p : ports) {
            if (taken.contains(p)) {
                throw new IllegalArgumentException("port " + p + " is in another port group of tid " + t.tid());
            }
        }
        of.add(new PortGroup(id, ports, state, preferred));
    }

    /** The lines of one target's groups. */
    static void format(StringBuilder s, int tid, List<PortGroup> groups) {
        Map<Integer, PortGroup> byId = new TreeMap<>();
        groups.forEach(g -> byId.put(g.id(), g));
        for (PortGroup g : byId.values()) {
            s.append(KEYWORD).append(' ').append(tid).append(' ').append(g.id()).append(" ports=");
            for (int i = 0; i < g.ports().size(); i++) {
                s.append(i == 0 ? "" : ",").append(g.ports().get(i));
            }
            s.append(" state=").append(g.state().label());
            if (g.preferred()) {
                s.append(" preferred=1");
            }
            s.append('\n');
        }
    }
}
