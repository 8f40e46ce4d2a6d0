package org.jtgt.transport.shm;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jtgt.api.target.ChapAccounts.TargetChap;
import org.jtgt.api.target.LunInfo;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.TargetInfo;
import org.jtgt.api.target.TargetPorts.Port;

/**
 * The daemon's catalog as the front needs it, in a {@link PeerLink#CATALOG} frame: every target
 * (name, units, ACL, nexus count), each target's CHAP accounts, and the target ports.
 *
 * <pre>
 * u32 targets, each: UTF name, u32 nexus count, u32 acl entries (UTF)*, u32 units
 *     (u32 lun, UTF backing, u64 size, u32 block size, u8 flags read-only|removable<<1|thin<<2|serial<<3,
 *      [UTF serial], u32 physical block size)*
 * u8 account source (1: the daemon has one, and the accounts below are all there are; 0: it has none)
 * u32 accounts, each: UTF target, u32 incoming (UTF user, UTF secret)*, u8 outgoing, [UTF user, UTF secret]
 * u32 ports, each: u16 id, u16 group, UTF driver, UTF description
 * </pre>
 *
 * The secrets cross a socket only the daemon's user can open (both files are 0600 in a 0700
 * directory), the same user that can read {@code targets.conf}.
 */
final class CatalogCodec {
    static final int MAX_TARGETS = 4096;
    static final int MAX_ENTRIES = 16384;

    /**
     * What a catalog frame holds. {@code accountSource}: whether the daemon had its CHAP account
     * source; without one, {@code accounts} says nothing (not "no accounts"), and the front offers
     * no account source either, so the iSCSI driver refuses logins as it does in one process.
     */
    record Catalog(List<TargetInfo> targets, boolean accountSource, Map<String, TargetChap> accounts, List<Port> ports) {
        static final Catalog EMPTY = new Catalog(List.of(), false, Map.of(), List.of());
    }

    private CatalogCodec() {
    }

    static void write(DataOutputStream out, Catalog c) throws IOException {
        out.writeInt(c.targets().size());
        for (TargetInfo t : c.targets()) {
            out.writeUTF(t.name());
            out.writeInt(t.nexusCount());
            out.writeInt(t.acl().size());
            for (String a : t.acl()) {
                out.writeUTF(a);
            }
            out.writeInt(t.luns().size());
            for (LunInfo l : t.luns()) {
                LunOptions o = l.options();
                out.writeInt(l.lun());
                out.writeUTF(l.backing() == null ? "" : l.backing());
                out.writeLong(l.sizeBytes());
                out.writeInt(l.blockSize());
                int flags = (o.readOnly() ? 1 : 0) | (o.removable() ? 2 : 0) | (o.thin() ? 4 : 0)
                        | (o.serial() != null ? 8 : 0);
                out.writeByte(flags);
                if (o.serial() != null) {
                    out.writeUTF(o.serial());
                }
                out.writeInt(o.physicalBlockSize());
            }
        }
        out.writeBoolean(c.accountSource());
        out.writeInt(c.accounts().size());
        for (Map.Entry<String, TargetChap> e : c.accounts().entrySet()) {
            out.writeUTF(e.getKey());
            TargetChap chap = e.getValue();
            out.writeInt(chap.incoming().size());
            for (Map.Entry<String, String> u : chap.incoming().entrySet()) {
                out.writeUTF(u.getKey());
                out.writeUTF(u.getValue());
            }
            boolean outgoing = chap.outgoingUser() != null && chap.outgoingSecret() != null;
            out.writeBoolean(outgoing);
            if (outgoing) {
                out.writeUTF(chap.outgoingUser());
                out.writeUTF(chap.outgoingSecret());
            }
        }
        out.writeInt(c.ports().size());
        for (Port p : c.ports()) {
            out.writeShort(p.relativeId());
            out.writeShort(p.group());
            out.writeUTF(p.driver());
            out.writeUTF(p.description());
        }
    }

    static Catalog read(DataInputStream in) throws IOException {
        int n = PeerLink.count(in, MAX_TARGETS, "catalog targets");
        List<TargetInfo> targets = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String name = in.readUTF();
            int nexusCount = in.readInt();
            int aclCount = PeerLink.count(in, MAX_ENTRIES, "ACL of " + name);
            List<String> acl = new ArrayList<>(aclCount);
            for (int j = 0; j < aclCount; j++) {
                acl.add(in.readUTF());
            }
            int lunCount = PeerLink.count(in, MAX_ENTRIES, "units of " + name);
            List<LunInfo> luns = new ArrayList<>(lunCount);
            for (int j = 0; j < lunCount; j++) {
                int lun = in.readInt();
                String backing = in.readUTF();
                long size = in.readLong();
                int blockSize = in.readInt();
                int flags = in.readUnsignedByte();
                String serial = (flags & 8) != 0 ? in.readUTF() : null;
                int physical = in.readInt();
                luns.add(new LunInfo(lun, backing, size, blockSize,
                        new LunOptions((flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, serial, physical)));
            }
            targets.add(new TargetInfo(name, List.copyOf(luns), List.copyOf(acl), nexusCount));
        }
        boolean accountSource = in.readBoolean();
        int a = PeerLink.count(in, MAX_TARGETS, "catalog accounts");
        Map<String, TargetChap> accounts = new LinkedHashMap<>();
        for (int i = 0; i < a; i++) {
            String target = in.readUTF();
            int users = PeerLink.count(in, MAX_ENTRIES, "CHAP users of " + target);
            Map<String, String> incoming = new LinkedHashMap<>();
            for (int j = 0; j < users; j++) {
                incoming.put(in.readUTF(), in.readUTF());
            }
            String outUser = null;
            String outSecret = null;
            if (in.readBoolean()) {
                outUser = in.readUTF();
                outSecret = in.readUTF();
            }
            accounts.put(target, new TargetChap(incoming, outUser, outSecret));
        }
        int p = PeerLink.count(in, 65535, "catalog ports");
        List<Port> ports = new ArrayList<>(p);
        for (int i = 0; i < p; i++) {
            ports.add(new Port(PeerLink.portId(in), in.readUnsignedShort(), in.readUTF(), in.readUTF()));
        }
        if (in.available() > 0) {
            throw new IOException("catalog frame: " + in.available() + " bytes after the last field");
        }
        return new Catalog(List.copyOf(targets), accountSource, Map.copyOf(accounts), List.copyOf(ports));
    }
}
