package org.jtgt.iscsi;

/** Login Response Status-Class and Status-Detail, as one 16-bit value (RFC 7143 11.13.5). */
final class LoginStatus {
    static final int SUCCESS = 0x0000;
    static final int INITIATOR_ERROR = 0x0200;
    static final int AUTHENTICATION_FAILURE = 0x0201;
    static final int AUTHORIZATION_FAILURE = 0x0202;
    static final int NOT_FOUND = 0x0203;
    static final int TARGET_REMOVED = 0x0204;
    static final int UNSUPPORTED_VERSION = 0x0205;
    static final int TOO_MANY_CONNECTIONS = 0x0206;
    static final int MISSING_PARAMETER = 0x0207;
    static final int CANT_INCLUDE_IN_SESSION = 0x0208;
    static final int SESSION_TYPE_NOT_SUPPORTED = 0x0209;
    static final int SESSION_DOES_NOT_EXIST = 0x020A;
    static final int INVALID_DURING_LOGIN = 0x020B;
    static final int TARGET_ERROR = 0x0300;
    static final int SERVICE_UNAVAILABLE = 0x0301;
    static final int OUT_OF_RESOURCES = 0x0302;

    private LoginStatus() {
    }

    static String describe(int status) {
        switch (status) {
            case SUCCESS: return "success";
            case INITIATOR_ERROR: return "initiator error";
            case AUTHENTICATION_FAILURE: return "authentication failure";
            case AUTHORIZATION_FAILURE: return "authorization failure";
            case NOT_FOUND: return "target not found";
            case TARGET_REMOVED: return "target removed";
            case UNSUPPORTED_VERSION: return "unsupported version";
            case TOO_MANY_CONNECTIONS: return "too many connections";
            case MISSING_PARAMETER: return "missing parameter";
            case CANT_INCLUDE_IN_SESSION: return "can't include in session";
            case SESSION_TYPE_NOT_SUPPORTED: return "session type not supported";
            case SESSION_DOES_NOT_EXIST: return "session does not exist";
            case INVALID_DURING_LOGIN: return "invalid during login";
            case TARGET_ERROR: return "target error";
            case SERVICE_UNAVAILABLE: return "service unavailable";
            case OUT_OF_RESOURCES: return "out of resources";
            default: return "status 0x" + Integer.toHexString(status);
        }
    }
}
