package org.jtgt.iscsi;

/**
 * What this target offers in login negotiation and how it bounds each connection; derived once
 * from the component configuration and shared by every connection accepted afterwards.
 *
 * @param maxRecvDataSegmentLength what this side declares it accepts (RFC 7143 13.12); also the
 *        size of each connection's receive buffer
 * @param maxBurstLength this side's offer, answered with the minimum (RFC 7143 13.13)
 * @param firstBurstLength this side's offer, answered with the minimum (RFC 7143 13.14)
 * @param initialR2T this side's value; the result is the OR (RFC 7143 13.10)
 * @param immediateData this side's value; the result is the AND (RFC 7143 13.11)
 * @param maxOutstandingR2T this side's offer, answered with the minimum (RFC 7143 13.17)
 * @param defaultTime2Wait answered with the maximum (RFC 7143 13.15)
 * @param defaultTime2Retain answered with the minimum (RFC 7143 13.16)
 * @param window commands one session may have outstanding: MaxCmdSN = ExpCmdSN + window - 1
 *        minus what is still running (RFC 7143 4.2.2.1)
 * @param immediateCommands immediate commands one connection may have outstanding; more are
 *        rejected with reason 0x06 (RFC 7143 11.17.1)
 */
record TargetSettings(int portalGroupTag, String chapUser, String chapSecret, String mutualChapUser,
        String mutualChapSecret, int maxRecvDataSegmentLength, int maxBurstLength, int firstBurstLength,
        boolean initialR2T, boolean immediateData, int maxOutstandingR2T, int defaultTime2Wait, int defaultTime2Retain,
        int window, int immediateCommands, long loginTimeoutMillis, long nopInIntervalMillis, long nopInTimeoutMillis,
        long stalledWriteMillis, long allocateTimeoutMillis, String targetAlias) {

    /** Login PDUs are bounded by the default until negotiation says otherwise (RFC 7143 13.12). */
    static final int LOGIN_DATA_SEGMENT_LENGTH = 8192;
    /** The RFC's bounds for the length keys (RFC 7143 13.12-13.14). */
    static final int MIN_LENGTH = 512;
    static final int MAX_LENGTH = 0xFF_FFFF;

    boolean chapRequired() {
        return chapUser != null && !chapUser.isEmpty();
    }

    boolean mutualChapConfigured() {
        return mutualChapUser != null && !mutualChapUser.isEmpty();
    }

    static TargetSettings defaults() {
        return new TargetSettings(1, "", "", "", "", 262_144, 1_048_576, 262_144, false, true, 16, 2, 20, 128, 16,
                30_000, 30_000, 30_000, 60_000, 5_000, "");
    }
}
