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
public interface TargetAdmin {
    /** Creates an empty target. The name must be a valid iSCSI name (iqn., eui. or naa.). */
    void createTarget(String name);

    /**
     * Deletes a target.
     *
     * @param force also end its I_T nexuses; without it a target with nexuses is refused
     */
    void deleteTarget(String name, boolean force);

    /**
     * Adds a logical unit; the daemon owns {@code store} from now on and closes it on removal.
     *
     * @param blockSize logical block size in bytes (512 or 4096)
     */
    void addLun(String target, int lun, BackingStore store, int blockSize, LunOptions options);

    void removeLun(String target, int lun);

    /**
     * Sets the initiators admitted to a target.
     *
     * @param initiators initiator names, or an empty list for "all"
     */
    void setAcl(String target, List<String> initiators);

    List<TargetInfo> targets();
}
