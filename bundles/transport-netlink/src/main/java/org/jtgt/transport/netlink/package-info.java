/**
 * The netlink-style socket transport: {@link org.jtgt.transport.netlink.NetlinkTransport} carries
 * each event as one {@code nlmsghdr}-shaped message ({@link org.jtgt.transport.netlink.NetlinkFrame})
 * over a Unix domain socket, with the data it references copied inline. Private: nothing here is
 * exported; the bundle provides a {@link org.jtgt.api.transport.Transport} service named
 * {@code netlink}.
 */
package org.jtgt.transport.netlink;
