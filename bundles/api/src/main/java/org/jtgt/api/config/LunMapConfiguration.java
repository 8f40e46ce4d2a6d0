package org.jtgt.api.config;

import org.jtgt.api.target.TargetAdminException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * LUN maps per initiator as jtgtadm manages them ({@code --mode lunmap}), kept in the daemon
 * ({@code LunMaps}) and in {@code targets.conf} together, as {@link TargetConfiguration} keeps
 * targets: each change answers the line jtgtadm prints or throws {@link TargetAdminException}
 * and changes nothing. The config bundle's {@link TargetConfiguration} service object provides
 * this too.
 *
 * <p>An initiator (an initiator name as ACLs take it) with a map sees only the LUNs its map
 * binds, under the numbers the map gives them ({@code mapped LUN}, LIO's term); one without sees
 * every LUN of the target.
 *
 * @since 1.2
 */
@ProviderType
public interface LunMapConfiguration {
    /** {@code --op new}: gives {@code initiator} a map of its own, empty (it sees no LUN) until LUNs are bound. */
    String newLunMap(int tid, String initiator);

    /** {@code --op delete}: removes {@code initiator}'s map; it sees every LUN of the target again. */
    String deleteLunMap(int tid, String initiator);

    /**
     * {@code --op bind}: {@code initiator} sees the target's LUN {@code lun} as its LUN
     * {@code mappedLun} (making its map if it has none). The LUN must exist; a number or LUN the
     * map has already is refused.
     */
    String mapLun(int tid, String initiator, int lun, int mappedLun);

    /** {@code --op unbind}: {@code initiator} no longer sees the target's LUN {@code lun}; its map stays. */
    String unmapLun(int tid, String initiator, int lun);

    /** {@code --op show}: the maps of target {@code tid}, or of every target for {@code null}. */
    String showLunMaps(Integer tid);
}
