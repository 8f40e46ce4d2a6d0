package org.jtgt.api.target;

import java.util.List;

/**
 * A target port group configured for one target (SPC-4 5.16.2.1): the relative target port
 * identifiers it holds, its access state and whether it is a preferred group (PREF). Ports of
 * the target that no configured group holds are each a group of their own, numbered as the port
 * and active/optimized, unless a configured group has that number (then they are in it).
 *
 * @param id target port group number, {@link TargetPorts#MIN_ID}..{@link TargetPorts#MAX_ID}
 * @param ports relative target port identifiers, each in at most one group of the target
 * @param state the group's access state
 * @param preferred the PREF bit of REPORT TARGET PORT GROUPS
 */
public record PortGroup(int id, List<Integer> ports, AccessState state, boolean preferred) {
    public PortGroup {
        ports = List.copyOf(ports);
    }
}
