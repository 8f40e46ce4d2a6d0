package org.jtgt.daemon;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.jtgt.api.target.AccessState;
import org.jtgt.api.target.PortGroup;
import org.jtgt.api.target.TargetAdminException;
import org.jtgt.api.target.TargetPorts;

/**
 * The target port groups of one target and their asymmetric access states (SPC-4 5.16), shared
 * by all its logical units. Groups are configured (jtgtadm, {@code targets.conf}) or made by SET
 * TARGET PORT GROUPS; a port no configured group holds is in the group numbered as the port: a
 * configured one of that number, else an implicit group of its own, active/optimized. With
 * nothing configured every port is its own active/optimized group, as before explicit ALUA.
 *
 * <p>Readers (the command path, INQUIRY, REPORT TARGET PORT GROUPS) see an immutable {@link
 * Snapshot} through a volatile field and never lock or allocate; changes are made under this
 * object's monitor, one at a time, and publish a new snapshot.
 *
 * <p>Which commands each state processes ({@link #refusal}): active/optimized and
 * active/non-optimized all; standby those of SPC-4 5.16.2.4.4, unavailable those of
 * 5.16.2.4.5, transitioning those of 5.16.2.5; every other command is NOT READY, LOGICAL UNIT
 * NOT ACCESSIBLE with ASCQ 0Bh, 0Ch or 0Ah.
 */
final class AccessStates {
    /** REPORT TARGET PORT GROUPS STATUS CODE (SPC-4 6.37): no status available. */
    static final int STATUS_NONE = 0x00;
    /** STATUS CODE: the state was altered by SET TARGET PORT GROUPS. */
    static final int STATUS_EXPLICIT = 0x01;
    /** STATUS CODE: the state was altered by the device server (here: the administrator). */
    static final int STATUS_IMPLICIT = 0x02;

    /** One configured group as readers see it; {@code ports} sorted, never modified. */
    record Group(int id, int[] ports, AccessState state, boolean preferred, int status) {
        PortGroup toPortGroup() {
            List<Integer> p = new ArrayList<>(ports.length);
            for (int x : ports) {
                p.add(x);
            }
            return new PortGroup(id, p, state, preferred);
        }
    }

    /**
     * The groups by number; the member ports, sorted, with the group of each; whether every
     * configured group is active (so the command path need not look further).
     */
    record Snapshot(Group[] groups, int[] memberPorts, int[] memberGroups, boolean allActive) {
        /** The group of a port: the configured group holding it, else the one numbered as the port. */
        int groupOf(int relativePort) {
            int i = Arrays.binarySearch(memberPorts, relativePort);
            return i >= 0 ? memberGroups[i] : relativePort;
        }

        /** The configured group with this number, or {@code null}. Allocation-free. */
        Group group(int id) {
            int lo = 0;
            int hi = groups.length - 1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                int g = groups[mid].id();
                if (g < id) {
                    lo = mid + 1;
                } else if (g > id) {
                    hi = mid - 1;
                } else {
                    return groups[mid];
                }
            }
            return null;
        }

