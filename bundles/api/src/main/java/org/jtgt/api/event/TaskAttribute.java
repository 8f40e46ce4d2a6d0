package org.jtgt.api.event;

/** SAM-5 task attributes. */
public enum TaskAttribute {
    SIMPLE(0), ORDERED(1), HEAD_OF_QUEUE(2), ACA(3);

    private static final TaskAttribute[] BY_CODE = values();
    private final int code;

    TaskAttribute(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static TaskAttribute fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
