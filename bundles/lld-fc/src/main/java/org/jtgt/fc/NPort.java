package org.jtgt.fc;

import org.jtgt.util.IntMap;

/**
 * An initiator N_Port logged in to the fabric over one link ({@link FcLink}): what the switch
 * (fabric and name server logins), the target port (PLOGI, the PRLI image pair and its nexus) and
 * the FCP exchanges know about it. Guarded by the link's lock.
 */
final class NPort {
    final int id;
    final long portName;
    final long nodeName;
    boolean nameServerLogin;
    boolean plogi;
    boolean prli;
    int frameSize;
    long nexusId = -1;
    /** The target of the image pair (PRLI), for management. */
    String targetName;
    /** Open exchanges by OX_ID. */
    final IntMap<FcExchange> exchanges = new IntMap<>(64);

    NPort(int id, long portName, long nodeName) {
        this.id = id;
        this.portName = portName;
        this.nodeName = nodeName;
    }
}
