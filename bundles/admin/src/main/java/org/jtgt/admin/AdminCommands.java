package org.jtgt.admin;

import java.util.List;

import org.jtgt.admin.AdminOptions.UsageException;
import org.jtgt.admin.ControlProtocol.Reply;
import org.jtgt.api.host.TransportControl;
import org.jtgt.api.host.TransportControl.SwapRecord;
import org.jtgt.api.host.TransportControl.TransportState;
import org.jtgt.api.target.LunInfo;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.target.TargetAdminException;
import org.jtgt.api.target.TargetInfo;

/**
 * jtgtadm's commands, in tgtadm's terms: a {@code --mode} (what is acted on) and an {@code --op}
 * (what is done). Each command either applies completely or changes nothing and says why.
 *
 * <pre>
 * --mode system    --op show                      what runs: transports, swaps, targets
 * --mode transport --op show                      registered transports, the active one, swap pauses
 * --mode transport --op swap --name shm|netlink   make NAME the active transport now (hot swap)
 * --mode target    --op show                      targets (with their tid), their LUNs and ACLs
 * --mode target    --op new    --tid N -T IQN     create an empty target
 * --mode target    --op delete --tid N [--force]  delete it (--force: even with I_T nexuses, ending them)
 * --mode target    --op bind|unbind --tid N -I ALL | -Q INITIATOR-NAME
 *                                                 add or remove an ACL entry (no entries: everyone)
 * --mode logicalunit --op new --tid N --lun L [--bstype file|memory] [-b PATH] [--size BYTES]
 *                             [--blocksize 512|4096] [-P readonly=0|1,removable=0|1,thin=0|1,serial=STRING,physicalblocksize=BYTES]
 * --mode logicalunit --op update --tid N --lun L -P ...   refused: options are fixed while a LUN exists
 * --mode logicalunit --op delete --tid N --lun L
 * --mode account   (any op)                       not supported yet
 * </pre>
 *
 * Changes to targets are kept in {@code targets.conf} by {@link ConfiguredTargets}. ACLs are by
 * initiator name: {@code -I} accepts only {@code ALL}.
 */
final class AdminCommands {
    /** Services the commands act on; a service may be missing (its bundle stopped). */
    interface Services {
        TransportControl transportControl();

        TargetAdmin targetAdmin();

        /** The targets jtgtadm manages; null before activation. */
        ConfiguredTargets configuredTargets();
    }

    private final Services services;

    AdminCommands(Services services) {
        this.services = services;
    }

    Reply execute(List<String> args) {
        AdminOptions o;
        try {
            o = AdminOptions.parse(args);
            String mode = o.require("mode", "(system, transport, target, logicalunit)");
            String op = o.require("op", "(show, swap, new, delete, bind, unbind)");
            String lld = o.get("lld");
            if (lld != null && !lld.equals("iscsi")) {
                return Reply.failed("--lld " + lld + " is not supported; targets serve every driver (use --lld iscsi or none)");
            }
            return switch (mode) {
                case "system" -> system(op);
                case "transport" -> transport(op, o);
                case "target" -> target(op, o);
                case "logicalunit" -> logicalUnit(op, o);
                case "account" -> Reply.failed("--mode account is not supported yet: CHAP accounts are set in the "
                        + "org.jtgt.iscsi configuration (Config Admin)");
                default -> Reply.usage("unknown mode '" + mode + "' (system, transport, target, logicalunit)");
            };
        } catch (UsageException e) {
            return Reply.usage(e.getMessage());
        } catch (TargetAdminException | IllegalArgumentException | IllegalStateException e) {
            return Reply.failed(e.getMessage());
        }
    }

    private Reply system(String op) throws UsageException {
        requireOp("system", op, "show");
        StringBuilder out = new StringBuilder();
        showTransports(out);
        out.append('\n');
        showTargets(out);
        return Reply.ok(out.toString());
    }

