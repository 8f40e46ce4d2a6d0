package org.jtgt.api.event;

/**
 * SAM-5 task-management functions. Codes 1–7 are the iSCSI function codes (RFC 7143 11.5.1) so
 * the iSCSI driver maps them one to one; the rest have no iSCSI code.
 */
public enum TaskManagementFunction {
    ABORT_TASK(1), ABORT_TASK_SET(2), CLEAR_ACA(3), CLEAR_TASK_SET(4), LOGICAL_UNIT_RESET(5),
    TARGET_WARM_RESET(6), TARGET_COLD_RESET(7), I_T_NEXUS_RESET(16), QUERY_TASK(17),
    QUERY_TASK_SET(18), QUERY_ASYNC_EVENT(19);

    private final int code;

    TaskManagementFunction(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static TaskManagementFunction fromCode(int code) {
        for (TaskManagementFunction f : values()) {
            if (f.code == code) {
                return f;
            }
        }
        return null;
    }
}
