package org.jtgt.iscsi;

/**
 * The operational parameters of one session and connection as negotiated at login, starting from
 * the RFC defaults (RFC 7143 13). Written by the login negotiator only, then read-only.
 */
final class SessionParameters {
    boolean discovery;
    String initiatorName;
    String initiatorAlias;
    String targetName;

    boolean headerDigest;
    boolean dataDigest;
    /** What the initiator accepts per PDU: the limit for our Data-In, text and login data. */
    int initiatorMaxRecvDataSegmentLength = 8192;
    /** What we accept per PDU, as we declared it. */
    int targetMaxRecvDataSegmentLength = 8192;
    int maxBurstLength = 262_144;
    int firstBurstLength = 65_536;
    boolean initialR2T = true;
    boolean immediateData = true;
    int maxOutstandingR2T = 1;
    boolean dataPduInOrder = true;
    boolean dataSequenceInOrder = true;
    int errorRecoveryLevel;
    int maxConnections = 1;
    int defaultTime2Wait = 2;
    int defaultTime2Retain = 20;

    /** FirstBurstLength as it applies: never above MaxBurstLength (RFC 7143 13.14). */
    int effectiveFirstBurstLength() {
        return Math.min(firstBurstLength, maxBurstLength);
    }

    @Override
    public String toString() {
        return "HeaderDigest=" + (headerDigest ? "CRC32C" : "None") + " DataDigest=" + (dataDigest ? "CRC32C" : "None")
                + " MaxRecvDataSegmentLength=" + initiatorMaxRecvDataSegmentLength + "/" + targetMaxRecvDataSegmentLength
                + " MaxBurstLength=" + maxBurstLength + " FirstBurstLength=" + firstBurstLength
                + " InitialR2T=" + yesNo(initialR2T) + " ImmediateData=" + yesNo(immediateData)
                + " MaxOutstandingR2T=" + maxOutstandingR2T + " ErrorRecoveryLevel=" + errorRecoveryLevel;
    }

    static String yesNo(boolean b) {
        return b ? "Yes" : "No";
    }
}
