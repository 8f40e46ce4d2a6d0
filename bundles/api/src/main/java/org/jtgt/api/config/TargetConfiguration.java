package org.jtgt.api.config;

import java.util.List;
import java.util.Map;

import org.jtgt.api.target.TargetAdminException;
import org.jtgt.api.target.TargetInfo;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The targets jtgtadm manages (tgtadm's terms: a tid per target, LUNs, ACL entries, CHAP
 * accounts), kept in the daemon and in {@code targets.conf} together: every change either
 * reaches both or neither. Each change answers the line jtgtadm prints, or throws
 * {@link TargetAdminException} with the reason it was refused ({@link IllegalStateException}
 * while the daemon is not running); a refused change changes nothing.
 *
 * <p>Values are checked for syntax by the caller first ({@link ConfigValues}); what is specific
 * to a backing store type is its provider's ({@code BackingStoreProvider}).
 */
@ProviderType
public interface TargetConfiguration {
    /** An empty target {@code iqn} with the number {@code tid}. */
    String newTarget(int tid, String iqn);

    /** Deletes a target; {@code force}: even with I_T nexuses, ending its sessions first. */
    String deleteTarget(int tid, boolean force);

    /** Adds or removes an ACL entry: {@value ConfigValues#ALL} or an initiator name. */
    String bindInitiator(int tid, String entry, boolean bind);

    /**
     * Whether stores of {@code type} live at a path ({@code -b}), or {@code null} while no
     * provider of that type runs.
     */
    Boolean storeUsesPath(String type);

    /**
     * The store options LUNs of {@code type} take ({@code BackingStoreProvider.optionKeys}),
     * each with the values it takes ({@code direct} → {@code 0|1}), sorted by key; {@code null}
     * while no provider of that type runs.
     *
     * @since 1.1
     */
    Map<String, String> storeOptions(String type);

    /** The store type of a LUN jtgtadm manages, or {@code null}. @since 1.1 */
    String storeType(int tid, int lun);

    /**
     * A new LUN over a store of {@code type}, which its provider checks and opens.
     *
     * @param path {@code -b}, or {@code null}
     * @param size {@code --size} in bytes, or {@code null}
     * @param params the LUN options given ({@link ConfigValues#params(String)}); each missing key
     *        takes the default of the type. Since 1.1 also the store options of the type
     *        ({@link #storeOptions}), which its provider checks and the LUN keeps.
     */
    String newLun(int tid, int lun, String type, String path, Long size, int blockSize, Map<String, String> params);

    /**
     * Changes a LUN in place: its size ({@code newSize}, or {@code null} to keep it; only growth)
     * and the options {@code params} name (each missing key keeps its value). A store option
     * ({@link #storeOptions}) is refused unless it has its value already: the store was opened
     * with it.
     */
    String updateLun(int tid, int lun, Long newSize, Map<String, String> params);

    String deleteLun(int tid, int lun);

    /** tgtadm {@code --op new --mode account}: a user and its secret, bound to no target yet. */
    String newAccount(String user, String secret);

    /** tgtadm {@code --op delete --mode account}: refused while the account is bound to a target. */
    String deleteAccount(String user);

    /** tgtadm {@code --op bind|unbind --mode account --tid N --user U [--outgoing]}. */
    String bindAccount(int tid, String user, boolean outgoing, boolean bind);

    /** The account names, each with the targets it is bound to; never a secret. */
    String showAccounts();

    /** The users bound to the target {@code iqn}, for show: incoming, then "NAME (outgoing)". */
    List<String> accountsOf(String iqn);

    /** The IQN of a tid jtgtadm manages, or {@code null}. */
    String iqnOf(int tid);

    /** The tid of a target jtgtadm manages, or {@code null}. */
    Integer tidOf(String iqn);

    /** The LUN lines of the configuration the daemon does not have (yet), given what it has. */
    List<String> pending(List<TargetInfo> inDaemon);
}
