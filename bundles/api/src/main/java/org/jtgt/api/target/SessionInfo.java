package org.jtgt.api.target;

import java.util.List;

/**
 * One session a network driver holds: an iSCSI session (RFC 7143 4.4: ISID and TSIH) or an FC
 * login (PLOGI/PRLI between two N_Ports), the I_T nexus it carries and its connections.
 *
 * @param driver the driver's name ({@value SessionSource#ISCSI}, {@value SessionSource#FC})
 * @param initiator the initiator's name (iSCSI InitiatorName, FC {@code naa.WWPN})
 * @param id what identifies the session in the driver's own terms, for example
 *        {@code ISID 0x23d000000001 TSIH 1} or {@code N_Port 010002}
 * @param hostNo the SCSI host the driver feeds, with {@code nexusId} the daemon's nexus
 * @since 1.1
 */
public record SessionInfo(String driver, String target, String initiator, String id, int hostNo, long nexusId,
        List<ConnectionInfo> connections) {
    public SessionInfo {
        connections = List.copyOf(connections);
    }

    /** One transport connection of a session: its id in the session and both ends. */
    public record ConnectionInfo(int id, String peer, String local) {
    }
}
