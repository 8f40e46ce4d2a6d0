package org.jtgt.daemon;

import java.util.Arrays;

import org.jtgt.api.target.AccessState;
import org.jtgt.api.target.GatewayOwnership;
import org.jtgt.api.target.TargetPorts.Port;

/**
 * Asymmetric logical unit access (SPC-4 5.16), implicit and explicit: INQUIRY reports TPGS =
 * 11b; the groups and their states are the target's {@link AccessStates}; REPORT TARGET PORT
 * GROUPS reports them, and SET TARGET PORT GROUPS (MAINTENANCE OUT, service action 0Ah) changes
 * them. The administrator's changes are implicit transitions (STATUS CODE 02h), an
 * initiator's explicit ones (01h). Every state but offline and logical block dependent is
 * supported (T_SUP, U_SUP, S_SUP, AN_SUP, AO_SUP); transitioning only by the administrator.
 */
final class TargetPortGroups {
    /** INQUIRY byte 5, TPGS field (bits 5..4) = 11b: implicit and explicit asymmetric access (SPC-4 6.6.2). */
    static final int TPGS_IMPLICIT_AND_EXPLICIT = 0x3 << 4;

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

    /** Descriptor byte 0: PREF (bit 7) and ASYMMETRIC ACCESS STATE (bits 3..0). */
    static final int PREF = 0x80;
    /** Descriptor byte 1: the states every group supports: T_SUP, U_SUP, S_SUP, AN_SUP, AO_SUP. */
    static final int T_SUP = 0x80;
    static final int U_SUP = 0x08;
    static final int S_SUP = 0x04;
    static final int AN_SUP = 0x02;
    static final int AO_SUP = 0x01;
    static final int SUPPORTED_STATES = T_SUP | U_SUP | S_SUP | AN_SUP | AO_SUP;
    static final int TARGET_PORT_GROUP_OFFSET = 2;
    static final int STATUS_CODE_OFFSET = 5;
    static final int TARGET_PORT_COUNT_OFFSET = 7;

    private TargetPortGroups() {
    }

