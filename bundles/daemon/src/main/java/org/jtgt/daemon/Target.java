package org.jtgt.daemon;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.jtgt.api.target.GatewayOwnership;
import org.jtgt.api.target.LunInfo;
import org.jtgt.api.target.TargetInfo;

/**
 * A SCSI target device: its LUN map, ACL and I_T nexuses. Readers (transport threads) see
 * immutable snapshots through volatile fields and never lock; writers hold the daemon's admin
 * lock and publish new arrays (copy-on-write).
 */
final class Target {
    private static final LogicalUnit[] NO_LUNS = new LogicalUnit[0];
    private static final Nexus[] NO_NEXUSES = new Nexus[0];

    private final String name;
    private final byte[] nameUtf8;
    /** Sorted by LUN number. */
    private volatile LogicalUnit[] luns = NO_LUNS;
    private volatile List<String> acl = List.of();
    private volatile Nexus[] nexuses = NO_NEXUSES;
    /** The copy manager's ROD tokens (POPULATE TOKEN), shared by every nexus of the target. */
    private final RodTokens rodTokens = new RodTokens();
    /** LUN maps by initiator name in lower case ({@link LunView}); replaced whole under the admin lock. */
    private volatile Map<String, LunView> views = Map.of();
    /** Closed to new nexuses (a forced delete under way). */
    private volatile boolean closed;
    /** Its target port groups and their access states (SPC-4 5.16). */
    private final AccessStates accessStates = new AccessStates();
    /** The store whose owner the port groups follow ({@link GatewayStates}), or null. */
    private volatile GatewayOwnership gateway;

    Target(String name) {
        this.name = name;
        this.nameUtf8 = name.getBytes(StandardCharsets.UTF_8);
    }

    String name() {
        return name;
    }

    RodTokens rodTokens() {
        return rodTokens;
    }

    boolean closed() {
        return closed;
    }

    void closed(boolean closed) {
        this.closed = closed;
    }

    AccessStates accessStates() {
        return accessStates;
    }

    /** The gateway cluster store the port groups follow, or null (then they are the configured ones). */
    GatewayOwnership gateway() {
        return gateway;
    }

    /** Admin lock held. */
    void gateway(GatewayOwnership g) {
        gateway = g;
    }

    /** The name as UTF-8 (VPD page 83h SCSI name string); never modify. */
    byte[] nameUtf8() {
        return nameUtf8;
    }

    /** The unit with this number, or {@code null}. Allocation-free. */
    LogicalUnit lun(int number) {
        LogicalUnit[] l = luns;
        int lo = 0;
        int hi = l.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int n = l[mid].lun();
            if (n < number) {
                lo = mid + 1;
            } else if (n > number) {
                hi = mid - 1;
            } else {
                return l[mid];
            }
        }
        return null;
    }

    /** The current LUN map, sorted; never modify. */
    LogicalUnit[] luns() {
        return luns;
    }

    /** Admin lock held. */
    void addLun(LogicalUnit unit) {
        LogicalUnit[] old = luns;
        LogicalUnit[] next = Arrays.copyOf(old, old.length + 1);
        int i = old.length;
        while (i > 0 && next[i - 1].lun() > unit.lun()) {
            next[i] = next[i - 1];
            i--;
        }
        next[i] = unit;
        unit.provisioning().attach(this);
        luns = next;
    }

    /** Admin lock held. */
    LogicalUnit removeLun(int number) {
        LogicalUnit[] old = luns;
        for (int i = 0; i < old.length; i++) {
            if (old[i].lun() == number) {
                LogicalUnit[] next = new LogicalUnit[old.length - 1];
                System.arraycopy(old, 0, next, 0, i);
                System.arraycopy(old, i + 1, next, i, old.length - i - 1);
                luns = next;
                return old[i];
            }
        }
        return null;
    }

    List<String> acl() {
        return acl;
    }

    /** Admin lock held. */
    void setAcl(List<String> initiators) {
        acl = List.copyOf(initiators);
    }

    /**
     * Whether the ACL admits an initiator. An iSCSI initiator port name carries the session's
     * ISID after the name ({@code iqn...,i,0x<isid>}, RFC 7143 4.2.7.1); the ACL lists names, so
     * only the part before the first comma is compared, ignoring case (RFC 3722 folds case).
     */
    boolean admits(String initiatorPortName) {
        List<String> a = acl;
        if (a.isEmpty()) {
            return true;
        }
        String initiator = initiatorName(initiatorPortName);
        for (String allowed : a) {
            if (allowed.equalsIgnoreCase(initiator)) {
                return true;
            }
        }
        return false;
    }

    static String initiatorName(String initiatorPortName) {
        int comma = initiatorPortName.indexOf(',');
        return comma < 0 ? initiatorPortName : initiatorPortName.substring(0, comma);
    }

    Map<String, LunView> views() {
        return views;
    }

    /** Admin lock held. */
    void views(Map<String, LunView> next) {
        views = Map.copyOf(next);
    }

    /** The LUN map of the initiator of {@code initiatorPortName} (compared by name, as the ACL is), or null. */
    LunView viewOf(String initiatorPortName) {
        Map<String, LunView> v = views;
        return v.isEmpty() ? null : v.get(initiatorName(initiatorPortName).toLowerCase(Locale.ROOT));
    }

    /**
     * SPC-4 6.33: the inventory of target LUN {@code lun} changed (added or removed); every
     * nexus whose view names it gets REPORTED LUNS DATA HAS CHANGED through each LUN it sees, so
     * that a nexus that saw none learns it too (as Linux tgt does). Reported through any LUN, the
     * condition clears on all (TaskRouter). Nexuses whose map leaves the LUN out get nothing.
     */
    void reportedLunsChanged(int lun) {
        for (Nexus n : nexuses) {
            if (n.maps(lun)) {
                reportedLunsChanged(n);
            }
        }
    }

    /** REPORTED LUNS DATA HAS CHANGED for {@code n} through each LUN its view shows now. */
    void reportedLunsChanged(Nexus n) {
        for (LogicalUnit u : luns) {
            if (n.maps(u.lun())) {
                n.unitAttentions().establish(u.lun(), SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED);
            }
        }
    }

    Nexus[] nexuses() {
        return nexuses;
    }

    /** Admin lock held. */
    void addNexus(Nexus n) {
        Nexus[] old = nexuses;
        Nexus[] next = Arrays.copyOf(old, old.length + 1);
        next[old.length] = n;
        nexuses = next;
    }

    /** Admin lock held. */
    void removeNexus(Nexus n) {
        Nexus[] old = nexuses;
        List<Nexus> keep = new ArrayList<>(old.length);
        for (Nexus x : old) {
            if (x != n) {
                keep.add(x);
            }
        }
        nexuses = keep.toArray(NO_NEXUSES);
    }

    /** Establishes {@code reason} on every nexus of this target for {@code lun}. */
    void unitAttentionForAllNexuses(int lun, SenseReason reason) {
        for (Nexus n : nexuses) {
            n.unitAttentions().establish(lun, reason);
        }
    }

    TargetInfo info() {
        LogicalUnit[] l = luns;
        List<LunInfo> infos = new ArrayList<>(l.length);
        for (LogicalUnit u : l) {
            infos.add(u.info());
        }
        return new TargetInfo(name, List.copyOf(infos), acl, nexuses.length);
    }
}
