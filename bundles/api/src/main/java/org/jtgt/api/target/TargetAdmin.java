package org.jtgt.api.target;

import java.util.List;

import org.jtgt.api.store.BackingStore;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Administration of the target daemon's targets and logical units. Every method either applies
 * completely or throws {@link TargetAdminException} with a message for the user and changes
 * nothing.
 */
@ProviderType
public interface TargetAdmin extends TargetCatalog {
    /** Creates an empty target. The name must be a valid iSCSI name (iqn., eui. or naa.). */
    void createTarget(String name);

    /**
     * Deletes a target.
     *
     * @param force also end its I_T nexuses; without it a target with nexuses is refused
     */
    void deleteTarget(String name, boolean force);

    /**
     * Closes a target to new I_T nexuses: {@link #targets()} no longer lists it (logins and
     * discovery do not find it) and nexus requests for it are refused as for a target that does
     * not exist, while the nexuses it has go on. The first step of a forced delete: an initiator
     * whose session the drivers end cannot log in again before {@link #deleteTarget} runs.
     * {@link #reopenTarget} undoes it when the delete does not happen.
     */
    void closeTarget(String name);

    /** Opens a target {@link #closeTarget closed} before to new I_T nexuses again. */
    void reopenTarget(String name);

    /**
     * Creates an empty target that is {@link #closeTarget closed} from the start, so that its ACL,
     * LUN maps and logical units can be set before any initiator can reach it; {@link
     * #reopenTarget} opens it. A created target admits every initiator until its ACL is set, so
     * whoever creates one with a configuration to apply should create it this way. The default
     * creates and then closes it, which leaves a moment in between; the daemon does both at once.
     *
     * @since 1.7
     */
    default void createClosedTarget(String name) {
        createTarget(name);
        closeTarget(name);
    }

    /**
     * Adds a logical unit; the daemon owns {@code store} from now on and closes it on removal.
     *
     * @param blockSize logical block size in bytes (512 or 4096)
     */
    void addLun(String target, int lun, BackingStore store, int blockSize, LunOptions options);

    void removeLun(String target, int lun);

    /**
     * Grows a logical unit to {@code newSizeBytes} (a multiple of its block size). The store
     * grows first, then the capacity the daemon reports and checks changes at once for every
     * command that starts afterwards (commands already running were checked against the old,
     * smaller capacity, which stays valid), and CAPACITY DATA HAS CHANGED (2Ah/09h) is
     * established for every I_T nexus of the target. Shrinking is refused: blocks past the new
     * end would be lost under file systems that have already been told they exist. The same
     * size changes nothing.
     *
     * @since 1.1
     */
    void resizeLun(String target, int lun, long newSizeBytes);

    /**
     * Changes a logical unit's options in place. {@code readOnly} and {@code removable} and
     * {@code thin} may change; the serial number is the unit's identity and must stay as it is
     * (pass the current one, or {@code null} for a unit whose serial is derived). Each change an
     * initiator can see raises its unit attention on every I_T nexus of the target: write
     * protection MODE PARAMETERS CHANGED (2Ah/01h), removable medium INQUIRY DATA HAS CHANGED
     * (3Fh/03h), thin provisioning CAPACITY DATA HAS CHANGED (2Ah/09h, READ CAPACITY (16) LBPME)
     * and INQUIRY DATA HAS CHANGED (VPD B0h/B2h). Commands already past their checks finish
     * under the old options; every command that starts afterwards sees the new ones.
     *
     * @since 1.1
     */
    void setLunOptions(String target, int lun, LunOptions options);

    /**
     * Sets the initiators admitted to a target.
     *
     * @param initiators initiator names, or an empty list for "all"
     */
    void setAcl(String target, List<String> initiators);

    @Override
    List<TargetInfo> targets();

    /**
     * The I_T nexuses of every target with their statistics, sorted by target, host and id.
     *
     * @since 1.1
     */
    List<NexusInfo> nexuses();

    /**
     * What a logical unit has done since it was added, over all its I_T nexuses.
     *
     * @since 1.1
     */
    IoStatistics lunStatistics(String target, int lun);
}
