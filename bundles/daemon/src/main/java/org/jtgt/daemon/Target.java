package org.jtgt.daemon;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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
    /** Closed to new nexuses (a forced delete under way). */
    private volatile boolean closed;

    Target(String name) {
        this.name = name;
        this.nameUtf8 = name.getBytes(StandardCharsets.UTF_8);
    }

    String name() {
        return name;
    }

    boolean closed() {
        return closed;
    }

    void closed(boolean closed) {
        this.closed = closed;
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
