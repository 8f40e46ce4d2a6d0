package org.jtgt.api.event;

/**
 * Results of a task-management function. Codes 0–6 and 255 are the iSCSI response codes
 * (RFC 7143 11.6.1); {@link #FUNCTION_SUCCEEDED} is SAM-5's answer to QUERY TASK when the task
 * exists.
 */
public enum TmfResponse {
    FUNCTION_COMPLETE(0), TASK_DOES_NOT_EXIST(1), LUN_DOES_NOT_EXIST(2), TASK_STILL_ALLEGIANT(3),
    REASSIGNMENT_NOT_SUPPORTED(4), FUNCTION_NOT_SUPPORTED(5), AUTHORIZATION_FAILED(6),
    FUNCTION_SUCCEEDED(9), FUNCTION_REJECTED(255);

    private final int code;

    TmfResponse(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static TmfResponse fromCode(int code) {
        for (TmfResponse r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        return null;
    }
}
