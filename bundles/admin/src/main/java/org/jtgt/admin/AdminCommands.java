package org.jtgt.admin;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jtgt.admin.AdminOptions.UsageException;
import org.jtgt.admin.ControlProtocol.Reply;
import org.jtgt.api.config.ConfigValues;
import org.jtgt.api.config.PortGroupConfiguration;
import org.jtgt.api.config.TargetConfiguration;
import org.jtgt.api.host.TransportControl;
import org.jtgt.api.host.TransportControl.SwapRecord;
import org.jtgt.api.host.TransportControl.TransportState;
import org.jtgt.api.target.IoStatistics;
import org.jtgt.api.target.LunInfo;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.NexusInfo;
import org.jtgt.api.target.SessionInfo;
import org.jtgt.api.target.SessionSource;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.target.TargetAdminException;
import org.jtgt.api.target.TargetInfo;
import org.jtgt.api.target.TargetPorts;

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
 *                             [--blocksize 512|4096] [-P readonly=0|1,removable=0|1,thin=0|1,serial=STRING,physicalblocksize=BYTES,softthreshold=PERCENT]
 *                             [-P STORE-OPTION=VALUE,...]   the store type's own options (file: direct=0|1)
 * --mode logicalunit --op update --tid N --lun L -P size=BYTES,readonly=on|off,removable=on|off,thin=on|off
 *                                                 grow the LUN and change its options in place (not its
 *                                                 store options: the store was opened with them)
 * --mode logicalunit --op delete --tid N --lun L
 * --mode session   --op show [--tid N]            I_T nexuses with their driver sessions and statistics
 * --mode conn      --op show [--tid N] [--sid HOST:NEXUS]   the connections of those sessions
 * --mode stats     --op show [--tid N]            commands, bytes read and written, errors per LUN and session
 * --mode account   --op new --user U --password P | --op delete --user U | --op show
 * --mode account   --op bind|unbind --tid N --user U [--outgoing]   per-target CHAP (iSCSI)
 * --mode lunmap    --op show [--tid N]            LUN maps per initiator ({@link LunMapCommands})
 * --mode lunmap    --op new|delete --tid N -Q INITIATOR-NAME
 * --mode lunmap    --op bind --tid N -Q INITIATOR-NAME --lun L [--mapped-lun M] | --op unbind ... --lun L
 * --mode portgroup --op show|new|update|delete --tid N [-P group=G,ports=P[,P...],state=STATE,preferred=0|1]
 *                                                 target port groups and access states ({@link PortGroupCommands})
 * </pre>
 *
 * Changes to targets are kept in {@code targets.conf} by the {@link TargetConfiguration} service
 * (the config bundle); what a store type needs ({@code -b}, {@code --size}) its provider says.
 * ACLs are by initiator name: {@code -I} accepts only {@code ALL}.
 */
final class AdminCommands {
    /** Services the commands act on; a service may be missing (its bundle stopped). */
    interface Services {
        TransportControl transportControl();

        TargetAdmin targetAdmin();

        /** The targets jtgtadm manages; null while the config bundle is not running. */
        TargetConfiguration configuration();

        /** The network drivers' sessions (iSCSI, FC); empty while none is running. */
        default List<SessionSource> sessionSources() {
            return List.of();
        }

        /** The port groups jtgtadm manages; null while the config bundle is not running. */
        default PortGroupConfiguration portGroups() {
            return null;
        }

        /** The target ports the drivers registered; empty while the daemon is not running. */
        default List<TargetPorts.Port> targetPorts() {
            return List.of();
        }
    }

    /** tgtadm's default backing store (rdwr: a file). */
    static final String DEFAULT_STORE_TYPE = "file";
    static final String MODES = "system, transport, target, logicalunit, session, conn, stats, account, lunmap, portgroup";

    private final Services services;

    AdminCommands(Services services) {
        this.services = services;
    }

