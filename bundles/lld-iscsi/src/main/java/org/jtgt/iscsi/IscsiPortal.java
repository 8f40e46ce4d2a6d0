package org.jtgt.iscsi;

import java.net.InetSocketAddress;

/**
 * One network portal this driver listens on, and the SCSI target port it is (RFC 7143 4.4.1):
 * every portal is a portal group of its own, so its target portal group tag names the iSCSI
 * target port ({@code <target name>,t,0x<TPGT>}), and the daemon knows that port by its
 * relative target port identifier, which every nexus created through this portal carries.
 *
 * @param address the address the listener is bound to (the port resolved when 0 was asked for)
 * @param portalGroupTag TPGT, 1..65535: sent in SendTargets and in the TargetPortalGroupTag key
 * @param relativePortId the relative target port identifier the daemon assigned
 */
record IscsiPortal(InetSocketAddress address, int portalGroupTag, int relativePortId) {

    /** {@code host:port} for logs and SendTargets; an IPv6 host in brackets, without its zone. */
    static String format(InetSocketAddress a) {
        String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        if (host.indexOf(':') >= 0) {
            int percent = host.indexOf('%');
            host = "[" + (percent >= 0 ? host.substring(0, percent) : host) + "]";
        }
        return host + ":" + a.getPort();
    }
}