    /**
     * REPORT TARGET PORT GROUPS, SPC-4 6.37 (MAINTENANCE IN, service action 0Ah): one descriptor
     * for each target port group through which the target is reachable (the registered ports and
     * any port an I_T nexus of this target came in on), with its PREF bit, access state, the
     * supported states, its status code and its target ports. PARAMETER DATA FORMAT 000b gives
     * the length-only header, 001b the extended one, whose IMPLICIT TRANSITION TIME is 0 (not
     * specified: a change is in force when the command or jtgtadm that made it returns), or for a
     * gateway cluster's target the store's bound on a takeover (0 to 255 seconds); other
     * values are INVALID FIELD IN CDB. The data is cut at the allocation length.
     */
    static SenseReason report(CommandContext c) {
        int format = (c.cdb[1] & 0xFF) >>> FORMAT_SHIFT;
        long allocation = Cdb.u32(c.cdb, ALLOCATION_LENGTH_OFFSET);
        if (format != FORMAT_LENGTH_ONLY && format != FORMAT_EXTENDED) {
            return c.invalidField(1, FORMAT_MSB);
        }
        AccessStates.Snapshot groups = c.target.accessStates().snapshot();
        long[] ports = portsByGroup(c.ports, c.target, groups);
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
            // a gateway cluster's takeover bound; elsewhere 0 (not specified): transitions are immediate
            GatewayOwnership cluster = c.target.gateway();
            c.putIn(IMPLICIT_TRANSITION_TIME_OFFSET, cluster == null ? 0 : cluster.implicitTransitionSeconds());
        }
        int p = header;
        int i = 0;
        while (i < ports.length) {
            int group = group(ports[i]);
            int count = 0;
            while (i + count < ports.length && group(ports[i + count]) == group) {
                count++;
            }
            AccessStates.Group configured = groups.group(group);
            AccessState state = configured == null ? AccessState.ACTIVE_OPTIMIZED : configured.state();
            boolean preferred = configured != null && configured.preferred();
            c.putIn(p, (preferred ? PREF : 0) | state.code());
            c.putIn(p + 1, SUPPORTED_STATES);
            c.putIn16(p + TARGET_PORT_GROUP_OFFSET, group);
            c.putIn(p + STATUS_CODE_OFFSET, configured == null ? AccessStates.STATUS_NONE : configured.status());
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

    // ---- SET TARGET PORT GROUPS (SPC-4 6.45) ----
    static final int PARAMETER_LIST_LENGTH_OFFSET = 6;
    /** Four reserved bytes before the descriptors. */
    static final int SET_HEADER = 4;
    static final int SET_DESCRIPTOR = 4;
    /** Descriptor byte 0: bits 7..4 reserved, ASYMMETRIC ACCESS STATE in bits 3..0. */
    static final int STATE_MASK = 0x0F;
    static final int STATE_MSB = 3;

    /**
     * SET TARGET PORT GROUPS, SPC-4 6.45 (MAINTENANCE OUT, service action 0Ah): each target port
     * group descriptor asks for one group of this target (one REPORT TARGET PORT GROUPS lists) to
     * enter active/optimized, active/non-optimized, standby or unavailable. The whole list is
     * checked before anything changes: a PARAMETER LIST LENGTH of 0 is no change; a length that
     * is not the 4-byte header plus whole 4-byte descriptors, or more than was sent, is
     * PARAMETER LIST LENGTH ERROR; a reserved bit set, another state (transitioning, offline,
     * logical block dependent, a reserved code), a group the target does not have or one named
     * twice is INVALID FIELD IN PARAMETER LIST pointing at the field. Then the states change
     * (STATUS CODE 01h), every other I_T nexus of the target gets ASYMMETRIC ACCESS STATE CHANGED
     * (5.16.2.2), and the {@code PortGroupListener}s are told, so the change is kept.
     */
    static SenseReason set(CommandContext c) {
        long length = Cdb.u32(c.cdb, PARAMETER_LIST_LENGTH_OFFSET);
        c.wanted = length;
        if (length == 0) {
            return SenseReason.NONE;
        }
        if (length < SET_HEADER || (length - SET_HEADER) % SET_DESCRIPTOR != 0 || length > c.outAvailable) {
            return SenseReason.PARAMETER_LIST_LENGTH_ERROR;
        }
        int count = (int) ((length - SET_HEADER) / SET_DESCRIPTOR);
        AccessStates access = c.target.accessStates();
        AccessStates.Snapshot groups = access.snapshot();
        long[] present = portsByGroup(c.ports, c.target, groups);
        int[] ids = new int[count];
        AccessState[] states = new AccessState[count];
        for (int i = 0; i < count; i++) {
            int p = SET_HEADER + i * SET_DESCRIPTOR;
            int b0 = c.outU8(p);
            if ((b0 & ~STATE_MASK) != 0) {
                return c.invalidParameter(p, 31 - Integer.numberOfLeadingZeros(b0 & ~STATE_MASK));
            }
            if (c.outU8(p + 1) != 0) {
                return c.invalidParameter(p + 1, 31 - Integer.numberOfLeadingZeros(c.outU8(p + 1)));
            }
            AccessState state = AccessState.ofCode(b0 & STATE_MASK);
            if (state == null || state == AccessState.TRANSITIONING) {
                return c.invalidParameter(p, STATE_MSB);
            }
            int id = c.outU16(p + TARGET_PORT_GROUP_OFFSET);
            boolean known = groups.group(id) != null;
            for (int k = 0; !known && k < present.length; k++) {
                known = group(present[k]) == id;
            }
            for (int k = 0; known && k < i; k++) {
                known = ids[k] != id;   // named twice
            }
            if (!known) {
                return c.invalidParameter(p + TARGET_PORT_GROUP_OFFSET, 7);
            }
            ids[i] = id;
            states[i] = state;
        }
        GatewayOwnership cluster = c.target.gateway();
        if (cluster != null) {
            GatewayStates.set(cluster, ids, states, count);
            return SenseReason.NONE;
        }
        if (access.setExplicitly(ids, states, count)) {
            AccessStates.announce(c.target, c.nexus);
            c.ports.portGroupsChanged(c.target.name(), access.list());
        }
        return SenseReason.NONE;
    }

    /**
     * The target's ports as {@code group << 16 | relative identifier}, sorted (so by group, then
     * port) and distinct: the registered ports and the ports its nexuses came in on.
     */
    static long[] portsByGroup(CommandContext c) {
        return portsByGroup(c.ports, c.target, c.target.accessStates().snapshot());
    }

    private static long[] portsByGroup(PortTable table, Target target, AccessStates.Snapshot groups) {
        Port[] registered = table.ports();
        Nexus[] nexuses = target.nexuses();
        // a gateway cluster's target: the other gateways' ports (configured groups) too
        int[] remote = target.gateway() != null ? groups.memberPorts() : NO_PORTS;
        long[] ports = new long[registered.length + nexuses.length + remote.length];
        int n = 0;
        for (int r : remote) {
            ports[n++] = (long) groups.groupOf(r) << 16 | r;
        }
        for (Port p : registered) {
            ports[n++] = (long) groups.groupOf(p.relativeId()) << 16 | p.relativeId();
        }
        for (Nexus x : nexuses) {
            ports[n++] = (long) groups.groupOf(x.relativePort()) << 16 | x.relativePort();
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

    private static final int[] NO_PORTS = new int[0];

    private static int group(long port) {
        return (int) (port >>> 16);
    }

    private static int relativeId(long port) {
        return (int) (port & 0xFFFF);
    }
}
