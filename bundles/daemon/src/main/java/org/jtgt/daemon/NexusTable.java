package org.jtgt.daemon;

import java.util.ArrayList;
import java.util.List;

/**
 * Every I_T nexus of the daemon, found by (host number, nexus id) on each command without a lock
 * or an allocation: lookups probe an immutable open-addressing array read through a volatile
 * field; changes (nexus login and logout, under the daemon's admin lock) rebuild the array.
 */
final class NexusTable {
    private volatile Nexus[] slots = new Nexus[16];
    /** Admin lock held for access. */
    private final List<Nexus> all = new ArrayList<>();

    private static int slot(int hostNo, long id, int mask) {
        long h = (id + ((long) hostNo << 40)) * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h ^ h >>> 29) & mask;
    }

    Nexus get(int hostNo, long id) {
        Nexus[] s = slots;
        int mask = s.length - 1;
        int i = slot(hostNo, id, mask);
        Nexus n;
        while ((n = s[i]) != null) {
            if (n.id() == id && n.hostNo() == hostNo) {
                return n;
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    /** Admin lock held. */
    void add(Nexus n) {
        all.add(n);
        rebuild();
    }

    /** Admin lock held. */
    void remove(Nexus n) {
        all.remove(n);
        rebuild();
    }

    /** Admin lock held. Number of nexuses on a host. */
    int countOnHost(int hostNo) {
        int c = 0;
        for (Nexus n : all) {
            if (n.hostNo() == hostNo) {
                c++;
            }
        }
        return c;
    }

    private void rebuild() {
        int cap = 16;
        while (cap < all.size() * 4) {
            cap <<= 1;
        }
        Nexus[] s = new Nexus[cap];
        int mask = cap - 1;
        for (Nexus n : all) {
            int i = slot(n.hostNo(), n.id(), mask);
            while (s[i] != null) {
                i = (i + 1) & mask;
            }
            s[i] = n;
        }
        slots = s;
    }
}
