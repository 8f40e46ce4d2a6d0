package org.jtgt.backing.rbd;

/**
 * Whether rbd stores can be opened here, asked without touching JNA's classes directly: where
 * the JNA bundle is not wired to this one (its import is optional), loading {@link RbdNative}
 * fails with a {@link LinkageError}, which becomes the reason instead of failing the provider.
 */
final class Librbd {
    private static volatile String reason;
    private static volatile boolean known;

    private Librbd() {
    }

    /** Null if librados, librbd and JNA are usable; else why not, for the operator. */
    static String unavailableReason() {
        if (!known) {
            String r;
            try {
                r = RbdNative.unavailableReason();
            } catch (LinkageError e) {
                r = "JNA is not usable here (" + e + "); rbd stores need the JNA bundle (net.java.dev.jna:jna)";
            }
            reason = r;
            known = true;
        }
        return reason;
    }
}
