package org.jtgt.daemon;

import java.util.Arrays;

import org.jtgt.api.target.TargetPorts.Port;

/**
 * Asymmetric logical unit access (SPC-4 5.16), implicit only: INQUIRY reports TPGS = 01b, every
 * target port is a target port group of its own ({@link PortTable}), every group is always
 * active/optimized, and the device server never changes a state by itself nor lets an
 * application client change one. SET TARGET PORT GROUPS (MAINTENANCE OUT, service action 0Ah)
 * is therefore not supported, as SPC-4 5.16 requires of a device server whose TPGS field is 01b:
 * MAINTENANCE OUT is not in the {@link CommandTable}, so it is answered ILLEGAL REQUEST, INVALID
 * COMMAND OPERATION CODE and REPORT SUPPORTED OPERATION CODES does not list it.
 */
final class TargetPortGroups {
    /** INQUIRY byte 5, TPGS field (bits 5..4) = 01b: implicit asymmetric access only (SPC-4 6.6.2). */
    static final int TPGS_IMPLICIT = 0x1 << 4;

    // ---- REPORT TARGET PORT GROUPS (SPC-4 6.37) ----
    /** CDB byte 1, bits 7..5: PARAMETER DATA FORMAT. */
    static final int FORMAT_SHIFT = 5;
    static final int FORMAT_LENGTH_ONLY = 0x0;
    static final int FORMAT_EXTENDED = 0x1;
    static final int FORMAT_MSB = 7;
    static final int ALLOCATION_LENGTH_OFFSET = 6;
    /** RETURN DATA LENGTH (4 bytes) is all of the length-only header. */
    static final int LENGTH_ONLY_HEADER = 4;
    /** RETURN DATA LENGTH, FORMAT TYPE, IMPLICIT TRANSITION TIME, 2 reserved bytes. */
    static final int EXTENDED_HEADER = 8;
    /** Byte 4 of the extended header: FORMAT TYPE (bits 6..4) = 001b. */
    static final int FORMAT_TYPE_EXTENDED = 0x1 << 4;
    static final int IMPLICIT_TRANSITION_TIME_OFFSET = 5;
    /** A target port group descriptor before its target port descriptors. */
    static final int GROUP_DESCRIPTOR = 8;
    static final int PORT_DESCRIPTOR = 4;

    /** Descriptor byte 0, bits 3..0: ASYMMETRIC ACCESS STATE (SPC-4 table 157). */
    static final int STATE_ACTIVE_OPTIMIZED = 0x0;
    /** Descriptor byte 1: the states the group supports; AO_SUP is bit 0. */
    static final int AO_SUP = 0x01;
    /** Descriptor byte 5, STATUS CODE 00h: no status available (no state was ever changed). */
    static final int STATUS_NONE = 0x00;
    static final int TARGET_PORT_GROUP_OFFSET = 2;
    static final int STATUS_CODE_OFFSET = 5;
    static final int TARGET_PORT_COUNT_OFFSET = 7;

    private TargetPortGroups() {
    }

    /**
     * REPORT TARGET PORT GROUPS, SPC-4 6.37 (MAINTENANCE IN, service action 0Ah): one descriptor
     * for each target port group through which the target is reachable (the registered ports and
     * any port an I_T nexus of this target came in on), each active/optimized with its target
     * ports. PARAMETER DATA FORMAT 000b gives the length-only header, 001b the extended
     * one; other values are INVALID FIELD IN CDB. The data is cut at the allocation length.
     */
    static SenseReason report(CommandContext c) {
        int format = (c.cdb[1] & 0xFF) >>> FORMAT_SHIFT;
        long allocation = Cdb.u32(c.cdb, ALLOCATION_LENGTH_OFFSET);
        if (format != FORMAT_LENGTH_ONLY && format != FORMAT_EXTENDED) {
            return c.invalidField(1, FORMAT_MSB);
        }
        long[] ports = portsByGroup(c);
        int groupCount = 0;
        for (int i = 0; i < ports.length; i++) {
            if (i == 0 || group(ports[i]) != group(ports[i - 1])) {
                groupCount++;
            }
        }
        int header = format == FORMAT_EXTENDED ? EXTENDED_HEADER : LENGTH_ONLY_HEADER;
        int length = header + groupCount * GROUP_DESCRIPTOR + ports.length * PORT_DESCRIPTOR;
        c.zeroIn(0, length);
        c.putIn32(0, length - LENGTH_ONLY_HEADER);
        if (format == FORMAT_EXTENDED) {
            c.putIn(4, FORMAT_TYPE_EXTENDED);
            c.putIn(IMPLICIT_TRANSITION_TIME_OFFSET, 0);   // no implicit transitions happen
        }
        int p = header;
        int i = 0;
        while (i < ports.length) {
            int group = group(ports[i]);
            int count = 0;
            while (i + count < ports.length && group(ports[i + count]) == group) {
                count++;
            }
            c.putIn(p, STATE_ACTIVE_OPTIMIZED);   // PREF = 0
            c.putIn(p + 1, AO_SUP);
            c.putIn16(p + TARGET_PORT_GROUP_OFFSET, group);
            c.putIn(p + STATUS_CODE_OFFSET, STATUS_NONE);
            c.putIn(p + TARGET_PORT_COUNT_OFFSET, count);
            p += GROUP_DESCRIPTOR;
            for (int k = 0; k < count; k++, i++) {
                c.putIn16(p + 2, relativeId(ports[i]));   // bytes 0..1 obsolete
                p += PORT_DESCRIPTOR;
            }
        }
        c.produce(length, allocation);
        return SenseReason.NONE;
    }

    /**
     * The target's ports as {@code group << 16 | relative identifier}, sorted (so by group, then
     * port) and distinct: the registered ports and the ports its nexuses came in on.
     */
    static long[] portsByGroup(CommandContext c) {
        Port[] registered = c.ports.ports();
        Nexus[] nexuses = c.target.nexuses();
        long[] ports = new long[registered.length + nexuses.length];
        int n = 0;
        for (Port p : registered) {
            ports[n++] = (long) p.group() << 16 | p.relativeId();
        }
        for (Nexus x : nexuses) {
            ports[n++] = (long) c.ports.groupOf(x.relativePort()) << 16 | x.relativePort();
        }
        Arrays.sort(ports, 0, n);
        int distinct = 0;
        for (int i = 0; i < n; i++) {
            if (distinct == 0 || ports[distinct - 1] != ports[i]) {
                ports[distinct++] = ports[i];
            }
        }
        return Arrays.copyOf(ports, distinct);
    }

    private static int group(long port) {
        return (int) (port >>> 16);
    }

    private static int relativeId(long port) {
        return (int) (port & 0xFFFF);
    }
}
