package org.jtgt.api.event;

/** Direction of a command's data transfer, as seen from the initiator. */
public enum DataDirection {
    NONE(0), WRITE(1), READ(2), BIDIRECTIONAL(3);

    private static final DataDirection[] BY_CODE = values();
    private final int code;

    DataDirection(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static DataDirection fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
