package org.jtgt.api.target;

import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The CHAP accounts bound to targets (tgtadm's {@code --mode account}), provided by management
 * and asked by the iSCSI driver at each login to a target. A target with no account bound uses
 * the driver's own configuration (one global account, or none).
 *
 * @since 1.1
 */
@ProviderType
public interface ChapAccounts {
    /** The accounts bound to {@code target}, or {@code null} if none is. */
    TargetChap forTarget(String target);

    /**
     * One target's CHAP accounts (RFC 7143 12.1.3).
     *
     * @param incoming user → secret: the initiator must authenticate as one of them
     * @param outgoingUser the name the target answers mutual CHAP with, or {@code null} (mutual
     *        CHAP is then refused)
     * @param outgoingSecret its secret, or {@code null}
     */
    record TargetChap(Map<String, String> incoming, String outgoingUser, String outgoingSecret) {
        public TargetChap {
            incoming = Map.copyOf(incoming);
        }

        @Override
        public String toString() {
            return "TargetChap[incoming=" + incoming.keySet() + ", outgoing=" + outgoingUser + "]";   // no secrets
        }
    }
}
