package org.jtgt.admin;

import org.jtgt.admin.AdminOptions.UsageException;
import org.jtgt.admin.ControlProtocol.Reply;
import org.jtgt.api.config.ConfigValues;
import org.jtgt.api.config.LunMapConfiguration;
import org.jtgt.api.config.TargetConfiguration;

/**
 * jtgtadm's {@code --mode lunmap}: which LUNs an initiator sees, under which numbers (LIO's
 * mapped LUNs). The target's LUN is {@code --lun}, the number the initiator sees it under
 * {@code --mapped-lun} (default: the same number); the initiator is named as ACLs name it
 * ({@code -Q}).
 *
 * <pre>
 * --op show   [--tid N]                                      every map of the target(s)
 * --op new    --tid N -Q NAME                                NAME gets a map of its own: it sees no LUN until bound
 * --op bind   --tid N -Q NAME --lun L [--mapped-lun M]       NAME sees LUN L as LUN M (the map is made if needed)
 * --op unbind --tid N -Q NAME --lun L                        NAME no longer sees LUN L
 * --op delete --tid N -Q NAME                                NAME's map goes: it sees every LUN again
 * </pre>
 */
final class LunMapCommands {
    private final AdminCommands.Services services;

    LunMapCommands(AdminCommands.Services services) {
        this.services = services;
    }

    Reply execute(String op, AdminOptions o) throws UsageException {
        if (op.equals("show")) {
            Integer tid = o.get("tid") == null ? null : tid(o);
            return Reply.ok(maps().showLunMaps(tid));
        }
        int tid = tid(o);
        String initiator = o.require("initiator-name", "for --op " + op + " --mode lunmap: -Q INITIATOR-NAME");
        if (o.has("initiator-address")) {
            throw new UsageException("LUN maps are by initiator name (-Q), not address (-I)");
        }
        switch (op) {
            case "new" -> {
                noLuns(o, op);
                return Reply.ok(maps().newLunMap(tid, initiator));
            }
            case "delete" -> {
                noLuns(o, op);
                return Reply.ok(maps().deleteLunMap(tid, initiator));
            }
            case "bind" -> {
                int lun = lun(o, "lun", "for --op bind --mode lunmap: --lun L (the target's LUN)");
                int mapped = o.get("mapped-lun") == null ? lun
                        : lun(o, "mapped-lun", "(the number the initiator sees the LUN under)");
                return Reply.ok(maps().mapLun(tid, initiator, lun, mapped));
            }
            case "unbind" -> {
                if (o.has("mapped-lun")) {
                    throw new UsageException("--op unbind --mode lunmap takes the target's --lun, not --mapped-lun");
                }
                return Reply.ok(maps().unmapLun(tid, initiator, lun(o, "lun",
                        "for --op unbind --mode lunmap: --lun L (the target's LUN)")));
            }
            default -> throw new UsageException("mode lunmap supports --op show, new, delete, bind and unbind, not '"
                    + op + "'");
        }
    }

    private static void noLuns(AdminOptions o, String op) throws UsageException {
        if (o.has("lun") || o.has("mapped-lun")) {
            throw new UsageException("--op " + op + " --mode lunmap acts on the initiator's whole map; give no --lun or "
                    + "--mapped-lun (bind and unbind take them)");
        }
    }

    /** The config bundle's {@link TargetConfiguration} service provides the maps too. */
    private LunMapConfiguration maps() {
        TargetConfiguration c = services.configuration();
        if (c == null) {
            throw new IllegalStateException("target management is not active");
        }
        if (!(c instanceof LunMapConfiguration m)) {
            throw new IllegalStateException("the running config bundle manages no LUN maps");
        }
        return m;
    }

    private static int tid(AdminOptions o) throws UsageException {
        return number(o.require("tid", "(-t N)"), "tid", 1, ConfigValues.MAX_TID);
    }

    private static int lun(AdminOptions o, String option, String why) throws UsageException {
        return number(o.require(option, why), option.equals("lun") ? "LUN" : "mapped LUN", 0, ConfigValues.MAX_LUN);
    }

    private static int number(String s, String what, int min, int max) throws UsageException {
        try {
            return ConfigValues.number(s, what, min, max);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
