package org.jtgt.admin;

import java.util.List;

import org.jtgt.admin.AdminOptions.UsageException;
import org.jtgt.admin.ControlProtocol.Reply;
import org.jtgt.api.host.TransportControl;
import org.jtgt.api.host.TransportControl.SwapRecord;
import org.jtgt.api.host.TransportControl.TransportState;
import org.jtgt.api.target.LunInfo;
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
 * --mode target    --op show                      targets, their LUNs and ACLs
 * </pre>
 */
final class AdminCommands {
    /** Services the commands act on; a service may be missing (its bundle stopped). */
    interface Services {
        TransportControl transportControl();

        TargetAdmin targetAdmin();
    }

    private final Services services;

    AdminCommands(Services services) {
        this.services = services;
    }

    Reply execute(List<String> args) {
        AdminOptions o;
        try {
            o = AdminOptions.parse(args);
            String mode = o.require("mode", "(system, transport, target)");
            String op = o.require("op", "(show, swap, ...)");
            return switch (mode) {
                case "system" -> system(op);
                case "transport" -> transport(op, o);
                case "target" -> target(op);
                default -> Reply.usage("unknown mode '" + mode + "' (system, transport, target)");
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

    private Reply target(String op) throws UsageException {
        requireOp("target", op, "show");
        StringBuilder out = new StringBuilder();
        showTargets(out);
        return Reply.ok(out.toString());
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
        for (TargetInfo t : targets) {
            out.append("Target: ").append(t.name()).append('\n');
            out.append("    I_T nexuses: ").append(t.nexusCount()).append('\n');
            out.append("    ACL: ").append(t.acl().isEmpty() ? "ALL" : String.join(", ", t.acl())).append('\n');
            for (LunInfo l : t.luns()) {
                out.append("    LUN: ").append(l.lun()).append('\n');
                out.append("        Backing store: ").append(l.backing()).append('\n');
                out.append("        Size: ").append(l.sizeBytes()).append(" bytes, block size ").append(l.blockSize())
                        .append('\n');
                out.append("        Read-only: ").append(yesNo(l.options().readOnly())).append(", removable: ")
                        .append(yesNo(l.options().removable())).append(", thin: ").append(yesNo(l.options().thin()))
                        .append('\n');
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
