package org.jtgt.api.host;

import java.net.InetSocketAddress;

/**
 * The {@code HOST:PORT} form in which network low-level drivers (iSCSI, FCIP) take their listen
 * addresses from configuration and framework properties; an IPv6 address in brackets
 * ({@code [::1]:3260}), port 0 for a free one.
 */
public final class Portal {
    private Portal() {
    }

    /**
     * Parses one portal. The host is not resolved here beyond what {@link InetSocketAddress}
     * does; binding reports an unknown host.
     *
     * @throws IllegalArgumentException with the reason, for anything that is not HOST:PORT with
     *         a port in 0..65535
     */
    public static InetSocketAddress parse(String portal) {
        String p = portal.trim();
        String host;
        String port;
        if (p.startsWith("[")) {
            int close = p.indexOf(']');
            if (close < 0 || close + 1 >= p.length() || p.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("portal '" + p + "' is not [ADDRESS]:PORT");
            }
            host = p.substring(1, close);
            port = p.substring(close + 2);
        } else {
            int colon = p.lastIndexOf(':');
            if (colon <= 0 || p.indexOf(':') != colon) {
                throw new IllegalArgumentException("portal '" + p + "' is not HOST:PORT");
            }
            host = p.substring(0, colon);
            port = p.substring(colon + 1);
        }
        int number;
        try {
            number = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("portal '" + p + "': bad port", e);
        }
        if (number < 0 || number > 65535) {
            throw new IllegalArgumentException("portal '" + p + "': port outside 0..65535");
        }
        return new InetSocketAddress(host, number);
    }
}
