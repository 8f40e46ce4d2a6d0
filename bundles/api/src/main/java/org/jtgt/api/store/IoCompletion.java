package org.jtgt.api.store;

import java.io.IOException;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Ends one operation submitted to an {@link AsyncBackingStore}. Implemented by whoever submits
 * (the daemon's task), so that submitting allocates nothing: the task itself is the completion.
 *
 * @since 1.5
 */
@ConsumerType
public interface IoCompletion {
    /**
     * Called exactly once per submission, on the store's thread or on the submitting thread
     * before the submit method returns (a store that completes inline).
     *
     * @param failure {@code null} on success; otherwise why the operation failed (a
     *        {@link SpaceAllocationFailedException} when a write found no space, a
     *        {@link MiscompareException} when COMPARE AND WRITE found other bytes)
     */
    void ioDone(IOException failure);
}
