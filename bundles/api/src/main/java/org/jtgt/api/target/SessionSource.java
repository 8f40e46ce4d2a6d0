package org.jtgt.api.target;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Registered by each network driver (iSCSI, FC) so that management can list the sessions it
 * holds and end those of a target that is deleted with force. The daemon knows I_T nexuses but
 * not what carries them; this is the driver's side of the same picture.
 *
 * @since 1.1
 */
@ConsumerType
public interface SessionSource {
    /** Service property naming the driver. */
    String DRIVER_PROPERTY = "jtgt.lld";
    String ISCSI = "iscsi";
    String FC = "fc";

    /** The sessions in full feature phase (logged in), discovery sessions excluded. */
    List<SessionInfo> sessions();

    /**
     * Ends every session to {@code target} the way the driver's protocol does it when the
     * target goes away, and returns once they have ended (at most {@code timeoutMillis}); the
     * commands they had outstanding are answered or dropped by the driver as at any session end.
     *
     * @return the number of sessions that were ended
     */
    int endSessions(String target, String reason, long timeoutMillis);
}
