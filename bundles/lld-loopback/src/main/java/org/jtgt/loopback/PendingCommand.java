package org.jtgt.loopback;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

import org.jtgt.api.loopback.ScsiResult;

/**
 * The loopback's state for one command in flight, attached to its {@code HostCommand} as the
 * context. Whoever removes it from its session's pending set (the completion, a close, a timeout)
 * owns its outcome; the others leave it alone.
 */
final class PendingCommand {
    final LoopbackSessionImpl session;
    final int tag;
    /** SAM-encoded, as sent. */
    final long lun;
    /** The caller's Data-In buffer, or null. */
    final ByteBuffer dataIn;
    /** Complete on the driver's completion executor (the caller holds the future and may chain on it). */
    final boolean async;
    final CompletableFuture<ScsiResult> future = new CompletableFuture<>();

    PendingCommand(LoopbackSessionImpl session, int tag, long lun, ByteBuffer dataIn, boolean async) {
        this.session = session;
        this.tag = tag;
        this.lun = lun;
        this.dataIn = dataIn;
        this.async = async;
    }
}
