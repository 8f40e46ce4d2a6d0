package org.jtgt.api.target;

/**
 * A snapshot of one I_T nexus (SAM-5 4.6) the daemon holds, with its statistics. The driver's
 * session of the same {@code hostNo} and {@code nexusId} ({@link SessionInfo}) says what the
 * nexus is on the wire.
 *
 * @param initiatorPort the initiator port name (iSCSI: {@code name,i,0xISID}; FC: {@code naa.WWPN})
 * @since 1.1
 */
public record NexusInfo(String target, String initiatorPort, int hostNo, long nexusId, IoStatistics statistics) {
}
