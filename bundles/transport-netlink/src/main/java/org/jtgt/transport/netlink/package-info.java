/**
 * The netlink-style socket transport: {@link org.jtgt.transport.netlink.NetlinkTransport} carries
 * each event as one {@code nlmsghdr}-shaped message ({@link org.jtgt.transport.netlink.NetlinkFrame})
 * over a Unix domain socket, with the data it references copied inline. Private: nothing here is
 * exported; the bundle provides a {@link org.jtgt.api.transport.Transport} service named
 * {@code netlink} in one process ({@link org.jtgt.transport.netlink.NetlinkRole}), and the split
 * shape's {@link org.jtgt.transport.split.SplitMedium} named {@code netlink} for a front and a
 * daemon in two processes ({@link org.jtgt.transport.netlink.NetlinkMedium}).
 */
package org.jtgt.transport.netlink;
