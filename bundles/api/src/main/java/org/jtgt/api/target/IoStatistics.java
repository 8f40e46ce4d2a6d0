package org.jtgt.api.target;

/**
 * What one I_T nexus or one logical unit has done since it was created: SCSI commands answered,
 * Data-In and Data-Out bytes of the commands that ended GOOD, and commands answered with CHECK
 * CONDITION (unit attentions included).
 *
 * @since 1.1
 */
public record IoStatistics(long commands, long bytesRead, long bytesWritten, long errors) {
    public static final IoStatistics NONE = new IoStatistics(0, 0, 0, 0);
}
