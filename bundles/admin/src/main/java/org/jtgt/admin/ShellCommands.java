package org.jtgt.admin;

import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;

import org.jtgt.admin.ControlProtocol.Reply;

/**
 * jtgtadm's commands in an OSGi shell (Apache Felix Gogo, Karaf): {@code jtgt:target},
 * {@code jtgt:lun}, {@code jtgt:acl}, {@code jtgt:transport}, {@code jtgt:system}, {@code jtgt:session},
 * {@code jtgt:stats}, {@code jtgt:account}, {@code jtgt:lunmap}, {@code jtgt:portgroup}, each taking
 * the operation and jtgtadm's options, for example
 *
 * <pre>
 * g! jtgt:target new --tid 1 -T iqn.2026-11.org.example:disk1
 * g! jtgt:lun new --tid 1 --lun 0 --bstype memory --size 67108864
 * g! jtgt:lun update --tid 1 --lun 0 -P size=134217728,readonly=on
 * g! jtgt:acl bind --tid 1 -Q iqn.2026-11.org.example:host1
 * g! jtgt:transport swap --name netlink
 * g! jtgt:session show --tid 1
 * g! jtgt:stats show
 * g! jtgt:account new --user alice --password alice-secret1
 * g! jtgt:account bind --tid 1 --user alice
 * g! jtgt:system show
 * </pre>
 *
 * The same {@link AdminCommands} run them as for jtgtadm, so they apply completely or not at all
 * and changes are written to {@code targets.conf}. A refusal is thrown with its message, which the
 * shell prints.
 */
public final class ShellCommands {
    /** Service properties that make Gogo offer the public methods below as commands. */
    static Dictionary<String, Object> properties() {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("osgi.command.scope", "jtgt");
        p.put("osgi.command.function", new String[] {"target", "lun", "acl", "transport", "system", "session", "stats",
            "account", "lunmap", "portgroup"});
        return p;
    }

    private final AdminCommands commands;

    ShellCommands(AdminCommands commands) {
        this.commands = commands;
    }

    /** {@code jtgt:target new|delete|show ...}: targets. */
    public String target(String... args) {
        return run("target", args);
    }

    /** {@code jtgt:lun new|update|delete ...}: logical units. */
    public String lun(String... args) {
        return run("logicalunit", args);
    }

    /** {@code jtgt:acl bind|unbind --tid N -Q NAME|-I ALL}: initiator ACLs of a target. */
    public String acl(String... args) {
        return run("target", args);
    }

    /** {@code jtgt:transport show|swap --name NAME}: the active transport. */
    public String transport(String... args) {
        return run("transport", args);
    }

    /** {@code jtgt:session show [--tid N]}: I_T nexuses, the sessions carrying them, their statistics. */
    public String session(String... args) {
        return run("session", args);
    }

    /** {@code jtgt:stats show [--tid N]}: commands, bytes and errors per LUN and per session. */
    public String stats(String... args) {
        return run("stats", args);
    }

    /** {@code jtgt:account new|delete|bind|unbind|show --user U ...}: per-target CHAP accounts. */
    public String account(String... args) {
        return run("account", args);
    }

    /** {@code jtgt:lunmap show|new|delete|bind|unbind --tid N -Q NAME [--lun L] [--mapped-lun M]}: LUN maps per initiator. */
    public String lunmap(String... args) {
        return run("lunmap", args);
    }

    /** {@code jtgt:portgroup show|new|update|delete --tid N -P group=G,...}: target port groups and access states. */
    public String portgroup(String... args) {
        return run("portgroup", args);
    }

    /** {@code jtgt:system show}: everything. */
    public String system(String... args) {
        return run("system", args);
    }

    private String run(String mode, String[] args) {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: jtgt:" + (mode.equals("logicalunit") ? "lun" : mode)
                    + " OP [jtgtadm options]");
        }
        List<String> line = new ArrayList<>(List.of("--mode", mode, "--op", args[0]));
        line.addAll(List.of(args).subList(1, args.length));
        Reply reply = commands.execute(line);
        if (reply.status() != Reply.OK) {
            throw new IllegalArgumentException(reply.text().strip());
        }
        return reply.text().stripTrailing();
    }
}