    private Reply transport(String op, AdminOptions o) throws UsageException {
        switch (op) {
            case "show" -> {
                StringBuilder out = new StringBuilder();
                showTransports(out);
                return Reply.ok(out.toString());
            }
            case "swap" -> {
                String name = o.require("name", "for --op swap: the transport to make active (shm, netlink)");
                SwapRecord swap = transportControl().swapTo(name);
                if (swap.pauseMicros() == 0 && name.equals(swap.from())) {
                    return Reply.ok("transport " + name + " is active already");
                }
                if (!name.equals(swap.to())) {
                    return Reply.failed("swap to " + name + " failed; active transport is now "
                            + (swap.to() == null ? "none" : swap.to()) + " (see the log)");
                }
                return Reply.ok("transport " + (swap.from() == null ? "(none)" : swap.from()) + " -> " + swap.to()
                        + ": paused " + swap.pauseMicros() + " us, drained " + swap.drained() + " requests");
            }
            default -> throw new UsageException("mode transport supports --op show and --op swap, not '" + op + "'");
        }
    }

    private Reply target(String op, AdminOptions o) throws UsageException {
        switch (op) {
            case "show" -> {
                StringBuilder out = new StringBuilder();
                showTargets(out);
                return Reply.ok(out.toString());
            }
            case "new" -> {
                int tid = tid(o);
                String iqn = o.require("targetname", "for --op new --mode target: -T IQN");
                return Reply.ok(configured().newTarget(tid, iqn));
            }
            case "delete" -> {
                return Reply.ok(configured().deleteTarget(tid(o), o.has("force")));
            }
            case "bind", "unbind" -> {
                int tid = tid(o);
                String address = o.get("initiator-address");
                String name = o.get("initiator-name");
                if ((address == null) == (name == null)) {
                    throw new UsageException("--op " + op + " needs one of -I ALL or -Q INITIATOR-NAME");
                }
                if (address != null && !address.equalsIgnoreCase("ALL")) {
                    return Reply.failed("-I " + address + ": ACLs here are by initiator name, not address; use -I ALL "
                            + "or -Q INITIATOR-NAME");
                }
                return Reply.ok(configured().bind(tid, address != null ? "ALL" : name, op.equals("bind")));
            }
            default -> throw new UsageException("mode target supports --op show, new, delete, bind and unbind, not '"
                    + op + "'");
        }
    }

