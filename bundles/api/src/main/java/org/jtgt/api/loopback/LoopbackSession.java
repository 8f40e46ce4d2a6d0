package org.jtgt.api.loopback;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.osgi.annotation.versioning.ProviderType;

/** One I_T nexus of the loopback initiator. Thread-safe; commands may run concurrently. */
@ProviderType
public interface LoopbackSession extends AutoCloseable {
    /**
     * Runs a command and waits for it.
     *
     * @param dataOut bytes to send (position to limit), or {@code null}
     * @param dataIn where Data-In goes (from its position, at most its remaining bytes), or
     *        {@code null}; its position is advanced by the bytes received
     * @throws IOException if the session is closed or the command could not be delivered
     */
    ScsiResult execute(long lun, byte[] cdb, ByteBuffer dataOut, ByteBuffer dataIn) throws IOException;

    /** Runs a command without waiting; same buffers as {@link #execute}. */
    CompletableFuture<ScsiResult> submit(long lun, byte[] cdb, ByteBuffer dataOut, ByteBuffer dataIn);

    /** Sends a task-management request through the same ordered queue as the commands. */
    TmfResponse taskManagement(TaskManagementFunction function, long lun, int referencedTag) throws IOException;

    /** The initiator task tag the next command will carry (for ABORT TASK tests). */
    int nextTag();

    /** Ends the nexus; commands still running complete with an IOException. */
    @Override
    void close();
}