    Reply execute(List<String> args) {
        AdminOptions o;
        try {
            o = AdminOptions.parse(args);
            String mode = o.require("mode", "(" + MODES + ")");
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
                case "session" -> sessions(op, o, false);
                case "conn" -> sessions(op, o, true);
                case "stats" -> statistics(op, o);
                case "account" -> account(op, o);
                case "lunmap" -> new LunMapCommands(services).execute(op, o);
                case "portgroup" -> new PortGroupCommands(services).execute(op, o);
                default -> Reply.usage("unknown mode '" + mode + "' (" + MODES + ")");
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
                return Reply.ok(configured().bindInitiator(tid, address != null ? ConfigValues.ALL : name,
                        op.equals("bind")));
            }
            default -> throw new UsageException("mode target supports --op show, new, delete, bind and unbind, not '"
                    + op + "'");
        }
    }

    private Reply logicalUnit(String op, AdminOptions o) throws UsageException {
        int tid = tid(o);
        int lun = number(o.require("lun", "for mode logicalunit: --lun L"), "LUN", 0, ConfigValues.MAX_LUN);
        switch (op) {
            case "new" -> {
                String type = o.get("bstype") == null ? DEFAULT_STORE_TYPE : o.get("bstype");
                String path = o.get("backing-store");
                Long size = null;
                int blockSize = ConfigValues.DEFAULT_BLOCK_SIZE;
                Map<String, String> params;
                TargetConfiguration known = services.configuration();
                // the type's store options (null: its provider is not running, which newLun then says)
                Map<String, String> storeOptions = known == null ? null : known.storeOptions(type);
                try {
                    if (o.get("size") != null) {
                        size = ConfigValues.size(o.get("size"));
                    }
                    if (o.get("blocksize") != null) {
                        blockSize = ConfigValues.blockSize(o.get("blocksize"));
                    }
                    params = o.has("params") ? ConfigValues.params(o.get("params"), ConfigValues.OPTION_KEYS,
                            storeOptions) : Map.of();
                    // bad values: usage, before anything runs (a store option's value its provider checks)
                    ConfigValues.lunOptions(ConfigValues.lunParams(params), LunOptions.DEFAULT);
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
                TargetConfiguration configuration = configured();
                Boolean usesPath = configuration.storeUsesPath(type);   // null: no provider of the type runs
                if (Boolean.TRUE.equals(usesPath) && (path == null || path.isEmpty())) {
                    throw new UsageException("-b PATH is required for --bstype " + type);
                }
                if (Boolean.FALSE.equals(usesPath) && size == null) {
                    throw new UsageException("--size BYTES is required for --bstype " + type);
                }
                return Reply.ok(configuration.newLun(tid, lun, type, Boolean.FALSE.equals(usesPath) ? null : path, size,
                        blockSize, params));
            }
            case "update" -> {
                if (!o.has("params") && o.get("size") == null) {
                    throw new UsageException("--op update --mode logicalunit needs --params KEY=VALUE,... (size=BYTES, "
                            + "readonly=on|off, removable=on|off, thin=on|off) or --size BYTES");
                }
                Map<String, String> params;
                Long size = null;
                TargetConfiguration known = services.configuration();
                String type = known == null ? null : known.storeType(tid, lun);
                // the LUN's store options are named, to be refused with the reason rather than as unknown
                Map<String, String> storeOptions = type == null ? Map.of() : known.storeOptions(type);
                try {
                    params = o.has("params") ? new LinkedHashMap<>(ConfigValues.params(o.get("params"),
                            ConfigValues.UPDATE_KEYS, storeOptions)) : new LinkedHashMap<>();
                    String sizeParam = params.remove(ConfigValues.SIZE);
                    if (sizeParam != null && o.get("size") != null) {
                        throw new IllegalArgumentException("give the size once: --size or --params size=, not both");
                    }
                    String sizeText = sizeParam != null ? sizeParam : o.get("size");
                    if (sizeText != null) {
                        size = ConfigValues.size(sizeText);
                    }
                    ConfigValues.lunOptions(ConfigValues.lunParams(params), LunOptions.DEFAULT);   // bad values: usage
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
                return Reply.ok(configured().updateLun(tid, lun, size, params));
            }
            case "delete" -> {
                return Reply.ok(configured().deleteLun(tid, lun));
            }
            default -> throw new UsageException("mode logicalunit supports --op new, update and delete, not '" + op
                    + "'");
        }
    }

    /**
     * tgtadm's {@code --mode account}: {@code --op new --user U --password P}, {@code --op delete
     * --user U}, {@code --op bind|unbind --tid N --user U [--outgoing]}, {@code --op show}.
     * Passwords are never shown.
     */
    private Reply account(String op, AdminOptions o) throws UsageException {
        switch (op) {
            case "show" -> {
                return Reply.ok(configured().showAccounts());
            }
            case "new" -> {
                String user = o.require("user", "for --op new --mode account: --user NAME");
                String password = o.require("password", "for --op new --mode account: --password SECRET");
                try {
                    ConfigValues.checkAccount(user, password);
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
                return Reply.ok(configured().newAccount(user, password));
            }
            case "delete" -> {
                return Reply.ok(configured().deleteAccount(o.require("user", "for --op delete --mode account: --user NAME")));
            }
            case "bind", "unbind" -> {
                int tid = tid(o);
                String user = o.require("user", "for --op " + op + " --mode account: --user NAME");
                return Reply.ok(configured().bindAccount(tid, user, o.has("outgoing"), op.equals("bind")));
            }
            default -> throw new UsageException("mode account supports --op new, delete, bind, unbind and show, not '"
                    + op + "'");
        }
    }

    /**
     * {@code --op show --mode session [--tid N]}: each I_T nexus with the driver's session that
     * carries it and its statistics; {@code --mode conn [--tid N] [--sid HOST:NEXUS]}: the
     * connections of those sessions.
     */
    private Reply sessions(String op, AdminOptions o, boolean connections) throws UsageException {
        requireOp(connections ? "conn" : "session", op, "show");
        String only = targetFilter(o);
        String sid = o.get("sid");
        if (sid != null && !sid.matches("\\d+:\\d+")) {
            throw new UsageException("--sid " + sid + ": give HOST:NEXUS as shown by --op show --mode session");
        }
        StringBuilder out = new StringBuilder();
        Map<String, SessionInfo> sessions = sessionsByNexus();
        String current = null;
        int shown = 0;
        for (NexusInfo n : daemon().nexuses()) {
            String key = n.hostNo() + ":" + n.nexusId();
            if ((only != null && !only.equals(n.target())) || (sid != null && !sid.equals(key))) {
                continue;
            }
            if (!n.target().equals(current)) {
                current = n.target();
                out.append(targetHeading(current)).append('\n');
            }
            SessionInfo s = sessions.get(key);
            out.append("    Session ").append(key).append(": ").append(s == null ? "(no driver lists it)"
                    : s.driver() + ", " + s.id()).append('\n');
            out.append("        Initiator: ").append(s == null ? n.initiatorPort() : s.initiator()).append('\n');
            if (s != null) {
                for (SessionInfo.ConnectionInfo c : s.connections()) {
                    out.append("        Connection ").append(c.id()).append(": ").append(c.peer()).append(" -> ")
                            .append(c.local()).append('\n');
                }
            }
            if (!connections) {
                out.append("        I_T nexus: ").append(n.initiatorPort()).append('\n');
                out.append("        ").append(statistics(n.statistics())).append('\n');
            }
            shown++;
        }
        if (shown == 0) {
            out.append(sid != null ? "No session " + sid : "No sessions").append('\n');
        }
        return Reply.ok(out.toString());
    }

    /** {@code --op show --mode stats [--tid N]}: per LUN and per session. */
    private Reply statistics(String op, AdminOptions o) throws UsageException {
        requireOp("stats", op, "show");
        String only = targetFilter(o);
        TargetAdmin admin = daemon();
        List<NexusInfo> nexuses = admin.nexuses();
        StringBuilder out = new StringBuilder();
        for (TargetInfo t : admin.targets()) {
            if (only != null && !only.equals(t.name())) {
                continue;
            }
            out.append(targetHeading(t.name())).append('\n');
            for (LunInfo l : t.luns()) {
                IoStatistics st;
                try {
                    st = admin.lunStatistics(t.name(), l.lun());
                } catch (TargetAdminException e) {
                    continue;   // removed meanwhile
                }
                out.append("    LUN ").append(l.lun()).append(": ").append(statistics(st)).append('\n');
            }
            for (NexusInfo n : nexuses) {
                if (n.target().equals(t.name())) {
                    out.append("    Session ").append(n.hostNo()).append(':').append(n.nexusId()).append(" (")
                            .append(n.initiatorPort()).append("): ").append(statistics(n.statistics())).append('\n');
                }
            }
        }
        if (out.length() == 0) {
            out.append("No targets\n");
        }
        return Reply.ok(out.toString());
    }

    private static String statistics(IoStatistics s) {
        return "commands " + s.commands() + ", read " + s.bytesRead() + " bytes, written " + s.bytesWritten()
                + " bytes, errors (CHECK CONDITION) " + s.errors();
    }

    /** The IQN of {@code --tid N}, or null without {@code --tid}. */
    private String targetFilter(AdminOptions o) throws UsageException {
        if (o.get("tid") == null) {
            return null;
        }
        int tid = tid(o);
        String iqn = configured().iqnOf(tid);
        if (iqn == null) {
            throw new TargetAdminException("no target with tid " + tid);
        }
        return iqn;
    }

    private String targetHeading(String iqn) {
        TargetConfiguration c = services.configuration();
        Integer tid = c == null ? null : c.tidOf(iqn);
        return (tid == null ? "Target: " : "Target " + tid + ": ") + iqn;
    }

    private Map<String, SessionInfo> sessionsByNexus() {
        Map<String, SessionInfo> out = new HashMap<>();
        for (SessionSource source : services.sessionSources()) {
            try {
                for (SessionInfo s : source.sessions()) {
                    out.put(s.hostNo() + ":" + s.nexusId(), s);
                }
            } catch (RuntimeException e) {
                // a driver stopping meanwhile: its sessions are going away anyway
            }
        }
        return out;
    }

    private TargetAdmin daemon() {
        TargetAdmin admin = services.targetAdmin();
        if (admin == null) {
            throw new IllegalStateException("the target daemon is not running");
        }
        return admin;
    }

    private TargetConfiguration configured() {
        TargetConfiguration c = services.configuration();
        if (c == null) {
            throw new IllegalStateException("target management is not active");
        }
        return c;
    }

    static int tid(AdminOptions o) throws UsageException {
        return number(o.require("tid", "(-t N)"), "tid", 1, ConfigValues.MAX_TID);
    }

    private static int number(String s, String what, int min, int max) throws UsageException {
        try {
            return ConfigValues.number(s, what, min, max);
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
        TargetConfiguration configured = services.configuration();
        Map<String, SessionInfo> sessions = new java.util.TreeMap<>(sessionsByNexus());
        for (TargetInfo t : targets) {
            Integer tid = configured == null ? null : configured.tidOf(t.name());
            out.append(tid == null ? "Target: " : "Target " + tid + ": ").append(t.name()).append('\n');
            out.append("    I_T nexuses: ").append(t.nexusCount()).append('\n');
            for (SessionInfo session : sessions.values()) {
                if (session.target().equals(t.name())) {
                    out.append("        Session ").append(session.hostNo()).append(':').append(session.nexusId())
                            .append(": ").append(session.driver()).append(", ").append(session.id()).append(", ")
                            .append(session.initiator()).append('\n');
                    for (SessionInfo.ConnectionInfo c : session.connections()) {
                        out.append("            Connection ").append(c.id()).append(": ").append(c.peer())
                                .append('\n');
                    }
                }
            }
            out.append("    ACL: ").append(t.acl().isEmpty() ? "ALL" : String.join(", ", t.acl())).append('\n');
            List<String> users = configured == null ? List.of() : configured.accountsOf(t.name());
            if (!users.isEmpty()) {
                out.append("    Accounts: ").append(String.join(", ", users)).append('\n');
            }
            for (LunInfo l : t.luns()) {
                out.append("    LUN: ").append(l.lun()).append('\n');
                out.append("        Backing store: ").append(l.backing()).append('\n');
                out.append("        Size: ").append(l.sizeBytes()).append(" bytes, block size ").append(l.blockSize());
                if (l.options().physicalBlockSize() > l.blockSize()) {
                    out.append(", physical block size ").append(l.options().physicalBlockSize());
                }
                out.append('\n');
                out.append("        Read-only: ").append(yesNo(l.options().readOnly())).append(", removable: ")
                        .append(yesNo(l.options().removable())).append(", thin: ").append(yesNo(l.options().thin()));
                if (l.options().softThreshold() != 0) {
                    out.append(", soft threshold: ").append(l.options().softThreshold()).append('%');
                }
                out.append('\n');
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
