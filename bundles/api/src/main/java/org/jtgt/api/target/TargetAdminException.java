package org.jtgt.api.target;

/** A refused administrative request; the message is meant for the user. */
public class TargetAdminException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TargetAdminException(String message) {
        super(message);
    }

    public TargetAdminException(String message, Throwable cause) {
        super(message, cause);
    }
}
