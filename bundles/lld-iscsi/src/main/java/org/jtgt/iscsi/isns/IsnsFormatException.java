package org.jtgt.iscsi.isns;

/** An iSNSP message that breaks the framing or attribute rules of RFC 4171 5.1 and 5.5. */
public final class IsnsFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public IsnsFormatException(String message) {
        super(message);
    }
}
