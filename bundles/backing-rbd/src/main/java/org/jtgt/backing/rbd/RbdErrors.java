package org.jtgt.backing.rbd;

import java.io.IOException;

import org.jtgt.api.store.NotAccessibleException;
import org.jtgt.api.store.SpaceAllocationFailedException;

/** librados/librbd's negative errno results as messages and as the exceptions the daemon maps to sense data. */
final class RbdErrors {
    private RbdErrors() {
    }

    /** {@code -errno} as "error NAME (N)". */
    static String describe(long r) {
        int e = (int) -r;
        return name(e) + " (" + e + ")";
    }

    static String name(int errno) {
        switch (errno) {
            case RbdNative.EPERM: return "EPERM: operation not permitted";
            case RbdNative.ENOENT: return "ENOENT: not found";
            case RbdNative.EIO: return "EIO: I/O error";
            case RbdNative.EACCES: return "EACCES: permission denied";
            case RbdNative.EBUSY: return "EBUSY: busy";
            case RbdNative.EINVAL: return "EINVAL: invalid argument";
            case RbdNative.ENOSPC: return "ENOSPC: cluster full";
            case RbdNative.EROFS: return "EROFS: the image's exclusive lock is held by another client";
            case RbdNative.ERANGE: return "ERANGE: out of range";
            case RbdNative.EILSEQ: return "EILSEQ: miscompare";
            case RbdNative.ENOTCONN: return "ENOTCONN: not connected";
            case RbdNative.ESHUTDOWN: return "ESHUTDOWN: this client is blocklisted";
            case RbdNative.ETIMEDOUT: return "ETIMEDOUT: timed out";
            case RbdNative.EDQUOT: return "EDQUOT: pool quota reached";
            default: return "errno";
        }
    }

    /**
     * A failed operation as the exception the daemon answers precisely: the exclusive lock held by
     * another client (EROFS) or this client blocklisted (ESHUTDOWN) as {@link NotAccessibleException}
     * (NOT READY, LOGICAL UNIT NOT ACCESSIBLE), a full cluster or pool quota (ENOSPC, EDQUOT) as
     * {@link SpaceAllocationFailedException}, anything else a plain {@link IOException}.
     */
    static IOException failure(String store, String operation, long offset, long length, int errno) {
        String m = store + ": " + operation + (length > 0 ? " of " + length + " bytes at " + offset : "") + " failed: "
                + name(errno) + " (" + errno + ")";
        switch (errno) {
            case RbdNative.EROFS:
                return new NotAccessibleException(m, false);
            case RbdNative.ESHUTDOWN:
                return new NotAccessibleException(m, true);
            case RbdNative.ENOSPC:
            case RbdNative.EDQUOT:
                return new SpaceAllocationFailedException(m);
            default:
                return new IOException(m);
        }
    }
}