        /** The state of a group: its configured state, else active/optimized (implicit). */
        AccessState stateOf(int group) {
            Group g = group(group);
            return g == null ? AccessState.ACTIVE_OPTIMIZED : g.state();
        }
    }

    static final Snapshot IMPLICIT = new Snapshot(new Group[0], new int[0], new int[0], true);

    private volatile Snapshot snapshot = IMPLICIT;

    Snapshot snapshot() {
        return snapshot;
    }

    // ---- the command path ----

    /** Bits of {@link #ALLOWED}: the command is processed in that state. */
    private static final int IN_STANDBY = 1;
    private static final int IN_UNAVAILABLE = 2;
    private static final int IN_TRANSITIONING = 4;
    private static final int IN_ALL = IN_STANDBY | IN_UNAVAILABLE | IN_TRANSITIONING;
    /** By opcode; MAINTENANCE IN and OUT by service action in {@link #allowed}. */
    private static final byte[] ALLOWED = new byte[256];
    private static final int LOG_SELECT = 0x4C;
    private static final int RECEIVE_DIAGNOSTIC_RESULTS = 0x1C;
    private static final int SEND_DIAGNOSTIC = 0x1D;

    static {
        // SPC-4 5.16.2.4.4 (standby), 5.16.2.4.5 (unavailable), 5.16.2.5 (transitioning). The echo
        // buffer modes of READ BUFFER and WRITE BUFFER are in every list; this daemon does not
        // implement those commands, and an unknown opcode never reaches the check.
        for (int op : new int[] {Opcodes.INQUIRY, Opcodes.REPORT_LUNS, Opcodes.REQUEST_SENSE}) {
            ALLOWED[op] = IN_ALL;
        }
        for (int op : new int[] {LOG_SELECT, Opcodes.LOG_SENSE, Opcodes.MODE_SELECT_6, Opcodes.MODE_SELECT_10,
            Opcodes.MODE_SENSE_6, Opcodes.MODE_SENSE_10, RECEIVE_DIAGNOSTIC_RESULTS, SEND_DIAGNOSTIC,
            Opcodes.PERSISTENT_RESERVE_IN, Opcodes.PERSISTENT_RESERVE_OUT}) {
            ALLOWED[op] = IN_STANDBY;
        }
    }

    /** Whether {@code cdb} is processed in the states of {@code mask}; allocation-free. */
    private static boolean allowed(byte[] cdb, int mask) {
        int opcode = cdb[0] & 0xFF;
        int sa = cdb[1] & Opcodes.SERVICE_ACTION_MASK;
        int in;
        if (opcode == Opcodes.MAINTENANCE_IN) {
            in = sa == Opcodes.SA_REPORT_TARGET_PORT_GROUPS ? IN_ALL : 0;
        } else if (opcode == Opcodes.MAINTENANCE_OUT) {
            in = sa == Opcodes.SA_SET_TARGET_PORT_GROUPS ? IN_STANDBY | IN_UNAVAILABLE : 0;
        } else {
            in = ALLOWED[opcode];
        }
        return (in & mask) != 0;
    }

    /**
     * Why the command in {@code cdb} may not run through relative port {@code relativePort} of
     * this target (the state of the port's group does not process it), or {@code null} if it
     * may. One volatile read while every group is active; allocation-free.
     */
    SenseReason refusal(int relativePort, byte[] cdb) {
        Snapshot s = snapshot;
        if (s.allActive()) {
            return null;
        }
        switch (s.stateOf(s.groupOf(relativePort))) {
            case STANDBY:
                return allowed(cdb, IN_STANDBY) ? null : SenseReason.TARGET_PORT_IN_STANDBY_STATE;
            case UNAVAILABLE:
                return allowed(cdb, IN_UNAVAILABLE) ? null : SenseReason.TARGET_PORT_IN_UNAVAILABLE_STATE;
            case TRANSITIONING:
                return allowed(cdb, IN_TRANSITIONING) ? null : SenseReason.ASYMMETRIC_ACCESS_STATE_TRANSITION;
            default:
                return null;
        }
    }

    // ---- changes ----

    /** The configured groups, by number. */
    List<PortGroup> list() {
        Group[] g = snapshot.groups();
        List<PortGroup> out = new ArrayList<>(g.length);
        for (Group x : g) {
            out.add(x.toPortGroup());
        }
        return out;
    }

    /**
     * Replaces the configured groups (the administrator's change: an implicit transition for
     * SPC-4). A group whose state changes gets STATUS CODE 02h; the others keep theirs.
     *
     * @return whether anything an initiator sees changed (states, PREF, membership)
     * @throws TargetAdminException for groups that break {@link #check}'s rules; nothing changes
     */
    synchronized boolean replace(List<PortGroup> groups) {
        check(groups);
        Snapshot old = snapshot;
        List<Group> next = new ArrayList<>(groups.size());
        for (PortGroup p : groups) {
            int[] ports = p.ports().stream().mapToInt(Integer::intValue).sorted().toArray();
            Group before = old.group(p.id());
            AccessState was = before != null ? before.state() : AccessState.ACTIVE_OPTIMIZED;
            int status = p.state() != was ? STATUS_IMPLICIT : before != null ? before.status() : STATUS_NONE;
            next.add(new Group(p.id(), ports, p.state(), p.preferred(), status));
        }
        Snapshot s = snapshot(next);
        snapshot = s;
        return !sameView(old, s);
    }

    /**
     * SET TARGET PORT GROUPS: gives group {@code ids[i]} the state {@code states[i]}; a group
     * that is not configured (a port's implicit group) becomes a configured group of that one
     * port. A group whose state changes gets STATUS CODE 01h.
     *
     * @return whether any state changed
     */
    synchronized boolean setExplicitly(int[] ids, AccessState[] states, int count) {
        Snapshot old = snapshot;
        List<Group> next = new ArrayList<>(Arrays.asList(old.groups()));
        boolean changed = false;
        for (int i = 0; i < count; i++) {
            int id = ids[i];
            Group g = null;
            int at = -1;
            for (int k = 0; k < next.size(); k++) {
                if (next.get(k).id() == id) {
                    g = next.get(k);
                    at = k;
                }
            }
            AccessState was = g == null ? AccessState.ACTIVE_OPTIMIZED : g.state();
            if (was == states[i]) {
                continue;
            }
            changed = true;
            Group now = g == null ? new Group(id, new int[] {id}, states[i], false, STATUS_EXPLICIT)
                    : new Group(id, g.ports(), states[i], g.preferred(), STATUS_EXPLICIT);
            if (at >= 0) {
                next.set(at, now);
            } else {
                next.add(now);
            }
        }
        if (changed) {
            snapshot = snapshot(next);
        }
        return changed;
    }

    /**
     * The rules of configured groups: numbers and ports within 1..65535, numbers distinct, at
     * least one port per group, each port in one group at most.
     */
    static void check(List<PortGroup> groups) {
        Set<Integer> ids = new HashSet<>();
        Set<Integer> ports = new HashSet<>();
        for (PortGroup g : groups) {
            if (g.id() < TargetPorts.MIN_ID || g.id() > TargetPorts.MAX_ID) {
                throw new TargetAdminException("target port group " + g.id() + " is outside " + TargetPorts.MIN_ID
                        + ".." + TargetPorts.MAX_ID);
            }
            if (!ids.add(g.id())) {
                throw new TargetAdminException("target port group " + g.id() + " is given twice");
            }
            if (g.state() == null) {
                throw new TargetAdminException("target port group " + g.id() + " has no access state");
            }
            if (g.ports().isEmpty()) {
                throw new TargetAdminException("target port group " + g.id() + " holds no port");
            }
            for (int p : g.ports()) {
                if (p < TargetPorts.MIN_ID || p > TargetPorts.MAX_ID) {
                    throw new TargetAdminException("relative target port identifier " + p + " (group " + g.id()
                            + ") is outside " + TargetPorts.MIN_ID + ".." + TargetPorts.MAX_ID);
                }
                if (!ports.add(p)) {
                    throw new TargetAdminException("port " + p + " is in two target port groups");
                }
            }
        }
    }

    private static Snapshot snapshot(List<Group> groups) {
        Group[] g = groups.toArray(new Group[0]);
        Arrays.sort(g, (a, b) -> Integer.compare(a.id(), b.id()));
        int n = 0;
        for (Group x : g) {
            n += x.ports().length;
        }
        long[] members = new long[n];
        int i = 0;
        boolean allActive = true;
        for (Group x : g) {
            for (int p : x.ports()) {
                members[i++] = (long) p << 16 | x.id();
            }
            allActive &= x.state() == AccessState.ACTIVE_OPTIMIZED || x.state() == AccessState.ACTIVE_NON_OPTIMIZED;
        }
        Arrays.sort(members);
        int[] ports = new int[n];
        int[] groupOf = new int[n];
        for (int k = 0; k < n; k++) {
            ports[k] = (int) (members[k] >>> 16);
            groupOf[k] = (int) (members[k] & 0xFFFF);
        }
        return new Snapshot(g, ports, groupOf, allActive);
    }

    private static boolean sameView(Snapshot a, Snapshot b) {
        if (!Arrays.equals(a.memberPorts(), b.memberPorts()) || !Arrays.equals(a.memberGroups(), b.memberGroups())
                || a.groups().length != b.groups().length) {
            return false;
        }
        for (int i = 0; i < a.groups().length; i++) {
            Group x = a.groups()[i];
            Group y = b.groups()[i];
            if (x.id() != y.id() || x.state() != y.state() || x.preferred() != y.preferred()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Establishes ASYMMETRIC ACCESS STATE CHANGED (2Ah/06h) for every logical unit of {@code
     * target} on each of its I_T nexuses but {@code except} (the one that sent SET TARGET PORT
     * GROUPS, or {@code null}): SPC-4 5.16.2.2.
     */
    static void announce(Target target, Nexus except) {
        for (Nexus n : target.nexuses()) {
            if (n == except) {
                continue;
            }
            for (LogicalUnit u : target.luns()) {
                n.unitAttentions().establish(u.lun(), SenseReason.ASYMMETRIC_ACCESS_STATE_CHANGED);
            }
        }
    }
}