    private Reply logicalUnit(String op, AdminOptions o) throws UsageException {
        int tid = tid(o);
        int lun = number(o.require("lun", "for mode logicalunit: --lun L"), "LUN", 0, 16383);
        switch (op) {
            case "new" -> {
                String type = o.get("bstype") == null ? "file" : o.get("bstype");
                String path = o.get("backing-store");
                Long size = null;
                int blockSize = TargetsFile.DEFAULT_BLOCK_SIZE;
                LunOptions options;
                try {
                    if (o.get("size") != null) {
                        size = TargetsFile.size(o.get("size"));
                    }
                    if (o.get("blocksize") != null) {
                        blockSize = TargetsFile.blockSize(o.get("blocksize"));
                    }
                    options = o.has("params") ? TargetsFile.lunOptions(TargetsFile.params(o.get("params")), type)
                            : TargetsFile.defaultOptions(type);
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
                if (type.equals("file") && (path == null || path.isEmpty())) {
                    throw new UsageException("-b PATH is required for --bstype file");
                }
                if (type.equals("memory") && size == null) {
                    throw new UsageException("--size BYTES is required for --bstype memory");
                }
                return Reply.ok(configured().newLun(tid, lun, type, type.equals("memory") ? null : path, size, blockSize,
                        options));
            }
            case "update" -> {
                if (o.has("params")) {
                    try {
                        TargetsFile.lunOptions(TargetsFile.params(o.get("params")), "file");   // typos: usage
                    } catch (IllegalArgumentException e) {
                        throw new UsageException(e.getMessage());
                    }
                }
                // TargetAdmin has no call that changes a LUN's options in place, and removing and
                // adding the LUN again is not atomic: it closes the store (a memory LUN's data is
                // lost) and the LUN is missing in between.
                return Reply.failed("--op update --mode logicalunit is not supported: the daemon fixes a LUN's "
                        + "options when it is added and cannot change them in place, and removing and re-adding the "
                        + "LUN would close its store (a memory LUN loses its data). Delete the LUN and create it again "
                        + "with --params, or edit targets.conf while jtgt is stopped");
            }
            case "delete" -> {
                return Reply.ok(configured().deleteLun(tid, lun));
            }
            default -> throw new UsageException("mode logicalunit supports --op new, update and delete, not '" + op
                    + "'");
        }
    }

    private ConfiguredTargets configured() {
        ConfiguredTargets c = services.configuredTargets();
        if (c == null) {
            throw new IllegalStateException("target management is not active");
        }
        return c;
    }

    private static int tid(AdminOptions o) throws UsageException {
        return number(o.require("tid", "(-t N)"), "tid", 1, TargetsFile.MAX_TID);
    }

    private static int number(String s, String what, int min, int max) throws UsageException {
        try {
            return TargetsFile.number(s, what, min, max);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private void showTransports(StringBuilder out) {
        TransportControl control = transportControl();
        out.append("Transports:\n");
        List<TransportState> states = control.transports();
        if (states.isEmpty()) {
            out.append("    (none registered)\n");
        }
        for (TransportState s : states) {
            out.append("    ").append(s.name());
            if (s.active()) {
                out.append(" (active)");
            }
            if (s.failed()) {
                out.append(" (failed)");
            }
            out.append('\n');
        }
        out.append("Swaps: ").append(control.swapSummary()).append('\n');
    }

    private void showTargets(StringBuilder out) {
        TargetAdmin admin = services.targetAdmin();
        if (admin == null) {
            throw new IllegalStateException("the target daemon is not running");
        }
        List<TargetInfo> targets = admin.targets();
        if (targets.isEmpty()) {
            out.append("No targets\n");
        }
        ConfiguredTargets configured = services.configuredTargets();
        for (TargetInfo t : targets) {
            Integer tid = configured == null ? null : configured.tidOf(t.name());
            out.append(tid == null ? "Target: " : "Target " + tid + ": ").append(t.name()).append('\n');
            out.append("    I_T nexuses: ").append(t.nexusCount()).append('\n');
            out.append("    ACL: ").append(t.acl().isEmpty() ? "ALL" : String.join(", ", t.acl())).append('\n');
            for (LunInfo l : t.luns()) {
                out.append("    LUN: ").append(l.lun()).append('\n');
                out.append("        Backing store: ").append(l.backing()).append('\n');
                out.append("        Size: ").append(l.sizeBytes()).append(" bytes, block size ").append(l.blockSize());
                if (l.options().physicalBlockSize() > l.blockSize()) {
                    out.append(", physical block size ").append(l.options().physicalBlockSize());
                }
                out.append('\n');
                out.append("        Read-only: ").append(yesNo(l.options().readOnly())).append(", removable: ")
                        .append(yesNo(l.options().removable())).append(", thin: ").append(yesNo(l.options().thin()))
                        .append('\n');
                out.append("        Serial: ").append(l.options().serial() == null ? "(derived from target and LUN)"
                        : l.options().serial()).append('\n');
            }
        }
        if (configured != null) {
            for (String line : configured.pending(targets)) {
                out.append("Not created yet (see the log): ").append(line).append('\n');
            }
        }
    }

    private TransportControl transportControl() {
        TransportControl control = services.transportControl();
        if (control == null) {
            throw new IllegalStateException("the host side is not running");
        }
        return control;
    }

    private static void requireOp(String mode, String op, String supported) throws UsageException {
        if (!op.equals(supported)) {
            throw new UsageException("mode " + mode + " supports --op " + supported + ", not '" + op + "'");
        }
    }

    private static String yesNo(boolean b) {
        return b ? "yes" : "no";
    }
}
