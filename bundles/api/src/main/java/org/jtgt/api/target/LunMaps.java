package org.jtgt.api.target;

import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;

/**
 * LUN mapping per initiator (LIO's mapped LUNs, SCST's security groups). An initiator with a map
 * sees only the target's LUNs its map names, each under the initiator's own LUN number; an
 * initiator without one sees every LUN of the target under the target's numbers. Initiators are
 * named as ACLs name them (iSCSI: the initiator name; FC: {@code naa.} and the WWPN), compared
 * ignoring case. The daemon's {@link TargetAdmin} service object provides this too.
 *
 * <p>What the initiator's LUN numbers do not name, and what a map names that the target does not
 * have (a LUN deleted, or not added yet), is not accessible to that initiator: INQUIRY answers
 * peripheral qualifier 011b, other commands ILLEGAL REQUEST, LOGICAL UNIT NOT SUPPORTED, and
 * REPORT LUNS does not list it. Reservations, unit attentions and task sets stay the target
 * LUN's: two initiators that map one target LUN under different numbers share them.
 *
 * @since 1.4
 */
@ProviderType
public interface LunMaps {
    /**
     * Sets what {@code initiator} sees of {@code target}: {@code map} takes the initiator's LUN
     * numbers to the target's, each target LUN at most once; an empty map shows it nothing, and
     * {@code null} removes its map (it sees every LUN again). The I_T nexuses whose view changes
     * get REPORTED LUNS DATA HAS CHANGED (3Fh/0Eh); the others nothing.
     *
     * @throws TargetAdminException for an unknown target, a name that is not an initiator name,
     *         a LUN number out of range or a target LUN mapped twice; nothing changes then
     */
    void setLunMap(String target, String initiator, Map<Integer, Integer> map);

    /** The maps of {@code target}: initiator name → (initiator LUN → target LUN), both sorted. */
    Map<String, Map<Integer, Integer>> lunMaps(String target);
}
