package org.jtgt.api.host;

import org.jtgt.api.event.TaskManagementFunction;
import org.osgi.annotation.versioning.ProviderType;

/**
 * One SCSI host: an ordered queue of commands and task-management requests from one LLD port.
 * Everything submitted through one host reaches the daemon in submission order, whichever
 * transport is bound; while none is, requests wait in the queue.
 */
@ProviderType
public interface ScsiHost extends AutoCloseable {
    /** The host number carried in every event of this host. */
    int hostNo();

    String driverName();

    /**
     * Asks the daemon for an I_T nexus between an initiator port and a target; the answer comes
     * through {@link HostCallbacks#nexusResult}.
     *
     * @param initiatorPortName for iSCSI, {@code iqn...,i,0x<ISID>}
     * @param relativePort the relative target port identifier the initiator came in on
     * @return the new nexus id
     */
    long createNexus(String initiatorPortName, String targetName, int relativePort);

    /** Ends a nexus; the daemon aborts what it still holds for it. */
    void destroyNexus(long nexusId);

    /**
     * Reserves a command and a data buffer of {@code dataLength} bytes, waiting up to
     * {@code timeoutNanos} while the host is full or the nexus holds its whole share of the
     * data area or of the host's commands (a nexus holding nothing is refused only when there
     * is no room at all).
     *
     * @return the command, or {@code null} if none became free in time
     * @throws IllegalArgumentException if {@code dataLength} exceeds {@link #maxDataLength()}
     */
    HostCommand allocate(long nexusId, int dataLength, long timeoutNanos) throws InterruptedException;

    /** The largest data buffer one command may have. */
    int maxDataLength();

    /** Queues a command prepared after {@link #allocate}; it is now owned by the host. */
    void submit(HostCommand command);

    /**
     * Queues a task-management request behind everything submitted so far.
     *
     * @return the management id its completion will carry
     */
    long taskManagement(long nexusId, TaskManagementFunction function, long lun, int referencedTag);

    /**
     * The LLD is finished with a completed command (response delivered, or not deliverable):
     * the host frees it and tells the daemon how it ended.
     */
    void done(HostCommand command, ResponseDelivery result);

    /** Returns a command that was allocated but never submitted. */
    void release(HostCommand command);

    /** Number of commands submitted and not yet done. */
    int outstanding();

    /** Removes the host; commands still outstanding are completed as not delivered. */
    @Override
    void close();
}
