package org.jtgt.api.host;

import java.nio.ByteBuffer;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.TaskAttribute;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A command slot owned by the host side and lent to the LLD between {@link ScsiHost#allocate}
 * and {@link ScsiHost#done}. Slots are pooled: never keep a reference after {@code done}.
 *
 * <p>The data buffer is a region of the bound transport's data area where possible, so Data-Out
 * written here and Data-In read from here are not copied again on their way to or from the
 * backing store.
 */
@ProviderType
public interface HostCommand {
    /** The command id: unique among this host's outstanding commands. */
    long cid();

    long nexusId();

    // ---- request, set by the LLD before submit ----

    HostCommand setLun(long lun);

    /** Copies the CDB (6..260 bytes). */
    HostCommand setCdb(byte[] cdb, int offset, int length);

    HostCommand setTag(int initiatorTaskTag);

    HostCommand setDirection(DataDirection direction);

    HostCommand setExpectedLength(int expectedDataTransferLength);

    HostCommand setTaskAttribute(TaskAttribute attribute);

    long lun();

    int tag();

    DataDirection direction();

    int expectedLength();

    /** Bytes reserved for data. */
    int dataCapacity();

    /**
     * The buffer holding this command's data at {@link #dataPosition()}, for zero-copy access.
     * Use absolute accessors or a duplicate; the buffer is shared.
     */
    ByteBuffer dataBuffer();

    /** Where this command's data starts in {@link #dataBuffer()}. */
    int dataPosition();

    /** Copies {@code src.remaining()} bytes into the data buffer at {@code offset}. */
    void putData(int offset, ByteBuffer src);

    /** Copies {@code dst.remaining()} bytes from the data buffer at {@code offset} into {@code dst}. */
    void getData(int offset, ByteBuffer dst);

    // ---- response, readable in HostCallbacks.commandCompleted ----

    int status();

    /** Signed residual: positive for an underflow, negative for an overflow. */
    int residual();

    /** Bytes of Data-In the daemon produced. */
    int dataInLength();

    int senseLength();

    /**
     * Whether the daemon ended the command as aborted (task management, or the loss of its I_T
     * nexus) instead of completing it: {@link #status()} is TASK ABORTED, and the LLD sends the
     * initiator no response for it, only ends it with {@link ScsiHost#done}.
     *
     * @since 2.1
     */
    boolean aborted();

    /** Copies the sense data into {@code dst}; returns its length. */
    int sense(byte[] dst);

    // ---- LLD context ----

    /** Attaches the LLD's own per-command state (no allocation: pooled by the LLD). */
    void setContext(Object context);

    Object context();
}
