package org.jtgt.admin;

import java.util.List;
import java.util.Map;

import org.jtgt.admin.AdminOptions.UsageException;
import org.jtgt.admin.ControlProtocol.Reply;
import org.jtgt.api.config.ConfigValues;
import org.jtgt.api.config.PortGroupConfiguration;
import org.jtgt.api.config.PortGroupValues;
import org.jtgt.api.target.AccessState;
import org.jtgt.api.target.PortGroup;
import org.jtgt.api.target.TargetPorts;

/**
 * jtgtadm's {@code --mode portgroup}: the target port groups of a target and their access
 * states (SPC-4 5.16), kept in {@code targets.conf} by the config bundle.
 *
 * <pre>
 * --mode portgroup --op show   --tid N
 * --mode portgroup --op new    --tid N -P group=G,ports=P[,P...][,state=STATE][,preferred=0|1]
 * --mode portgroup --op update --tid N -P group=G[,ports=P[,P...]][,state=STATE][,preferred=0|1]
 * --mode portgroup --op delete --tid N -P group=G
 *   STATE: active/optimized (ao, the default), active/non-optimized (an), standby (s),
 *          unavailable (u), transitioning (t); P: a relative target port identifier
 * </pre>
 */
final class PortGroupCommands {
    private final AdminCommands.Services services;

    PortGroupCommands(AdminCommands.Services services) {
        this.services = services;
    }

    Reply execute(String op, AdminOptions o) throws UsageException {
        int tid = AdminCommands.tid(o);
        Map<String, String> params;
        try {
            params = o.has("params") ? PortGroupValues.params(o.get("params")) : Map.of();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        switch (op) {
            case "show" -> {
                return Reply.ok(show(tid));
            }
            case "new" -> {
                int group = group(params, op);
                if (!params.containsKey(PortGroupValues.PORTS)) {
                    throw new UsageException("--op new --mode portgroup needs -P ports=PORT[,PORT...]");
                }
                AccessState state = params.containsKey(PortGroupValues.STATE) ? value(() ->
                        PortGroupValues.state(params.get(PortGroupValues.STATE))) : AccessState.ACTIVE_OPTIMIZED;
                PortGroup g = new PortGroup(group, value(() -> PortGroupValues.ports(params.get(PortGroupValues.PORTS))),
                        state, preferred(params) == Boolean.TRUE);
                return Reply.ok(configured().newPortGroup(tid, g));
            }
            case "update" -> {
                int group = group(params, op);
                if (params.size() == 1) {
                    throw new UsageException("--op update --mode portgroup needs -P group=G and what changes: "
                            + "ports=PORT[,PORT...], state=STATE, preferred=0|1");
                }
                List<Integer> ports = params.containsKey(PortGroupValues.PORTS)
                        ? value(() -> PortGroupValues.ports(params.get(PortGroupValues.PORTS))) : null;
                AccessState state = params.containsKey(PortGroupValues.STATE)
                        ? value(() -> PortGroupValues.state(params.get(PortGroupValues.STATE))) : null;
                return Reply.ok(configured().updatePortGroup(tid, group, ports, state, preferred(params)));
            }
            case "delete" -> {
                int group = group(params, op);
                if (params.size() > 1) {
                    throw new UsageException("--op delete --mode portgroup takes only -P group=G");
                }
                return Reply.ok(configured().deletePortGroup(tid, group));
            }
            default -> throw new UsageException("mode portgroup supports --op show, new, update and delete, not '"
                    + op + "'");
        }
    }

    private String show(int tid) {
        PortGroupConfiguration c = configured();
        List<PortGroup> groups = c.portGroups(tid);
        StringBuilder out = new StringBuilder();
        String iqn = services.configuration() == null ? null : services.configuration().iqnOf(tid);
        out.append("Target ").append(tid).append(iqn == null ? "" : ": " + iqn).append('\n');
        for (PortGroup g : groups) {
            out.append("    Port group ").append(g.id()).append(": ").append(g.state())
                    .append(g.preferred() ? ", preferred" : "").append('\n');
            out.append("        Ports: ").append(String.join(", ", g.ports().stream().map(String::valueOf).toList()))
                    .append('\n');
        }
        out.append(groups.isEmpty() ? "    Every port is a group of its own, active/optimized\n"
                : "    Other ports: a group of their own, active/optimized (or the group numbered as the port)\n");
        List<TargetPorts.Port> ports = services.targetPorts();
        out.append("Target ports:\n");
        if (ports.isEmpty()) {
            out.append("    (none registered)\n");
        }
        for (TargetPorts.Port p : ports) {
            out.append("    ").append(p.relativeId()).append(": ").append(p.driver()).append(' ')
                    .append(p.description()).append('\n');
        }
        return out.toString();
    }

    private static int group(Map<String, String> params, String op) throws UsageException {
        String g = params.get(PortGroupValues.GROUP);
        if (g == null) {
            throw new UsageException("--op " + op + " --mode portgroup needs -P group=1..65535");
        }
        return value(() -> PortGroupValues.group(g));
    }

    private static Boolean preferred(Map<String, String> params) throws UsageException {
        String p = params.get(PortGroupValues.PREFERRED);
        return p == null ? null : value(() -> PortGroupValues.flag(p, PortGroupValues.PREFERRED));
    }

    private interface Value<T> {
        T get();
    }

    /** A value's syntax error is a usage error (status 2), before anything changes. */
    private static <T> T value(Value<T> v) throws UsageException {
        try {
            return v.get();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private PortGroupConfiguration configured() {
        PortGroupConfiguration c = services.portGroups();
        if (c == null) {
            throw new IllegalStateException("target management is not active");
        }
        return c;
    }
}
